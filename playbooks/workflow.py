"""Recording a step of the SOP: `advance()` checks the order and the times, runs the
step's effects and appends the transition, all or nothing.

The states and the rules on them are playbooks/states.py; what each step does besides
recording itself (capacity check, reservation, document, e-mail) is playbooks/steps.py,
passed in as effects so that this module stays testable without NetBox or SMTP. An effect
that leaves something behind (a rendered document) registers how to undo it
(`StepContext.on_failure`): a refused step leaves nothing behind.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from inventory.errors import ColoError, InputError
from playbooks.request_model import Transition
from playbooks.requests import RequestFile, RequestStore, sha256_of
from playbooks.states import Action, check_order


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
    attachment: Path | None = None  # the step's document file: --document, or the one rendered
    undo: list[Callable[[], None]] = field(default_factory=list)  # run, last first, when the step fails

    def on_failure(self, undo: Callable[[], None]) -> None:
        """Have `undo` run if the step is refused after this effect (e.g. remove a file it wrote)."""
        self.undo.append(undo)


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
    ctx = StepContext(rf, action, transition, store, document=document, attachment=document)
    try:
        for effect in effects or []:
            effect(ctx)
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
        for undo in reversed(ctx.undo):  # a refused step leaves nothing behind
            undo()
        raise
    return ctx
