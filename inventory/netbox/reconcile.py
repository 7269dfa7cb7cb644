"""The one plan/apply engine: a plan is data (the diff), computed without writing;
apply writes exactly that plan (diffsync's differ and syncer, Terraform's plan/apply).

- `Plan.reconcile(kind, desired, existing)` (many objects) and `Plan.object(kind, …)`
  (one object its planner found, or not) compare what should be with what NetBox holds,
  by the kind's natural key and compared fields (inventory/netbox/kinds.py), and add
  `Change`s: create, update (only the fields that differ), replace, delete or keep. A
  change may point at an object an earlier change creates (`Ref`). Pure: no I/O.
- `apply(plan, client)` writes the plan in order, resolving each `Ref` to the id NetBox
  gave. A bulk plan (`colo netbox load`, bootstrap) sends each kind's changes as bulk
  POST/PATCH/DELETE lists, `Kind.chunk` objects per request and `Kind.parallel`
  requests at once. Any other plan (registration, withdrawal) writes one change at a
  time under the exactly-once rules (inventory/netbox/write_once.py).
- A dry run, `colo request plan` and `colo withdraw plan` print the plan; `Report`
  counts it per kind.

Nothing is ever re-sent: a refused write or a lost answer stops apply, and running the
same command again plans from what NetBox then holds. A bulk create that NetBox refuses
because another writer created the same object meanwhile is planned again once
(`retry_on_concurrent_change`).

Just past the ~500-line guide on purpose: planning and applying share the `Change` and
`Ref` types and are read together; the exactly-once rules live in write_once.py.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterable

from inventory.errors import NetBoxHTTPError, SourceError, WriteOutcomeUnknown
from inventory.netbox.client import describe_body
from inventory.netbox.compare import compare, jsonable, same
from inventory.netbox.kinds import WRITE_ONCE, Kind, Ref, Row
from inventory.netbox.write_once import Echo, check_race, create_once, delete, silent
from inventory.progress import Progress

WRITE_TIMEOUT_S = 300.0  # gunicorn's usual worker timeout for NetBox
RETRY_HINT = ("objects written before this step stay in NetBox; fix the cause and run the "
              "same command again: it continues idempotently")


# --------------------------------------------------------------------------- the plan
@dataclass
class Desired:
    """One object as it should be in NetBox (`desired()` builds it from a payload)."""

    key: Hashable
    label: str
    fields: dict[str, Any]  # compared with NetBox and PATCHed when different
    create_only: dict[str, Any] = field(default_factory=dict)  # sent on creation only


def desired(kind: Kind, payload: Row, label: str, on_create: Row | None = None) -> Desired:
    """The object `payload` describes: keyed and split by its kind's declaration;
    `on_create` adds fields sent only when it is created (defaults, tags)."""
    compared, create_only = kind.split(payload)
    return Desired(kind.key(payload), label, compared, {**create_only, **(on_create or {})})


@dataclass
class Change:
    kind: str
    action: str  # create | update | replace | delete | keep
    label: str
    endpoint: str = ""  # the kind's list endpoint
    payload: dict[str, Any] = field(default_factory=dict)  # what is sent (a create's object, an update's fields)
    object_id: int | None = None  # the object updated, deleted or kept
    ref: str | None = None  # the name later changes use to point at the object this one creates
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    #: a device found in place whose registration a run did not finish (its journal entry
    #: is missing): apply checks its rack for an overlap as after creating it
    recheck: bool = False
    replaces: tuple[int, ...] = ()  # a replace: the objects deleted before this one is created
    #: bulk creations go in waves, in order: every request of a wave is answered before the
    #: next wave starts (a cable whose path runs through another must find it committed)
    wave: int = 0

    def line(self) -> str:
        sign = {"create": "+", "update": "~", "replace": "~", "delete": "-", "keep": "="}[self.action]
        text = f"{sign} {self.kind} {self.label}"
        if self.diff:
            text += ": " + ", ".join(f"{k} {_show(a)} -> {_show(b)}" for k, (a, b) in self.diff.items())
        if self.replaces:
            text += f" (replaces {', '.join(f'{self.kind} {i}' for i in self.replaces)})"
        return text


def _show(v: Any) -> str:
    if isinstance(v, Ref):
        return f"(new {v.name})"
    return "null" if v is None else str(v)


@dataclass
class Plan:
    """The changes that make NetBox hold what should be, in the order they are written."""

    subject: str  # the request id, "load", "bootstrap"
    changes: list[Change] = field(default_factory=list)
    bulk: bool = False  # written in bulk (load, bootstrap), else one at a time, exactly once
    kinds: dict[str, Kind] = field(default_factory=dict)  # the rules of the kinds its changes are of

    def __post_init__(self) -> None:
        if not self.bulk:
            self.kinds = {**WRITE_ONCE, **self.kinds}

    def use(self, kind: Kind) -> Kind:
        known = self.kinds.setdefault(kind.name, kind)
        if known is not kind and self.bulk:
            raise ValueError(f"two kinds named {kind.name!r} in one plan")
        return kind

    def add(self, change: Change) -> Change:
        self.changes.append(change)
        return change

    def reconcile(self, kind: Kind, objects: Iterable[Desired], existing: Iterable[Row]) -> dict[Hashable, Any]:
        """Plan `objects` against NetBox's `existing` ones of a kind: natural key -> NetBox id
        (a `Ref` for one this plan creates)."""
        self.use(kind)
        index: dict[Hashable, list[Row]] = defaultdict(list)
        for row in existing:
            index[kind.key(row)].append(row)
        ids: dict[Hashable, Any] = {}
        creates: list[Change] = []
        others: list[Change] = []
        for d in objects:
            if d.key in ids:
                continue  # the same object asked twice (e.g. a shared manufacturer)
            candidates = index.get(d.key)
            if not candidates:
                ref = Ref(f"{kind.name}:{d.key}")
                creates.append(Change(kind.name, "create", d.label, kind.endpoint, {**d.create_only, **d.fields},
                                      ref=ref.name))
                ids[d.key] = ref
                continue
            # several NetBox objects share the key (e.g. a device name under two tenants):
            # take the one closest to what we want
            best = max(candidates, key=lambda e: sum(same(v, e.get(k)) for k, v in d.fields.items()))
            ids[d.key] = best["id"]
            others.append(self._found(kind, d.label, d.fields, best))
        self.changes += creates + sorted(others, key=lambda c: c.action == "keep")
        return ids

    def object(self, kind: Kind, label: str, payload: Row, existing: Row | None, *, ref: str | None = None,
               on_create: Row | None = None) -> Change:
        """Plan one object its planner looked for: created when NetBox has none, else
        updated where a compared field differs, else kept."""
        self.use(kind)
        if existing is None:
            return self.add(Change(kind.name, "create", label, kind.endpoint, {**payload, **(on_create or {})},
                                   ref=ref))
        return self.add(self._found(kind, label, kind.split(payload)[0], existing))

    @staticmethod
    def _found(kind: Kind, label: str, compared: Row, existing: Row) -> Change:
        diff, patch = compare(compared, existing)
        return Change(kind.name, "update" if diff else "keep", label, kind.endpoint, patch,
                      object_id=existing["id"], diff=diff)

    def planned(self, endpoint: str) -> list[dict[str, Any]]:
        """The objects this plan creates at an endpoint, as rows whose id is their `Ref`
        (what a later part of a plan sees as if NetBox held them already)."""
        return [{**c.payload, "id": Ref(c.ref)} for c in self.changes
                if c.action == "create" and c.endpoint == endpoint and c.ref]

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action != "keep"]

    def text(self, verbose: bool = False) -> str:
        shown = self.changes if verbose else self.pending
        lines = [c.line() for c in shown]
        counts = {a: sum(1 for c in self.changes if c.action == a) for a in ("create", "update", "delete", "keep")}
        counts["update"] += sum(1 for c in self.changes if c.action == "replace")
        lines.append(f"{self.subject}: {counts['create']} to create, {counts['update']} to update, "
                     f"{counts['delete']} to delete, {counts['keep']} unchanged")
        return "\n".join(lines)


# --------------------------------------------------------------------------- reporting
@dataclass
class TypeReport:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0  # spent writing

    @property
    def changes(self) -> int:
        return self.created + self.updated


@dataclass
class Report:
    """What a bootstrap or load did (or would do, in a dry run), per object type."""

    dry_run: bool = False
    types: list[TypeReport] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    @classmethod
    def of(cls, changes: Iterable[Change], dry_run: bool = False) -> "Report":
        """The counts and lines of a plan's changes (a dry run), or of those applied."""
        report = cls(dry_run=dry_run)
        for c in changes:
            t = report.kind(c.kind)
            if c.action == "keep":
                t.unchanged += 1
            elif c.action in ("create", "update", "replace"):
                if c.action == "create":
                    t.created += 1
                else:
                    t.updated += 1
                t.lines.append(report.line(c))
        return report

    def line(self, c: Change) -> str:
        """`created rack R1`, `would update device web-01: position`."""
        verb = f"would {c.action}" if self.dry_run else f"{c.action}d"  # create/update/replace end in e
        text = f"{verb} {c.kind} {c.label}"
        return f"{text}: {', '.join(sorted(c.payload))}" if c.action == "update" else text

    def kind(self, kind: str) -> TypeReport:
        for t in self.types:
            if t.kind == kind:
                return t
        t = TypeReport(kind)
        self.types.append(t)
        return t

    def absorb(self, earlier: "Report") -> None:
        """Count what an earlier, stopped attempt wrote (this attempt found it in place)."""
        for t1 in earlier.types:
            t = self.kind(t1.kind)
            t.created += t1.created
            t.updated += t1.updated
            t.unchanged = max(0, t.unchanged - t1.created - t1.updated)

    @property
    def created(self) -> int:
        return sum(t.created for t in self.types)

    @property
    def updated(self) -> int:
        return sum(t.updated for t in self.types)

    @property
    def unchanged(self) -> int:
        return sum(t.unchanged for t in self.types)

    @property
    def changes(self) -> int:
        return self.created + self.updated

    def summary(self, what: str) -> str:
        verb = " (dry run: nothing written)" if self.dry_run else ""
        c = "would create" if self.dry_run else "created"
        u = "would update" if self.dry_run else "updated"
        return f"{what}: {self.created} {c}, {self.updated} {u}, {self.unchanged} unchanged{verb}"


# --------------------------------------------------------------------------- applying
@dataclass
class Outcome:
    """What apply did so far: changes made, ids of the objects created, seconds per kind."""

    made: int = 0
    ids: dict[str, int] = field(default_factory=dict)  # Ref name -> NetBox id
    done: list[Change] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def resolve(self, value: Any) -> Any:
        """`value` with every `Ref` in it replaced by the id NetBox gave that object."""
        if isinstance(value, Ref):
            return self.ids[value.name]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def record(self, change: Change, made: int = 1, created: int | None = None) -> None:
        with self._lock:
            if change.ref and created is not None:
                self.ids[change.ref] = created
            self.done.append(change)
            self.made += made


def apply(plan: Plan, client: Any, *, echo: Echo = silent, on_change: Callable[[Change], None] | None = None,
          outcome: Outcome | None = None) -> Outcome:
    """Write `plan` in order; `on_change` hears of every change made, `echo` of notes (an
    object another writer made meanwhile, a race settled). Pass an `Outcome` to know how
    far a run got when it stops."""
    outcome = outcome if outcome is not None else Outcome()
    on_change = on_change or (lambda c: None)
    group: list[Change] = []
    for change in [*plan.changes, None]:
        if change is not None and group and change.kind == group[0].kind:
            group.append(change)
            continue
        if group:
            kind = plan.kinds.get(group[0].kind) or Kind(group[0].kind, group[0].endpoint)
            started = time.monotonic()
            if plan.bulk:
                _apply_bulk(client, kind, group, outcome, on_change)
            else:
                for c in group:
                    _apply_once(client, kind, c, outcome, echo, on_change)
            outcome.seconds[kind.name] += time.monotonic() - started
        group = [change] if change is not None else []
    return outcome


def run(plan: Plan, client: Any, *, dry_run: bool = False, echo: Echo | None = None,
        report_of: Callable[[list[Change], bool], Report] = Report.of, progress: Progress | None = None) -> Report:
    """A bulk plan as `colo netbox bootstrap` and `load` run it: printed (a dry run) or
    applied. `report_of` counts changes (the plan's; a refusal carries those applied
    before it); `echo` hears a line per change; `progress` the changes written out of all
    ("Writing into NetBox: cable")."""
    report = report_of(plan.changes, dry_run)
    if dry_run:
        for line in (line for t in report.types for line in t.lines) if echo else ():
            echo(f"  {line}")
        return report
    outcome = Outcome()
    total = sum(1 for c in plan.changes if c.action != "keep")
    written = 0

    def on_change(change: Change) -> None:
        nonlocal written
        if echo:
            echo(f"  {report.line(change)}")
        if progress is not None:
            written += 1
            progress(f"Writing into NetBox: {change.kind}", min(written, total - 1), total)

    try:
        apply(plan, client, outcome=outcome, on_change=on_change)
    except NetBoxHTTPError as exc:
        exc.partial = report_of(outcome.done, False)
        raise
    for t in report.types:
        t.seconds = outcome.seconds.get(t.kind, 0.0)
    if progress is not None and total:
        progress("Writing into NetBox", total, total)
    return report


def _apply_once(client: Any, kind: Kind, change: Change, outcome: Outcome, echo: Echo,
                on_change: Callable[[Change], None]) -> None:
    """One change, exactly once; another writer's object is used (and not counted)."""
    what = f"{change.action} {change.kind} {change.label}"
    path = f"{change.endpoint.rstrip('/')}/{change.object_id}"
    if change.action == "keep":
        if change.recheck and kind.race_checked and change.object_id is not None:
            check_race(client, change.object_id, echo)
        return
    payload = outcome.resolve(change.payload)
    created = None
    made = True
    if change.action == "create":
        created, made = create_once(client, kind, change.endpoint, payload, what, echo)
        if kind.race_checked and made:
            check_race(client, created, echo)
    elif change.action == "update":
        client.write("patch", path, payload, what)
        if kind.race_checked and change.recheck and change.object_id is not None:
            check_race(client, change.object_id, echo)
    elif change.action == "delete":
        delete(client, path, what)
    else:
        raise ValueError(f"{change.action} is written in bulk plans only")
    outcome.record(change, int(made), created)
    if made:
        on_change(change)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _apply_bulk(client: Any, kind: Kind, group: list[Change], outcome: Outcome,
                on_change: Callable[[Change], None]) -> None:
    """A kind's changes in bulk: deletions (and what replacements replace), then the
    creations wave by wave (`kind.parallel` requests at once), then the updates."""
    gone = [(c.object_id, c.label) for c in group if c.action == "delete"]
    gone += [(old, f"{kind.name} {old}") for c in group if c.action == "replace" for old in c.replaces]
    for batch in _chunks(gone, kind.chunk):
        _send(client, "DELETE", kind, [{"id": i} for i, _ in batch], [label for _, label in batch], outcome)
    for c in group:
        if c.action == "delete":
            outcome.record(c)
            on_change(c)

    def create(batch: list[Change]) -> None:
        payload = [jsonable(outcome.resolve(c.payload)) for c in batch]
        rows = _send(client, "POST", kind, payload, [c.label for c in batch], outcome)
        if len(rows) != len(batch):
            raise SourceError(f"{kind.name}: NetBox answered {len(rows)} objects for {len(batch)} created",
                              RETRY_HINT)
        for c, row in zip(batch, rows):
            outcome.record(c, created=row["id"])
            on_change(c)

    made = [c for c in group if c.action in ("create", "replace")]
    for wave in sorted({c.wave for c in made}):
        batches = _chunks([c for c in made if c.wave == wave], kind.chunk)
        if kind.parallel > 1 and len(batches) > 1:
            with ThreadPoolExecutor(max_workers=kind.parallel) as pool:
                list(pool.map(create, batches))
        else:
            for batch in batches:
                create(batch)
    for batch in _chunks([c for c in group if c.action == "update"], kind.chunk):
        payload = [{"id": c.object_id, **jsonable(outcome.resolve(c.payload))} for c in batch]
        _send(client, "PATCH", kind, payload, [c.label for c in batch], outcome)
        for c in batch:
            outcome.record(c)
            on_change(c)


def _send(client: Any, method: str, kind: Kind, payload: list[dict[str, Any]], labels: list[str],
          outcome: Outcome) -> list[dict[str, Any]]:
    """One bulk request; a refusal names the kind, the object and what to do, and carries
    the report of what the plan wrote before it."""
    action = {"POST": "creating", "PATCH": "updating", "DELETE": "deleting"}[method]
    what = f"{action} {labels[0] if len(labels) == 1 else f'{len(labels)} objects'} ({kind.name})"
    # a bulk write may take minutes on a busy NetBox; give up no sooner than its workers do
    timeout = (10.0, max(WRITE_TIMEOUT_S, client.settings.timeout_s))
    try:
        answer = client.write(method, kind.endpoint, payload, what, timeout=timeout)
    except NetBoxHTTPError as exc:
        if exc.status in (401, 403):  # the token: the client's message says what to do
            raise
        label, detail = _refused(exc.body, labels)
        raise NetBoxHTTPError(
            f"{kind.name}: NetBox refused {action} {label} (HTTP {exc.status}: {client.redact(detail)[:400]})",
            RETRY_HINT, method=exc.method, path=exc.path, status=exc.status, body=exc.body,
            partial=Report.of(outcome.done)) from None
    except WriteOutcomeUnknown as exc:
        raise WriteOutcomeUnknown(f"{kind.name}: {exc.args[0]}", exc.hint, method=exc.method, path=exc.path) from None
    except SourceError as exc:
        raise SourceError(f"{kind.name}: NetBox failed while {action} {len(payload)} object(s): {exc}",
                          RETRY_HINT) from None
    if answer is None:
        return []
    return answer if isinstance(answer, list) else [answer]


def _refused(body: Any, labels: list[str]) -> tuple[str, str]:
    """The object NetBox refused (the first with errors in a bulk answer) and why, one line."""
    label, why = (labels[0] if len(labels) == 1 else f"{len(labels)} objects"), body
    if isinstance(body, list):  # per-object errors of a bulk request
        for i, item in enumerate(body):
            if item and i < len(labels):
                label, why = labels[i], item
                break
    detail = describe_body(why) if why is not None else "no explanation given; see NetBox's log"
    return label, " ".join(detail.split())


# --------------------------------------------------------------------------- concurrent writers
#: what NetBox's validation says when an object with the same unique fields exists
_UNIQUE_SAYS = ("already exists", "must be unique", "must make a unique set")


def is_collision(exc: BaseException) -> bool:
    """A refusal because an object with the same unique fields exists (HTTP 400, and a
    uniqueness message in a field of NetBox's answer)."""
    if not isinstance(exc, NetBoxHTTPError) or exc.status != 400:
        return False

    def messages(body: Any) -> Iterable[str]:
        if isinstance(body, dict):
            for v in body.values():
                yield from messages(v)
        elif isinstance(body, list):
            for v in body:
                yield from messages(v)
        elif body is not None:
            yield str(body)

    return any(says in m.lower() for m in messages(exc.body) for says in _UNIQUE_SAYS)


def retry_on_concurrent_change(attempt: Callable[[], Report], echo: Echo | None) -> Report:
    """Run a plan/apply once more if another writer created the same object meanwhile.

    Two loads running at once (parallel tests, two operators) both plan to create a
    shared manufacturer or role; the slower one is refused ("already exists"). Planning
    again finds the object. The first attempt's work is counted in the returned report.
    """
    try:
        return attempt()
    except NetBoxHTTPError as exc:
        if not is_collision(exc):
            raise
        first = exc.partial
    if echo:
        echo("NetBox changed while writing (another writer created the same objects): planning again")
    report = attempt()
    if isinstance(first, Report):
        report.absorb(first)
    return report
