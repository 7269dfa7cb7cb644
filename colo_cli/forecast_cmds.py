"""`colo capacity forecast` and `colo capacity whatif` (registered on the `capacity` group).

The composition happens here: configuration (`forecast:`, `workflow:`, `policy:`), the
snapshot, the request files and NetBox's changelog are read, then handed to
`playbooks.forecasting` / `playbooks.whatif`, which read nothing themselves.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import click

from colo_cli.capacity_cmds import _common, _load
from colo_cli.output import checked_output, emit, output_option
from inventory.config import config_section, find_config_file
from inventory.errors import InputError
from inventory.files import DEMO_NAME, demo_path, read_structured, validate_file
from inventory.sources import default_source
from playbooks.forecasting import ForecastSettings, History, history_window_start

HISTORY_FROM = ("auto", "requests", "netbox", "both", "none")


def demo_requests_dir() -> Path:
    """The bundled demo's request history (scripts/make_demo_requests.py)."""
    return demo_path().parent / "requests"


def load_forecast_settings(config: Path | None, horizon: str | None, warning: float | None,
                           history_months: int | None) -> ForecastSettings:
    """The `forecast:` section, overridden by the options given."""
    from capacity.forecast import parse_horizon

    path = find_config_file(config)
    section = dict(config_section(path, "forecast"))
    if horizon is not None:
        try:
            section["horizon_months"] = parse_horizon(horizon)
        except ValueError as exc:
            raise InputError(f"--horizon: {exc}") from None
    if warning is not None:
        section["warning_pct"] = warning
    if history_months is not None:
        section["history_months"] = history_months
    return validate_file(ForecastSettings, section, f"{path or 'options'}: forecast")


def _now(today: str | None, tz: Any) -> datetime:
    if today is None:
        return datetime.now(tz).replace(microsecond=0)
    try:
        day = date.fromisoformat(today.strip())
    except ValueError:
        raise InputError(f"--today: {today!r} is not a date (YYYY-MM-DD)") from None
    return datetime.combine(day, time(12, 0), tz)


def gather_history(source: str | None, history_from: str, requests_dir: Path | None, config: Path | None,
                   insecure: bool, snapshot: Any, now: datetime, settings: ForecastSettings) -> History:
    """The demand records of the sources asked for (see docs/forecast.md)."""
    from playbooks.config import load_workflow_config
    from playbooks.history import merge_sources, request_tenures
    from playbooks.requests import RequestStore
    from playbooks.sla import WorkingCalendar

    kind = source or default_source(config)
    history = History()
    if history_from == "none":
        return history
    if history_from == "netbox" and kind != "netbox":
        raise InputError("--history-from netbox needs --source netbox (the changelog is NetBox's)")
    workflow = load_workflow_config(config)
    from_requests: list[Any] = []
    if history_from in ("auto", "requests", "both"):
        folder = requests_dir or (demo_requests_dir() if kind == DEMO_NAME else workflow.requests_dir)
        store = RequestStore(folder, workflow.documents_dir)
        if not store.ids() and history_from in ("requests", "both"):
            raise InputError(f"--history-from {history_from}: no request files (REQ-*.yaml) in {folder}")
        if store.ids():
            requests = store.read_all()
            from_requests = request_tenures(requests, WorkingCalendar(workflow.sla), workflow.lapse_working_days, now)
            where = "the bundled demo's request files" if folder == demo_requests_dir() else f"request files in {folder}"
            history.sources.append(f"{where} ({len(requests)} requests)")
    from_netbox: list[Any] = []
    if history_from in ("netbox", "both") or (history_from == "auto" and kind == "netbox"):
        from inventory.netbox.changelog import changelog_tenures
        from inventory.netbox.client import NetBoxClient
        from inventory.netbox.settings import settings_from_env_and_file

        since = history_window_start(now, settings)
        client = NetBoxClient(settings_from_env_and_file(config, insecure=insecure))
        from_netbox = changelog_tenures(client, snapshot, since)
        history.sources.append(f"NetBox changelog since {since:%Y-%m-%d} ({len(from_netbox)} objects)")
    history.tenures = merge_sources(from_requests, from_netbox)
    return history


def _forecast_options(func: Any) -> Any:
    options = [
        click.option("--horizon", default=None, help="How far ahead: 24m, 36m, 3y (default: forecast.horizon_months, 24)."),
        click.option("--warning", type=float, default=None,
                     help="Warning threshold in % of capacity (default: forecast.warning_pct, 80)."),
        click.option("--history", "history_months", type=int, default=None,
                     help="Months of history the trend is fitted on (default: forecast.history_months, 24)."),
        click.option("--history-from", type=click.Choice(HISTORY_FROM), default="auto", show_default=True,
                     help="Demand history: request files, NetBox's changelog, both, or none. auto: the request "
                          "files (the bundled ones for --source demo), plus the changelog for --source netbox."),
        click.option("--today", default=None, help="Forecast as of this date (YYYY-MM-DD; default: now)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _prepare(source: str | None, sites: tuple[str, ...], config: Path | None, insecure: bool,
             requests_dir: Path | None, horizon: str | None, warning: float | None, history_months: int | None,
             history_from: str, today: str | None) -> dict[str, Any]:
    from inventory.names import select_sites
    from playbooks.config import load_workflow_config
    from playbooks.sla import WorkingCalendar

    settings = load_forecast_settings(config, horizon, warning, history_months)
    tz = WorkingCalendar(load_workflow_config(config).sla).tz
    now = _now(today, tz)
    loaded, policy = _load(source, sites, config, insecure, requests_dir, progress=sys.stderr.isatty())
    wanted = set(select_sites(loaded.snapshot.sites, sites)) if sites else None
    history = gather_history(source, history_from, requests_dir, config, insecure, loaded.snapshot, now, settings)
    taken_at = loaded.snapshot.taken_at or datetime.now(tz)
    return {"loaded": loaded, "policy": policy, "sites": wanted, "history": history, "now": now,
            "settings": settings, "taken_at": taken_at}


@click.command("forecast")
@_common
@_forecast_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "html"]), default="table",
              show_default=True, help="Output format.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="en", show_default=True, help="Language of html.")
@output_option("Write to this file instead of standard output.")
def forecast_cmd(source: str | None, sites: tuple[str, ...], config: Path | None, insecure: bool,
                 requests_dir: Path | None, horizon: str | None, warning: float | None, history_months: int | None,
                 history_from: str, today: str | None, fmt: str, lang: str, output: str | None) -> None:
    """When does each dimension run out: headroom, growth per month with its band, and
    the month the warning threshold and 100 % are reached, ranked (binding first).

    \b
    colo capacity forecast --source demo
    colo capacity forecast --site dc-kaltim --horizon 36m --format html -o runway.html
    """
    from playbooks.forecasting import build_forecast
    from reports import forecast_render

    output_path = checked_output(output, config=config, requests_dir=requests_dir, sources=[source])
    ctx = _prepare(source, sites, config, insecure, requests_dir, horizon, warning, history_months,
                   history_from, today)
    result = build_forecast(ctx["loaded"].snapshot, ctx["history"], ctx["now"], ctx["settings"],
                            taken_at=ctx["taken_at"], policy=ctx["policy"], sites=ctx["sites"])
    data = result.to_dict()
    data["meta"]["source"] = ctx["loaded"].source
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = forecast_render.render_forecast_csv(data)
    elif fmt == "html":
        text = forecast_render.render_forecast_html(data, lang=lang, generated=data["meta"]["now"],
                                                    source=ctx["loaded"].source)
    else:
        text = forecast_render.render_forecast_table(data)
    emit(text, output_path)


def report_runway(loaded: Any, policy: Any, sites: set[str] | None, source: str | None, config: Path | None,
                  insecure: bool, requests_dir: Path | None) -> dict[str, Any] | None:
    """The runway of the HTML capacity report (its charts); None, with a warning, when
    the demand history cannot be read (the report itself still renders)."""
    from inventory.errors import ColoError
    from playbooks.config import load_workflow_config
    from playbooks.forecasting import build_forecast
    from playbooks.sla import WorkingCalendar

    try:
        settings = load_forecast_settings(config, None, None, None)
        now = datetime.now(WorkingCalendar(load_workflow_config(config).sla).tz).replace(microsecond=0)
        history = gather_history(source, "auto", requests_dir, config, insecure, loaded.snapshot, now, settings)
    except ColoError as exc:
        click.echo(f"warning: no runway charts: {exc}", err=True)
        return None
    return build_forecast(loaded.snapshot, history, now, settings, taken_at=loaded.snapshot.taken_at,
                          policy=policy, sites=sites).to_dict()


def review_runway(loaded: Any, env: Any, source: str | None, today: date) -> dict[str, Any] | None:
    """The runway summary of the yearly register review: the workflow's requests folder
    (and NetBox's changelog when NetBox is the source) as the demand history, as of
    `today`; None, with a warning, when the history cannot be read."""
    from inventory.names import select_sites
    from colo_cli.config import load_policy
    from inventory.errors import ColoError
    from playbooks.forecasting import build_forecast
    from playbooks.workflow import workflow_source

    try:
        settings = load_forecast_settings(env.config_path, None, None, None)
        now = datetime.combine(today, time(12, 0), env.tz)
        kind = workflow_source(source, env.config.capacity_source, env.config_path)
        history = gather_history(kind, "auto", env.store.root, env.config_path, False, loaded.snapshot, now,
                                 settings)
        policy = load_policy(find_config_file(env.config_path))
    except ColoError as exc:
        click.echo(f"warning: no runway summary: {exc}", err=True)
        return None
    sites = set(select_sites(loaded.snapshot.sites, [env.config.site])) if env.config.site else None
    return build_forecast(loaded.snapshot, history, now, settings, taken_at=loaded.snapshot.taken_at,
                          policy=policy, sites=sites).to_dict()


REMOVE_HELP = "tenant:NAME, serial:S1,S2, or a file of serial numbers (one a line)"


def parse_removal(text: str) -> Any:
    from playbooks.whatif import Removal

    m = re.fullmatch(r"\s*(tenant|serials?)\s*[:=]\s*(.+?)\s*", text, re.IGNORECASE)
    if m:
        values = tuple(v.strip() for v in m.group(2).split(",") if v.strip())
        if values:
            return Removal("tenant" if m.group(1).lower() == "tenant" else "serials", values)
    path = Path(text)
    if path.is_file():
        from inventory.files import read_text

        lines = [line.split("#", 1)[0].strip() for line in read_text(path, "serials file").splitlines()]
        serials = tuple(line for line in lines if line)
        if not serials:
            raise InputError(f"{path}: no serial numbers in the file")
        return Removal("serials", serials)
    raise InputError(f"--remove {text!r}: expected {REMOVE_HELP}")


@click.command("whatif")
@_common
@_forecast_options
@click.option("--add", "adds", multiple=True,
              help='A request file (placed as step 3 would), or a stream: "30 servers of 2U/500W per year", '
                   '"12 vms of 4vCPU/16GB/200GB per year". Repeatable.')
@click.option("--remove", "removals", multiple=True, help=f"Withdraw: {REMOVE_HELP}. Repeatable.")
@click.option("--change", "change_file", type=click.Path(path_type=Path), default=None,
              help="A YAML of additions to the snapshot: a UPS, an uplink, a rack row (docs/forecast.md).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@output_option("Write to this file instead of standard output.")
def whatif_cmd(source: str | None, sites: tuple[str, ...], config: Path | None, insecure: bool,
               requests_dir: Path | None, horizon: str | None, warning: float | None, history_months: int | None,
               history_from: str, today: str | None, adds: tuple[str, ...], removals: tuple[str, ...],
               change_file: Path | None, fmt: str, output: str | None) -> None:
    """The capacity report and forecast with changes applied, beside today's. Nothing is
    written to NetBox or to any file but -o.

    \b
    colo capacity whatif --source demo --add "30 servers of 2U/500W per year"
    colo capacity whatif --remove tenant:dinkes --change new-ups.yaml
    """
    from capacity.growth import parse_stream
    from playbooks.check_input import read_check_input
    from playbooks.whatif import Scenario, run_whatif
    from reports import forecast_render

    output_path = checked_output(output, config=config, requests_dir=requests_dir,
                                 sources=[source, *(a for a in adds if Path(a).is_file()),
                                          *([str(change_file)] if change_file else [])])
    if not (adds or removals or change_file):
        raise InputError("nothing to change: give --add, --remove or --change")
    scenario = Scenario(removals=[parse_removal(r) for r in removals])
    checks = []
    for text in adds:
        path = Path(text)
        if path.is_file():
            checks.append((path, read_check_input(path)))
        else:
            scenario.streams.append(parse_stream(text))
    if change_file is not None:
        if not change_file.is_file():
            raise InputError(f"{change_file}: --change file not found")
        scenario.change = (str(change_file), read_structured(change_file))
    ctx = _prepare(source, sites, config, insecure, requests_dir, horizon, warning, history_months,
                   history_from, today)
    snapshot = ctx["loaded"].snapshot
    scenario.requests = [(path.name, checked.for_snapshot(snapshot)) for path, checked in checks]
    result = run_whatif(snapshot, ctx["history"], ctx["now"], ctx["settings"], scenario, taken_at=ctx["taken_at"],
                        policy=ctx["policy"], sites=ctx["sites"])
    data = result.to_dict()
    data["meta"] = {"source": ctx["loaded"].source, "now": ctx["now"].isoformat(timespec="seconds")}
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = forecast_render.render_whatif_table(data)
    emit(text, output_path)


CAPACITY_COMMANDS = [forecast_cmd, whatif_cmd]
