"""A request file as a capacity request, and the answer as a placement to record.

`capacity_request_data` is the one mapping from a request (servers, hosting, tenant) to
what `capacity.fit` checks: step 3, step 5's re-check and `colo capacity check
REQUEST-FILE` (playbooks/check_input.py) all use it, so they answer alike. `run_fit`
checks a request against the current source with every other approval's commitments
counted; `placement_from_report` turns the best-ranked candidate into what the request
file records.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from capacity.engine import compute_capacity
from capacity.fit import check_fit
from capacity.fit_request import CapacityRequest
from capacity.fit_result import FitReport
from capacity.policy import Policy
from inventory.errors import ColoError
from inventory.model import Snapshot
from inventory.sources import SnapshotOpener
from playbooks.commitments import apply_commitments
from playbooks.config import WorkflowConfig
from playbooks.reservations import reservation_descriptions
from playbooks.request_model import Placement, Request, ServerPlacement


def capacity_request_data(req: Request) -> dict[str, Any]:
    """The request in the shape `capacity check REQUEST.yaml` reads (capacity.fit)."""
    data: dict[str, Any] = {"request_id": req.id, "tenant": req.agency.tenant_slug()}
    if req.servers:
        data["servers"] = [
            {k: v for k, v in {
                "name": s.name,
                "u_height": s.u_height,
                "full_depth": s.full_depth,
                "psu_count": s.psu_count,
                "allocated_draw_w": s.allocated_draw_w,
                "maximum_draw_w": s.maximum_draw_w,
                "bandwidth_mbps": s.bandwidth_mbps,
            }.items() if v is not None}
            for s in req.servers
        ]
    if req.hosting is not None:
        h = req.hosting
        data["hosting"] = {k: v for k, v in {
            "vcpus": h.vcpus, "memory_gb": h.memory_gb, "disk_gb": h.disk_gb,
            "cluster": h.cluster}.items() if v is not None}
    return data


def resolve_tenant(data: dict[str, Any], req: Request, snapshot: Snapshot) -> None:
    """The tenant as the snapshot knows the agency: its tenant slug, else its name; none
    for a new agency (not a tenant yet, so no rack is dedicated to it either)."""
    known = {v for t in snapshot.tenants for v in (t.key, t.slug, t.name)}
    if data.get("tenant") in known:
        return
    if req.agency.unit_name in known:
        data["tenant"] = req.agency.unit_name
    else:
        data.pop("tenant", None)


def run_fit(req: Request, open_snapshot: SnapshotOpener, requests_dir: Path,
            config: WorkflowConfig, policy: Policy, now: datetime) -> tuple[FitReport, Snapshot, str]:
    """(FitReport, snapshot, source text) for a request against the state at `now` (the
    step's moment: which approvals have lapsed by then is judged on the same clock)."""
    loaded = open_snapshot()
    snapshot = apply_commitments(loaded.snapshot, requests_dir, now=now, config=config)
    # the request's own NetBox reservations (an approval run whose answer was lost made
    # them) hold its units for it, not against it: step 5 run again keeps its placement
    own = reservation_descriptions(req)
    snapshot = snapshot.model_copy(update={"reservations": [
        r for r in snapshot.reservations if r.description not in own]})
    data = capacity_request_data(req)
    resolve_tenant(data, req, snapshot)
    if config.site:
        data["site"] = config.site
    try:
        cap_request = CapacityRequest.model_validate(data)
    except Exception as exc:  # the request file validated, so this is a contract mismatch
        raise ColoError(f"{req.id}: cannot express the request for the capacity check: {exc}") from None
    result = compute_capacity(snapshot, policy)
    report = check_fit(snapshot, cap_request, policy, result)
    return report, snapshot, loaded.source


def placement_from_report(report: Any, snapshot: Any, index: int = 0) -> Placement | None:
    """The chosen (best-ranked) placement of a FitReport as the request file records it."""
    placements = list(getattr(report, "placements", None) or [])
    data = report.to_dict()
    cluster = _cluster_of(data)
    if not placements:
        return Placement(cluster=cluster) if cluster else None
    chosen = placements[min(index, len(placements) - 1)]
    return _placement(chosen, snapshot, cluster)


def _get(obj: Any, *names: str) -> Any:
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return None


def _placement(chosen: Any, snapshot: Any, cluster: str | None) -> Placement:
    racks = {r.key: r for r in snapshot.racks}
    entries = _get(chosen, "servers", "items", "assignments")
    if entries is None:
        entries = [chosen]
    servers: list[ServerPlacement] = []
    site = None
    for e in entries:
        rack = str(_get(e, "rack", "rack_key"))
        rk = racks.get(rack)
        if rk is None:  # the report may name racks by name
            rk = next((r for r in snapshot.racks if r.name == rack), None)
        feeds = _get(e, "feeds", "feed_keys") or [f for f in (_get(e, "feed_a"), _get(e, "feed_b")) if f]
        legs = [_get(e, "feed_a_leg"), _get(e, "feed_b_leg")][:len(feeds)]
        servers.append(ServerPlacement(
            server=str(_get(e, "server", "name")),
            rack=rk.key if rk else rack,
            rack_name=rk.name if rk else None,
            position=float(_get(e, "position", "start_u", "unit")),
            face=_get(e, "face") or "front",
            units=str(_get(e, "units")) if isinstance(_get(e, "units"), str) else None,
            feeds=[str(f) for f in feeds],
            legs=legs if any(legs) else [],
        ))
        site = site or (rk.site if rk else None)
    return Placement(site=site, servers=servers, cluster=cluster)


def _cluster_of(data: dict[str, Any]) -> str | None:
    """The cluster the check chose for hosting (its key: a NetBox id from a NetBox source)."""
    hosting_asked = any(dim.get("requested") for dim in data.get("dimensions", []) or []
                        if dim.get("dimension") in ("vcpu", "memory", "disk"))
    return data.get("cluster") if hosting_asked else None


def fit_reasons(report: Any) -> list[str]:
    data = report.to_dict()
    out: list[str] = []
    for dim in data.get("dimensions", []) or []:
        verdict = str(dim.get("verdict", "")).lower()
        if verdict and verdict not in ("fits", "not requested", "ok"):
            name = dim.get("dimension") or dim.get("name") or "?"
            out.append(f"{name}: {dim.get('reason') or verdict}")
    for r in data.get("reasons", []) or []:
        if r not in out:
            out.append(str(r))
    return out


def placement_still_offered(placement: Placement | None, report: Any, snapshot: Any) -> bool:
    if placement is None or not placement.servers:
        return True
    for i in range(len(list(getattr(report, "placements", None) or []))):
        candidate = placement_from_report(report, snapshot, i)
        if candidate is None:
            continue
        mine = {(p.server, p.rack, p.position, p.face) for p in placement.servers}
        theirs = {(p.server, p.rack, p.position, p.face) for p in candidate.servers}
        if mine == theirs:
            return True
    return False
