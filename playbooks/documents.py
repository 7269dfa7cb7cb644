"""The SOP's documents: their kinds, the `documents:` configuration, numbers and file names.

Each step that produces a paper has a kind (capacity_check at step 3 ... completion at
step 9, withdrawal on the withdrawal path). The data each kind shows is filled from the
request by playbooks/document_data.py (contracts: docs/documents.md), rendered by
`reports.render`, stored beside the request and recorded (path and SHA-256) in its
history by playbooks/document_files.py.

Naming: `<requests>/documents/REQ-2026-0001/REQ-2026-0001-<kind>.<pdf|html>` (kind with
hyphens, `.en` before the extension for English). Numbering: `documents.number_format`,
by default `{request_id}/{code}/{month_roman}/{year}`, e.g. `REQ-2026-0001/BAST/XII/2026`,
dated by the step's recorded time in the SLA time zone (Asia/Makassar).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from inventory.config import ConfigFile
from inventory.errors import InputError
from inventory.files import describe_validation_error
from playbooks.states import ACTIONS

ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
NUMBER_FIELDS = ("request_id", "code", "year", "month", "month_roman", "day")
DEFAULT_NUMBER_FORMAT = "{request_id}/{code}/{month_roman}/{year}"


@dataclass(frozen=True)
class DocKind:
    kind: str  # reports.render kind
    state: str  # the transition that dates the document and records it
    step: int | None  # SOP step (None: the withdrawal path)
    code: str  # default code in the document number
    title: str  # for messages
    prepare_from: tuple[str, ...]  # states in which it may be printed before its step


KINDS: dict[str, DocKind] = {k.kind: k for k in (
    DocKind("capacity_check", "capacity_checked", 3, "KAP", "capacity check report", ()),
    DocKind("application", "form_submitted", 4, "PGJ", "application form (Form Pengajuan)",
            ("capacity_checked",)),
    DocKind("approval", "approved", 5, "PSJ", "approval form (Form Persetujuan)", ("form_submitted",)),
    DocKind("approval_notice", "notified", 6, "PBR", "approval notice", ("approved",)),
    DocKind("handover", "installed", 8, "BAST", "handover minutes (Berita Acara Serah Terima)",
            ("delivered",)),
    DocKind("completion", "completed", 9, "BAP", "completion minutes (Berita Acara Penyelesaian)",
            ("installed",)),
    DocKind("withdrawal", "withdrawal_approved", None, "PNR", "withdrawal form (Form Penarikan)",
            ("withdrawal_requested",)),
)}
KIND_BY_STATE = {k.state: k for k in KINDS.values()}
REGISTER_REVIEW_CODE = "REVIU"
ALIASES = {
    "capacity": "capacity_check", "kapasitas": "capacity_check", "laporan": "capacity_check",
    "form": "application", "pengajuan": "application",
    "persetujuan": "approval", "notice": "approval_notice", "pemberitahuan": "approval_notice",
    "bast": "handover", "serah-terima": "handover", "berita-acara": "completion",
    "penyelesaian": "completion", "penarikan": "withdrawal",
}


class NotApplicable(InputError):
    """The step produces no such document for this request (e.g. no servers to hand over)."""


def resolve_kind(text: str) -> DocKind:
    key = text.strip().lower().replace("-", "_")
    key = ALIASES.get(key.replace("_", "-"), key)
    if key in KINDS:
        return KINDS[key]
    if key == "register_review":
        raise InputError("the register review belongs to no request: colo doc register-review")
    raise InputError(f"unknown document {text!r} (documents: {', '.join(KINDS)})")


# --------------------------------------------------------------------------- configuration
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SignatoryConfig(_Strict):
    name: str | None = None
    nip: str | None = None
    title: str | None = None


class ReceiverConfig(_Strict):
    unit: str | None = Field(None, description="The receiving unit (Bidang TIK ...).")
    name: str | None = None
    nip: str | None = None


class StaffEntry(_Strict):
    nip: str | None = None
    title: str | None = None
    unit: str | None = None


class OfficeConfig(_Strict):
    government: str
    name: str
    address: str | None = None
    city: str | None = None


class NocConfig(_Strict):
    data_center: str | None = Field(None, description="The data centre's NOC (withdrawal form).")
    colocation: str | None = Field(None, description="The co-location NOC (withdrawal form).")


class DocumentsConfig(_Strict):
    """The `documents:` section of the configuration file."""

    auto: bool = Field(False, description="Render a step's document when it is recorded "
                                          "without --document (and attach it at steps 6 and 9).")
    format: Literal["pdf", "html"] = "pdf"
    lang: Literal["id", "en"] = "id"
    office: OfficeConfig | None = Field(None, description="Letterhead (default: Diskominfo Kaltim).")
    place: str | None = Field(None, description="Where minutes are signed (handover, completion).")
    number_format: str = DEFAULT_NUMBER_FORMAT
    codes: dict[str, str] = Field(default_factory=dict, description="Number code per kind.")
    head_of_division: SignatoryConfig | None = None  # Kepala Bidang TIK
    administrator: SignatoryConfig | None = None  # Administrator Bidang TIK (approval, step 5)
    it_officer: SignatoryConfig | None = None  # Pengelola TI (capacity check, notice)
    inspector: SignatoryConfig | None = None  # Pemeriksa TI (completion, register review)
    receiver: ReceiverConfig | None = None  # Yang Menerima at the handover
    staff: dict[str, StaffEntry] = Field(default_factory=dict,
                                         description="NIP/title/unit of people named with --by.")
    noc: NocConfig = Field(default_factory=NocConfig)
    data_center_location: str | None = None
    approval_conditions: list[str] = Field(default_factory=list)

    @field_validator("number_format")
    @classmethod
    def _format(cls, v: str) -> str:
        try:
            names = [f for _, f, _, _ in string.Formatter().parse(v) if f is not None]
        except ValueError as exc:
            raise ValueError(f"{v!r}: {exc}") from None
        unknown = [n for n in names if n not in NUMBER_FIELDS]
        if unknown:
            raise ValueError(f"{v!r}: unknown field {{{unknown[0]}}} (fields: "
                             + ", ".join("{" + f + "}" for f in NUMBER_FIELDS) + ")")
        return v

    @field_validator("codes")
    @classmethod
    def _codes(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = [k for k in v if k not in KINDS and k != "register_review"]
        if unknown:
            raise ValueError(f"unknown document kind {unknown[0]!r} (kinds: {', '.join(KINDS)}, "
                             "register_review)")
        return v

    def code(self, kind: str) -> str:
        if kind in self.codes:
            return self.codes[kind]
        return KINDS[kind].code if kind in KINDS else REGISTER_REVIEW_CODE


def documents_config(config: ConfigFile) -> DocumentsConfig:
    """The `documents:` section of the configuration file (defaults when absent)."""
    section = config.section("documents")
    try:
        return DocumentsConfig.model_validate(section)
    except ValidationError as exc:
        raise InputError(f"{config.path}: documents: "
                         f"{describe_validation_error(exc, DocumentsConfig, section)}") from None


def document_number(fmt: str, *, request_id: str, code: str, day: date) -> str:
    """E.g. `REQ-2026-0001/BAST/XII/2026` with the default format."""
    return fmt.format(request_id=request_id, code=code, year=day.year, month=f"{day.month:02d}",
                      month_roman=ROMAN_MONTHS[day.month - 1], day=f"{day.day:02d}")


def file_name(request_id: str, kind: str, fmt: str, lang: str) -> str:
    suffix = "" if lang == "id" else f".{lang}"
    return f"{request_id}-{kind.replace('_', '-')}{suffix}.{fmt}"


def step_text(kind: DocKind) -> str:
    """The step that records the kind, for messages: `step 8 (install)`."""
    action = next(a for a in ACTIONS if a.state == kind.state)
    return f"step {action.step} ({action.key})" if action.step else "the withdrawal approval"


def register_review_name(today: date, fmt: str, lang: str) -> str:
    suffix = "" if lang == "id" else f".{lang}"
    return f"register-review-{today.isoformat()}{suffix}.{fmt}"
