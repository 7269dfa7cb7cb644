"""The commands that change NetBox for a request, as one call each: registering its
servers and hosting (`colo request plan|apply`, before step 8), the withdrawal path
(`colo withdraw request|approve|plan|apply`) and the register review's mark
(`colo register mark-reviewed`).

Each takes the request's lock (playbooks/locks.py) for as long as it reads and writes
the request file and NetBox; the plan and its application are playbooks/registration.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from inventory.errors import ColoError, InputError
from inventory.netbox.reconcile import Plan
from playbooks.context import App
from playbooks.locks import request_lock_for
from playbooks.registration import apply_plan, mark_reviewed, plan_registration, verify_arrival
from playbooks.request_model import Request, Verification, Withdrawal
from playbooks.requests import RequestFile
from playbooks.states import resolve_action
from playbooks.steps import moment, record_step
from playbooks.withdrawal import plan_withdrawal
from playbooks.workflow import StepContext

Echo = Callable[[str], None]


def _registrable(req: Request) -> None:
    if req.state not in ("delivered", "installed", "completed"):
        raise InputError(f"{req.id} is {req.state}: servers are registered once delivered (step 7)")


def registration_plan(app: App, request_id: str, handover: date | None) -> Plan:
    """Exactly what `apply_registration` would change in NetBox (handover: default today)."""
    req = app.store.read(request_id)
    _registrable(req)
    return plan_registration(req, handover=handover or app.clock.now().date(), client=app.netbox())


def apply_registration(app: App, request_id: str, *, by: str, handover: date | None,
                       arrived: dict[str, dict[str, str]], accept: str | None, echo: Echo) -> tuple[str, int]:
    """Verify what arrived against the request, then register its servers (devices) and
    hosting (a VM) in NetBox; returns the request id and the number of changes made (0
    the second time)."""
    with request_lock_for(app.store, request_id, "colo request apply {rid}"):
        rf = app.store.open(request_id)
        req = rf.request
        _registrable(req)
        differences = verify_arrival(req, arrived)
        if differences and not accept:
            raise ColoError(f"{req.id}: what arrived differs from the request: {'; '.join(differences)}",
                            "fix the request, or register anyway with --accept-difference REASON")
        client = app.netbox()
        plan = plan_registration(req, handover=handover or app.clock.now().date(), client=client)
        made = apply_plan(plan, client=client, echo=echo)
        if differences or accept or req.verification is None:
            rf.set("verification", Verification(differences=differences, override_reason=accept, verified_by=by))
            rf.save()
    return req.id, made


# --- withdrawal ------------------------------------------------------------------------------

def find_installed(app: App, domain: str | None, serial: str | None) -> tuple[Request, list[str]]:
    """The completed request holding `domain` (all its servers) or `serial` (that server)."""
    if bool(domain) == bool(serial):
        raise InputError("give --domain or --serial (one of them)")
    hits = []
    for req in app.store.read_all():  # a file skipped could hold the domain or serial too
        if req.state != "completed":
            continue
        if domain and req.domain == domain.strip().lower().rstrip("."):
            hits.append((req, [s.name for s in req.servers]))
        elif serial and any(s.serial == serial for s in req.servers):
            hits.append((req, [s.name for s in req.servers if s.serial == serial]))
    what = f"domain {domain}" if domain else f"serial {serial}"
    if not hits:
        raise InputError(f"no completed request in {app.store.root} has {what}")
    if len(hits) > 1:
        raise InputError(f"{what} is in several requests ({', '.join(h[0].id for h in hits)}): use --serial")
    return hits[0]


def request_withdrawal(app: App, *, domain: str | None, serial: str | None, reason: str, by: str,
                       at_text: str | None, document: Path | None = None, note: str | None = None
                       ) -> tuple[Request, list[str]]:
    """Record a withdrawal request for a domain's servers or one server (by serial), in
    the request that installed them; returns that request and the servers."""
    reason = reason.strip()
    if not reason:
        raise InputError("--reason is empty: give the reasons for the withdrawal (dengan pertimbangan)")
    req, servers = find_installed(app, domain, serial)

    def record(ctx: StepContext) -> None:
        ctx.file.set("withdrawal", Withdrawal(servers=servers, reasons=reason))

    with request_lock_for(app.store, req.id, "colo withdraw request {rid}"):
        at, now = moment(app, at_text)
        record_step(app, req.id, resolve_action("withdrawal-request"), by=by, at=at, now=now,
                    document=document, note=note, before=(record,))
    return req, servers


def approve_withdrawal(app: App, request_id: str, *, by: str, at_text: str | None,
                       document: Path | None = None, note: str | None = None) -> StepContext:
    """The head of division's approval of a withdrawal."""
    with request_lock_for(app.store, request_id, "colo withdraw approve {rid}"):
        at, now = moment(app, at_text)
        return record_step(app, request_id, resolve_action("withdrawal-approve"), by=by, at=at, now=now,
                           document=document, note=note)


def _withdrawal_plan(app: App, request_id: str) -> tuple[RequestFile, Plan]:
    rf = app.store.open(request_id)
    req = rf.request
    if req.state != "withdrawal_approved" or req.withdrawal is None:
        raise InputError(f"{req.id} is {req.state}: the withdrawal needs the head of division's approval "
                         f"first (colo withdraw approve {req.id})")
    return rf, plan_withdrawal(req, req.withdrawal.servers, req.withdrawal.reasons, client=app.netbox())


def withdrawal_plan(app: App, request_id: str) -> Plan:
    """What withdrawing the approved servers changes in NetBox."""
    return _withdrawal_plan(app, request_id)[1]


def apply_withdrawal(app: App, request_id: str, *, by: str, at_text: str | None,
                     document: Path | None = None, note: str | None = None, echo: Echo) -> int:
    """Decommission the servers in NetBox, then record the request as withdrawn; returns
    the number of changes made. A bad --at is refused before anything changes."""
    at, _ = moment(app, at_text)
    with request_lock_for(app.store, request_id, "colo withdraw apply {rid}"):
        _, plan = _withdrawal_plan(app, request_id)
        made = apply_plan(plan, client=app.netbox(), echo=echo)
        record_step(app, request_id, resolve_action("withdrawn"), by=by, at=at, now=app.clock.now(),
                    document=document, note=note)
    return made


def mark_register_reviewed(app: App, devices: list[str], when: date | None, *, all_active: bool) -> tuple[list[str], date]:
    """Record the register review of `devices` (names or serials; or every active
    co-located server) in NetBox; returns the servers marked and the date."""
    if not devices and not all_active:
        raise InputError("name the devices reviewed, or give --all")
    day = when or app.clock.now().date()
    done = mark_reviewed(devices, day, all_active=all_active, client=app.netbox(),
                         role=app.workflow.colocation_role)
    return done, day
