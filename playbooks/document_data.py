"""What each SOP document shows: its data contract (docs/documents.md) filled from the
request file, the configuration's `documents:` section and step 3's capacity report;
`register_review_data` is the yearly register review's (no request).

Missing data raises InputError naming the field and how to supply it; nothing here
writes (playbooks/document_files.py renders, stores and records).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from inventory.errors import ColoError, InputError
from inventory.model import Snapshot
from inventory.sources import Loaded
from playbooks.config import WorkflowConfig
from playbooks.documents import (
    KINDS, DocKind, DocumentsConfig, NotApplicable, ReceiverConfig, SignatoryConfig, document_number, step_text,
)
from playbooks.register_review import colocated_servers, review_register
from playbooks.request_model import Request, Transition
from playbooks.requests import RequestStore
from playbooks.sla import WorkingCalendar
from playbooks.states import CLOSED_STATES, expected_next, lapses_at
from reports.render import DEFAULT_OFFICE, capacity_check_data


# --------------------------------------------------------------------------- data
@dataclass
class Settings:
    """What building a document needs besides the request."""

    docs: DocumentsConfig
    workflow: WorkflowConfig
    now: datetime
    open_snapshot: Callable[[], Loaded] | None = None  # names of feeds not in step 3's report

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.workflow.sla.timezone)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


@dataclass
class Names:
    """Display names of the keys a placement records (NetBox ids with NetBox as source)."""

    racks: dict[str, str] = field(default_factory=dict)
    feeds: dict[str, str] = field(default_factory=dict)
    sites: dict[str, str] = field(default_factory=dict)

    def add_report(self, report: dict[str, Any]) -> None:
        for p in report.get("placements") or []:
            for s in p.get("servers") or []:
                self._put(self.racks, s.get("rack"), s.get("rack_name"))
                self._put(self.sites, s.get("site"), s.get("site_name"))
                self._put(self.feeds, s.get("feed_a"), s.get("feed_a_name"))
                self._put(self.feeds, s.get("feed_b"), s.get("feed_b_name"))

    def add_snapshot(self, snapshot: Snapshot) -> None:
        for r in snapshot.racks:
            self._put(self.racks, r.key, r.name)
        for f in snapshot.power_feeds:
            self._put(self.feeds, f.key, f.name)
        for s in snapshot.sites:
            self._put(self.sites, s.key, s.name)

    @staticmethod
    def _put(table: dict[str, str], key: Any, name: Any) -> None:
        if key is not None and name:
            table.setdefault(str(key), str(name))


@dataclass
class Built:
    kind: DocKind
    data: dict[str, Any]
    number: str
    day: date


def _transition(req: Request, state: str, pending: Transition | None) -> Transition | None:
    if pending is not None and pending.state == state:
        return pending
    return req.transition(state)


def check_available(req: Request, kind: DocKind, pending: Transition | None = None) -> None:
    """A document is rendered for a recorded step, or for the next step (to print and sign)."""
    if _transition(req, kind.state, pending) is not None or req.state in kind.prepare_from:
        return
    what = f"the {kind.title} belongs to {step_text(kind)}"
    if kind.kind == "capacity_check":
        nxt = expected_next(req.state)
        hint = f"; run it: colo request advance {req.id} 3 --by NAME" if nxt and nxt.step == 3 else ""
        raise InputError(f"{req.id} is {req.state}: {what}, which is not recorded{hint}")
    if req.state in CLOSED_STATES:
        raise InputError(f"{req.id} is {req.state}: {what}, which was never recorded")
    if kind.kind == "withdrawal":
        raise InputError(f"{req.id} is {req.state}: {what}; request it first: "
                         f"colo withdraw request --serial SN --reason ... --by NAME")
    nxt = expected_next(req.state)
    after = " or ".join(kind.prepare_from)
    hint = f" (next step: {nxt.step} {nxt.key})" if nxt else ""
    raise InputError(f"{req.id} is {req.state}: {what}; it can be printed from {after} on{hint}")


def build_document(store: RequestStore, req: Request, kind: DocKind, settings: Settings, *,
                   pending: Transition | None = None, day: date | None = None,
                   number: str | None = None) -> Built:
    """The kind's data contract (docs/documents.md) filled from the request.

    `pending` is the transition being recorded (auto mode), `day`/`number` override the
    document's date and number. Missing data raises InputError naming the field and how
    to supply it."""
    check_available(req, kind, pending)
    step = _transition(req, kind.state, pending)
    if day is None:
        day = settings.local_day(step.at if step is not None else settings.now)
    docs = settings.docs
    if number is None:
        number = document_number(docs.number_format, request_id=req.id, code=docs.code(kind.kind), day=day)
    names = Names()
    report = _fit_report(store, req) if req.capacity_check is not None else None
    if report is not None:
        names.add_report(report)
    builder = _BUILDERS[kind.kind]
    body = builder(_Ctx(store, req, kind, settings, pending, names, step, day))
    data: dict[str, Any] = {"document_number": number, "date": day, **body}
    if docs.office is not None:
        data["office"] = docs.office.model_dump(exclude_none=True)
    return Built(kind, data, number, day)


@dataclass
class _Ctx:
    store: RequestStore
    req: Request
    kind: DocKind
    settings: Settings
    pending: Transition | None
    names: Names
    step: Transition | None
    day: date

    @property
    def docs(self) -> DocumentsConfig:
        return self.settings.docs

    def by(self, state: str) -> str | None:
        t = _transition(self.req, state, self.pending)
        return t.by if t is not None else None

    def day_of(self, state: str) -> date | None:
        t = _transition(self.req, state, self.pending)
        return self.settings.local_day(t.at) if t is not None else None

    def number_of(self, kind: str) -> str | None:
        """The number another document of the request has (its step must be recorded)."""
        d = self.day_of(KINDS[kind].state)
        if d is None:
            return None
        return document_number(self.docs.number_format, request_id=self.req.id,
                               code=self.docs.code(kind), day=d)


def _fit_report(store: RequestStore, req: Request) -> dict[str, Any] | None:
    check = req.capacity_check
    if check is None or not check.report:
        return None
    path = store.root / check.report
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{req.id}: capacity_check.report {check.report}: no such file in {store.root} "
                         "(step 3's report; restore it from git)") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read step 3's capacity report ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a capacity report (expected a JSON object)")
    return data


def _signatory(ctx: _Ctx, role: str, state: str | None = None) -> dict[str, Any] | None:
    """A configured signatory with a name signs; else the person recorded with --by at
    the step (NIP and title from documents.staff), with the role's configured title."""
    cfg: SignatoryConfig | None = getattr(ctx.docs, role)
    if cfg is not None and cfg.name:
        return cfg.model_dump(exclude_none=True)
    by = ctx.by(state) if state else None
    title = cfg.title if cfg is not None else None
    if by:
        staff = ctx.docs.staff.get(by)
        return {k: v for k, v in {"name": by, "nip": staff.nip if staff else None,
                                  "title": (staff.title if staff else None) or title}.items() if v}
    return {"title": title} if title else None


def _agency(req: Request) -> dict[str, Any]:
    return {"name": req.agency.unit_name, "address": req.agency.address}


def _person(req: Request) -> dict[str, Any]:
    p = req.person_in_charge
    return {k: v for k, v in {"name": p.name, "nip": p.nip, "phone": p.phone, "email": p.email,
                              "title": p.position}.items() if v is not None}


SERVER_FIELDS = ("name", "make", "model", "serial", "processor", "ram", "motherboard", "storage", "psu",
                 "u_height")


def _servers(ctx: _Ctx, only: list[str] | None = None, *, placed: bool = True,
             serials: bool = True) -> list[dict[str, Any]]:
    """The request's servers as the documents list them. A document shows what was known
    at its step, so that rendering it again later gives the same bytes: serial numbers
    arrive at step 7/8 and the placement is settled at step 5."""
    where = {p.server: p for p in (ctx.req.placement.servers if ctx.req.placement and placed else [])}
    site = ctx.req.placement.site if ctx.req.placement else None
    fields = set(SERVER_FIELDS) - (set() if serials else {"serial"})
    out = []
    for s in ctx.req.servers:
        if only is not None and s.name not in only:
            continue
        row = {k: v for k, v in s.model_dump(include=fields).items() if v is not None}
        row["domain"] = ctx.req.domain
        p = where.get(s.name)
        if p is not None:
            row.update({"rack": p.rack_name or _name(ctx, "racks", p.rack), "position": p.position,
                        "face": p.face})
            if site:
                row["site"] = _name(ctx, "sites", site)
        out.append(row)
    return out


def _name(ctx: _Ctx, table: str, key: str) -> str:
    names: dict[str, str] = getattr(ctx.names, table)
    if key not in names and ctx.settings.open_snapshot is not None:
        # a placement moved at approval may use feeds step 3's report did not name: ask
        # the source once; a source that cannot be read leaves the key (still a reference)
        opener, ctx.settings.open_snapshot = ctx.settings.open_snapshot, None
        try:
            ctx.names.add_snapshot(opener().snapshot)
        except ColoError:
            pass
    return names.get(key, key)


def _placements(ctx: _Ctx) -> list[dict[str, Any]]:
    placement = ctx.req.placement
    if placement is None:
        return []
    heights = {s.name: s.u_height for s in ctx.req.servers}
    return [{k: v for k, v in {
        "server": p.server,
        "site": _name(ctx, "sites", placement.site) if placement.site else None,
        "rack": p.rack_name or _name(ctx, "racks", p.rack),
        "position": p.position, "face": p.face, "u_height": heights.get(p.server),
        "feeds": [_name(ctx, "feeds", f) for f in p.feeds],
    }.items() if v is not None} for p in placement.servers]


def _hosting(req: Request) -> dict[str, Any] | None:
    if req.hosting is None:
        return None
    return {"vcpus": req.hosting.vcpus, "memory_gb": req.hosting.memory_gb, "disk_gb": req.hosting.disk_gb}


def _colocation(req: Request) -> dict[str, Any]:
    data: dict[str, Any] = {"colocation_type": "permanent" if req.permanent else "temporary"}
    if req.valid_until is not None:
        data["valid_until"] = req.valid_until
    return data


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != []}


def _capacity_check(ctx: _Ctx) -> dict[str, Any]:
    report = _fit_report(ctx.store, ctx.req)
    if report is None:
        raise InputError(f"{ctx.req.id}: no capacity report recorded (capacity_check.report); "
                         "step 3 writes it")
    return capacity_check_data(report, **_drop_none({
        "request_id": ctx.req.id, "agency": _agency(ctx.req), "domain": ctx.req.domain,
        "servers": _servers(ctx, placed=False, serials=False), "hosting": _hosting(ctx.req),
        "checked_by": _signatory(ctx, "it_officer", "capacity_checked"),
    }))


def _application(ctx: _Ctx) -> dict[str, Any]:
    req = ctx.req
    return _drop_none({
        "request_id": req.id, "agency": _agency(req), "person": _person(req), "domain": req.domain,
        "domain_activation_date": req.domain_activation_date, **_colocation(req),
        "servers": _servers(ctx, placed=False, serials=False), "hosting": _hosting(req),
        "approver": _signatory(ctx, "head_of_division"),
    })


def _approval(ctx: _Ctx) -> dict[str, Any]:
    req = ctx.req
    return _drop_none({
        "request_id": req.id, "agency": _agency(req), "person": _person(req), "domain": req.domain,
        **_colocation(req),
        "application_number": ctx.number_of("application"),
        "application_date": ctx.day_of("form_submitted"),
        "servers": _servers(ctx, serials=False), "hosting": _hosting(req), "placements": _placements(ctx),
        "conditions": list(ctx.docs.approval_conditions),
        "approver": _signatory(ctx, "administrator", "approved"),
    })


def _approval_notice(ctx: _Ctx) -> dict[str, Any]:
    req = ctx.req
    approved = _transition(req, "approved", ctx.pending)
    deliver_by = None
    if approved is not None:
        # the approval lapses after workflow.lapse_working_days: bring the servers before
        workflow = ctx.settings.workflow
        deadline = lapses_at(approved.at, WorkingCalendar(workflow.sla), workflow.lapse_working_days)
        deliver_by = ctx.settings.local_day(deadline)
    return _drop_none({
        "request_id": req.id, "agency": _agency(req), "person": _person(req), "domain": req.domain,
        "approval_number": ctx.number_of("approval"), "approval_date": ctx.day_of("approved"),
        "deliver_by": deliver_by if req.servers else None,
        "placements": _placements(ctx), "servers": _servers(ctx, serials=False),
        "sender": _signatory(ctx, "it_officer", "notified"),
    })


HANDOVER_FIELDS = ("processor", "ram", "motherboard", "storage", "psu", "serial")


def _handover(ctx: _Ctx) -> dict[str, Any]:
    req = ctx.req
    if not req.servers:
        raise NotApplicable(f"{req.id}: the handover minutes list servers, and the request has none "
                            "(hosting only): there is nothing to hand over")
    where = f"requests file {ctx.store.path_for(req.id)}"
    problems = []
    for i, s in enumerate(req.servers):
        missing = [f for f in HANDOVER_FIELDS if not getattr(s, f)]
        if not missing:
            continue
        text = f"server {s.name} has no {', '.join(missing)}"
        hints = []
        if "serial" in missing:
            hints.append(f"give the serial with: colo request advance {req.id} 8 --serial {s.name}=SN")
        others = [f for f in missing if f != "serial"]
        if others:
            fields = ", ".join(f"servers[{i}].{f}" for f in others)
            hints.append(f"add {fields} to the {where}")
        problems.append(f"{text} ({'; '.join(hints)})")
    if problems:
        raise InputError(f"{req.id}: handover minutes: " + "; ".join(problems))
    return _drop_none({
        "request_id": req.id, "agency": _agency(req), "person": _person(req),
        "receiver": _receiver(ctx), "servers": _servers(ctx), "place": ctx.docs.place,
        "domain": req.domain,
    })


def _receiver(ctx: _Ctx) -> dict[str, Any]:
    cfg = ctx.docs.receiver or ReceiverConfig()
    by = ctx.by("installed")
    staff = ctx.docs.staff.get(by) if by else None
    if cfg.name:
        name, nip, unit = cfg.name, cfg.nip, cfg.unit
    else:
        name = by
        nip = staff.nip if staff else None
        unit = (staff.unit if staff else None) or cfg.unit
    if unit is None and ctx.docs.office is not None:
        unit = ctx.docs.office.name
    if unit is None:
        unit = DEFAULT_OFFICE["id"]["name"]
    missing = [f for f, v in (("name", name), ("nip", nip)) if not v]
    if missing:
        who = f"documents.staff[{by!r}].nip (the person recorded with --by at step 8)" if by else \
            "step 8's --by NAME with documents.staff[NAME].nip"
        raise InputError(f"{ctx.req.id}: handover minutes: the receiver (Yang Menerima) has no "
                         f"{' and no '.join(missing)}: set documents.receiver {{unit, name, nip}} in the "
                         f"configuration, or {who}")
    return {"unit": unit, "name": name, "nip": nip}


def _completion(ctx: _Ctx) -> dict[str, Any]:
    req = ctx.req
    return _drop_none({
        "request_id": req.id, "agency": _agency(req), "person": _person(req), "domain": req.domain,
        "servers": _servers(ctx), "handover_number": ctx.number_of("handover") if req.servers else None,
        "inspector": _signatory(ctx, "inspector", "completed"),
        "head_of_division": _signatory(ctx, "head_of_division"), "place": ctx.docs.place,
    })


def _withdrawal(ctx: _Ctx) -> dict[str, Any]:
    req = ctx.req
    w = req.withdrawal
    if w is None:
        raise InputError(f"{req.id}: no withdrawal recorded (colo withdraw request --serial SN --reason ...)")
    servers = _servers(ctx, only=w.servers)
    docs = ctx.docs
    data_center = _drop_none({"noc": docs.noc.data_center, "location": docs.data_center_location})
    colocation = _drop_none({"noc": w.noc or docs.noc.colocation})
    return _drop_none({
        "request_id": req.id, "domain": req.domain, "agency": _agency(req), "person": _person(req),
        "data_center": {**data_center, "domain": req.domain} if data_center else None,
        "colocation": {**colocation, "domain": req.domain} if colocation else None,
        "servers": servers, "reasons": [w.reasons],
        "approver": _signatory(ctx, "head_of_division", "withdrawal_approved"),
    })


_BUILDERS: dict[str, Callable[[_Ctx], dict[str, Any]]] = {
    "capacity_check": _capacity_check, "application": _application, "approval": _approval,
    "approval_notice": _approval_notice, "handover": _handover, "completion": _completion,
    "withdrawal": _withdrawal,
}


# --------------------------------------------------------------------------- register review
_STATUS_OF = {  # finding kind -> review_status, worst first
    "unaccounted": "unregistered", "temporary_expired": "expired", "missing_serial": "incomplete",
    "missing_tenant": "incomplete", "missing_domain": "incomplete", "review_overdue": "overdue",
    "never_reviewed": "never_reviewed",
}


_SEVERITY = list(dict.fromkeys(_STATUS_OF.values()))


def register_review_data(snapshot: Snapshot, requests: list[Request], today: date, docs: DocumentsConfig, *,
                         max_age_days: int, role: str, number: str | None = None,
                         runway: dict[str, Any] | None = None) -> dict[str, Any]:
    """The register_review contract: every active co-located server with its status and
    findings (playbooks.register_review.review_register), dated `today`; with `runway` (a
    forecast, `playbooks.forecasting.Forecast.to_dict()`) the dimension that binds first
    at each site, and when."""
    findings = review_register(snapshot, requests, today, max_age_days=max_age_days, role=role)
    by_device: dict[str, list[Any]] = {}
    for f in findings:
        by_device.setdefault(f.device, []).append(f)
    tenants = {t.key: t.name for t in snapshot.tenants}
    racks = {r.key: r.name for r in snapshot.racks}
    sites = {s.key: s.name for s in snapshot.sites}
    types = {t.key: t for t in snapshot.device_types}
    servers = []
    for d in sorted(colocated_servers(snapshot, role), key=lambda d: d.name or d.key):
        name = d.name or d.key
        mine = by_device.get(name, [])
        statuses = [_STATUS_OF.get(f.kind, f.kind) for f in mine]
        status = min(statuses, key=lambda s: _SEVERITY.index(s) if s in _SEVERITY else len(_SEVERITY)) \
            if statuses else "ok"
        cf = d.custom_fields or {}
        t = types.get(d.device_type)
        servers.append(_drop_none({
            "name": name, "serial": d.serial or None, "make": t.manufacturer if t else None,
            "model": t.model if t else d.device_type, "site": sites.get(d.site, d.site),
            "rack": racks.get(d.rack or "", d.rack), "position": d.position, "face": d.face,
            "agency": tenants.get(d.tenant or "", d.tenant), "domain": cf.get("domain") or None,
            "last_reviewed": str(cf.get("last_review_date"))[:10] if cf.get("last_review_date") else None,
            "review_status": status, "findings": [f.message for f in mine],
        }))
    year = today.year
    code = docs.code("register_review")
    data: dict[str, Any] = {
        "document_number": number or document_number(docs.number_format, request_id=f"REG-{year}",
                                                     code=code, day=today),
        "date": today, "year": year, "servers": servers,
    }
    for key, role_name in (("reviewed_by", "inspector"), ("approver", "head_of_division")):
        cfg: SignatoryConfig | None = getattr(docs, role_name)
        if cfg is not None and (cfg.name or cfg.title):
            data[key] = cfg.model_dump(exclude_none=True)
    if docs.office is not None:
        data["office"] = docs.office.model_dump(exclude_none=True)
    if runway is not None:
        data["runway"] = [{"site": b["site"], "dimension": b["dimension"], "object": b["object"],
                           "used_pct": b["used_pct"], "warning_pct": b["warning"]["pct"],
                           "warning_when": b["warning"]["when"], "full_when": b["full"]["when"]}
                          for b in runway["binding"]]
        data["runway_history_months"] = runway["meta"]["history_months"]
        data["runway_horizon_months"] = runway["meta"]["horizon_months"]
    return data
