"""`colo capacity forecast` and `colo capacity whatif` (registered on the `capacity` group).

Options, one call into playbooks/runway.py (which composes the forecast on the `App`),
rendering.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from capacity.growth import parse_stream
from colo_cli.capacity_cmds import _common
from colo_cli.common import make_app
from colo_cli.output import checked_output, emit, output_option
from inventory.errors import InputError
from inventory.files import read_structured, read_text
from playbooks.check_input import read_check_input
from playbooks.runway import HISTORY_FROM, RunwayOptions, capacity_forecast, capacity_whatif
from playbooks.whatif import Removal, Scenario
from reports import forecast_render


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
    app = make_app(config, requests_dir, insecure=insecure)
    output_path = checked_output(output, app, sources=[source])
    options = RunwayOptions(source, sites, requests_dir, horizon, warning, history_months, history_from, today)
    result, loaded = capacity_forecast(app, options)
    data = result.to_dict()
    data["meta"]["source"] = loaded.source
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = forecast_render.render_forecast_csv(data)
    elif fmt == "html":
        text = forecast_render.render_forecast_html(data, lang=lang, generated=data["meta"]["now"],
                                                    source=loaded.source)
    else:
        text = forecast_render.render_forecast_table(data)
    emit(text, output_path)


REMOVE_HELP = "tenant:NAME, serial:S1,S2, or a file of serial numbers (one a line)"


def parse_removal(text: str) -> Removal:
    m = re.fullmatch(r"\s*(tenant|serials?)\s*[:=]\s*(.+?)\s*", text, re.IGNORECASE)
    if m:
        values = tuple(v.strip() for v in m.group(2).split(",") if v.strip())
        if values:
            return Removal("tenant" if m.group(1).lower() == "tenant" else "serials", values)
    path = Path(text)
    if path.is_file():
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
    app = make_app(config, requests_dir, insecure=insecure)
    output_path = checked_output(output, app, sources=[source, *(a for a in adds if Path(a).is_file()),
                                                    *([str(change_file)] if change_file else [])])
    if not (adds or removals or change_file):
        raise InputError("nothing to change: give --add, --remove or --change")
    scenario = Scenario(removals=[parse_removal(r) for r in removals])
    checks = []
    for text in adds:
        path = Path(text)
        if path.is_file():
            checks.append((path.name, read_check_input(path)))
        else:
            scenario.streams.append(parse_stream(text))
    if change_file is not None:
        if not change_file.is_file():
            raise InputError(f"{change_file}: --change file not found")
        scenario.change = (str(change_file), read_structured(change_file))
    options = RunwayOptions(source, sites, requests_dir, horizon, warning, history_months, history_from, today)
    result, inputs = capacity_whatif(app, options, scenario, checks)
    data = result.to_dict()
    data["meta"] = {"source": inputs.loaded.source, "now": inputs.now.isoformat(timespec="seconds")}
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = forecast_render.render_whatif_table(data)
    emit(text, output_path)


CAPACITY_COMMANDS = [forecast_cmd, whatif_cmd]
