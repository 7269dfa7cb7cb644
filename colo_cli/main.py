"""Entry point of the `colo` command: the group and the error translation."""

from __future__ import annotations

import sys
from typing import Any

import click

from inventory.errors import ColoError


class ColoGroup(click.Group):
    """A click group that turns library errors into one `Error: ...` line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ColoError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=ColoGroup)
@click.version_option(package_name="colo-kaltim")
def cli() -> None:
    """Co-location capacity and rack inventory on NetBox (Diskominfo Kaltim data centre)."""


def _register() -> None:
    from colo_cli import capacity_cmds

    cli.add_command(capacity_cmds.capacity)
    from colo_cli import forecast_cmds

    for command in forecast_cmds.CAPACITY_COMMANDS:  # `colo capacity forecast`, `colo capacity whatif`
        capacity_cmds.capacity.add_command(command)
    for optional in ("netbox_cmds", "request_cmds", "register_cmds", "doc_cmds"):
        try:
            module = __import__(f"colo_cli.{optional}", fromlist=["COMMANDS"])
        except ModuleNotFoundError as exc:
            if exc.name != f"colo_cli.{optional}":
                raise
            continue
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


if __name__ == "__main__":
    cli()
