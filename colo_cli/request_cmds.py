"""`colo request ...`: the SOP's nine steps on request files, the SLA clock and reports.

Each command parses its options, makes one call into playbooks/ and renders the answer.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from colo_cli.common import ColoGroup, parse_day, step_options, table, workflow_app, workflow_options
from colo_cli.output import checked_output, emit, output_option, xlsx_bytes
from inventory.errors import InputError
from playbooks.context import App
from playbooks.intake import TEMPLATE, NewRequest, new_request, validate_files
from playbooks.netbox_steps import apply_registration, registration_plan
from playbooks.overview import request_listing, request_status, sla_period
from playbooks.sla import StepSla, WorkingCalendar
from playbooks.states import BY_STATE, CLOSED_STATES, MAIN_PATH, Action, expected_next, resolve_action
from playbooks.steps import run_step
from playbooks.workflow import StepContext, parse_at


@click.group(cls=ColoGroup)
def request() -> None:
    """Agency requests through the SOP's nine steps, with the working-day SLA.

    A request is a YAML file (REQ-YYYY-NNNN.yaml) in the requests folder; the tool
    edits it round-trip, so comments and key order a person wrote survive.
    """


# --- template / new -------------------------------------------------------------------

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


@request.command("new")
@workflow_options
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
            at_text: str | None, document: Path | None, note: str | None, **fields: str | None) -> None:
    """Record a new request (step 1) and print its id (REQ-YYYY-NNNN).

    Example: colo request new --from draft.yaml --by "Siti (front desk)"
    """
    app = workflow_app(config_path, requests_dir)
    new = NewRequest(draft, fields, permanent, [_kv_list(s, "--server") for s in servers] or None,
                     _kv_list(hosting, "--hosting") if hosting else None)
    request_id, path = new_request(app, new, by=by, at_text=at_text, document=document, note=note)
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


def _recorded(action: Action, ctx: StepContext) -> None:
    """What a recorded step did, its new state and the next step."""
    req = ctx.file.request
    for line in ctx.messages:
        click.echo(line)
    label = f"step {action.step} " if action.step else ""
    click.echo(f"{req.id}: {label}{action.key} recorded; state {req.state}")
    nxt = expected_next(req.state)
    if nxt is not None and req.state not in CLOSED_STATES:
        click.echo(f"next: step {nxt.step} ({nxt.key}): colo request advance {req.id} {nxt.step} --by NAME")


@request.command("advance")
@click.argument("request_id")
@click.argument("step")
@step_options
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

    Example: colo request advance REQ-2026-0001 3 --by "Admin TIK"
    """
    app = workflow_app(config_path, requests_dir)
    action = resolve_action(step)
    ctx = run_step(app, request_id, action, by=by, at_text=at_text, document=document, note=note,
                   source=source, serials=_parse_serials(serials), mail=not no_mail)
    _recorded(action, ctx)


def _shortcut(action_key: str, doc: str) -> None:
    action = resolve_action(action_key)

    @request.command(action_key, help=doc)
    @click.argument("request_id")
    @step_options
    def cmd(request_id: str, by: str, at_text: str | None, document: Path | None, note: str | None,
            requests_dir: Path | None, config_path: Path | None) -> None:
        app = workflow_app(config_path, requests_dir)
        _recorded(action, run_step(app, request_id, action, by=by, at_text=at_text, document=document,
                                   note=note))


_shortcut("reject", "Reject REQUEST_ID (after the capacity check, or refusing approval); "
                    "releases committed capacity.")
_shortcut("cancel", "Cancel REQUEST_ID before installation (the agency withdrew, or the approval "
                    "lapsed); releases committed capacity.")


# --- list / status ----------------------------------------------------------------------

def _fmt_time(moment: datetime | None, app: App) -> str:
    return moment.astimezone(app.tz).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _now(app: App, text: str | None) -> datetime:
    """--now: ISO 8601 (no offset: the SLA zone), else now."""
    return parse_at(text, app.tz) if text else app.clock.now()


@request.command("list")
@workflow_options
@click.option("--all", "show_all", is_flag=True, help="Include completed, rejected, cancelled, withdrawn.")
@click.option("--now", "now_text", default=None, help="Evaluate as of this time (ISO; default now).")
def list_cmd(requests_dir: Path | None, config_path: Path | None, show_all: bool, now_text: str | None) -> None:
    """Open requests: state, step, working-time age and overdue flags.

    Every readable request is listed; an unreadable file is named afterwards (exit 2)."""
    app = workflow_app(config_path, requests_dir)
    listed, broken = request_listing(app, _now(app, now_text), show_all)
    rows = []
    for item in listed:
        req, nxt, main = item.request, item.waiting, BY_STATE.get(item.request.state)
        rows.append([req.id, req.state, f"{main.step}/9" if main else "-", _short(req.agency.unit_name, 28),
                     req.domain, app.calendar.format_duration(item.sla.total_elapsed_s),
                     f"{nxt.step} {nxt.key} ({nxt.side})" if nxt else "-", ", ".join(item.flags) or "-"])
    if rows:
        click.echo(table(["ID", "STATE", "STEP", "AGENCY", "DOMAIN", "AGE", "WAITING FOR", "FLAGS"], rows))
    else:
        click.echo(f"no {'' if show_all else 'open '}requests in {app.store.root}")
    for error in broken:
        click.echo(f"Error: {error}", err=True)
    if broken:
        sys.exit(2)


MAIN_STEP = {a.step: a for a in MAIN_PATH}


@request.command("status")
@click.argument("request_id")
@workflow_options
@click.option("--now", "now_text", default=None, help="Evaluate as of this time (ISO; default now).")
def status_cmd(request_id: str, requests_dir: Path | None, config_path: Path | None,
               now_text: str | None) -> None:
    """A request's data, full history and each step's working time against the SOP."""
    app = workflow_app(config_path, requests_dir)
    now = _now(app, now_text)
    status = request_status(app, request_id, now)
    req, sla, cal = status.request, status.sla, app.calendar
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
        click.echo(f"capacity check: {verdict} ({c.source}, {_fmt_time(c.checked_at, app)})")
        for r in c.reasons:
            click.echo(f"  {r}")
    if req.placement:
        for p in req.placement.servers:
            feeds = f", feeds {', '.join(p.feeds)}" if p.feeds else ""
            click.echo(f"placement: {p.server} -> rack {p.rack_name or p.rack} U{p.position:g} {p.face}{feeds}")
        if req.placement.cluster:
            click.echo(f"placement: hosting -> cluster {req.placement.cluster}")
    if status.lapses_at is not None:
        lapsed = " (LAPSED)" if now > status.lapses_at else ""
        click.echo(f"approval holds capacity until {_fmt_time(status.lapses_at, app)}{lapsed}")

    by_step = {s.step: s for s in sla.steps}
    rows = []
    for t in req.history:
        measured = by_step.get(t.step) if t.step and BY_STATE.get(t.state) else None
        rows.append([str(t.step or "-"), t.state, t.by, _fmt_time(t.at, app), *_sla_cells(measured, cal),
                     t.document or "-"])
    if sla.current is not None:
        c = sla.current
        rows.append([str(c.step), f"(waiting: {MAIN_STEP[c.step].key})", "-", "-", *_sla_cells(c, cal), "-"])
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


def _sla_cells(s: StepSla | None, cal: WorkingCalendar) -> list[str]:
    if s is None:
        return ["-", "-", "-", "-"]
    std = cal.format_duration(s.standard_s) if s.standard_s is not None else "-"
    on_time = "-" if s.on_time is None else ("yes" if s.on_time else "OVERDUE")
    return [cal.format_duration(s.elapsed_s), std, s.side, on_time]


# --- sla report ---------------------------------------------------------------------------

@request.command("sla")
@workflow_options
@click.option("--from", "from_text", required=True, help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "to_text", required=True, help="Last day of the period, inclusive (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "xlsx"]), default="table",
              show_default=True, help="Output format.")
@output_option("Write to this file (required for xlsx).")
def sla_cmd(requests_dir: Path | None, config_path: Path | None, from_text: str, to_text: str,
            fmt: str, output: str | None) -> None:
    """On-time percentages per SOP step for steps finished in a period, and of the
    4-working-day total for requests completed in it."""
    app = workflow_app(config_path, requests_dir)
    output_path = checked_output(output, app)
    start_day, end_day = parse_day(from_text, "--from"), parse_day(to_text, "--to")
    rows, total = sla_period(app, start_day, end_day)
    headers = ["step", "name", "side", "standard", "measured", "on_time", "on_time_pct", "mean_elapsed"]
    data = []
    for r in [*rows, total]:
        mean = app.calendar.format_duration(r.elapsed_total_s / r.measured) if r.measured else "-"
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
        emit(xlsx_bytes("SLA", headers, data, integers=("measured", "on_time"), numbers=("on_time_pct",)),
             output_path)


# --- validate -----------------------------------------------------------------------------

@request.command("validate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@workflow_options
def validate_cmd(files: tuple[Path, ...], requests_dir: Path | None, config_path: Path | None) -> None:
    """Check request files (default: every file in the requests folder); exit 2 if any is bad."""
    results = validate_files(workflow_app(config_path, requests_dir), list(files))
    for path, error in results:
        if error is None:
            click.echo(f"ok {path}")
        else:
            click.echo(f"Error: {error}", err=True)
    if any(error is not None for _, error in results):
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


@request.command("plan")
@click.argument("request_id")
@workflow_options
@click.option("--handover-date", default=None, help="Handover date for the register (default today).")
@click.option("--verbose", "-v", is_flag=True, help="Also list what is already in place.")
def plan_cmd(request_id: str, requests_dir: Path | None, config_path: Path | None,
             handover_date: str | None, verbose: bool) -> None:
    """Show exactly what `apply` would change in NetBox to register the request's servers."""
    app = workflow_app(config_path, requests_dir)
    handover = parse_day(handover_date, "--handover-date") if handover_date else None
    click.echo(registration_plan(app, request_id, handover).text(verbose))


@request.command("apply")
@click.argument("request_id")
@workflow_options
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

    Example: colo request apply REQ-2026-0001 --by "Personil DC"
    """
    app = workflow_app(config_path, requests_dir)
    handover = parse_day(handover_date, "--handover-date") if handover_date else None
    rid, made = apply_registration(app, request_id, by=by, handover=handover, arrived=_parse_arrived(arrived),
                                   accept=accept, echo=click.echo)
    click.echo(f"{rid}: {made} change(s) applied in NetBox")


COMMANDS = [request]
