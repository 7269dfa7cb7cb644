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
from playbooks.states import Action, check_order


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
