"""Output of every command: `-o FILE` (one option, one check: inventory.files.check_output_path),
standard output or an atomic write, and XLSX sheets."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any, Callable, Iterable

import click

from inventory.errors import ColoError
from inventory.files import DEMO_NAME, check_output_path, write_atomic
from playbooks.context import App

NOT_FILES = (DEMO_NAME, "netbox")


def output_option(help_text: str, required: bool = False) -> Callable[[Any], Any]:
    """`-o/--output`, kept as the text typed (`-o ""` must not become `.`)."""
    return click.option("-o", "--output", type=click.Path(path_type=str), default=None, required=required,
                        help=help_text)


def checked_output(output: str | None, app: App, sources: Iterable[str | None] = ()) -> Path | None:
    """The `-o` path once checked, before the command reads or writes anything: not a
    folder, its folder exists and is writable, and it is none of the command's inputs (the
    snapshot given as --source, the configuration file, the request files and recorded
    documents of the requests folder)."""
    if output is None:
        return None
    try:
        workflow = app.workflow
    except ColoError:  # `capacity report` works with a broken workflow section: guard the defaults
        workflow = None
    folder = app.requests_dir_option or (workflow.requests_dir if workflow else Path("requests"))
    documents = workflow.documents_dir if workflow else "documents"
    protected: list[tuple[Path | None, str]] = [
        (Path(s), "the --source snapshot") for s in sources if s and s not in NOT_FILES]
    if workflow and workflow.capacity_source and workflow.capacity_source not in NOT_FILES:
        protected.append((Path(workflow.capacity_source), "the workflow's snapshot (workflow.capacity_source)"))
    protected += [
        (app.config_path, "the configuration file"),
        (folder / "REQ-*.yaml", "a request file of the requests folder"),
        (folder / documents, "inside the folder of recorded documents"),
    ]
    return check_output_path(output, protected)


def emit(data: str | bytes, output: Path | None) -> None:
    """To standard output, or atomically to the checked `-o` file."""
    if output is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            click.echo(data, nl=False)
        return
    write_atomic(output, data)
    click.echo(f"wrote {output}", err=True)


def xlsx_bytes(sheet: str, headers: list[str], rows: list[list[Any]] | list[dict[str, Any]], *,
               integers: tuple[str, ...] = (), numbers: tuple[str, ...] = ()) -> bytes:
    """One sheet of `rows` under `headers`; `integers` and `numbers` name the columns
    written as numbers ("-" in `numbers`: an empty cell)."""
    import pandas as pd  # optional: pandas is heavy and only xlsx output needs it

    frame = pd.DataFrame(rows, columns=headers)
    for col in integers:
        frame[col] = frame[col].astype(int)
    for col in numbers:
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet, index=False)
    return buf.getvalue()
