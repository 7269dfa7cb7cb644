"""Rendering the SOP's documents, storing them beside the request and recording them.

- `render_request_document()` is `colo doc REQUEST-ID KIND`: render, store in
  documents/<id>/, record the checksum on the step's history entry;
- `document_effect()` is the step's own document when `documents.auto` is on: an effect
  of `advance()` (playbooks/steps.py puts it before the effects that change NetBox or
  send mail, so that missing data refuses the step while nothing has happened yet);
- `render_register_review()` is the yearly register review as a document to sign.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable

from inventory.errors import ColoError
from inventory.files import write_atomic
from inventory.model import Snapshot
from inventory.sources import SnapshotOpener
from playbooks.config import WorkflowConfig
from playbooks.document_data import Settings, build_document, register_review_data
from playbooks.documents import (
    KIND_BY_STATE, DocKind, DocumentsConfig, NotApplicable, file_name, register_review_name, resolve_kind,
    step_text,
)
from playbooks.request_model import Request
from playbooks.requests import RequestFile, RequestStore, sha256_of, to_yaml_data
from playbooks.workflow import Effect, StepContext
from reports.render import render_document


@dataclass
class Rendered:
    kind: DocKind
    path: Path  # where it is stored (inside the requests folder)
    relative: str  # path relative to the requests folder, as the history names it
    checksum: str  # "sha256:..."
    number: str
    day: date
    recorded: str  # what happened in the history, for the user


def _find_entry(req: Request, state: str) -> int | None:
    for i in range(len(req.history) - 1, -1, -1):
        if req.history[i].state == state:
            return i
    return None


def _set_document(rf: RequestFile, index: int, relative: str, checksum: str) -> None:
    entry = rf.doc["history"][index]
    for key, value in (("document", relative), ("checksum", checksum)):
        if key in entry:
            entry[key] = value
            continue
        keys = list(entry.keys())
        # keep the order a Transition is written in: ... at, document, checksum, note
        pos = keys.index("note") if "note" in keys else len(keys)
        entry.insert(pos, key, to_yaml_data(value))


def render_request_document(store: RequestStore, request_id: str, kind_text: str, settings: Settings, *,
                            fmt: str | None = None, lang: str | None = None, day: date | None = None,
                            number: str | None = None, replace: bool = False,
                            output: Path | None = None) -> Rendered:
    """`colo doc`: render a request's document, store it in documents/<id>/, record its
    checksum on the step's history entry. Nothing is written when the data is incomplete."""
    kind = resolve_kind(kind_text)
    fmt = fmt or settings.docs.format
    lang = lang or settings.docs.lang
    rf = store.open(request_id)
    req = rf.request
    built = build_document(store, req, kind, settings, day=day, number=number)
    content = render_document(kind.kind, built.data, lang=lang, fmt=fmt)
    folder = store.documents_for(req.id)
    path = folder / file_name(req.id, kind.kind, fmt, lang)
    relative = path.resolve().relative_to(store.root.resolve()).as_posix()
    checksum = "sha256:" + sha256_hex(content)

    index = _find_entry(req, kind.state)
    record = False
    if (fmt, lang) != (settings.docs.format, settings.docs.lang):
        # a translation or a preview: the step records the office's own format and language
        recorded = (f"not recorded: the history records {settings.docs.format} documents in "
                    f"{settings.docs.lang!r} (documents.format, documents.lang)")
    elif index is None:
        recorded = (f"not recorded: {step_text(kind)} is not recorded yet; record it with this document: "
                    + _record_command(req, kind, path))
    else:
        entry = req.history[index]
        ours = entry.document == relative
        json_report = kind.kind == "capacity_check" and req.capacity_check is not None \
            and entry.document == req.capacity_check.report
        if ours and entry.checksum == checksum:
            recorded = f"unchanged: {step_text(kind)} records this document with this checksum"
        elif ours and not replace:
            raise ColoError(
                f"{req.id}: the {kind.title} recorded at {step_text(kind)} ({relative}, {entry.checksum}) "
                f"differs from a new rendering ({checksum}): the request or the configuration changed "
                "since; the recorded file is kept",
                "give --replace to replace it and its checksum")
        elif ours or entry.document is None or json_report:
            record = True
            recorded = f"recorded at {step_text(kind)}"
        else:
            recorded = (f"not recorded: {step_text(kind)} already records {entry.document} "
                        f"({entry.checksum})")
    write_atomic(path, content)
    if output is not None:
        write_atomic(output, content)
    if record and index is not None:
        _set_document(rf, index, relative, checksum)
        rf.save()
    return Rendered(kind, path, relative, checksum, built.number, built.day, recorded)


def _record_command(req: Request, kind: DocKind, path: Path) -> str:
    if kind.kind == "withdrawal":
        return f"colo withdraw approve {req.id} --by NAME --document {path}"
    return f"colo request advance {req.id} {kind.step} --by NAME --document {path}"


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --------------------------------------------------------------------------- a step's document
def document_effect(docs: Callable[[], DocumentsConfig], workflow: WorkflowConfig,
                    open_snapshot: SnapshotOpener | None) -> Effect:
    """The step's own document (3-6, 8, 9, withdrawal approval) when documents.auto is on
    and no --document was given: rendered from the request as the effects before it left
    it, stored, made the transition's document and the e-mail's attachment. It registers
    its undo: a step refused later leaves the file as it was. `docs` is read only when a
    document is due, so a broken `documents:` section refuses only the steps that need it."""
    def effect(ctx: StepContext) -> None:
        kind = KIND_BY_STATE.get(ctx.action.state)
        if kind is None or ctx.document is not None:
            return
        config = docs()
        if not config.auto:
            return
        req = ctx.file.revalidate()  # earlier effects (placement, serials) edited the file
        settings = Settings(config, workflow, ctx.transition.at, open_snapshot)
        try:
            built = build_document(ctx.store, req, kind, settings, pending=ctx.transition)
        except NotApplicable as exc:
            ctx.messages.append(f"no document: {exc}")
            return
        content = render_document(kind.kind, built.data, lang=config.lang, fmt=config.format)
        path = ctx.store.documents_for(req.id) / file_name(req.id, kind.kind, config.format, config.lang)
        previous = path.read_bytes() if path.is_file() else None
        write_atomic(path, content)
        ctx.on_failure(lambda: _put_back(path, previous))
        relative = path.resolve().relative_to(ctx.store.root.resolve()).as_posix()
        ctx.transition = ctx.transition.model_copy(update={"document": relative, "checksum": sha256_of(path)})
        ctx.attachment = path
        ctx.messages.append(f"document: {relative} ({built.number})")
    return effect


def _put_back(path: Path, previous: bytes | None) -> None:
    """The file as it was before the step rendered it (absent, or its earlier bytes)."""
    if previous is None:
        path.unlink(missing_ok=True)
    else:
        write_atomic(path, previous)


# --------------------------------------------------------------------------- the register review
def render_register_review(store: RequestStore, docs: DocumentsConfig, snapshot: Snapshot,
                           requests: list[Request], today: date, *, max_age_days: int, role: str,
                           fmt: str | None = None, lang: str | None = None, number: str | None = None,
                           output: Path | None = None, runway: dict[str, Any] | None = None
                           ) -> tuple[Path, str, dict[str, Any]]:
    """`colo doc register-review`: the review as a document to sign, stored as
    documents/register-review/register-review-DATE.<fmt> in the requests folder (and
    copied to `output`); returns (path, "sha256:...", the document's data)."""
    fmt = fmt or docs.format
    lang = lang or docs.lang
    data = register_review_data(snapshot, requests, today, docs, max_age_days=max_age_days, role=role,
                                number=number, runway=runway)
    content = render_document("register_review", data, lang=lang, fmt=fmt)
    path = store.documents_root / "register-review" / register_review_name(today, fmt, lang)
    write_atomic(path, content)
    if output is not None:
        write_atomic(output, content)
    return path, "sha256:" + sha256_hex(content), data
