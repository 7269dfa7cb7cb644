"""What each SOP step does besides recording itself: the side effects of `advance()`.

- step 3: run the capacity check against the configured source (other requests'
  commitments included), record verdict, reasons and placement, keep the full report
  beside the request; "not available" ends the request as rejected;
- step 5: re-check the recorded placement against everything committed since step 3
  (two requests are never promised the same units or headroom), then commit it: a rack
  reservation (in NetBox when the source is NetBox; in the file model otherwise);
- steps 6 and 9: e-mail the person in charge (step 9 copies the head of division), with
  the step's document attached (--document, or the one rendered when documents.auto is on);
- step 7/8: serial numbers recorded, step 8 refuses servers without one, and with NetBox
  as the source refuses until `colo request apply` has registered them there;
- reject / cancel: release the reservation.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from inventory.errors import ColoError, InputError
from inventory.files import write_atomic
from playbooks.config import WorkflowConfig
from playbooks.requests import CapacityCheck, Placement, Request, Reservation, ServerPlacement
from playbooks.workflow import Effect, StepContext

SnapshotOpener = Callable[[], Any]  # returns inventory.sources.Loaded


# --- step 3: capacity -------------------------------------------------------------

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


def resolve_tenant(data: dict[str, Any], req: Request, snapshot: Any) -> None:
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
            config: WorkflowConfig, policy: Any = None) -> tuple[Any, Any, str]:
    """(FitReport, snapshot, source text) for a request against the current state."""
    from capacity.engine import compute_capacity
    from capacity.fit import CapacityRequest, check_fit
    from capacity.policy import Policy
    from playbooks.commitments import apply_commitments

    loaded = open_snapshot()
    snapshot = apply_commitments(loaded.snapshot, requests_dir, config=config)
    # the request's own NetBox reservations (an approval run whose answer was lost made
    # them) hold its units for it, not against it: step 5 run again keeps its placement
    from playbooks.reservations import reservation_descriptions

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
    policy = policy or Policy()
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
        servers.append(ServerPlacement(
            server=str(_get(e, "server", "name")),
            rack=rk.key if rk else rack,
            rack_name=rk.name if rk else None,
            position=float(_get(e, "position", "start_u", "unit")),
            face=_get(e, "face") or "front",
            units=str(_get(e, "units")) if isinstance(_get(e, "units"), str) else None,
            feeds=[str(f) for f in feeds],
        ))
        site = site or (rk.site if rk else None)
    return Placement(site=site, servers=servers, cluster=cluster)


def _cluster_of(data: dict[str, Any]) -> str | None:
    """The cluster the check chose for hosting (its key: a NetBox id from a NetBox source)."""
    hosting_asked = any(dim.get("requested") for dim in data.get("dimensions", []) or []
                        if dim.get("dimension") in ("vcpu", "memory", "disk"))
    return data.get("cluster") if hosting_asked else None


def _reasons(report: Any) -> list[str]:
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


def capacity_effect(open_snapshot: SnapshotOpener, config: WorkflowConfig, policy: Any = None) -> Effect:
    def effect(ctx: StepContext) -> None:
        req = ctx.file.request
        report, snapshot, source = run_fit(req, open_snapshot, ctx.store.root, config, policy)
        folder = ctx.store.documents_for(req.id)
        report_path = folder / "capacity-check.json"
        write_atomic(report_path, json.dumps(report.to_dict(), indent=2, ensure_ascii=False,
                                             default=str) + "\n")
        relative = report_path.resolve().relative_to(ctx.store.root.resolve()).as_posix()
        fits = bool(report.fits)
        check = CapacityCheck(checked_at=ctx.transition.at, source=source, fits=fits,
                              reasons=_reasons(report), report=relative)
        ctx.file.set("capacity_check", check)
        placement = placement_from_report(report, snapshot) if fits else None
        ctx.file.set("placement", placement)
        if fits:
            where = ", ".join(f"{p.server} -> {p.rack_name or p.rack} U{p.position:g} {p.face}"
                              for p in (placement.servers if placement else []))
            if placement and placement.cluster:
                where = ", ".join(filter(None, [where, f"hosting -> cluster {placement.cluster}"]))
            ctx.messages.append(f"capacity: available ({source}); placement: {where or 'none needed'}")
        else:
            ctx.outcome_state = "rejected"
            ctx.messages.append(f"capacity: NOT available ({source}); the request is rejected")
            ctx.messages.extend(f"  {r}" for r in check.reasons)
        if ctx.transition.document is None:
            from playbooks.requests import sha256_of
            ctx.transition = ctx.transition.model_copy(
                update={"document": relative, "checksum": sha256_of(report_path)})
    return effect


# --- step 5: approval commits the placement ------------------------------------------

def approval_effect(open_snapshot: SnapshotOpener, config: WorkflowConfig, policy: Any = None,
                    reserver: Callable[[Request, Placement], list[int]] | None = None) -> Effect:
    """Re-check, then commit. `reserver` creates the NetBox reservations (ids returned)."""
    def effect(ctx: StepContext) -> None:
        req = ctx.file.request
        if req.capacity_check is None or not req.capacity_check.fits:
            raise InputError(f"{req.id}: no positive capacity check recorded; run step 3 first")
        placement = req.placement
        # re-check servers and hosting against everything committed since step 3
        report, snapshot, source = run_fit(req, open_snapshot, ctx.store.root, config, policy)
        if not report.fits:
            reasons = "; ".join(_reasons(report)) or "see the capacity check"
            raise ColoError(
                f"{req.id}: capacity committed since step 3 leaves no room any more ({reasons})",
                f"reject it: colo request advance {req.id} reject --by NAME --note ...")
        still = _still_valid(placement, report, snapshot)
        if not still:
            placement = placement_from_report(report, snapshot)
            ctx.messages.append("placement changed since step 3 (units taken by another approval): "
                                + ", ".join(f"{p.server} -> {p.rack_name or p.rack} U{p.position:g}"
                                            for p in (placement.servers if placement else [])))
            ctx.file.set("placement", placement)
        ids: list[int] = []
        _document_first(ctx)
        if reserver is not None and placement is not None and placement.servers:
            ids = reserver(req, placement)
            ctx.messages.append(f"NetBox rack reservation(s) created: {', '.join(map(str, ids))}")
        ctx.file.set("reservation", Reservation(created_at=ctx.transition.at, netbox_ids=ids))
        ctx.messages.append("capacity committed until installation (or rejection, cancellation, lapse)")
    return effect


def _still_valid(placement: Placement | None, report: Any, snapshot: Any) -> bool:
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


# --- release --------------------------------------------------------------------

def release_effect(reason: str, releaser: Callable[[Request, list[int]], list[int]] | None = None) -> Effect:
    """`releaser(request, ids)` deletes the NetBox reservations: those recorded and any
    other naming the request; returns their ids."""
    def effect(ctx: StepContext) -> None:
        req = ctx.file.request
        res = req.reservation
        if res is None or res.released_at is not None:
            return
        if res.netbox_ids and releaser is not None:
            released = releaser(req, res.netbox_ids)
            ctx.messages.append(f"NetBox rack reservation(s) {', '.join(map(str, released))} deleted")
        ctx.file.set("reservation", res.model_copy(update={"released_at": ctx.transition.at,
                                                          "released_because": reason}))
        ctx.messages.append(f"committed capacity released ({reason})")
    return effect


# --- step 8: registered in NetBox first -----------------------------------------------

def registered_effect(gaps: Callable[[Request], list[str]]) -> Effect:
    """Step 8 with NetBox as the source refuses while `gaps(request)` finds the request's
    servers or hosting not registered there: installation ends the commitment, and with
    nothing in NetBox in its place the server's units and power would vanish from every
    report."""
    def effect(ctx: StepContext) -> None:
        req = ctx.file.request
        missing = gaps(req)
        if missing:
            raise InputError(f"{req.id}: not registered in NetBox yet: {'; '.join(missing)}",
                             f"run `colo request apply {req.id} --by NAME` first, then record step 8")
    return effect


# --- steps 7/8: serial numbers ------------------------------------------------------

def serials_effect(serials: dict[str, str], require_all: bool) -> Effect:
    def effect(ctx: StepContext) -> None:
        req = ctx.file.request
        names = [s.name for s in req.servers]
        for name, serial in serials.items():
            if name not in names:
                raise InputError(f"--serial {name}=...: the request has no server {name!r} "
                                 f"(servers: {', '.join(names) or 'none'})")
            ctx.file.set_in(["servers", names.index(name), "serial"], serial.strip())
        if require_all:
            missing = [s.name for s in req.servers if not (serials.get(s.name) or s.serial)]
            if missing:
                raise InputError(
                    f"{req.id}: server(s) {', '.join(missing)} have no serial number; "
                    f"give --serial NAME=SN (the serial is the server's identity in the register)")
        if serials:
            ctx.file.revalidate()  # a repeated serial is refused here, before anything is written
        if require_all:
            _document_first(ctx)  # the handover minutes, before the reservation is released
    return effect


def _document_first(ctx: StepContext) -> None:
    """documents.auto: render the step's document before an effect changes NetBox or
    sends mail, so that missing data refuses the step while nothing has happened yet."""
    from playbooks.documents import auto_document

    auto_document(ctx)


# --- steps 6 and 9: e-mail ----------------------------------------------------------

def mail_effect(config: WorkflowConfig, step: int, document: Path | None) -> Effect:
    def effect(ctx: StepContext) -> None:
        from playbooks.mail import send_step_mail, step_mail

        if not config.smtp.enabled:
            ctx.messages.append("e-mail disabled (workflow.smtp.enabled: false): none sent")
            return
        if step == 9 and not config.smtp.head_of_division:
            raise InputError("step 9 copies the head of division: set workflow.smtp.head_of_division "
                             "in the configuration (or pass --no-mail)")
        attachment = document
        if attachment is None:  # documents.auto: the step's rendered document is attached
            from playbooks.documents import auto_document

            attachment = auto_document(ctx)
        mail = step_mail(ctx.file.request, step, attachment, config.smtp)
        send_step_mail(config.smtp, mail)
        cc = f", cc {', '.join(mail.cc)}" if mail.cc else ""
        ctx.messages.append(f"e-mail sent to {', '.join(mail.to)}{cc}")
    return effect


def now_in(tz: Any) -> datetime:
    fixed = os.environ.get("COLO_NOW")  # for reproducible demos and tests
    if fixed:
        moment = datetime.fromisoformat(fixed)
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    return datetime.now(tz)
