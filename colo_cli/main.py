"""Entry point of the `colo` command: the group of every command group."""

from __future__ import annotations

import click

from colo_cli import (
    capacity_cmds, doc_cmds, forecast_cmds, netbox_cmds, register_cmds, request_cmds, withdraw_cmds,
)
from colo_cli.common import ColoGroup


@click.group(cls=ColoGroup)
@click.version_option(package_name="colo-kaltim")
def cli() -> None:
    """Co-location capacity and rack inventory on NetBox (Diskominfo Kaltim data centre)."""


for module in (capacity_cmds, netbox_cmds, request_cmds, withdraw_cmds, register_cmds, doc_cmds):
    for command in module.COMMANDS:
        cli.add_command(command)
for command in forecast_cmds.CAPACITY_COMMANDS:  # `colo capacity forecast`, `colo capacity whatif`
    capacity_cmds.capacity.add_command(command)


if __name__ == "__main__":
    cli()
