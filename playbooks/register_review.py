"""The yearly review of the asset register (the SOP: reviewed at least once a year), pure.

`review_register` reads a snapshot and the request files and says what to look at: a
co-located server never reviewed or not within `max_age_days`, one without serial,
tenant or domain, a temporary co-location past its end, and a server that no request
accounts for. `register_rows` is the register itself, one row per co-located server.
Writing the review date into NetBox is `playbooks.registration.mark_reviewed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from inventory.model import AnyDevice, Snapshot
from playbooks.request_model import Request
from playbooks.states import ACCOUNTED_STATES


@dataclass
class ReviewFinding:
    device: str
    serial: str
    tenant: str
    kind: str  # never_reviewed | review_overdue | missing_serial | missing_tenant | missing_domain
    #            | temporary_expired | unaccounted
    message: str


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def colocated_servers(snapshot: Snapshot, role: str, statuses: tuple[str, ...] = ("active",)) -> list[AnyDevice]:
    """The snapshot's devices of the co-location role (workflow.colocation_role) in `statuses`."""
    return [d for d in snapshot.devices if d.role == role and d.status in statuses]


def review_register(snapshot: Snapshot, requests: list[Request], today: date, *, max_age_days: int,
                    role: str) -> list[ReviewFinding]:
    """What the yearly review must look at, one finding per device and problem."""
    tenants = {t.key: t.name for t in snapshot.tenants}
    accounted = {r.id: r for r in requests if r.state in ACCOUNTED_STATES}
    by_serial = {s.serial: r for r in accounted.values() for s in r.servers if s.serial}
    out: list[ReviewFinding] = []
    for d in sorted(colocated_servers(snapshot, role), key=lambda d: (d.name or d.key)):
        cf = d.custom_fields or {}
        name = d.name or d.key
        tenant = tenants.get(d.tenant or "", d.tenant or "")

        def add(kind: str, message: str) -> None:
            out.append(ReviewFinding(name, d.serial or "", tenant, kind, message))

        reviewed = _as_date(cf.get("last_review_date"))
        if reviewed is None:
            add("never_reviewed", "never reviewed")
        elif (today - reviewed).days > max_age_days:
            add("review_overdue", f"last reviewed {reviewed} ({(today - reviewed).days} days ago)")
        if not d.serial:
            add("missing_serial", "no serial number")
        if not d.tenant:
            add("missing_tenant", "no tenant (agency)")
        if not cf.get("domain"):
            add("missing_domain", "no domain name")
        req = accounted.get(str(cf.get("request_id") or "")) or (by_serial.get(d.serial) if d.serial else None)
        valid_until = _as_date(cf.get("valid_until")) or (req.valid_until if req else None)
        temporary = cf.get("colocation_type") == "temporary" or (req is not None and not req.permanent)
        if temporary and valid_until is not None and valid_until < today:
            add("temporary_expired", f"temporary co-location ended {valid_until}")
        if req is None:
            rid = cf.get("request_id")
            add("unaccounted", f"request {rid} not found in the requests folder" if rid
                else "no request accounts for it")
    return out


REGISTER_COLUMNS = ("name", "serial", "tenant", "make", "model", "site", "rack", "position", "face", "status",
                    "domain", "request_id", "colocation_type", "valid_until", "handover_date", "last_review_date")


def register_rows(snapshot: Snapshot, role: str) -> list[dict[str, Any]]:
    """The asset register: one row per co-located server (any status), keys REGISTER_COLUMNS."""
    racks = {r.key: r.name for r in snapshot.racks}
    tenants = {t.key: t.name for t in snapshot.tenants}
    types = {t.key: t for t in snapshot.device_types}
    rows = []
    for d in sorted((d for d in snapshot.devices if d.role == role), key=lambda d: d.name or d.key):
        cf = d.custom_fields or {}
        t = types.get(d.device_type)
        rows.append({
            "name": d.name or d.key, "serial": d.serial, "tenant": tenants.get(d.tenant or "", d.tenant or ""),
            "make": t.manufacturer if t else "", "model": t.model if t else d.device_type,
            "site": d.site, "rack": racks.get(d.rack or "", d.rack or ""),
            "position": d.position, "face": d.face or "", "status": d.status,
            "domain": cf.get("domain") or "", "request_id": cf.get("request_id") or "",
            "colocation_type": cf.get("colocation_type") or "", "valid_until": cf.get("valid_until") or "",
            "handover_date": cf.get("handover_date") or "", "last_review_date": cf.get("last_review_date") or "",
        })
    return rows
