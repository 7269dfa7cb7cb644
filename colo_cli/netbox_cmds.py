"""`colo netbox check|bootstrap|load|snapshot`: talk to NetBox directly."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable

import click

from colo_cli.common import CONFIG_HELP, ColoGroup, make_app
from colo_cli.output import checked_output, output_option
from inventory.files import dump_snapshot, load_snapshot
from inventory.netbox.bootstrap import bootstrap
from inventory.netbox.client import NetBoxClient
from inventory.netbox.loader import load_snapshot as load_from_netbox
from inventory.netbox.writer import load_snapshot_into_netbox
from playbooks.context import App

TOKEN_HELP = ("NetBox API token. Prefer the NETBOX_TOKEN environment variable or the config file: "
              "a token on the command line shows up in the shell history and the process list.")


def _connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--url", default=None, metavar="URL",
                     help="NetBox base URL (default: $NETBOX_URL, else the config file's netbox.url)."),
        click.option("--token", default=None, metavar="TOKEN", help=TOKEN_HELP),
        click.option("--insecure", is_flag=True, help="Do not verify NetBox's TLS certificate."),
        click.option("--config", type=click.Path(path_type=Path), default=None, help=CONFIG_HELP),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _app(url: str | None, token: str | None, insecure: bool, config: Path | None) -> App:
    return make_app(config, insecure=insecure, netbox_url=url, netbox_token=token)


def _client(url: str | None, token: str | None, insecure: bool, config: Path | None) -> NetBoxClient:
    """A checked client: reachable, a NetBox, new enough, token accepted."""
    return _app(url, token, insecure, config).netbox()


@click.group(cls=ColoGroup)
def netbox() -> None:
    """NetBox itself: check the connection, create the conventions, load and export data."""


@netbox.command("check")
@_connection_options
def check_cmd(url: str | None, token: str | None, insecure: bool, config: Path | None) -> None:
    """Check that NetBox answers, is supported, and accepts the token."""
    client = _client(url, token, insecure, config)
    user = client.current_user()
    click.echo(f"NetBox {client.version} at {client.base_url}: token accepted "
               f"(user {user.get('username', '?')})")


@netbox.command("bootstrap")
@_connection_options
@click.option("--dry-run", is_flag=True, help="List what would be created or updated; write nothing.")
def bootstrap_cmd(url: str | None, token: str | None, insecure: bool, config: Path | None,
                  dry_run: bool) -> None:
    """Create the data-model conventions (custom fields, roles, tenant group, tags...).

    Idempotent: a second run reports 0 changes. Existing objects are matched by slug
    (custom fields by name) and never renamed or restyled.
    """
    client = _client(url, token, insecure, config)
    report = bootstrap(client, dry_run=dry_run)
    click.echo(report.summary("bootstrap"))
    for t in report.types:
        for line in t.lines:
            click.echo(f"  {line}")


@netbox.command("load")
@click.argument("source", metavar="FILE|demo")
@_connection_options
@click.option("--dry-run", is_flag=True, help="Plan and report what would change; write nothing.")
@click.option("--verbose", "-v", is_flag=True, help="Print a line per created or updated object.")
def load_cmd(source: str, url: str | None, token: str | None, insecure: bool, config: Path | None,
             dry_run: bool, verbose: bool) -> None:
    """Write a snapshot file (or the bundled demo) into NetBox, idempotently.

    Sites, racks, device types, devices, reservations, power panels, feeds, ports,
    outlets, cables, UPSs, gensets, circuits, clusters and VMs are matched by their
    natural keys (site slug, rack name in its site, device name in its site, ...):
    missing objects are created, differing fields updated, nothing is deleted. A second
    run reports 0 changes. The whole file is checked before the first write; if NetBox
    refuses something midway, the message names the object type, and running the same
    command again continues where it stopped.
    """
    app = _app(url, token, insecure, config)
    snapshot = load_snapshot(source, app.progress)  # bad input stops here, before any connection
    client = app.netbox()
    if sys.stderr.isatty():
        click.echo(f"loading {source} into {client.base_url}{' (dry run)' if dry_run else ''}...", err=True)
    report = load_snapshot_into_netbox(client, snapshot, dry_run=dry_run, echo=click.echo, verbose=verbose,
                                       progress=app.progress)
    c, u = ("would create", "would update") if dry_run else ("created", "updated")
    for t in report.types:
        if t.created or t.updated or t.unchanged:
            took = f" ({t.seconds:.1f} s)" if t.seconds >= 0.5 else ""
            click.echo(f"  {t.kind}: {t.created} {c}, {t.updated} {u}, {t.unchanged} unchanged{took}")
    click.echo(f"{report.summary('load')} in {report.seconds:.1f} s, {report.requests} HTTP requests")


@netbox.command("snapshot")
@_connection_options
@output_option("File to write (YAML, or JSON by the .json suffix).", required=True)
@click.option("--site", "sites", multiple=True, help="Site slug or name (repeatable). Default: all sites.")
def snapshot_cmd(url: str | None, token: str | None, insecure: bool, config: Path | None,
                 output: str, sites: tuple[str, ...]) -> None:
    """Read NetBox (one site or all) and write it as a snapshot file."""
    app = _app(url, token, insecure, config)
    output_path = checked_output(output, app)
    assert output_path is not None  # required
    client = app.netbox()
    started = time.monotonic()
    snapshot = load_from_netbox(client, list(sites) or None, app.progress)
    dump_snapshot(snapshot, output_path)
    click.echo(f"snapshot: {len(snapshot.sites)} sites, {len(snapshot.racks)} racks, "
               f"{len(snapshot.devices)} devices, {len(snapshot.power_feeds)} feeds written to {output_path} "
               f"in {time.monotonic() - started:.1f} s, {client.requests_made} HTTP requests")


COMMANDS = [netbox]
