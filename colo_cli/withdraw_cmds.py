"""`colo withdraw ...`: the withdrawal path of an installed server (request, approval,
plan, apply), recorded in the request that installed it."""

from __future__ import annotations

from pathlib import Path

import click

from colo_cli.common import ColoGroup, step_options, workflow_app, workflow_options
from playbooks.netbox_steps import apply_withdrawal, approve_withdrawal, request_withdrawal, withdrawal_plan


@click.group(cls=ColoGroup)
def withdraw() -> None:
    """Withdraw co-located servers (and, by domain, a hosting's VM): request, approval, plan/apply.

    The withdrawal is recorded in the request that installed the server.
    """


@withdraw.command("request")
@step_options
@click.option("--domain", default=None, help="Withdraw every server of this domain.")
@click.option("--serial", default=None, help="Withdraw the server with this serial number.")
@click.option("--reason", required=True, help="The reasons (dengan pertimbangan).")
def withdraw_request_cmd(by: str, at_text: str | None, document: Path | None, note: str | None,
                         requests_dir: Path | None, config_path: Path | None, domain: str | None,
                         serial: str | None, reason: str) -> None:
    """Record a withdrawal request for a domain's servers or one server (by serial).

    Example: colo withdraw request --serial CN7X12 --reason "end of contract" --by "Budi"
    """
    req, servers = request_withdrawal(workflow_app(config_path, requests_dir), domain=domain, serial=serial,
                                      reason=reason, by=by, at_text=at_text, document=document, note=note)
    click.echo(f"{req.id}: withdrawal of {', '.join(servers)} requested; next: "
               f"colo withdraw approve {req.id} --by HEAD_OF_DIVISION")


@withdraw.command("approve")
@click.argument("request_id")
@step_options
def withdraw_approve_cmd(request_id: str, by: str, at_text: str | None, document: Path | None,
                         note: str | None, requests_dir: Path | None, config_path: Path | None) -> None:
    """Record the head of division's approval of a withdrawal."""
    approve_withdrawal(workflow_app(config_path, requests_dir), request_id, by=by, at_text=at_text,
                       document=document, note=note)
    click.echo(f"{request_id}: withdrawal approved; next: colo withdraw plan {request_id}, then apply")


@withdraw.command("plan")
@click.argument("request_id")
@workflow_options
def withdraw_plan_cmd(request_id: str, requests_dir: Path | None, config_path: Path | None) -> None:
    """Show what withdrawing the servers changes in NetBox."""
    click.echo(withdrawal_plan(workflow_app(config_path, requests_dir), request_id).text())


@withdraw.command("apply")
@click.argument("request_id")
@step_options
def withdraw_apply_cmd(request_id: str, by: str, at_text: str | None, document: Path | None,
                       note: str | None, requests_dir: Path | None, config_path: Path | None) -> None:
    """Decommission the servers in NetBox and record the request as withdrawn."""
    made = apply_withdrawal(workflow_app(config_path, requests_dir), request_id, by=by, at_text=at_text,
                            document=document, note=note, echo=click.echo)
    click.echo(f"{request_id}: {made} change(s) applied in NetBox; state withdrawn")


COMMANDS = [withdraw]
