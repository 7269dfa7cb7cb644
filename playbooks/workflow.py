"""The SOP as a state machine (DESIGN §5).

Main path, one SOP step each::

    submitted(1) -> dispositioned(2) -> capacity_checked(3) -> form_submitted(4)
    -> approved(5) -> notified(6) -> delivered(7) -> installed(8) -> completed(9)

Off the main path: `rejected` (after the capacity check says "not available", or when
the administrator refuses the application at step 5), `cancelled` (the agency withdraws,
or an approval lapses, any time before installation), and for an installed server the
withdrawal path `withdrawal_requested -> withdrawal_approved -> withdrawn`.

`advance()` checks the order and the times and appends the transition; the step's side
effects (capacity check, reservation, e-mail) are passed in as callables so this module
stays testable without NetBox or SMTP.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from inventory.errors import ColoError, InputError
from playbooks.requests import Request, RequestFile, RequestStore, Transition, sha256_of
from playbooks.sla import AGENCY, DATA_CENTRE, RequestSla, WorkingCalendar, request_sla


@dataclass(frozen=True)
class Action:
    key: str  # canonical command name, e.g. "approve"
    state: str  # state it leads to
    step: int | None  # SOP step number, None off the main path
    title: str
    side: str
    sources: tuple[str, ...]  # states it may start from
    aliases: tuple[str, ...] = ()


MAIN_PATH: tuple[Action, ...] = (
    Action("submit", "submitted", 1, "submit the request letter", AGENCY, (), ("letter",)),
    Action("disposition", "dispositioned", 2, "verify and disposition", DATA_CENTRE,
           ("submitted",), ("verify", "disposisi")),
    Action("check", "capacity_checked", 3, "check capacity", DATA_CENTRE,
           ("dispositioned",), ("capacity", "capacity-check", "capacity_check")),
    Action("form", "form_submitted", 4, "submit the application form (Form Pengajuan)", AGENCY,
           ("capacity_checked",), ("application", "apply-form", "pengajuan")),
    Action("approve", "approved", 5, "approve (Form Persetujuan)", DATA_CENTRE,
           ("form_submitted",), ("approval", "persetujuan")),
    Action("notify", "notified", 6, "notify the requester", DATA_CENTRE, ("approved",), ("inform",)),
    Action("deliver", "delivered", 7, "deliver the server", AGENCY, ("notified",), ("delivery",)),
    Action("install", "installed", 8, "verify, install and register the server", DATA_CENTRE,
           ("delivered",), ("installation", "register")),
    Action("complete", "completed", 9, "report completion (berita acara)", DATA_CENTRE,
           ("installed",), ("completion", "done")),
)
OFF_PATH: tuple[Action, ...] = (
    Action("reject", "rejected", None, "reject the request", DATA_CENTRE,
           ("capacity_checked", "form_submitted")),
    Action("cancel", "cancelled", None, "cancel the request", AGENCY,
           ("submitted", "dispositioned", "capacity_checked", "form_submitted", "approved",
            "notified", "delivered"), ("lapse",)),
    Action("withdrawal-request", "withdrawal_requested", None, "request withdrawal", AGENCY,
           ("completed",), ("withdraw",)),
    Action("withdrawal-approve", "withdrawal_approved", None, "approve withdrawal", DATA_CENTRE,
           ("withdrawal_requested",)),
    Action("withdrawn", "withdrawn", None, "withdraw (decommission) the server", DATA_CENTRE,
           ("withdrawal_approved",)),
)
ACTIONS: tuple[Action, ...] = MAIN_PATH + OFF_PATH
BY_STATE = {a.state: a for a in MAIN_PATH}
CLOSED_STATES = frozenset({"rejected", "cancelled", "withdrawn"})
# Approved but not yet installed: the capacity promised counts as committed.
COMMITTED_STATES = frozenset({"approved", "notified", "delivered"})


def workflow_source(source: str | None, configured: str | None, config_path: Path | None = None) -> str:
    """The snapshot source of steps 3 and 5 and of the documents: --source, else
    workflow.capacity_source, else NetBox when configured. Never the bundled demo unless
    named: a real request checked against the demo would record a made-up "available"."""
    from inventory.sources import netbox_configured

    chosen = source or configured
    if chosen:
        return chosen
    if netbox_configured(config_path):
        return "netbox"
    raise InputError(
        "no capacity source for the workflow: NetBox is not configured (NETBOX_URL unset, no "
        "netbox.url in the configuration), and real requests are not checked against the bundled "
        "demo data centre unless told: give --source demo (or netbox, or a snapshot file), or set "
        "`workflow.capacity_source: demo` in the configuration")


def resolve_action(text: str) -> Action:
    """A step by number (`5`), state (`approved`), name (`approve`) or alias (`persetujuan`)."""
    key = text.strip().lower().replace("_", "-")
    for a in ACTIONS:
        names = {a.key, a.state.replace("_", "-"), *a.aliases}
        if a.step is not None:
            names.add(str(a.step))
        if key in names:
            return a
    choices = ", ".join(f"{a.step} {a.key}" for a in MAIN_PATH[1:])
    raise InputError(f"unknown step {text!r}; steps: {choices}; also reject, cancel")


def expected_next(state: str) -> Action | None:
    """The next main-path step after `state` (None when closed or completed)."""
    for a in MAIN_PATH:
        if state in a.sources:
            return a
    return None


def describe(action: Action) -> str:
    return f"step {action.step} ({action.key})" if action.step else action.key


def check_order(request: Request, action: Action) -> None:
    """Refuse an out-of-order step with a message naming the step that is expected."""
    state = request.state
    if state in action.sources:
        return
    nxt = expected_next(state)
    if state in CLOSED_STATES:
        raise InputError(f"{request.id} is {state}: no further steps (asked for {describe(action)})")
    if nxt is not None and action.step is None:
        raise InputError(
            f"{request.id} is {state}: {action.key} is possible only when {' or '.join(action.sources)} "
            f"(the next step is {describe(nxt)})")
    if nxt is not None:
        hint = f"; run `colo request advance {request.id} {nxt.step}` first"
        raise InputError(
            f"{request.id} is at {state}; the next step is {describe(nxt)}, not {describe(action)}{hint}"
        )
    allowed = [a for a in ACTIONS if state in a.sources]
    names = ", ".join(describe(a) for a in allowed) or "none"
    raise InputError(f"{request.id} is {state}: {describe(action)} is not possible (possible: {names})")


def parse_at(text: str | None, tz: ZoneInfo, now: datetime | None = None) -> datetime:
    """`--at`: ISO 8601; without an offset the time is read in the SLA zone (WITA)."""
    if not text:
        return (now or datetime.now(tz)).astimezone(tz).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--at {text!r} is not an ISO date/time (e.g. 2026-11-30T09:15)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


@dataclass
class StepContext:
    """What a side effect needs and may change before the transition is written."""

    file: RequestFile
    action: Action
    transition: Transition
    store: RequestStore
    messages: list[str] = field(default_factory=list)  # printed to the user after success
    outcome_state: str | None = None  # a side effect may divert the state (3: rejected)
    document: Path | None = None  # --document, when given
    generated: Any = None  # the step's document rendered by playbooks.documents (auto mode)
    config_path: Path | None = None  # --config (None: the usual search), for the documents


Effect = Callable[[StepContext], None]


def record_document(store: RequestStore, request_id: str, document: Path) -> tuple[str, str]:
    """Keep the step's document with the request: files outside the requests folder are
    copied into `documents/<id>/`; returns (path relative to the folder, sha256 checksum)."""
    if not document.is_file():
        raise InputError(f"--document {document}: no such file")
    root = store.root.resolve()
    resolved = document.resolve()
    try:
        relative = resolved.relative_to(root)
    except ValueError:
        target_dir = store.documents_for(request_id)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / document.name
        if target.exists() and sha256_of(target) != sha256_of(document):
            stem, suffix = document.stem, document.suffix
            n = 2
            while (target_dir / f"{stem}-{n}{suffix}").exists():
                n += 1
            target = target_dir / f"{stem}-{n}{suffix}"
        if not target.exists():
            shutil.copy2(document, target)
        relative = target.resolve().relative_to(root)
    return relative.as_posix(), sha256_of(root / relative)


def advance(
    store: RequestStore,
    request_id: str,
    action: Action,
    *,
    by: str,
    at: datetime,
    now: datetime,
    document: Path | None = None,
    note: str | None = None,
    effects: list[Effect] | None = None,
    config_path: Path | None = None,
) -> StepContext:
    """Move a request one step. Nothing is written unless every check and effect passed."""
    rf = store.open(request_id)
    request = rf.request
    check_order(request, action)
    by = by.strip()
    if not by:
        raise InputError("--by must name who did the step")
    last = request.last()
    if last is not None and at < last.at:
        raise InputError(
            f"--at {at.isoformat()} is before the previous step ({last.state} at {last.at.isoformat()})"
        )
    if at > now + timedelta(minutes=5):
        raise InputError(f"--at {at.isoformat()} is in the future")
    doc_path = checksum = None
    if document is not None:
        if not document.is_file():
            raise InputError(f"--document {document}: no such file")
    transition = Transition(step=action.step, state=action.state, by=by, at=at, note=note or None)
    ctx = StepContext(rf, action, transition, store, document=document, config_path=config_path)
    from playbooks.documents import auto_document, discard_generated

    try:
        for effect in effects or []:
            effect(ctx)
        # documents.auto without --document: the step's document (3-6, 8, 9, withdrawal
        # approval) is rendered from the request and recorded; steps 5, 6, 8, 9 have done
        # it already, before their effects that change NetBox or send mail
        auto_document(ctx)
        if document is not None:
            doc_path, checksum = record_document(store, request.id, document)
            ctx.transition = ctx.transition.model_copy(update={"document": doc_path, "checksum": checksum})
        if ctx.outcome_state and ctx.outcome_state != action.state:
            # e.g. step 3 found no capacity: the check is recorded, then the rejection
            rf.append_history(ctx.transition)
            rf.append_history(Transition(state=ctx.outcome_state, by=by, at=at,
                                         note=ctx.transition.note))
        else:
            rf.append_history(ctx.transition)
        try:
            rf.save()
        except InputError as exc:  # a bug or a concurrent hand edit: say so, keep the file
            raise ColoError(f"{rf.path}: not written: {exc}") from None
    except BaseException:
        discard_generated(ctx)  # a refused step leaves no rendered document behind
        raise
    return ctx


# --- lapse -------------------------------------------------------------------

def lapse_deadline(request: Request, calendar: WorkingCalendar, lapse_working_days: float) -> datetime | None:
    """When an approval that was not followed by installation lapses (None: not approved)."""
    if request.state not in COMMITTED_STATES:
        return None
    approved = request.transition("approved")
    if approved is None:
        return None
    return calendar.add_working_seconds(approved.at, lapse_working_days * calendar.day_seconds)


def is_lapsed(request: Request, calendar: WorkingCalendar, lapse_working_days: float, now: datetime) -> bool:
    deadline = lapse_deadline(request, calendar, lapse_working_days)
    return deadline is not None and now > deadline



# --- SLA of a request ----------------------------------------------------------

def sla_of(request: Request, calendar: WorkingCalendar, now: datetime) -> RequestSla:
    """The SLA clock of a request from its history: main-path steps measured, the step
    being waited for measured up to `now`, the clock stopped at completion, rejection
    or cancellation (the withdrawal path is not part of the 4-day service)."""
    done: list[tuple[int, datetime]] = []
    stopped: datetime | None = None
    outcome: str | None = None
    for t in request.history:
        main = BY_STATE.get(t.state)
        if main is not None and stopped is None:
            done.append((main.step or 0, t.at))
            if t.state == "completed":
                stopped, outcome = t.at, "completed"
        elif t.state in ("rejected", "cancelled") and stopped is None:
            stopped, outcome = t.at, t.state
    nxt = expected_next(request.state) if stopped is None else None
    sla = request_sla(done, calendar, now, next_step=nxt.step if nxt else None, stopped_at=stopped)
    sla.outcome = outcome
    return sla
