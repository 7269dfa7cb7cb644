"""The SOP's documents as HTML or PDF: `render_document(kind, data, lang=, fmt=)`.

Rendering only: the caller (the workflow) builds a plain dict per document kind; this
module validates it against the kind's contract (the pydantic models below, described
in docs/documents.md), fills the jinja2 template `reports/templates/<kind>.html` and,
for PDF, lays it out with WeasyPrint (A4, page numbers, the document number on every
page). It never talks to NetBox.

Contracts: top-level keys are checked strictly (a misspelt key is an error, not a blank
line on a signed form); nested objects (agency, person, servers[] ...) ignore keys they
do not use, so a request's own server entries can be passed as they are.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.exceptions import UndefinedError
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from inventory.errors import InputError
from reports import dates
from reports.i18n import DIMENSIONS, REVIEW_STATUSES, format_number, labels

TEMPLATES_DIR = Path(__file__).parent / "templates"

DOCUMENT_KINDS = ("capacity_check", "application", "approval", "approval_notice", "handover",
                  "completion", "withdrawal", "register_review")
FORMATS = ("html", "pdf")

# The office named in every document's letterhead; `office` in the data overrides it.
DEFAULT_OFFICE = {
    "id": {"government": "Pemerintah Provinsi Kalimantan Timur",
           "name": "Dinas Komunikasi dan Informatika", "address": None, "city": "Samarinda"},
    "en": {"government": "Provincial Government of East Kalimantan",
           "name": "Communication and Informatics Office (Diskominfo)", "address": None,
           "city": "Samarinda"},
}


# --------------------------------------------------------------------------- contracts
Text = str  # a non-empty line of text (stripped; empty strings count as missing)


class BlankIsMissing(BaseModel):
    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        # A field left blank ("", None) reads as "not filled in": a required one fails as
        # missing and an optional one renders as a dash.
        if isinstance(data, dict):
            return {k: v for k, v in data.items()
                    if v is not None and not (isinstance(v, str) and not v.strip())}
        return data


class Part(BlankIsMissing):
    """Nested objects: unknown keys ignored, text stripped, empty text = missing."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, str_min_length=1)


class Office(Part):
    government: Text
    name: Text
    address: Text | None = None
    city: Text | None = None  # the place written before the date on signatures


class Agency(Part):
    name: Text
    address: Text | None = None


class Person(Part):
    name: Text
    nip: Text | None = None
    phone: Text | None = None
    email: Text | None = None
    title: Text | None = None


class PersonWithNip(Person):
    nip: Text


class Signatory(Part):
    """Who signs a block: the name may be left blank for a hand-written one."""

    name: Text | None = None
    nip: Text | None = None
    title: Text | None = None


class Receiver(Part):
    unit: Text
    name: Text
    nip: Text


class Server(Part):
    name: Text
    make: Text | None = None
    model: Text | None = None
    serial: Text | None = None
    processor: Text | None = None
    ram: Text | None = None
    motherboard: Text | None = None
    storage: Text | None = None
    psu: Text | None = None
    site: Text | None = None
    rack: Text | None = None
    position: float | None = None
    face: Literal["front", "rear"] | None = None
    u_height: float | None = None
    domain: Text | None = None

    @field_validator("ram", "storage", "psu", "processor", "motherboard", "serial", "name",
                     "make", "model", "rack", "site", mode="before")
    @classmethod
    def _numbers_as_text(cls, v: Any) -> Any:
        # YAML reads `ram: 64` or `psu: 2` as numbers; on a form they are text.
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


class HandoverServer(Server):
    """The minutes list the whole specification of each server handed over."""

    processor: Text
    ram: Text
    motherboard: Text
    storage: Text
    psu: Text
    serial: Text


class Hosting(Part):
    vcpus: float | None = Field(None, ge=0)
    memory_gb: float | None = Field(None, ge=0)
    disk_gb: float | None = Field(None, ge=0)


Verdict = Literal["fits", "does_not_fit", "not_requested", "unknown"]


def _verdict(v: Any) -> Any:
    # capacity.fit says "does not fit" / "not requested"; a bool means fits or not.
    if isinstance(v, bool):
        return "fits" if v else "does_not_fit"
    if isinstance(v, str):
        return v.strip().lower().replace(" ", "_").replace("-", "_")
    return v


class Dimension(Part):
    dimension: Text  # space, power, power_failover, ups, genset, bandwidth, hosting_* ...
    before: float | str | None = None
    requested: float | str | None = None
    after: float | str | None = None
    unit: Text | None = None  # U, VA, Mbps, vCPU, GB
    verdict: Verdict
    reason: Text | None = None

    _v = field_validator("verdict", mode="before")(_verdict)


class Placement(Part):
    rank: int | None = None
    server: Text | None = None
    site: Text | None = None
    rack: Text
    position: float
    face: Literal["front", "rear"] | None = None
    u_height: float | None = None
    feeds: list[Text] = Field(default_factory=list)


class LocationBlock(Part):
    """One side of a withdrawal: the NOC, where the server is, and the domain."""

    noc: Text | None = None
    location: Text | None = None
    domain: Text | None = None


class ReviewServer(Server):
    agency: Text | None = None
    last_reviewed: date | None = None
    review_status: Text = "ok"
    findings: list[Text] = Field(default_factory=list)

    @field_validator("findings", mode="before")
    @classmethod
    def _one_finding(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("last_reviewed", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        return _as_date(v)


def _as_date(v: Any) -> Any:
    # A datetime counts as its local calendar day (pydantic refuses one with a time).
    if isinstance(v, datetime):
        return dates.to_date(v)
    return v


class Document(BlankIsMissing):
    """Fields every document has."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_min_length=1)

    document_number: Text
    date: date
    office: Office | None = None
    request_id: Text | None = None

    @field_validator("date", "domain_activation_date", "valid_until", "approval_date",
                     "deliver_by", check_fields=False, mode="before")
    @classmethod
    def _dates(cls, v: Any) -> Any:
        return _as_date(v)


def _flatten_placements(v: Any) -> Any:
    """Accept capacity.fit's candidates ({servers: [...]}, ranked by order) as flat rows."""
    if not isinstance(v, list):
        return v
    rows: list[Any] = []
    for rank, p in enumerate(v, start=1):
        if not (isinstance(p, dict) and isinstance(p.get("servers"), list)):
            rows.append(p)
            continue
        for s in p["servers"]:
            if not isinstance(s, dict):
                rows.append(s)
                continue
            rows.append({
                "rank": p.get("rank", rank),
                "server": s.get("server"),
                "site": s.get("site_name") or s.get("site") or p.get("site_name"),
                "rack": s.get("rack_name") or s.get("rack"),
                "position": s.get("position"),
                "face": s.get("face"),
                "u_height": s.get("u_height"),
                "feeds": [f for f in (s.get("feed_a_name"), s.get("feed_b_name")) if f],
            })
    return rows


class CapacityCheckDoc(Document):
    request_id: Text
    agency: Agency
    domain: Text | None = None
    verdict: Literal["fits", "does_not_fit"]
    dimensions: list[Dimension] = Field(min_length=1)
    placements: list[Placement] = Field(default_factory=list)
    servers: list[Server] = Field(default_factory=list)
    hosting: Hosting | None = None
    checked_by: Signatory | None = None
    notes: Text | None = None
    reasons: list[Text] = Field(default_factory=list)  # why it does not fit

    _v = field_validator("verdict", mode="before")(_verdict)
    _p = field_validator("placements", mode="before")(_flatten_placements)


class ApplicationDoc(Document):
    agency: Agency
    person: PersonWithNip
    domain: Text
    domain_activation_date: date
    colocation_type: Literal["permanent", "temporary"]
    valid_until: date | None = None
    servers: list[Server] = Field(default_factory=list)
    hosting: Hosting | None = None
    approver: Signatory | None = None  # Kepala Bidang

    @model_validator(mode="after")
    def _temporary_has_end(self) -> "ApplicationDoc":
        if self.colocation_type == "temporary" and self.valid_until is None:
            raise ValueError("valid_until is required for a temporary co-location")
        return self


class ApprovalDoc(Document):
    request_id: Text
    agency: Agency
    person: PersonWithNip
    domain: Text
    colocation_type: Literal["permanent", "temporary"]
    valid_until: date | None = None
    application_number: Text | None = None
    application_date: date | None = None
    servers: list[Server] = Field(default_factory=list)
    hosting: Hosting | None = None
    placements: list[Placement] = Field(default_factory=list)
    conditions: list[Text] = Field(default_factory=list)
    approver: Signatory | None = None  # Administrator Bidang TIK

    @field_validator("application_date", mode="before")
    @classmethod
    def _app_date(cls, v: Any) -> Any:
        return _as_date(v)

    @model_validator(mode="after")
    def _temporary_has_end(self) -> "ApprovalDoc":
        if self.colocation_type == "temporary" and self.valid_until is None:
            raise ValueError("valid_until is required for a temporary co-location")
        return self


class ApprovalNoticeDoc(Document):
    request_id: Text
    agency: Agency
    person: Person
    domain: Text
    approval_number: Text | None = None
    approval_date: date | None = None
    deliver_by: date | None = None
    placements: list[Placement] = Field(default_factory=list)
    servers: list[Server] = Field(default_factory=list)
    sender: Signatory | None = None  # Pengelola TI
    notes: Text | None = None


class HandoverDoc(Document):
    agency: Agency
    person: PersonWithNip
    receiver: Receiver
    servers: list[HandoverServer] = Field(min_length=1)
    place: Text | None = None
    domain: Text | None = None


class CompletionDoc(Document):
    request_id: Text
    agency: Agency
    person: Person
    domain: Text
    servers: list[Server] = Field(default_factory=list)
    endpoints: list[Text] = Field(default_factory=list)  # where it is reachable (URL, IP)
    handover_number: Text | None = None
    inspector: Signatory | None = None  # Pemeriksa TI
    head_of_division: Signatory | None = None  # copied ("Tembusan")
    place: Text | None = None


class WithdrawalDoc(Document):
    domain: Text
    agency: Agency | None = None
    person: Person | None = None
    data_center: LocationBlock | None = None
    colocation: LocationBlock | None = None
    servers: list[Server] = Field(default_factory=list)  # the co-located servers withdrawn
    reasons: list[Text] = Field(min_length=1)
    approver: Signatory | None = None  # Kepala Bidang TIK

    @model_validator(mode="after")
    def _something_withdrawn(self) -> "WithdrawalDoc":
        if self.data_center is None and self.colocation is None and not self.servers:
            raise ValueError("name what is withdrawn: data_center, colocation or servers")
        return self


class RegisterReviewDoc(Document):
    year: int = Field(ge=2000, le=2100)
    servers: list[ReviewServer] = Field(default_factory=list)
    findings: list[Text] = Field(default_factory=list)
    reviewed_by: Signatory | None = None
    approver: Signatory | None = None  # Kepala Bidang


MODELS: dict[str, type[Document]] = {
    "capacity_check": CapacityCheckDoc,
    "application": ApplicationDoc,
    "approval": ApprovalDoc,
    "approval_notice": ApprovalNoticeDoc,
    "handover": HandoverDoc,
    "completion": CompletionDoc,
    "withdrawal": WithdrawalDoc,
    "register_review": RegisterReviewDoc,
}


def capacity_check_data(fit: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The capacity_check contract from `capacity.fit.FitReport.to_dict()` plus the
    document's own fields (document_number, date, agency, domain, checked_by, ...).

    Only the first-ranked candidate is shown: it is the one the request will take.
    """
    data: dict[str, Any] = {
        "verdict": "fits" if fit.get("fits") else "does_not_fit",
        "dimensions": fit.get("dimensions", []),
        "placements": list(fit.get("placements") or [])[:1],
        "reasons": list(fit.get("reasons") or []),
    }
    if fit.get("request_id"):
        data["request_id"] = fit["request_id"]
    notes = list(fit.get("notes") or [])
    if notes:
        data["notes"] = "; ".join(notes)
    data.update(fields)
    return data


# --------------------------------------------------------------------------- formatting
class Formatter:
    """Value formatting in one language, exposed to templates as `F`."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.L = labels(lang)

    def date(self, d: date | None, with_weekday: bool = False) -> str:
        return dates.format_date(d, self.lang, with_weekday) if d else self.L.none

    def datetime(self, dt: datetime | str | None) -> str:
        return dates.format_datetime(dt, self.lang) if dt else self.L.none

    def weekday(self, d: date) -> str:
        return dates.weekday_name(d, self.lang)

    def spell(self, d: date) -> str:
        return dates.spell_date(d, self.lang)

    def num(self, value: Any, decimals: int | None = None) -> str:
        return format_number(value, self.lang, decimals)

    def text(self, value: Any) -> str:
        return self.L.none if value is None or value == "" else str(value)

    def dimension(self, key: str) -> str:
        return self.L[f"dim_{key}"] if key in DIMENSIONS else key

    def verdict(self, v: str) -> str:
        return self.L[f"verdict_{v}"]

    def status(self, s: str) -> str:
        return self.L[f"status_{s}"] if s in REVIEW_STATUSES else s

    def status_counts(self, servers: list["ReviewServer"]) -> list[tuple[str, int]]:
        """(status label, number of servers) in the order statuses first appear."""
        counts: dict[str, int] = {}
        for s in servers:
            counts[s.review_status] = counts.get(s.review_status, 0) + 1
        return [(self.status(k), n) for k, n in counts.items()]

    def face(self, f: str | None) -> str:
        return self.L[f"face_{f}"] if f in ("front", "rear") else self.text(f)

    def type_make(self, s: Server) -> str:
        parts = [p for p in (s.model, s.make) if p]
        return " / ".join(parts) if parts else self.L.none

    def location(self, s: Server, fallback: str | None = None) -> str:
        """"DC-1, R03, U12" from what is known of a server's place."""
        parts = [p for p in (s.site, s.rack) if p]
        if s.position is not None:
            parts.append(f"U{self.num(s.position)}")
        if parts:
            return ", ".join(parts)
        return fallback or self.L.none


def css_string(text: str) -> Markup:
    """A quoted CSS string literal (for @page content), safe for any text."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:-/" else f"\\{ord(ch):06x}" for ch in text)
    return Markup(f'"{escaped}"')


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html", "svg", "xml"),
                                     default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["css_string"] = css_string
    return env


_ENV: Environment | None = None


def environment() -> Environment:
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    return _ENV


# --------------------------------------------------------------------------- API
def validate_document(kind: str, data: dict[str, Any]) -> Document:
    """The data checked against the kind's contract; InputError names each bad field."""
    if kind not in MODELS:
        raise InputError(f"unknown document kind {kind!r} (kinds: {', '.join(DOCUMENT_KINDS)})")
    if not isinstance(data, dict):
        raise InputError(f"{kind} document: data must be a mapping, got {type(data).__name__}")
    try:
        return MODELS[kind].model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{kind} document: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        path = ""
        for part in err["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            elif not re.fullmatch(r"[A-Za-z_][\w]*", str(part)) and path:
                continue  # pydantic's union branch names (e.g. "float") are noise
            else:
                path += f".{part}" if path else str(part)
        message = err["msg"]
        if err["type"] == "missing":
            message = "missing (required)"
        elif err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "string_too_short":
            message = "empty (required)"
        problems.append(f"{path}: {message}" if path else message)
    # One line per field; the same field may fail several union branches.
    return "; ".join(dict.fromkeys(problems))


def render_html(kind: str, data: dict[str, Any], *, lang: str = "id") -> str:
    """The document as one self-contained HTML page (inline CSS, no external resource)."""
    dates.check_lang(lang)
    doc = validate_document(kind, data)
    office = doc.office.model_dump() if doc.office else dict(DEFAULT_OFFICE[lang])
    template = environment().get_template(f"{kind}.html")
    try:
        return template.render(doc=doc, kind=kind, lang=lang, L=labels(lang), F=Formatter(lang),
                               office=office)
    except UndefinedError as exc:  # a template bug, not the user's: say which
        raise InputError(f"{kind} document: template needs a value it was not given ({exc})") from None


def render_document(kind: str, data: dict[str, Any], *, lang: str = "id", fmt: str = "html") -> bytes:
    """Render a document of the SOP to HTML (UTF-8) or PDF bytes.

    kind: one of DOCUMENT_KINDS; data: the kind's contract (docs/documents.md);
    lang: "id" (default) or "en"; fmt: "html" or "pdf".
    Raises InputError for an unknown kind/lang/format or data that breaks the contract.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (use one of: {', '.join(FORMATS)})")
    html = render_html(kind, data, lang=lang)
    if fmt == "html":
        return html.encode("utf-8")
    return html_to_pdf(html)


def html_to_pdf(html: str) -> bytes:
    """Lay out HTML as PDF with WeasyPrint; nothing outside the document is fetched."""
    try:
        import weasyprint  # optional: the [pdf] extra; only PDF output needs it
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError("PDF output needs WeasyPrint: pip install 'colo-kaltim[pdf]' "
                         "(or use --format html)") from None
    fetcher = _offline_fetcher(weasyprint)
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


def _offline_fetcher(weasyprint: Any) -> Any:
    # Documents carry their CSS inline; refusing every URL but data: means a value that
    # slipped into an attribute can never make the renderer read a file or the network.
    if hasattr(weasyprint, "URLFetcher"):
        return weasyprint.URLFetcher(allowed_protocols={"data"})

    def refuse(url: str, *args: Any, **kwargs: Any) -> Any:  # WeasyPrint < 68
        if url.startswith("data:"):
            return weasyprint.default_url_fetcher(url, *args, **kwargs)
        raise ValueError(f"external resource refused: {url}")

    return refuse
