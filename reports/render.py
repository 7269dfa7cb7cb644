"""The SOP's documents as HTML or PDF: `render_document(kind, data, lang=, fmt=)`.

Rendering only: the caller (the workflow) builds a plain dict per document kind; this
module validates it against the kind's contract (the pydantic models below, described
in docs/documents.md), fills the jinja2 template `reports/templates/<kind>.html` and,
for PDF, lays it out with WeasyPrint (A4, page numbers, the document number on every
page). It never talks to NetBox.

The contracts themselves are in reports/contracts.py.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.exceptions import UndefinedError
from markupsafe import Markup
from pydantic import ValidationError

from inventory.errors import InputError
from reports import dates
from reports.contracts import MODELS, Document, ReviewServer, Server
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


def capacity_check_data(fit: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The capacity_check contract from `capacity.fit_result.FitReport.to_dict()` plus the
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

    def status_counts(self, servers: list[ReviewServer]) -> list[tuple[str, int]]:
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
    with _fixed_font_timestamp():
        return weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


@contextmanager
def _fixed_font_timestamp() -> Iterator[None]:
    """Embedded font subsets carry a 'modified' time: fontTools (WeasyPrint's subsetter
    when HarfBuzz-subset is missing) stamps the current second unless SOURCE_DATE_EPOCH
    is set, so the same document rendered a second later had other bytes and its
    recorded checksum could not be reproduced. The stamp is fixed for the rendering and
    the environment restored after; a SOURCE_DATE_EPOCH the caller set is kept."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    if before is not None:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


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
