"""The contract of each SOP document kind: the pydantic models that `render_document`
validates a document's data against (reports/render.py), described in docs/documents.md.

Top-level keys are checked strictly (a misspelt key is an error, not a blank line on a
signed form); nested objects (agency, person, servers[] ...) ignore keys they do not
use, so a request's own server entries can be passed as they are.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reports import dates

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
    # capacity/fit_result.py says "does not fit" / "not requested"; a bool means fits or not.
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


class PlacementRow(Part):
    """One server's spot as a document prints it (a row of the placement table)."""

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
    """Accept placement candidates as `FitReport.to_dict()` has them ({servers: [...]},
    ranked by order) as flat rows."""
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
    placements: list[PlacementRow] = Field(default_factory=list)
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
    placements: list[PlacementRow] = Field(default_factory=list)
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
    placements: list[PlacementRow] = Field(default_factory=list)
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


class RunwayLine(BlankIsMissing):
    """The dimension of a site that runs out first (playbooks.forecasting)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    site: Text
    dimension: Text
    object: Text | None = None
    used_pct: float
    warning_pct: float
    warning_when: Text | None = None  # "now", YYYY-MM, or none: not within the horizon
    full_when: Text | None = None


class RegisterReviewDoc(Document):
    year: int = Field(ge=2000, le=2100)
    servers: list[ReviewServer] = Field(default_factory=list)
    findings: list[Text] = Field(default_factory=list)
    reviewed_by: Signatory | None = None
    approver: Signatory | None = None  # Kepala Bidang
    runway: list[RunwayLine] = Field(default_factory=list)
    runway_history_months: int | None = Field(None, ge=1)
    runway_horizon_months: int | None = Field(None, ge=1)


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
