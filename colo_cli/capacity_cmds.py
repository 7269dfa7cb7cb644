"""`colo capacity report` and `colo capacity check`: options, one call into
playbooks/assessment.py, rendering."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from colo_cli.common import CONFIG_HELP, ColoGroup, make_app
from colo_cli.output import checked_output, emit, output_option
from inventory.errors import InputError
from playbooks.assessment import capacity_report, check_request_file
from playbooks.runway import report_runway
from reports import tables
from reports.capacity_html import build_elevations, render_capacity_html
from reports.fit_text import format_fit_report

SOURCE_HELP = "demo, netbox, or a snapshot file (YAML/JSON). Default: netbox when NETBOX_URL is set, else demo."


@click.group(cls=ColoGroup)
def capacity() -> None:
    """Remaining capacity: space, power, UPS, genset, bandwidth, hosting."""


def _common(func: Any) -> Any:
    options = [
        click.option("--source", default=None, help=SOURCE_HELP),
        click.option("--site", "sites", multiple=True, help="Site slug or name (repeatable). Default: all."),
        click.option("--config", type=click.Path(path_type=Path), default=None, help=CONFIG_HELP),
        click.option("--insecure", is_flag=True, help="Do not verify NetBox's TLS certificate."),
        click.option("--requests-dir", type=click.Path(path_type=Path), default=None,
                     help="Request files whose approved capacity counts as committed "
                          "(default: $COLO_REQUESTS_DIR, the config's workflow.requests_dir, ./requests)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@capacity.command("report")
@_common
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx", "html"]), default="table",
              show_default=True, help="Output format. csv: one row per rack; xlsx: a sheet per section.")
@output_option("Write to this file instead of standard output.")
@click.option("--verbose", "-v", is_flag=True, help="Also print timing and the number of HTTP requests made.")
def report_cmd(source: str | None, sites: tuple[str, ...], config: Path | None, insecure: bool,
               requests_dir: Path | None, fmt: str, output: str | None, verbose: bool) -> None:
    """Print the capacity report of every rack, feed, UPS, genset, uplink and cluster.

    Example: colo capacity report --source demo --format csv -o capacity.csv
    """
    app = make_app(config, requests_dir, insecure=insecure)
    output_path = checked_output(output, app, sources=[source])
    done = capacity_report(app, source, list(sites))
    report = done.report
    data: str | bytes
    if fmt == "json":
        data = tables.render_json(report)
    elif fmt == "csv":
        data = tables.render_csv(report)
    elif fmt == "xlsx":
        if output_path is None and sys.stdout.isatty():
            raise InputError("--format xlsx writes a binary file: give -o FILE.xlsx")
        data = tables.render_xlsx(report)
    elif fmt == "html":
        runway = report_runway(app, done.loaded, source, requests_dir, done.sites)
        data = render_capacity_html(report, snapshot_elevations=build_elevations(done.loaded.snapshot),
                                    generated_at=report["meta"]["generated_at"], source=done.loaded.source,
                                    forecast=runway, heatmap=True)
    else:
        data = tables.render_table(report)
    emit(data, output_path)
    if verbose:
        made = done.loaded.requests_made
        requests = f", {made} HTTP requests" if made is not None else ""
        click.echo(f"loaded in {done.load_s:.2f} s{requests}; computed in {done.compute_s:.2f} s", err=True)


@capacity.command("check")
@click.argument("request_file", type=click.Path(path_type=Path))
@_common
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def check_cmd(request_file: Path, source: str | None, sites: tuple[str, ...], config: Path | None,
              insecure: bool, requests_dir: Path | None, fmt: str) -> None:
    """Check whether the servers/hosting in REQUEST_FILE fit, and where.

    REQUEST_FILE is a capacity request (servers, hosting), or a request file of the
    workflow, a filled-in `colo request template` included: it is validated as the
    workflow does and checked as step 3 checks it.

    --site keeps the placement and the hosting cluster to those sites.
    Exit status: 0 it fits, 1 it does not fit (reasons printed), 2 bad input.
    """
    report = check_request_file(make_app(config, requests_dir, insecure=insecure), request_file, source,
                                list(sites))
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(format_fit_report(report))
    sys.exit(0 if report.fits else 1)


COMMANDS = [capacity]
