"""What the reporting commands show, as data: the open requests with their SLA flags
(`colo request list`), one request with its SLA (`status`), on-time figures for a period
(`sla`), the asset register with its yearly review (`colo register ...`), and the
documents of `colo doc` (rendered and recorded by playbooks/document_files.py).

Request files are read with `RequestStore.read_all`, which refuses an unreadable file:
a count, a review or a search that skipped one would be silently wrong. `request list`
is the one exception (`RequestStore.iter_files`): it lists every readable request, then
names each unreadable file and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from inventory.errors import InputError
from inventory.model import Snapshot
from playbooks.context import App
from playbooks.document_data import Settings
from playbooks.document_files import Rendered, render_register_review, render_request_document
from playbooks.register_review import ReviewFinding, register_rows, review_register
from playbooks.request_model import Request
from playbooks.runway import review_runway
from playbooks.sla import RequestSla, StepStats, period_stats
from playbooks.states import CLOSED_STATES, Action, expected_next, is_lapsed, lapse_deadline, sla_of


def is_finished(req: Request) -> bool:
    """Closed, completed or on the withdrawal path: not listed without --all."""
    return req.state in CLOSED_STATES or req.state == "completed" or req.state.startswith("withdraw")


def flags(app: App, req: Request, sla: RequestSla, now: datetime) -> list[str]:
    """What needs attention: a step or the whole service overdue, a lapsed approval."""
    out = []
    if sla.current is not None and sla.current.overdue:
        out.append(f"step overdue ({sla.current.side})")
    if sla.outcome is None and sla.total_overdue:
        out.append("total overdue")
    if is_lapsed(req, app.calendar, app.workflow.lapse_working_days, now):
        out.append("LAPSED: cancel to release")
    return out


@dataclass
class Listed:
    request: Request
    sla: RequestSla
    waiting: Action | None  # the next step, None when finished
    flags: list[str]


def request_listing(app: App, now: datetime, show_all: bool) -> tuple[list[Listed], list[InputError]]:
    """The requests (open ones unless `show_all`) and the files that could not be read."""
    listed: list[Listed] = []
    broken: list[InputError] = []
    for _, loaded in app.store.iter_files():
        if isinstance(loaded, InputError):
            broken.append(loaded)
            continue
        done = is_finished(loaded)
        if done and not show_all:
            continue
        sla = sla_of(loaded, app.calendar, now)
        listed.append(Listed(loaded, sla, None if done else expected_next(loaded.state),
                             flags(app, loaded, sla, now)))
    return listed, broken


@dataclass
class Status:
    request: Request
    sla: RequestSla
    lapses_at: datetime | None  # when the approval stops holding capacity (None: not approved)


def request_status(app: App, request_id: str, now: datetime) -> Status:
    req = app.store.read(request_id)
    return Status(req, sla_of(req, app.calendar, now),
                  lapse_deadline(req, app.calendar, app.workflow.lapse_working_days))


def sla_period(app: App, start_day: date, end_day: date) -> tuple[list[StepStats], StepStats]:
    """On-time figures per step for steps finished from `start_day` to `end_day`
    (inclusive), and of the whole service for requests completed then."""
    if end_day < start_day:
        raise InputError("--to is before --from")
    start = datetime.combine(start_day, datetime.min.time(), app.tz)
    end = datetime.combine(end_day + timedelta(days=1), datetime.min.time(), app.tz)
    now = app.clock.now()
    slas = [sla_of(req, app.calendar, now) for req in app.store.read_all()]
    return period_stats(slas, app.calendar, start, end)


def _register_inputs(app: App, source: str | None) -> tuple[Snapshot, list[Request]]:
    snapshot = app.workflow_snapshot(source)().snapshot
    requests = app.store.read_all()  # a request skipped would make its server "unaccounted"
    return snapshot, requests


def register_review_findings(app: App, source: str | None, today: date) -> list[ReviewFinding]:
    """The yearly review of the register: what to look at on each co-located server."""
    snapshot, requests = _register_inputs(app, source)
    return review_register(snapshot, requests, today, max_age_days=app.workflow.register_review_days,
                           role=app.workflow.colocation_role)


def register_review_document(app: App, source: str | None, today: date, *, fmt: str | None, lang: str | None,
                             number: str | None, output: Path | None) -> tuple[Path, str, dict[str, Any]]:
    """The yearly review as a document to sign (playbooks/document_files.py), with the
    runway summary: which dimension binds first at each site, and when."""
    docs = app.documents
    snapshot, requests = _register_inputs(app, source)
    return render_register_review(app.store, docs, snapshot, requests, today,
                                  max_age_days=app.workflow.register_review_days,
                                  role=app.workflow.colocation_role, fmt=fmt, lang=lang, number=number,
                                  output=output, runway=review_runway(app, snapshot, source, today))


def register_export_rows(app: App, source: str | None) -> list[dict[str, Any]]:
    """The asset register: one row per co-located server."""
    return register_rows(app.workflow_snapshot(source)().snapshot, app.workflow.colocation_role)


def request_document(app: App, request_id: str, kind: str, *, fmt: str | None, lang: str | None,
                     day: date | None, number: str | None, replace: bool, output: Path | None) -> Rendered:
    """`colo doc REQUEST-ID KIND`: the document rendered, stored and recorded."""
    settings = Settings(app.documents, app.workflow, app.clock.now(), app.workflow_snapshot(None))
    return render_request_document(app.store, request_id, kind, settings, fmt=fmt, lang=lang, day=day,
                                   number=number, replace=replace, output=output)
