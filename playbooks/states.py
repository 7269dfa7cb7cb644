"""The SOP's states and the rules on them: actions, state sets, step order, lapse, SLA.

Main path, one SOP step each::

    submitted(1) -> dispositioned(2) -> capacity_checked(3) -> form_submitted(4)
    -> approved(5) -> notified(6) -> delivered(7) -> installed(8) -> completed(9)

Off the main path: `rejected` (after the capacity check says "not available", or when
the administrator refuses the application at step 5), `cancelled` (the agency withdraws,
or an approval lapses, any time before installation), and for an installed server the
withdrawal path `withdrawal_requested -> withdrawal_approved -> withdrawn`
(docs/workflow.md). Pure: no file, no clock, no NetBox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inventory.errors import InputError
from playbooks.request_model import Request
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
# A request in these states accounts for its servers in the register (the yearly review).
ACCOUNTED_STATES = COMMITTED_STATES | {"installed", "completed", "withdrawal_requested", "withdrawal_approved"}


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


# --- lapse -------------------------------------------------------------------

def lapse_deadline(request: Request, calendar: WorkingCalendar, lapse_working_days: float) -> datetime | None:
    """When an approval that was not followed by installation lapses (None: not approved)."""
    if request.state not in COMMITTED_STATES:
        return None
    approved = request.transition("approved")
    if approved is None:
        return None
    return lapses_at(approved.at, calendar, lapse_working_days)


def lapses_at(approved_at: datetime, calendar: WorkingCalendar, lapse_working_days: float) -> datetime:
    """The end of the working time an approval at `approved_at` holds capacity for."""
    return calendar.add_working_seconds(approved_at, lapse_working_days * calendar.day_seconds)


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
