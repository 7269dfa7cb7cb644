"""`colo capacity report` and `colo capacity check`."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from capacity.policy import Policy
from colo_cli.config import config_file, load_policy
from colo_cli.output import checked_output, emit, output_option
from inventory.errors import InputError
from inventory.sources import Loaded, open_snapshot

SOURCE_HELP = "demo, netbox, or a snapshot file (YAML/JSON). Default: netbox when NETBOX_URL is set, else demo."


@click.group()
def capacity() -> None:
    """Remaining capacity: space, power, UPS, genset, bandwidth, hosting."""


def _load(source: str | None, sites: tuple[str, ...], config: Path | None, insecure: bool,
          requests_dir: Path | None, progress: bool) -> tuple[Loaded, Policy]:
    path = config_file(config)
    policy = load_policy(path)
    loaded = open_snapshot(source, sites=list(sites) or None, config_path=path, insecure=insecure,
                           progress=progress)
    if loaded.notice:
        click.echo(loaded.notice, err=True)
    loaded.snapshot = _with_commitments(loaded.snapshot, requests_dir)
    return loaded, policy


def _with_commitments(snapshot: Any, requests_dir: Path | None) -> Any:
    """Add capacity promised to approved, not yet installed requests (DESIGN §5)."""
    try:
        from playbooks.commitments import apply_commitments
    except ModuleNotFoundError:
        return snapshot
    return apply_commitments(snapshot, requests_dir)


def _common(func: Any) -> Any:
    options = [
        click.option("--source", default=None, help=SOURCE_HELP),
        click.option("--site", "sites", multiple=True, help="Site slug or name (repeatable). Default: all."),
        click.option("--config", type=click.Path(path_type=Path), default=None,
                     help="Configuration file (default: $COLO_CONFIG, ./colo.yaml, ~/.config/colo/config.yaml)."),
        click.option("--insecure", is_flag=True, help="Do not verify NetBox's TLS certificate."),
        click.option("--requests-dir", type=click.Path(path_type=Path), default=None,
                     help="Request files whose approved capacity counts as committed "
                          "(default: $COLO_REQUESTS_DIR or ./requests)."),
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
    """Print the capacity report of every rack, feed, UPS, genset, uplink and cluster."""
    import time

    from capacity.engine import compute_capacity
    from capacity.report import build_report
    from inventory.names import select_sites
    from reports import tables

    output_path = checked_output(output, config=config, requests_dir=requests_dir, sources=[source])
    started = time.perf_counter()
    loaded, policy = _load(source, sites, config, insecure, requests_dir, progress=sys.stderr.isatty())
    loaded_at = time.perf_counter()
    wanted = set(select_sites(loaded.snapshot.sites, sites))
    result = compute_capacity(loaded.snapshot, policy)
    report = build_report(loaded.snapshot, result, wanted)
    report["meta"] = {
        "source": loaded.source,
        "generated_at": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
        "sites": sorted(s["site"] for s in report["sites"]),
    }
    computed_at = time.perf_counter()

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
        from colo_cli.forecast_cmds import report_runway
        from reports.capacity_html import build_elevations, render_capacity_html

        data = render_capacity_html(report, snapshot_elevations=build_elevations(loaded.snapshot),
                                    generated_at=report["meta"]["generated_at"], source=loaded.source,
                                    forecast=report_runway(loaded, policy, wanted, source, config, insecure,
                                                           requests_dir), heatmap=True)
    else:
        data = tables.render_table(report)
    emit(data, output_path)
    if verbose:
        requests = f", {loaded.requests_made} HTTP requests" if loaded.requests_made is not None else ""
        click.echo(f"loaded in {loaded_at - started:.2f} s{requests}; computed in "
                   f"{computed_at - loaded_at:.2f} s", err=True)


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
    from capacity.engine import compute_capacity
    from capacity.fit import check_fit
    from inventory.names import select_sites
    from reports.fit_text import format_fit_report
    from playbooks.check_input import read_check_input

    checked = read_check_input(request_file)  # bad input fails before any NetBox read
    if checked.note:
        click.echo(f"note: {request_file} is {checked.note}", err=True)
    loaded, policy = _load(source, sites, config, insecure, requests_dir, progress=False)
    request = checked.for_snapshot(loaded.snapshot)
    wanted = set(select_sites(loaded.snapshot.sites, sites)) if sites else None  # unknown: exit 2, naming the known
    result = compute_capacity(loaded.snapshot, policy)
    report = check_fit(loaded.snapshot, request, policy, result, sites=wanted)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(format_fit_report(report))
    sys.exit(0 if report.fits else 1)
