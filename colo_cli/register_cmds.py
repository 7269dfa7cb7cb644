"""`colo register ...`: the asset register of co-located servers, its yearly review
and its export."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import click

from colo_cli.common import ColoGroup, parse_day, source_option, table, workflow_app, workflow_options
from colo_cli.output import checked_output, emit, output_option, xlsx_bytes
from inventory.errors import InputError
from playbooks.netbox_steps import mark_register_reviewed
from playbooks.overview import register_export_rows, register_review_findings
from playbooks.register_review import REGISTER_COLUMNS


@click.group(cls=ColoGroup)
def register() -> None:
    """The asset register of co-located servers: yearly review and export."""


@register.command("review")
@workflow_options
@source_option
@click.option("--today", "today_text", default=None, help="Review as of this date (default today).")
def register_review_cmd(requests_dir: Path | None, config_path: Path | None, source: str | None,
                        today_text: str | None) -> None:
    """Servers to look at: never or not reviewed within a year, missing serial / tenant /
    domain, temporary co-locations past their end, and servers no request accounts for.

    Exit status 1 when anything needs attention."""
    app = workflow_app(config_path, requests_dir)
    today = parse_day(today_text, "--today") if today_text else app.clock.now().date()
    findings = register_review_findings(app, source, today)
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
@workflow_options
@click.option("--all", "all_active", is_flag=True, help="Every active co-located server.")
@click.option("--date", "date_text", default=None, help="Review date (default today).")
def register_mark_cmd(devices: tuple[str, ...], requests_dir: Path | None, config_path: Path | None,
                      all_active: bool, date_text: str | None) -> None:
    """Record the register review of DEVICES (names or serials) in NetBox."""
    app = workflow_app(config_path, requests_dir)
    when = parse_day(date_text, "--date") if date_text else None
    done, day = mark_register_reviewed(app, list(devices), when, all_active=all_active)
    click.echo(f"{len(done)} server(s) marked reviewed on {day}")


@register.command("export")
@workflow_options
@source_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True,
              help="Output format.")
@output_option("Write to this file (required for xlsx).")
def register_export_cmd(requests_dir: Path | None, config_path: Path | None, source: str | None,
                        fmt: str, output: str | None) -> None:
    """Export the register of co-located servers as CSV or XLSX."""
    app = workflow_app(config_path, requests_dir)
    output_path = checked_output(output, app, sources=[source])
    rows = register_export_rows(app, source)
    headers = list(REGISTER_COLUMNS)
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
    emit(xlsx_bytes("Register", headers, rows), output_path)


COMMANDS = [register]
