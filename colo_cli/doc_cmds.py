"""`colo doc REQUEST-ID KIND`: the SOP's documents of a request, stored beside it with
their checksum in its history; `colo doc register-review`: the yearly register review."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from colo_cli.common import ColoGroup, parse_day, source_option, workflow_app, workflow_options
from colo_cli.output import checked_output, output_option
from playbooks.overview import register_review_document, request_document


class DocGroup(ColoGroup):
    """`colo doc REQUEST-ID KIND` is short for `colo doc request REQUEST-ID KIND`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["request", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DocGroup)
def doc() -> None:
    """The SOP's documents as PDF or HTML.

    \b
    colo doc REQUEST-ID KIND [--format pdf|html] [--lang id|en] [-o PATH]
    colo doc register-review [--source SRC] [--today DATE] [-o PATH]

    KIND: capacity_check (step 3), application (4), approval (5), approval_notice (6),
    handover (8), completion (9), withdrawal. A request's document is stored in
    documents/REQ-.../ beside the request and its SHA-256 recorded on the step's history
    entry.
    """


def _output_options(func: Any) -> Any:
    func = output_option("Also write the document to this file.")(func)
    func = click.option("--lang", type=click.Choice(["id", "en"]), default=None,
                        help="Language (default: documents.lang in the configuration, else id).")(func)
    func = click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default=None,
                        help="Format (default: documents.format in the configuration, else pdf).")(func)
    return workflow_options(func)


@doc.command("request")
@click.argument("request_id")
@click.argument("kind")
@_output_options
@click.option("--date", "date_text", default=None,
              help="The document's date (YYYY-MM-DD; default: when its step was recorded, WITA).")
@click.option("--number", default=None, help="The document number (default: documents.number_format).")
@click.option("--replace", is_flag=True,
              help="Replace a recorded document that a new rendering no longer matches.")
def request_doc_cmd(request_id: str, kind: str, fmt: str | None, lang: str | None, output: str | None,
                    requests_dir: Path | None, config_path: Path | None, date_text: str | None,
                    number: str | None, replace: bool) -> None:
    """Render KIND of REQUEST_ID (kinds: capacity_check, application, approval,
    approval_notice, handover, completion, withdrawal).

    Example: colo doc REQ-2026-0001 handover --lang en
    """
    app = workflow_app(config_path, requests_dir)
    output_path = checked_output(output, app)
    day = parse_day(date_text, "--date") if date_text else None
    done = request_document(app, request_id, kind, fmt=fmt, lang=lang, day=day, number=number or None,
                            replace=replace, output=output_path)
    click.echo(f"{done.path}")
    click.echo(f"{done.kind.kind} {done.number}, {done.day.isoformat()}, {done.checksum}")
    click.echo(done.recorded)
    if output_path is not None:
        click.echo(f"copy: {output_path}")


@doc.command("register-review")
@_output_options
@source_option
@click.option("--today", "today_text", default=None, help="Review as of this date (default today, WITA).")
@click.option("--number", default=None, help="The document number (default: documents.number_format "
                                              "with REG-YEAR as the request id).")
def register_review_doc_cmd(fmt: str | None, lang: str | None, output: str | None, requests_dir: Path | None,
                            config_path: Path | None, source: str | None, today_text: str | None,
                            number: str | None) -> None:
    """The yearly review of the asset register as a document to sign: every active
    co-located server with its status and findings (see `colo register review`).

    Stored as documents/register-review/register-review-DATE.pdf in the requests folder."""
    app = workflow_app(config_path, requests_dir)
    output_path = checked_output(output, app, sources=[source])
    today: date = parse_day(today_text, "--today") if today_text else app.clock.now().date()
    path, checksum, data = register_review_document(app, source, today, fmt=fmt, lang=lang, number=number or None,
                                                    output=output_path)
    click.echo(f"{path}")
    click.echo(f"register_review {data['document_number']}, {today.isoformat()}, {checksum}")
    click.echo(f"{len(data['servers'])} server(s), "
               f"{sum(1 for s in data['servers'] if s['review_status'] != 'ok')} to look at")
    if output_path is not None:
        click.echo(f"copy: {output_path}")


COMMANDS = [doc]
