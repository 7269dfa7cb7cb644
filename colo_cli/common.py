"""What every command group shares: the error translation (`ColoGroup`), the options
that build the composition root (`--config`, `--requests-dir`), tables and dates."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any, Callable

import click

from inventory.errors import ColoError, InputError
from colo_cli.progress import terminal_progress
from playbooks.context import App
from reports.text import printable

CONFIG_HELP = "Configuration file (default: $COLO_CONFIG, ./colo.yaml, ~/.config/colo/config.yaml)."


class ColoGroup(click.Group):
    """A click group that turns library errors into one `Error: ...` line and the error's
    exit code. Every group uses it, so a group behaves the same invoked on its own (tests,
    embedding) as under `colo`."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ColoError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)


def notice(line: str) -> None:
    """A one-line notice or warning for the user, on standard error."""
    click.echo(line, err=True)


def make_app(config: Path | None = None, requests_dir: Path | None = None, **options: Any) -> App:
    """The composition root of one command run, from its options and this process's environment."""
    return App(os.environ, config=config, requests_dir=requests_dir, notify=notice, progress=terminal_progress(),
               **options)


def workflow_app(config: Path | None, requests_dir: Path | None) -> App:
    """`make_app` for the request commands, with the workflow settings checked at once
    (the configuration, the requests folder, the SLA calendar), before any input is read."""
    app = make_app(config, requests_dir)
    _ = (app.store, app.calendar)  # validated now, not when first needed
    return app


def workflow_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--config and --requests-dir of the request commands."""
    func = click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
                        help=CONFIG_HELP)(func)
    func = click.option("--requests-dir", type=click.Path(path_type=Path), default=None,
                        help="Folder of request files (default: $COLO_REQUESTS_DIR, the config's "
                             "workflow.requests_dir, ./requests).")(func)
    return func


def step_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--by, --at, --document, --note (and the workflow options) of a recorded step."""
    func = click.option("--note", default=None, help="A note for the history.")(func)
    func = click.option("--document", type=click.Path(path_type=Path), default=None,
                        help="The document this step produced (kept with the request, checksum "
                             "recorded; attached to the e-mail at steps 6 and 9).")(func)
    func = click.option("--at", "at_text", default=None,
                        help="When it happened (ISO 8601; no offset = Asia/Makassar; default now).")(func)
    func = click.option("--by", required=True, help="Who did the step.")(func)
    return workflow_options(func)


def source_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--source", default=None,
                        help="demo, netbox or a snapshot file (default as for capacity).")(func)


def table(headers: list[str], rows: list[list[str]]) -> str:
    rows = [[printable(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    lines = []
    for row in [headers, *rows]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None
