"""`colo request ...`: the SOP's nine steps on request files, the SLA clock and reports."""

from __future__ import annotations

import csv
import io
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import click

from colo_cli.output import checked_output, emit, output_option
from inventory.errors import ColoError, InputError
from inventory.files import read_text
from playbooks.config import WorkflowConfig, load_workflow_config
from playbooks.requests import (
    RequestFile, RequestStore, check_draft_keys, check_file_name, dump_yaml, parse_yaml, to_yaml_data,
    validate_request,
)
from playbooks.sla import WorkingCalendar, period_stats
from playbooks.steps import now_in
from playbooks.workflow import (
    BY_STATE, CLOSED_STATES, MAIN_PATH, Action, advance, expected_next, is_lapsed, lapse_deadline,
    parse_at, resolve_action, sla_of, workflow_source,
)
from reports.text import printable


class ColoGroup(click.Group):
    """Library errors as one `Error: ...` line and the error's exit code (as `colo` does),
    so these groups behave the same when invoked on their own (tests, embedding)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ColoError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)


# --- shared options ---------------------------------------------------------------

def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
                        help="Configuration file (default: $COLO_CONFIG, ./colo.yaml, "
                             "~/.config/colo/config.yaml).")(func)
    func = click.option("--requests-dir", type=click.Path(path_type=Path), default=None,
                        help="Folder of request files (default: $COLO_REQUESTS_DIR, the config's "
                             "workflow.requests_dir, ./requests).")(func)
    return func


class Env:
    def __init__(self, requests_dir: Path | None, config_path: Path | None) -> None:
        self.config: WorkflowConfig = load_workflow_config(config_path)
        self.config_path = config_path
        self.store = RequestStore(requests_dir or self.config.requests_dir, self.config.documents_dir)
        self.calendar = WorkingCalendar(self.config.sla)
        self.tz = self.calendar.tz

    def now(self, text: str | None = None) -> datetime:
        if text:
            return parse_at(text, self.tz)
        return now_in(self.tz).replace(microsecond=0)


def _fmt_time(moment: datetime | None, tz: Any) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "-"


def table(headers: list[str], rows: list[list[str]]) -> str:
    rows = [[printable(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    lines = []
    for row in [headers, *rows]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


@click.group(cls=ColoGroup)
def request() -> None:
    """Agency requests through the SOP's nine steps, with the working-day SLA.

    A request is a YAML file (REQ-YYYY-NNNN.yaml) in the requests folder; the tool
    edits it round-trip, so comments and key order a person wrote survive.
    """


# --- template / new -------------------------------------------------------------------

TEMPLATE = """\
# Co-location / hosting request (surat permohonan + Form Pengajuan).
# Fill in, then: colo request new --from THIS_FILE --by "NAME OF CLERK"
agency:
  unit_name: Dinas Contoh Provinsi Kalimantan Timur   # Nama Unit (OPD)
  address: Jl. Contoh No. 1, Samarinda                # Alamat Unit
  # tenant: dinas-contoh                              # NetBox tenant slug (default: from the name)
person_in_charge:                                     # Penanggung Jawab
  name: Nama Penanggung Jawab
  nip: '198503142010011002'                           # 18 digits: birth date, appointment month, gender, serial
  phone: '0812-3456-7890'                             # quote it: a leading 0 or + must survive
  email: nama@kaltimprov.go.id
domain: aplikasi.kaltimprov.go.id
domain_activation_date: 2026-12-01
permanent: true                                       # false: temporary, then give valid_until
# valid_until: 2027-12-31
servers:                                              # co-location; leave out for hosting only
  - name: contoh-app-01
    make: Dell
    model: PowerEdge R650
    # serial: ABC1234                                 # known at delivery (step 7) at the latest
    processor: 2x Intel Xeon Silver 4314
    ram: 128 GB DDR4
    motherboard: Dell 0PJPW3
    storage: 4x 1.2 TB SAS
    psu: 2x 800 W
    u_height: 1
    full_depth: true
    psu_count: 2
    allocated_draw_w: 350                             # typical draw, W
    maximum_draw_w: 800                               # nameplate, W
    bandwidth_mbps: 100
# hosting:                                            # hosting on the data centre's cluster
#   vcpus: 4
#   memory_gb: 8
#   disk_gb: 200
#   vm_name: aplikasi-01                              # its VM in NetBox (default: the domain)
"""


@request.command("template")
def template_cmd() -> None:
    """Print a commented request draft to fill in (for `colo request new --from`)."""
    click.echo(TEMPLATE, nl=False)


def _kv_list(text: str, option: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise InputError(f"{option} {text!r}: expected KEY=VALUE pairs separated by commas")
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


FLAG_FIELDS = {
    "unit_name": ("agency", "unit_name"), "address": ("agency", "address"),
    "tenant": ("agency", "tenant"), "pic_name": ("person_in_charge", "name"),
    "nip": ("person_in_charge", "nip"), "phone": ("person_in_charge", "phone"),
    "email": ("person_in_charge", "email"), "domain": ("domain",),
    "activation_date": ("domain_activation_date",), "valid_until": ("valid_until",),
}


@request.command("new")
@_common
@click.option("--from", "draft", type=click.Path(path_type=Path), default=None,
              help="A filled-in draft (see `colo request template`); its comments are kept.")
@click.option("--unit-name", help="Agency (Nama Unit).")
@click.option("--address", help="Agency address.")
@click.option("--tenant", help="NetBox tenant slug of the agency.")
@click.option("--pic-name", help="Person in charge (Penanggung Jawab).")
@click.option("--nip", help="The person in charge's NIP (18 digits).")
@click.option("--phone", help="Contact number (+62... or 08...).")
@click.option("--email", help="The person in charge's e-mail.")
@click.option("--domain", help="Domain name of the application.")
@click.option("--activation-date", help="Domain activation date (YYYY-MM-DD).")
@click.option("--permanent/--temporary", default=None, help="Permanent or temporary co-location.")
@click.option("--valid-until", help="End of a temporary co-location (YYYY-MM-DD).")
@click.option("--server", "servers", multiple=True,
              help="A server as KEY=VALUE pairs, e.g. name=web-01,make=Dell,model=R650,u_height=1,"
                   "maximum_draw_w=800,bandwidth_mbps=100 (repeatable).")
@click.option("--hosting", help="Hosting needs, e.g. vcpus=4,memory_gb=8,disk_gb=200.")
@click.option("--by", default=None, help="Who submitted (default: the person in charge).")
@click.option("--at", "at_text", default=None, help="When the letter arrived (ISO; default now, WITA).")
@click.option("--document", type=click.Path(path_type=Path), default=None,
              help="The request letter (scan), kept with the request.")
@click.option("--note", default=None, help="A note for the history.")
def new_cmd(requests_dir: Path | None, config_path: Path | None, draft: Path | None,
            servers: tuple[str, ...], hosting: str | None, permanent: bool | None, by: str | None,
            at_text: str | None, document: Path | None, note: str | None, **flags: str | None) -> None:
    """Record a new request (step 1) and print its id (REQ-YYYY-NNNN)."""
    from playbooks.workflow import record_document

    env = Env(requests_dir, config_path)
    source: Path | str = draft or "command line"
    if draft is not None:
        doc = parse_yaml(read_text(draft, "draft"), draft)
        if doc is None:
            doc = to_yaml_data({})
        if not isinstance(doc, dict):
            raise InputError(f"{draft}: expected a mapping at the top level")
        check_draft_keys(doc, draft)
    else:
        doc = to_yaml_data({})
    for name, path in FLAG_FIELDS.items():
        value = flags.get(name)
        if value is None:
            continue
        node = doc
        for k in path[:-1]:
            if k not in node or not isinstance(node[k], dict):
                node[k] = to_yaml_data({})
            node = node[k]
        node[path[-1]] = value
    if permanent is not None:
        doc["permanent"] = permanent
    if servers:
        doc["servers"] = to_yaml_data([_kv_list(s, "--server") for s in servers])
    if hosting:
        doc["hosting"] = to_yaml_data(_kv_list(hosting, "--hosting"))

    now = env.now()
    at = parse_at(at_text, env.tz, now)
    if at > now + timedelta(minutes=5):
        raise InputError(f"--at {at.isoformat()} is in the future")
    if document is not None and not document.is_file():
        raise InputError(f"--document {document}: no such file")

    def render(request_id: str) -> str:
        doc.insert(0, "id", request_id)
        doc.insert(1, "state", "submitted")
        doc.insert(2, "created_at", now)
        pic = doc.get("person_in_charge") if isinstance(doc.get("person_in_charge"), dict) else {}
        who = (by or (pic or {}).get("name") or "").strip() or "unknown"
        entry: dict[str, Any] = {"step": 1, "state": "submitted", "by": who, "at": at}
        if note:
            entry["note"] = note
        doc["history"] = to_yaml_data([entry])
        # validate before the file is visible: a bad request never gets an id
        validate_request(doc, source if draft is not None else "new request (from the options)")
        return dump_yaml(doc)

    request_id, path = env.store.create(at.year, render)
    if document is not None:
        rf = RequestFile.load(path)
        rel, checksum = record_document(env.store, request_id, document)
        rf.doc["history"][0]["document"] = rel
        rf.doc["history"][0]["checksum"] = checksum
        rf.save()
    click.echo(f"{request_id} submitted: {path}")
    click.echo(f"next: step 2 (disposition): colo request advance {request_id} 2 --by NAME")


# --- advance --------------------------------------------------------------------------

def _parse_serials(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        if "=" not in v or not v.split("=", 1)[1].strip():
            raise InputError(f"--serial {v!r}: expected SERVER=SERIAL")
        k, s = v.split("=", 1)
        out[k.strip()] = s.strip()
    return out


def _open_source(env: Env, source: str | None) -> Callable[[], Any]:
    def opener() -> Any:
        from inventory.sources import open_snapshot

        sites = [env.config.site] if env.config.site else None
        loaded = open_snapshot(workflow_source(source, env.config.capacity_source, env.config_path),
                               sites=sites, config_path=env.config_path)
        if loaded.notice:
            click.echo(loaded.notice, err=True)
        return loaded
    return opener


def _policy(config_path: Path | None) -> Any:
    try:
        from colo_cli.config import config_file, load_policy
    except ImportError:  # pragma: no cover
        return None
    return load_policy(config_file(config_path))


def _uses_netbox(env: Env, source: str | None) -> bool:
    """NetBox is the source: --source, else the config's capacity source, else NETBOX_URL."""
    chosen = source or env.config.capacity_source
    if chosen is None:
        from inventory.sources import default_source

        chosen = default_source(env.config_path)
    return chosen == "netbox"


def _netbox_hooks(env: Env, source: str | None) -> tuple[Any, Any]:
    """Reservation writer and releaser when the capacity source is NetBox, else (None, None)."""
    if not _uses_netbox(env, source):
        return None, None
    from playbooks import reservations

    return reservations.reserver(env.config_path), reservations.releaser(env.config_path)


def run_step(env: Env, request_id: str, action: Action, *, by: str, at_text: str | None,
             document: Path | None, note: str | None, source: str | None = None,
             serials: dict[str, str] | None = None, mail: bool = True) -> None:
    """Record a step, holding the request's lock (one writer per request on this machine)."""
    with _locked(env, request_id, f"colo request advance {{rid}} {action.key}"):
        _run_step(env, request_id, action, by=by, at_text=at_text, document=document, note=note,
                  source=source, serials=serials, mail=mail)


def _run_step(env: Env, request_id: str, action: Action, *, by: str, at_text: str | None,
              document: Path | None, note: str | None, source: str | None = None,
              serials: dict[str, str] | None = None, mail: bool = True) -> None:
    from playbooks import steps

    now = env.now()
    at = parse_at(at_text, env.tz, now)
    effects = []
    serials = serials or {}
    if serials or action.state in ("delivered", "installed"):
        effects.append(steps.serials_effect(serials, require_all=action.state == "installed"))
    if action.state == "capacity_checked":
        effects.append(steps.capacity_effect(_open_source(env, source), env.config, _policy(env.config_path)))
    elif action.state == "approved":
        reserver, _ = _netbox_hooks(env, source)
        effects.append(steps.approval_effect(_open_source(env, source), env.config,
                                             _policy(env.config_path), reserver))
    elif action.state in ("rejected", "cancelled"):
        _, releaser = _netbox_hooks_if_reserved(env, request_id, source)
        effects.append(steps.release_effect(action.state, releaser))
    elif action.state == "installed":
        if _uses_netbox(env, source):  # registered in NetBox first, or units and power vanish
            from playbooks.registration import registration_gaps

            effects.append(steps.registered_effect(registration_gaps(env.config_path)))
        _, releaser = _netbox_hooks_if_reserved(env, request_id, source)
        effects.append(steps.release_effect("installed: the device replaces the reservation", releaser))
    if action.step in (6, 9) and mail:
        effects.append(steps.mail_effect(env.config, action.step, document))
    ctx = advance(env.store, request_id, action, by=by, at=at, now=now, document=document,
                  note=note, effects=effects, config_path=env.config_path)
    req = ctx.file.request
    for line in ctx.messages:
        click.echo(line)
    state = req.state
    label = f"step {action.step} " if action.step else ""
    click.echo(f"{req.id}: {label}{action.key} recorded; state {state}")
    nxt = expected_next(state)
    if nxt is not None and state not in CLOSED_STATES:
        click.echo(f"next: step {nxt.step} ({nxt.key}): colo request advance {req.id} {nxt.step} --by NAME")


def _netbox_hooks_if_reserved(env: Env, request_id: str, source: str | None) -> tuple[Any, Any]:
    res = env.store.read(request_id).reservation
    if res is None or not res.netbox_ids or res.released_at is not None:
        return None, None
    from playbooks import reservations

    return None, reservations.releaser(env.config_path)


def _step_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--note", default=None, help="A note for the history.")(func)
    func = click.option("--document", type=click.Path(path_type=Path), default=None,
                        help="The document this step produced (kept with the request, checksum "
                             "recorded; attached to the e-mail at steps 6 and 9).")(func)
    func = click.option("--at", "at_text", default=None,
                        help="When it happened (ISO 8601; no offset = Asia/Makassar; default now).")(func)
    func = click.option("--by", required=True, help="Who did the step.")(func)
    return _common(func)


@request.command("advance")
@click.argument("request_id")
@click.argument("step")
@_step_options
@click.option("--source", default=None,
              help="Step 3/5: demo, netbox or a snapshot file (default: the config's "
                   "workflow.capacity_source, else netbox when NETBOX_URL is set, else demo).")
@click.option("--serial", "serials", multiple=True,
              help="Steps 7/8: a server's serial number, SERVER=SERIAL (repeatable).")
@click.option("--no-mail", is_flag=True, help="Steps 6/9: record the step without sending e-mail.")
def advance_cmd(request_id: str, step: str, by: str, at_text: str | None, document: Path | None,
                note: str | None, requests_dir: Path | None, config_path: Path | None,
                source: str | None, serials: tuple[str, ...], no_mail: bool) -> None:
    """Record STEP of REQUEST_ID: a number 2-9, a name (disposition, check, form, approve,
    notify, deliver, install, complete), or reject / cancel.

    Out-of-order steps are refused (exit 2, file unchanged). Step 3 runs the capacity
    check; step 5 commits the placement; steps 6 and 9 send the e-mail.
    """
    env = Env(requests_dir, config_path)
    action = resolve_action(step)
    if action.state == "submitted":
        raise InputError("step 1 is `colo request new`")
    if action.state.startswith("withdraw"):
        raise InputError("the withdrawal path is `colo withdraw ...`")
    run_step(env, request_id, action, by=by, at_text=at_text, document=document, note=note,
             source=source, serials=_parse_serials(serials), mail=not no_mail)


def _shortcut(action_key: str, doc: str) -> None:
    action = resolve_action(action_key)

    @request.command(action_key, help=doc)
    @click.argument("request_id")
    @_step_options
    def cmd(request_id: str, by: str, at_text: str | None, document: Path | None, note: str | None,
            requests_dir: Path | None, config_path: Path | None) -> None:
        env = Env(requests_dir, config_path)
        run_step(env, request_id, action, by=by, at_text=at_text, document=document, note=note)


_shortcut("reject", "Reject REQUEST_ID (after the capacity check, or refusing approval); "
                    "releases committed capacity.")
_shortcut("cancel", "Cancel REQUEST_ID before installation (the agency withdrew, or the approval "
                    "lapsed); releases committed capacity.")


# --- list / status ----------------------------------------------------------------------

def _flags(env: Env, req: Any, sla: Any, now: datetime) -> list[str]:
    flags = []
    if sla.current is not None and sla.current.overdue:
        flags.append(f"step overdue ({sla.current.side})")
    if sla.outcome is None and sla.total_overdue:
        flags.append("total overdue")
    if is_lapsed(req, env.calendar, env.config.lapse_working_days, now):
        flags.append("LAPSED: cancel to release")
    return flags


@request.command("list")
@_common
@click.option("--all", "show_all", is_flag=True, help="Include completed, rejected, cancelled, withdrawn.")
@click.option("--now", "now_text", default=None, help="Evaluate as of this time (ISO; default now).")
def list_cmd(requests_dir: Path | None, config_path: Path | None, show_all: bool, now_text: str | None) -> None:
    """Open requests: state, step, working-time age and overdue flags."""
    env = Env(requests_dir, config_path)
    now = env.now(now_text)
    rows: list[list[str]] = []
    broken: list[str] = []
    for path, loaded in env.store.iter_files():
        if isinstance(loaded, Exception):
            broken.append(str(loaded))
            continue
        req = loaded
        done = req.state in CLOSED_STATES or req.state == "completed" or req.state.startswith("withdraw")
        if done and not show_all:
            continue
        sla = sla_of(req, env.calendar, now)
        nxt = expected_next(req.state)
        waiting = f"{nxt.step} {nxt.key} ({nxt.side})" if nxt and not done else "-"
        main = BY_STATE.get(req.state)
        step = f"{main.step}/9" if main else "-"
        rows.append([req.id, req.state, step, _short(req.agency.unit_name, 28), req.domain,
                     env.calendar.format_duration(sla.total_elapsed_s), waiting,
                     ", ".join(_flags(env, req, sla, now)) or "-"])
    if rows:
        click.echo(table(["ID", "STATE", "STEP", "AGENCY", "DOMAIN", "AGE", "WAITING FOR", "FLAGS"], rows))
    else:
        click.echo(f"no {'' if show_all else 'open '}requests in {env.store.root}")
    for line in broken:
        click.echo(f"Error: {line}", err=True)
    if broken:
        sys.exit(2)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@request.command("status")
@click.argument("request_id")
@_common
@click.option("--now", "now_text", default=None, help="Evaluate as of this time (ISO; default now).")
def status_cmd(request_id: str, requests_dir: Path | None, config_path: Path | None,
               now_text: str | None) -> None:
    """A request's data, full history and each step's working time against the SOP."""
    env = Env(requests_dir, config_path)
    now = env.now(now_text)
    req = env.store.read(request_id)
    cal = env.calendar
    click.echo(f"{req.id}  {req.agency.unit_name}  {req.domain}")
    main = BY_STATE.get(req.state)
    nxt = expected_next(req.state)
    state = f"{req.state} (step {main.step} of 9)" if main else req.state
    if nxt is not None and req.state not in CLOSED_STATES:
        state += f"; next: step {nxt.step} {nxt.key} ({nxt.side})"
    click.echo(f"state: {state}")
    pic = req.person_in_charge
    click.echo(f"person in charge: {pic.name}, NIP {pic.nip}, {pic.phone}, {pic.email}")
    validity = "permanent" if req.permanent else f"temporary until {req.valid_until}"
    click.echo(f"domain active from {req.domain_activation_date}; {validity}")
    for s in req.servers:
        draw = f"{s.allocated_draw_w}/{s.maximum_draw_w} W" if s.allocated_draw_w else f"max {s.maximum_draw_w} W"
        click.echo(f"server {s.name}: {s.make} {s.model}, {s.u_height:g}U, {draw}, {s.bandwidth_mbps:g} Mbps, "
                   f"S/N {s.serial or '-'}")
    if req.hosting:
        h = req.hosting
        click.echo(f"hosting: {h.vcpus} vCPU, {h.memory_gb:g} GB RAM, {h.disk_gb:g} GB disk")
    if req.capacity_check:
        c = req.capacity_check
        verdict = "available" if c.fits else "NOT available"
        click.echo(f"capacity check: {verdict} ({c.source}, {_fmt_time(c.checked_at, env.tz)})")
        for r in c.reasons:
            click.echo(f"  {r}")
    if req.placement:
        for p in req.placement.servers:
            feeds = f", feeds {', '.join(p.feeds)}" if p.feeds else ""
            click.echo(f"placement: {p.server} -> rack {p.rack_name or p.rack} U{p.position:g} {p.face}{feeds}")
        if req.placement.cluster:
            click.echo(f"placement: hosting -> cluster {req.placement.cluster}")
    deadline = lapse_deadline(req, cal, env.config.lapse_working_days)
    if deadline is not None:
        lapsed = " (LAPSED)" if now > deadline else ""
        click.echo(f"approval holds capacity until {_fmt_time(deadline, env.tz)}{lapsed}")

    sla = sla_of(req, cal, now)
    by_step = {s.step: s for s in sla.steps}
    rows = []
    for t in req.history:
        measured = by_step.get(t.step) if t.step and BY_STATE.get(t.state) else None
        rows.append([str(t.step or "-"), t.state, t.by, _fmt_time(t.at, env.tz),
                     *_sla_cells(measured, cal),
                     t.document or "-"])
    if sla.current is not None:
        c = sla.current
        rows.append([str(c.step), f"(waiting: {BY_STATE_BY_STEP[c.step].key})", "-", "-",
                     *_sla_cells(c, cal), "-"])
    click.echo("")
    click.echo(table(["STEP", "STATE", "BY", "AT", "ELAPSED", "STANDARD", "SIDE", "ON TIME", "DOCUMENT"], rows))
    click.echo("")
    total = (f"total: {cal.format_duration(sla.total_elapsed_s)} of "
             f"{cal.format_duration(sla.total_standard_s)} working time")
    total += " (OVERDUE)" if sla.total_overdue else ""
    total += (f"; agency {cal.format_duration(sla.agency_s)}, "
              f"data centre {cal.format_duration(sla.data_centre_s)}")
    click.echo(total)
    side = sla.delay_side
    if side:
        click.echo(f"delay on the {side}'s side (over the standards: agency "
                   f"{cal.format_duration(sla.agency_over_s)}, data centre "
                   f"{cal.format_duration(sla.data_centre_over_s)})")


BY_STATE_BY_STEP = {a.step: a for a in MAIN_PATH}


def _sla_cells(s: Any, cal: WorkingCalendar) -> list[str]:
    if s is None:
        return ["-", "-", "-", "-"]
    std = cal.format_duration(s.standard_s) if s.standard_s is not None else "-"
    on_time = "-" if s.on_time is None else ("yes" if s.on_time else "OVERDUE")
    return [cal.format_duration(s.elapsed_s), std, s.side, on_time]


# --- sla report ---------------------------------------------------------------------------

def _parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


@request.command("sla")
@_common
@click.option("--from", "from_text", required=True, help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "to_text", required=True, help="Last day of the period, inclusive (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "xlsx"]), default="table",
              show_default=True, help="Output format.")
@output_option("Write to this file (required for xlsx).")
def sla_cmd(requests_dir: Path | None, config_path: Path | None, from_text: str, to_text: str,
            fmt: str, output: str | None) -> None:
    """On-time percentages per SOP step for steps finished in a period, and of the
    4-working-day total for requests completed in it."""
    env = Env(requests_dir, config_path)
    output_path = checked_output(output, config=config_path, requests_dir=env.store.root)
    start_day, end_day = _parse_day(from_text, "--from"), _parse_day(to_text, "--to")
    if end_day < start_day:
        raise InputError("--to is before --from")
    start = datetime.combine(start_day, datetime.min.time(), env.tz)
    end = datetime.combine(end_day + timedelta(days=1), datetime.min.time(), env.tz)
    now = env.now()
    slas = [sla_of(req, env.calendar, now) for req in env.store.read_all()]
    rows, total = period_stats(slas, env.calendar, start, end)
    headers = ["step", "name", "side", "standard", "measured", "on_time", "on_time_pct", "mean_elapsed"]
    data = []
    for r in [*rows, total]:
        mean = env.calendar.format_duration(r.elapsed_total_s / r.measured) if r.measured else "-"
        pct = f"{r.on_time_pct:.1f}" if r.on_time_pct is not None else "-"
        data.append([str(r.step) if r.step else "total", r.name, r.side, r.standard,
                     str(r.measured), str(r.on_time), pct, mean])
    if fmt == "table":
        text = f"SLA {start_day} to {end_day}\n" + table([h.upper().replace("_", " ") for h in headers], data) + "\n"
        emit(text, output_path)
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(data)
        emit(buf.getvalue(), output_path)
    else:
        if output_path is None:
            raise InputError("--format xlsx writes a binary file: give -o FILE.xlsx")
        import pandas as pd

        frame = pd.DataFrame(data, columns=headers)
        for col in ("measured", "on_time"):
            frame[col] = frame[col].astype(int)
        frame["on_time_pct"] = pd.to_numeric(frame["on_time_pct"], errors="coerce")
        buf_b = io.BytesIO()
        with pd.ExcelWriter(buf_b, engine="openpyxl") as xw:
            frame.to_excel(xw, sheet_name="SLA", index=False)
        emit(buf_b.getvalue(), output_path)


# --- validate -----------------------------------------------------------------------------

@request.command("validate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@_common
def validate_cmd(files: tuple[Path, ...], requests_dir: Path | None, config_path: Path | None) -> None:
    """Check request files (default: every file in the requests folder); exit 2 if any is bad."""
    env = Env(requests_dir, config_path)
    paths = list(files) or [env.store.path_for(i) for i in env.store.ids()]
    bad = 0
    for p in paths:
        try:
            check_file_name(p, RequestFile.load(p).request)
            click.echo(f"ok {p}")
        except InputError as exc:
            bad += 1
            click.echo(f"Error: {exc}", err=True)
    if bad:
        sys.exit(2)


# --- plan / apply (step 8 in NetBox) ------------------------------------------------------

def _parse_arrived(values: tuple[str, ...]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for v in values:
        m = re.fullmatch(r"\s*([^.=]+)\.([a-z_]+)\s*=(.*)", v)
        if not m:
            raise InputError(f"--arrived {v!r}: expected SERVER.FIELD=VALUE (e.g. web-01.ram=64 GB)")
        out.setdefault(m.group(1).strip(), {})[m.group(2)] = m.group(3).strip()
    return out


def _handover(env: Env, req: Any, text: str | None) -> date:
    if text:
        return _parse_day(text, "--handover-date")
    return env.now().date()


@request.command("plan")
@click.argument("request_id")
@_common
@click.option("--handover-date", default=None, help="Handover date for the register (default today).")
@click.option("--verbose", "-v", is_flag=True, help="Also list what is already in place.")
def plan_cmd(request_id: str, requests_dir: Path | None, config_path: Path | None,
             handover_date: str | None, verbose: bool) -> None:
    """Show exactly what `apply` would change in NetBox to register the request's servers."""
    from playbooks.registration import plan_registration

    env = Env(requests_dir, config_path)
    req = env.store.read(request_id)
    _registrable(req)
    plan = plan_registration(req, handover=_handover(env, req, handover_date), config_path=config_path)
    click.echo(plan.text(verbose))


def _registrable(req: Any) -> None:
    if req.state not in ("delivered", "installed", "completed"):
        raise InputError(f"{req.id} is {req.state}: servers are registered once delivered (step 7)")


@request.command("apply")
@click.argument("request_id")
@_common
@click.option("--by", required=True, help="Who verifies and registers (DC staff).")
@click.option("--handover-date", default=None, help="Handover date for the register (default today).")
@click.option("--arrived", multiple=True,
              help="What arrived where it differs from the request: SERVER.FIELD=VALUE (repeatable).")
@click.option("--accept-difference", "accept", default=None,
              help="Register despite differences, for this reason.")
def apply_cmd(request_id: str, requests_dir: Path | None, config_path: Path | None, by: str,
              handover_date: str | None, arrived: tuple[str, ...], accept: str | None) -> None:
    """Verify what arrived; register the request's servers (devices) and hosting (a VM) in NetBox.

    Idempotent: a second apply makes 0 changes.
    """
    from playbooks.registration import apply_plan, plan_registration, verify_arrival
    from playbooks.requests import Verification

    env = Env(requests_dir, config_path)
    with _locked(env, request_id, "colo request apply {rid}"):
        rf = env.store.open(request_id)
        req = rf.request
        _registrable(req)
        differences = verify_arrival(req, _parse_arrived(arrived))
        if differences and not accept:
            raise ColoError(f"{req.id}: what arrived differs from the request: {'; '.join(differences)}",
                            "fix the request, or register anyway with --accept-difference REASON")
        plan = plan_registration(req, handover=_handover(env, req, handover_date), config_path=config_path)
        made = apply_plan(plan, config_path=config_path, echo=click.echo)
        if differences or accept or req.verification is None:
            rf.set("verification", Verification(differences=differences, override_reason=accept, verified_by=by))
            rf.save()
    click.echo(f"{req.id}: {made} change(s) applied in NetBox")


def _locked(env: Env, request_id: str, command: str) -> Any:
    """The request's lock while running `command` (`{rid}` in it: the request id), so
    two processes never write one request at once (playbooks/locks.py)."""
    from playbooks.locks import request_lock
    from playbooks.requests import normalise_id

    rid = normalise_id(request_id)
    return request_lock(env.store.root, rid, command.format(rid=rid))


# --- withdrawal ------------------------------------------------------------------------------

@click.group(cls=ColoGroup)
def withdraw() -> None:
    """Withdraw co-located servers (and, by domain, a hosting's VM): request, approval, plan/apply.

    The withdrawal is recorded in the request that installed the server.
    """


def _find_installed(env: Env, domain: str | None, serial: str | None) -> tuple[Any, list[str]]:
    if bool(domain) == bool(serial):
        raise InputError("give --domain or --serial (one of them)")
    hits = []
    for req in env.store.read_all():  # a file skipped could hold the domain or serial too
        if req.state != "completed":
            continue
        if domain and req.domain == domain.strip().lower().rstrip("."):
            hits.append((req, [s.name for s in req.servers]))
        elif serial and any(s.serial == serial for s in req.servers):
            hits.append((req, [s.name for s in req.servers if s.serial == serial]))
    what = f"domain {domain}" if domain else f"serial {serial}"
    if not hits:
        raise InputError(f"no completed request in {env.store.root} has {what}")
    if len(hits) > 1:
        raise InputError(f"{what} is in several requests ({', '.join(h[0].id for h in hits)}): use --serial")
    return hits[0]


@withdraw.command("request")
@_step_options
@click.option("--domain", default=None, help="Withdraw every server of this domain.")
@click.option("--serial", default=None, help="Withdraw the server with this serial number.")
@click.option("--reason", required=True, help="The reasons (dengan pertimbangan).")
def withdraw_request_cmd(by: str, at_text: str | None, document: Path | None, note: str | None,
                         requests_dir: Path | None, config_path: Path | None, domain: str | None,
                         serial: str | None, reason: str) -> None:
    """Record a withdrawal request for a domain's servers or one server (by serial)."""
    from playbooks.requests import Withdrawal
    from playbooks.workflow import StepContext

    reason = reason.strip()
    if not reason:
        raise InputError("--reason is empty: give the reasons for the withdrawal (dengan pertimbangan)")
    env = Env(requests_dir, config_path)
    req, servers = _find_installed(env, domain, serial)

    def record(ctx: StepContext) -> None:
        ctx.file.set("withdrawal", Withdrawal(servers=servers, reasons=reason))

    with _locked(env, req.id, "colo withdraw request {rid}"):
        advance(env.store, req.id, resolve_action("withdrawal-request"), by=by,
                at=parse_at(at_text, env.tz, env.now()), now=env.now(), document=document,
                note=note, effects=[record], config_path=env.config_path)
    click.echo(f"{req.id}: withdrawal of {', '.join(servers)} requested; next: "
               f"colo withdraw approve {req.id} --by HEAD_OF_DIVISION")


@withdraw.command("approve")
@click.argument("request_id")
@_step_options
def withdraw_approve_cmd(request_id: str, by: str, at_text: str | None, document: Path | None,
                         note: str | None, requests_dir: Path | None, config_path: Path | None) -> None:
    """Record the head of division's approval of a withdrawal."""
    env = Env(requests_dir, config_path)
    with _locked(env, request_id, "colo withdraw approve {rid}"):
        advance(env.store, request_id, resolve_action("withdrawal-approve"), by=by,
                at=parse_at(at_text, env.tz, env.now()), now=env.now(), document=document, note=note,
                config_path=env.config_path)
    click.echo(f"{request_id}: withdrawal approved; next: colo withdraw plan {request_id}, then apply")


def _withdrawal_plan(env: Env, request_id: str, config_path: Path | None) -> tuple[Any, Any]:
    from playbooks.withdrawal import plan_withdrawal

    rf = env.store.open(request_id)
    req = rf.request
    if req.state != "withdrawal_approved" or req.withdrawal is None:
        raise InputError(f"{req.id} is {req.state}: the withdrawal needs the head of division's approval "
                         f"first (colo withdraw approve {req.id})")
    return rf, plan_withdrawal(req, req.withdrawal.servers, req.withdrawal.reasons, config_path=config_path)


@withdraw.command("plan")
@click.argument("request_id")
@_common
def withdraw_plan_cmd(request_id: str, requests_dir: Path | None, config_path: Path | None) -> None:
    """Show what withdrawing the servers changes in NetBox."""
    env = Env(requests_dir, config_path)
    _, plan = _withdrawal_plan(env, request_id, config_path)
    click.echo(plan.text())


@withdraw.command("apply")
@click.argument("request_id")
@_step_options
def withdraw_apply_cmd(request_id: str, by: str, at_text: str | None, document: Path | None,
                       note: str | None, requests_dir: Path | None, config_path: Path | None) -> None:
    """Decommission the servers in NetBox and record the request as withdrawn."""
    from playbooks.registration import apply_plan

    env = Env(requests_dir, config_path)
    at = parse_at(at_text, env.tz, env.now())
    with _locked(env, request_id, "colo withdraw apply {rid}"):
        _, plan = _withdrawal_plan(env, request_id, config_path)
        made = apply_plan(plan, config_path=config_path, echo=click.echo)
        advance(env.store, request_id, resolve_action("withdrawn"), by=by, at=at, now=env.now(),
                document=document, note=note, config_path=env.config_path)
    click.echo(f"{request_id}: {made} change(s) applied in NetBox; state withdrawn")


# --- the asset register -----------------------------------------------------------------------

@click.group(cls=ColoGroup)
def register() -> None:
    """The asset register of co-located servers: yearly review and export."""


def _register_snapshot(env: Env, source: str | None) -> Any:
    return _open_source(env, source)().snapshot


@register.command("review")
@_common
@click.option("--source", default=None, help="demo, netbox or a snapshot file (default as for capacity).")
@click.option("--today", "today_text", default=None, help="Review as of this date (default today).")
def register_review_cmd(requests_dir: Path | None, config_path: Path | None, source: str | None,
                        today_text: str | None) -> None:
    """Servers to look at: never or not reviewed within a year, missing serial / tenant /
    domain, temporary co-locations past their end, and servers no request accounts for.

    Exit status 1 when anything needs attention."""
    from playbooks.registration import review_register

    env = Env(requests_dir, config_path)
    today = _parse_day(today_text, "--today") if today_text else env.now().date()
    snapshot = _register_snapshot(env, source)
    requests_ = env.store.read_all()  # a request skipped would make its server "unaccounted"
    findings = review_register(snapshot, requests_, today, max_age_days=env.config.register_review_days,
                               role=env.config.colocation_role)
    if not findings:
        click.echo("register review: nothing to do")
        return
    click.echo(table(["DEVICE", "SERIAL", "TENANT", "FINDING", "DETAIL"],
                     [[f.device, f.serial or "-", f.tenant or "-", f.kind, f.message] for f in findings]))
    devices = len({f.device for f in findings})
    click.echo(f"{len(findings)} finding(s) on {devices} server(s)")
    sys.exit(1)


@register.command("mark-reviewed")
@click.argument("devices", nargs=-1)
@_common
@click.option("--all", "all_active", is_flag=True, help="Every active co-located server.")
@click.option("--date", "date_text", default=None, help="Review date (default today).")
def register_mark_cmd(devices: tuple[str, ...], requests_dir: Path | None, config_path: Path | None,
                      all_active: bool, date_text: str | None) -> None:
    """Record the register review of DEVICES (names or serials) in NetBox."""
    from playbooks.registration import mark_reviewed

    env = Env(requests_dir, config_path)
    if not devices and not all_active:
        raise InputError("name the devices reviewed, or give --all")
    when = _parse_day(date_text, "--date") if date_text else env.now().date()
    done = mark_reviewed(list(devices), when, all_active=all_active, config_path=config_path,
                         role=env.config.colocation_role)
    click.echo(f"{len(done)} server(s) marked reviewed on {when}")


@register.command("export")
@_common
@click.option("--source", default=None, help="demo, netbox or a snapshot file (default as for capacity).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True,
              help="Output format.")
@output_option("Write to this file (required for xlsx).")
def register_export_cmd(requests_dir: Path | None, config_path: Path | None, source: str | None,
                        fmt: str, output: str | None) -> None:
    """Export the register of co-located servers as CSV or XLSX."""
    from playbooks.registration import register_rows

    env = Env(requests_dir, config_path)
    output_path = checked_output(output, config=config_path, requests_dir=env.store.root, sources=[source])
    rows = register_rows(_register_snapshot(env, source), env.config.colocation_role)
    headers = ["name", "serial", "tenant", "make", "model", "site", "rack", "position", "face", "status",
               "domain", "request_id", "colocation_type", "valid_until", "handover_date", "last_review_date"]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=headers, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if r[k] is None else (f"{r[k]:g}" if isinstance(r[k], float) else r[k]))
                             for k in headers})
        emit(buf.getvalue(), output_path)
        return
    if output_path is None:
        raise InputError("--format xlsx writes a binary file: give -o FILE.xlsx")
    import pandas as pd

    buf_b = io.BytesIO()
    with pd.ExcelWriter(buf_b, engine="openpyxl") as xw:
        pd.DataFrame(rows, columns=headers).to_excel(xw, sheet_name="Register", index=False)
    emit(buf_b.getvalue(), output_path)


COMMANDS = [request, withdraw, register]
