"""What a request is: the model (pydantic) of a request file, validating what the
request letter and the Form Pengajuan carry, and what the workflow records on it
(history, capacity check, placement, reservation, verification, withdrawal).

Reading and writing the files is playbooks/requests.py.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from capacity.limits import (
    HOSTING_DISK_GB_MAX, HOSTING_MEMORY_GB_MAX, HOSTING_VCPUS_MAX, SERVER_BANDWIDTH_MBPS_MAX,
    SERVER_DRAW_W_MAX, SERVER_PSU_COUNT_MAX,
)
from inventory.errors import InputError
from inventory.names import slugify
from playbooks.validators import validate_domain, validate_email, validate_nip, validate_phone


REQUEST_ID = re.compile(r"^REQ-(\d{4})-(\d{4,})$")

State = Literal[
    "submitted", "dispositioned", "capacity_checked", "form_submitted", "approved",
    "notified", "delivered", "installed", "completed", "rejected", "cancelled",
    "withdrawal_requested", "withdrawal_approved", "withdrawn",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _text(v: Any) -> Any:
    return v.strip() if isinstance(v, str) else v


#: Tenant slugs made from a unit name are cut at 50 characters: tenants registered in
#: NetBox from earlier request files carry slugs cut there.
TENANT_SLUG_MAX = 50


class Agency(_Strict):
    unit_name: str = Field(min_length=1, description="Nama Unit: the agency (OPD).")
    address: str = Field(min_length=1, description="Alamat Unit.")
    tenant: str | None = Field(None, description="NetBox tenant slug (default: from the unit name).")

    @field_validator("tenant")
    @classmethod
    def _slug(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", v):
            raise ValueError(f"tenant {v!r} must be a slug: lower-case letters, digits, - and _")
        return v

    def tenant_slug(self) -> str:
        return self.tenant or slugify(self.unit_name, TENANT_SLUG_MAX, "agency")


class Person(_Strict):
    name: str = Field(min_length=1)
    nip: str
    phone: str
    email: str
    position: str | None = None

    @field_validator("nip", mode="before")
    @classmethod
    def _nip(cls, v: Any) -> str:
        return validate_nip(str(v))

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, v: Any) -> str:
        if isinstance(v, int):
            # YAML read `0812...` as a number and dropped the 0; only `62...` survives
            text = str(v)
            if not text.startswith("62"):
                raise ValueError(f"phone number {v} lost its leading 0 or +: write it in quotes")
            v = text
        return validate_phone(str(v))

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        return validate_email(v)


def _half_units(v: float) -> float:
    if (v * 2) != int(v * 2):
        raise ValueError("must be a multiple of 0.5")
    return v


class Server(_Strict):
    name: str = Field(min_length=1, description="Server name (becomes the NetBox device name).")
    make: str = Field(min_length=1, description="Manufacturer.")
    model: str = Field(min_length=1, description="Model (the NetBox device type).")
    serial: str | None = Field(None, description="S/N; known at delivery (step 7/8) at the latest.")
    processor: str | None = None
    ram: str | None = None
    motherboard: str | None = None
    storage: str | None = None
    psu: str | None = None
    u_height: float = Field(gt=0, le=20, description="Height in rack units (half units allowed).")
    full_depth: bool = True
    psu_count: int = Field(2, ge=1, le=SERVER_PSU_COUNT_MAX)
    allocated_draw_w: int | None = Field(None, gt=0, le=SERVER_DRAW_W_MAX, description="Typical draw in watts.")
    maximum_draw_w: int = Field(gt=0, le=SERVER_DRAW_W_MAX, description="Maximum draw in watts (nameplate).")
    bandwidth_mbps: float = Field(gt=0, le=SERVER_BANDWIDTH_MBPS_MAX)

    @field_validator("u_height")
    @classmethod
    def _u(cls, v: float) -> float:
        return _half_units(v)

    @field_validator("name", "make", "model", "serial", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> Any:
        return _text(str(v)) if isinstance(v, (int, float)) else _text(v)

    @model_validator(mode="after")
    def _draws(self) -> "Server":
        if self.allocated_draw_w is not None and self.allocated_draw_w > self.maximum_draw_w:
            raise ValueError(
                f"allocated_draw_w ({self.allocated_draw_w}) exceeds maximum_draw_w ({self.maximum_draw_w})"
            )
        if self.serial == "":
            self.serial = None
        return self

    def draw_w(self) -> int:
        """What counts against a feed: allocated draw, else maximum (docs/capacity-rules.md)."""
        return self.allocated_draw_w if self.allocated_draw_w is not None else self.maximum_draw_w


class Hosting(_Strict):
    vcpus: int = Field(gt=0, le=HOSTING_VCPUS_MAX)
    memory_gb: float = Field(gt=0, le=HOSTING_MEMORY_GB_MAX)
    disk_gb: float = Field(gt=0, le=HOSTING_DISK_GB_MAX)
    bandwidth_mbps: float = Field(0, ge=0, le=SERVER_BANDWIDTH_MBPS_MAX)
    cluster: str | None = Field(None, description="Cluster to host on (default: the check's choice).")
    vm_name: str | None = Field(None, min_length=1, max_length=64,
                                description="Name of the virtual machine in NetBox (default: the domain).")


class Transition(_Strict):
    step: int | None = Field(None, ge=1, le=9, description="SOP step number (none off the main path).")
    state: State
    by: str = Field(min_length=1)
    at: datetime
    document: str | None = None
    checksum: str | None = None
    note: str | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("time needs a UTC offset, e.g. 2026-11-30 09:15:00+08:00")
        return v


class ServerPlacement(_Strict):
    server: str
    rack: str
    rack_name: str | None = None
    position: float = Field(ge=0.5)
    face: Literal["front", "rear"] = "front"
    units: str | None = Field(None, description="e.g. U10-U11, for people; position is authoritative.")
    feeds: list[str] = Field(default_factory=list)
    legs: list[Literal["A", "B", "C"] | None] = Field(
        default_factory=list, description="Per feed, the leg of a three-phase feed its PSUs take (step 3 "
                                          "picks the one keeping the legs balanced); none: any.")


class Placement(_Strict):
    site: str | None = None
    servers: list[ServerPlacement] = Field(default_factory=list)
    cluster: str | None = None


class CapacityCheck(_Strict):
    checked_at: datetime
    source: str
    fits: bool
    reasons: list[str] = Field(default_factory=list)
    report: str | None = Field(None, description="The full fit report (JSON) beside the request.")


class Reservation(_Strict):
    """What approval wrote: the rack reservations holding the placement's units."""

    created_at: datetime
    netbox_ids: list[int] = Field(default_factory=list)
    released_at: datetime | None = None
    released_because: str | None = None


class Verification(_Strict):
    """Step 8: what arrived against what was requested."""

    differences: list[str] = Field(default_factory=list)
    override_reason: str | None = None
    verified_by: str | None = None


class Withdrawal(_Strict):
    servers: list[str] = Field(default_factory=list, description="Names of the servers withdrawn.")
    reasons: str = Field(min_length=1)
    noc: str | None = None


class Request(_Strict):
    id: str
    state: State = "submitted"
    created_at: datetime | None = None
    agency: Agency
    person_in_charge: Person
    domain: str
    domain_activation_date: date
    permanent: bool = True
    valid_until: date | None = Field(None, description="End of a temporary co-location.")
    servers: list[Server] = Field(default_factory=list)
    hosting: Hosting | None = None
    notes: str | None = None
    history: list[Transition] = Field(default_factory=list)
    capacity_check: CapacityCheck | None = None
    placement: Placement | None = None
    reservation: Reservation | None = None
    verification: Verification | None = None
    withdrawal: Withdrawal | None = None
    last_reviewed: date | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not REQUEST_ID.match(v):
            raise ValueError(f"request id {v!r} must look like REQ-2026-0001")
        canonical = normalise_id(v)
        if v != canonical:  # REQ-2026-00001 and REQ-2026-0001 would be one request in two files
            raise ValueError(f"request id {v!r} must be written {canonical}")
        return v

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        return validate_domain(v)

    @model_validator(mode="after")
    def _consistent(self) -> "Request":
        if not self.servers and self.hosting is None:
            raise ValueError("a request needs at least one server or hosting needs")
        if not self.permanent:
            if self.valid_until is None:
                raise ValueError("a temporary co-location (permanent: false) needs valid_until")
            if self.valid_until <= self.domain_activation_date:
                raise ValueError("valid_until must be after domain_activation_date")
        elif self.valid_until is not None:
            raise ValueError("valid_until is only for temporary co-locations (permanent: false)")
        names = [s.name for s in self.servers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"server names repeat: {', '.join(dupes)}")
        serials = [s.serial for s in self.servers if s.serial]
        dupes = sorted({n for n in serials if serials.count(n) > 1})
        if dupes:
            raise ValueError(f"serial numbers repeat: {', '.join(dupes)}")
        if self.history and self.history[-1].state != self.state:
            raise ValueError(
                f"state is {self.state!r} but the last history entry says {self.history[-1].state!r}"
            )
        for earlier, later in zip(self.history, self.history[1:]):
            if later.at < earlier.at:
                raise ValueError(f"history is out of time order at {later.state!r} ({later.at.isoformat()})")
        return self

    # --- convenience --------------------------------------------------------
    def last(self) -> Transition | None:
        return self.history[-1] if self.history else None

    def transition(self, state: str) -> Transition | None:
        """The latest transition into `state`."""
        for t in reversed(self.history):
            if t.state == state:
                return t
        return None

    def total_draw_w(self) -> int:
        return sum(s.draw_w() for s in self.servers)

    def bandwidth_mbps(self) -> float:
        return sum(s.bandwidth_mbps for s in self.servers) + (self.hosting.bandwidth_mbps if self.hosting else 0)


def normalise_id(text: str) -> str:
    """Accept `REQ-2026-0001`, `req-2026-1` or `2026-0001`."""
    raw = text.strip().upper()
    if not raw.startswith("REQ-"):
        raw = "REQ-" + raw
    m = re.fullmatch(r"REQ-(\d{4})-(\d+)", raw)
    if not m:
        raise InputError(f"{text!r} is not a request id (like REQ-2026-0001)")
    return f"REQ-{m.group(1)}-{int(m.group(2)):04d}"
