"""What each SOP step does besides recording itself: the effects of `advance()`, and
`run_step`, which records a step with its effects in their order (`effects_for`).

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
- reject / cancel: release the reservation;
- every step with a document of its own (playbooks/documents.py): render it when
  documents.auto is on (playbooks/document_files.py `document_effect`).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Callable

from capacity.policy import Policy
from inventory.errors import ColoError, InputError
from inventory.files import write_atomic
from inventory.sources import SnapshotOpener
from playbooks import reservations
from playbooks.config import WorkflowConfig
from playbooks.context import App
from playbooks.document_files import document_effect
from playbooks.request_fit import fit_reasons, placement_from_report, placement_still_offered, run_fit
from playbooks.locks import request_lock_for
from playbooks.mail import send_step_mail, step_mail
from playbooks.registration import registration_gaps
from playbooks.request_model import CapacityCheck, Placement, Request, Reservation
from playbooks.requests import sha256_of
from playbooks.states import Action
from playbooks.workflow import Effect, StepContext, advance, parse_at

Reserver = Callable[[Request, Placement], list[int]]  # makes the NetBox reservations, returns their ids
Releaser = Callable[[Request, list[int]], list[int]]  # deletes them (and any naming the request)


# --- step 3: capacity -------------------------------------------------------------

def capacity_effect(open_snapshot: SnapshotOpener, config: WorkflowConfig, policy: Policy) -> Effect:
    """Step 3: the capacity check, its report kept beside the request; no room rejects."""
    def effect(ctx: StepContext) -> None:
        req = ctx.file.request
        report, snapshot, source = run_fit(req, open_snapshot, ctx.store.root, config, policy, ctx.transition.at)
        folder = ctx.store.documents_for(req.id)
        report_path = folder / "capacity-check.json"
        write_atomic(report_path, json.dumps(report.to_dict(), indent=2, ensure_ascii=False,
                                             default=str) + "\n")
        relative = report_path.resolve().relative_to(ctx.store.root.resolve()).as_posix()
        fits = bool(report.fits)
        check = CapacityCheck(checked_at=ctx.transition.at, source=source, fits=fits,
                              reasons=fit_reasons(report), report=relative)
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
            ctx.transition = ctx.transition.model_copy(
                update={"document": relative, "checksum": sha256_of(report_path)})
    return effect


# --- step 5: approval commits the placement ------------------------------------------

def approval_effect(open_snapshot: SnapshotOpener, config: WorkflowConfig, policy: Policy) -> Effect:
    """Step 5: re-check the request against everything committed since step 3; a placement
    another approval took is replaced by the best one left (commit_effect then holds it)."""
    def effect(ctx: StepContext) -> None:
        req = ctx.file.request
        if req.capacity_check is None or not req.capacity_check.fits:
            raise InputError(f"{req.id}: no positive capacity check recorded; run step 3 first")
        report, snapshot, _ = run_fit(req, open_snapshot, ctx.store.root, config, policy, ctx.transition.at)
        if not report.fits:
            reasons = "; ".join(fit_reasons(report)) or "see the capacity check"
            raise ColoError(
                f"{req.id}: capacity committed since step 3 leaves no room any more ({reasons})",
                f"reject it: colo request advance {req.id} reject --by NAME --note ...")
        if not placement_still_offered(req.placement, report, snapshot):
            placement = placement_from_report(report, snapshot)
            ctx.messages.append("placement changed since step 3 (units taken by another approval): "
                                + ", ".join(f"{p.server} -> {p.rack_name or p.rack} U{p.position:g}"
                                            for p in (placement.servers if placement else [])))
            ctx.file.set("placement", placement)
    return effect


def commit_effect(reserver: Reserver | None) -> Effect:
    """Step 5: commit the placement: the reservation recorded, and made in NetBox by
    `reserver` (its ids returned) when NetBox is the source."""
    def effect(ctx: StepContext) -> None:
        req = ctx.file.revalidate()  # the placement as approval_effect left it
        placement = req.placement
        ids: list[int] = []
        if reserver is not None and placement is not None and placement.servers:
            ids = reserver(req, placement)
            ctx.messages.append(f"NetBox rack reservation(s) created: {', '.join(map(str, ids))}")
        ctx.file.set("reservation", Reservation(created_at=ctx.transition.at, netbox_ids=ids))
        ctx.messages.append("capacity committed until installation (or rejection, cancellation, lapse)")
    return effect


# --- release --------------------------------------------------------------------

def release_effect(reason: str, releaser: Releaser | None = None) -> Effect:
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
    """Steps 7/8: the serial numbers given; step 8 (`require_all`) refuses a server without one."""
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
    return effect


# --- steps 6 and 9: e-mail ----------------------------------------------------------

def mail_check_effect(config: WorkflowConfig, step: int) -> Effect:
    """Steps 6 and 9, before anything else happens: e-mail switched off is said; step 9
    without a head of division to copy is refused."""
    def effect(ctx: StepContext) -> None:
        if not config.smtp.enabled:
            ctx.messages.append("e-mail disabled (workflow.smtp.enabled: false): none sent")
        elif step == 9 and not config.smtp.head_of_division:
            raise InputError("step 9 copies the head of division: set workflow.smtp.head_of_division "
                             "in the configuration (or pass --no-mail)")
    return effect


def mail_effect(config: WorkflowConfig, step: int) -> Effect:
    """Steps 6 and 9: e-mail the person in charge, the step's document attached."""
    def effect(ctx: StepContext) -> None:
        if not config.smtp.enabled:
            return
        mail = step_mail(ctx.file.request, step, ctx.attachment, config.smtp)
        send_step_mail(config.smtp, mail)
        cc = f", cc {', '.join(mail.cc)}" if mail.cc else ""
        ctx.messages.append(f"e-mail sent to {', '.join(mail.to)}{cc}")
    return effect


# --- a step, as the commands record it ---------------------------------------------------

def effects_for(app: App, action: Action, *, source: str | None = None, serials: dict[str, str] | None = None,
                mail: bool = True, before: tuple[Effect, ...] = ()) -> list[Effect]:
    """What `action` does, in order. The step's document comes before anything that
    changes NetBox or sends mail, so that missing data refuses the step while nothing has
    happened yet; NetBox is reached (through `app`) only when an effect needs it."""
    workflow = app.workflow
    opener = app.workflow_snapshot(source)
    document = document_effect(lambda: app.documents, workflow, app.workflow_snapshot(None, site_only=False))

    def reserve(req: Request, placement: Placement) -> list[int]:
        return reservations.reserver(client=app.netbox())(req, placement)

    def release(req: Request, ids: list[int]) -> list[int]:
        return reservations.releaser(client=app.netbox())(req, ids)

    def gaps(req: Request) -> list[str]:
        return registration_gaps(client=app.netbox())(req)

    state, serials = action.state, serials or {}
    effects = list(before)
    if serials or state in ("delivered", "installed"):
        effects.append(serials_effect(serials, require_all=state == "installed"))
    if state == "capacity_checked":
        effects += [capacity_effect(opener, workflow, app.policy), document]
    elif state == "approved":
        effects += [approval_effect(opener, workflow, app.policy), document,
                    commit_effect(reserve if app.uses_netbox(source) else None)]
    elif state in ("rejected", "cancelled"):
        effects += [release_effect(state, release), document]
    elif state == "installed":
        effects.append(document)  # the handover minutes, before the reservation is released
        if app.uses_netbox(source):  # registered in NetBox first, or units and power vanish
            effects.append(registered_effect(gaps))
        effects.append(release_effect("installed: the device replaces the reservation", release))
    elif action.step in (6, 9) and mail:
        effects += [mail_check_effect(workflow, action.step), document, mail_effect(workflow, action.step)]
    else:
        effects.append(document)
    return effects


def moment(app: App, at_text: str | None) -> tuple[datetime, datetime]:
    """(when the step happened: --at, else now; now), in the SLA time zone."""
    now = app.clock.now()
    return parse_at(at_text, app.tz, now), now


def record_step(app: App, request_id: str, action: Action, *, by: str, at: datetime, now: datetime,
                document: Path | None = None, note: str | None = None, source: str | None = None,
                serials: dict[str, str] | None = None, mail: bool = True,
                before: tuple[Effect, ...] = ()) -> StepContext:
    """Record `action` of a request with its effects (`before`: the caller's own, first).
    The caller holds the request's lock."""
    effects = effects_for(app, action, source=source, serials=serials, mail=mail, before=before)
    return advance(app.store, request_id, action, by=by, at=at, now=now, document=document, note=note,
                   effects=effects)


def run_step(app: App, request_id: str, action: Action, *, by: str, at_text: str | None,
             document: Path | None = None, note: str | None = None, source: str | None = None,
             serials: dict[str, str] | None = None, mail: bool = True) -> StepContext:
    """`colo request advance`: record a main-path step, reject or cancel, holding the
    request's lock (one writer per request on this machine)."""
    if action.state == "submitted":
        raise InputError("step 1 is `colo request new`")
    if action.state.startswith("withdraw"):
        raise InputError("the withdrawal path is `colo withdraw ...`")
    with request_lock_for(app.store, request_id, f"colo request advance {{rid}} {action.key}"):
        at, now = moment(app, at_text)
        return record_step(app, request_id, action, by=by, at=at, now=now, document=document, note=note,
                           source=source, serials=serials, mail=mail)
