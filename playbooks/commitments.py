"""Approval commits capacity (docs/workflow.md, "Committed capacity").

A request that is approved and not yet installed (approved, notified, delivered) holds
its placement: the units become rack reservations and its draw, bandwidth and hosting
count as committed in every later report and check. Installation replaces the promise
with the device; rejection, cancellation or a lapse (configurable working days after
approval without installation) releases it. Between `colo request apply` and step 8 the
promise and the registered object both exist: the source's device (or VM) counts, and
the commitment for it does not (see `registered_parts`).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from capacity.committed import CommitmentScope
from capacity.whatif import units_touched as reserved_units  # whole units a placement holds
from inventory.model import Commitment, RackReservation, Snapshot
from playbooks.config import WorkflowConfig
from playbooks.request_model import Request
from playbooks.requests import RequestStore
from playbooks.sla import WorkingCalendar
from playbooks.states import COMMITTED_STATES, is_lapsed


def holding_requests(store: RequestStore, config: WorkflowConfig, now: datetime | None = None,
                     calendar: WorkingCalendar | None = None, lapsed: list[Request] | None = None) -> list[Request]:
    """Requests whose approval currently holds capacity (approved, not installed, not lapsed);
    lapsed ones are appended to `lapsed` when given. An unreadable file is an error: the
    capacity it may hold cannot be counted, and a figure without it would be wrong."""
    calendar = calendar or WorkingCalendar(config.sla)
    now = now or datetime.now(calendar.tz)
    held: list[Request] = []
    for req in store.read_all():
        if req.state not in COMMITTED_STATES:
            continue
        if is_lapsed(req, calendar, config.lapse_working_days, now):
            if lapsed is not None:
                lapsed.append(req)
            continue
        held.append(req)
    return held


def request_commitments(req: Request, registered: frozenset[str] = frozenset()) -> list[Commitment]:
    """One commitment per placed server (rack, feeds, its PSUs' plugs, draw, bandwidth) and one for hosting;
    none for the parts in `registered` (server names, and HOSTING for the hosting), which
    the source already holds as objects."""
    out: list[Commitment] = []
    placement = req.placement
    tenant = req.agency.tenant_slug()
    by_name = {s.name: s for s in req.servers}
    if placement is not None:
        for sp in placement.servers:
            server = by_name.get(sp.server)
            if server is None or sp.server in registered:
                continue
            out.append(Commitment(
                request_id=req.id, tenant=tenant, site=placement.site, rack=sp.rack,
                feeds=list(sp.feeds), psu_count=server.psu_count,
                draw_va=server.draw_w(), bandwidth_mbps=server.bandwidth_mbps,
            ))
    if req.hosting is not None and HOSTING not in registered:
        out.append(Commitment(
            request_id=req.id, tenant=tenant, site=placement.site if placement else None,
            cluster=(placement.cluster if placement else None) or req.hosting.cluster,
            vcpus=req.hosting.vcpus, memory_gb=req.hosting.memory_gb, disk_gb=req.hosting.disk_gb,
            bandwidth_mbps=req.hosting.bandwidth_mbps,
        ))
    return out


#: In `registered_parts`: the request's hosting is registered (a VM carries its id).
HOSTING = "\0hosting"


def registered_parts(snapshot: Snapshot, request_ids: set[str]) -> dict[str, frozenset[str]]:
    """Per request id, what of it the source already holds: the names of devices whose
    custom field request_id names it (registration gives a device its server's name), and
    HOSTING when a VM names it. Those replace the request's commitments for them."""
    parts: dict[str, set[str]] = {}
    for d in snapshot.devices:
        cf = d.custom_fields
        rid = cf.get("request_id") if cf else None
        if rid and rid in request_ids:
            parts.setdefault(rid, set()).add(d.name or "")
    for c in snapshot.clusters:
        for vm in c.vms:
            if vm.request_id in request_ids:
                parts.setdefault(vm.request_id, set()).add(HOSTING)  # type: ignore[arg-type]
    return {rid: frozenset(names) for rid, names in parts.items()}


def committed_capacity(requests_dir: Path | str | None = None, *, now: datetime | None = None,
                       config: WorkflowConfig | None = None) -> list[Commitment]:
    """Commitments of every approved, not installed, not lapsed request in the folder.

    Keys (tenant slug, rack and feed keys as recorded at the capacity check) are not
    resolved against any snapshot here; `apply_commitments` does that. `config`: the
    workflow configuration (its lapse and SLA clock; defaults when not given).
    """
    config = config or WorkflowConfig()
    store = RequestStore(_folder(requests_dir, config), config.documents_dir)
    out: list[Commitment] = []
    for req in holding_requests(store, config, now):
        out.extend(request_commitments(req))
    return out


def apply_commitments(snapshot: Snapshot, requests_dir: Path | str | None = None, *,
                      now: datetime | None = None, config: WorkflowConfig | None = None) -> Snapshot:
    """A new snapshot with every held request's reservations and commitments added.

    References are resolved against the snapshot: a tenant by key, slug or name (left
    empty if the agency is not a tenant yet); a rack and feeds by key, else by name.
    A commitment whose rack or feeds this snapshot does not have (a placement made
    against another source) is skipped with a warning, never allowed to break a report.
    A reservation is not added twice when the source (NetBox) already holds one whose
    description names the request; the NetBox reservation of a lapsed approval is
    dropped from the snapshot (it holds nothing any more, even before `cancel`).
    `config`: the workflow configuration (defaults when not given).
    """
    config = config or WorkflowConfig()
    folder = _folder(requests_dir, config)
    store = RequestStore(folder, config.documents_dir)  # refuses a file given as the folder
    if not folder.is_dir():
        return snapshot
    lapsed: list[Request] = []
    held = holding_requests(store, config, now, lapsed=lapsed)
    if not held and not lapsed:
        return snapshot

    scope = CommitmentScope(snapshot)
    # a lapsed approval no longer holds its units, even before `cancel` deletes its NetBox
    # reservation (whose description starts with the request id)
    gone = tuple(f"{r.id}:" for r in lapsed)
    reservations = [r for r in snapshot.reservations if not (gone and (r.description or "").startswith(gone))]
    commitments = list(snapshot.commitments)
    registered = registered_parts(snapshot, {r.id for r in held})
    for req in held:
        tenant = scope.tenant_key(req.agency.tenant_slug(), req.agency.unit_name)
        already = any(req.id in (r.description or "") for r in snapshot.reservations)
        rack_names = {sp.rack: sp.rack_name for sp in (req.placement.servers if req.placement else [])}
        for cm in request_commitments(req, registered.get(req.id, frozenset())):
            cm.tenant = tenant
            problem = scope.resolve(cm, rack_names.get(cm.rack) if cm.rack is not None else None)
            if problem is not None:
                print(f"warning: {req.id}: {problem}; its committed capacity is not counted", file=sys.stderr)
                continue
            commitments.append(cm)
        if not already and req.placement is not None:
            for sp in req.placement.servers:
                server = next((s for s in req.servers if s.name == sp.server), None)
                rack_key = scope.rack_key(sp.rack, sp.rack_name, scope.site_key(req.placement.site))
                if server is None or rack_key is None:
                    continue
                units = reserved_units(sp.position, server.u_height)
                reservations.append(RackReservation(
                    key=f"{req.id}:{sp.server}", rack=rack_key, units=units, tenant=tenant,
                    description=reservation_description(req, sp.server),
                ))
    return snapshot.model_copy(update={"reservations": reservations, "commitments": commitments})


def reservation_description(req: Request, server: str | None = None) -> str:
    """The text NetBox shows on the reservation: the request id first (it is searched for)."""
    what = f" server {server}" if server else ""
    return f"{req.id}: {req.agency.unit_name}{what} ({req.domain}), approved, awaiting installation"


def _folder(requests_dir: Path | str | None, config: WorkflowConfig) -> Path:
    return Path(requests_dir) if requests_dir is not None else config.requests_dir
