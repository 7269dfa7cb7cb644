"""Progress of long steps (issue 13): the library reports events to a callback handed down
from the command line; only the command line draws, and only on a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from colo_cli import progress as bar_module
from colo_cli.progress import TerminalBar, terminal_progress
from inventory.files import load_snapshot
from inventory.synthetic import generate_snapshot
from playbooks.context import App
from tests.support.snapshots import written_as_json_and_yaml

Event = tuple[str, int, int]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def snapshot_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return written_as_json_and_yaml(generate_snapshot(20, 8_000, seed=2, with_power=False), tmp_path_factory.mktemp("progress"))


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_loading_a_file_reports_its_steps_to_the_end(snapshot_files: dict[str, Path], suffix: str) -> None:
    events: list[Event] = []
    load_snapshot(snapshot_files[suffix], lambda *event: events.append(event))
    whats = [what for what, _, _ in events]
    assert whats[0] == f"Loading dc.{suffix}: reading" and f"Loading dc.{suffix}: checking" in whats
    assert events[-1] == (f"Loading dc.{suffix}", 2, 2)
    fractions = [done / total for _, done, total in events]
    assert fractions == sorted(fractions) and all(0 <= f < 1 for f in fractions[:-1])


def test_a_large_yaml_file_reports_how_far_it_is_read(snapshot_files: dict[str, Path]) -> None:
    """8,000 devices: the reading step reports more than its start."""
    events: list[Event] = []
    load_snapshot(snapshot_files["yaml"], lambda *event: events.append(event))
    reading = [e for e in events if e[0].endswith(": reading")]
    assert len(reading) >= 4 and 0 < reading[-1][1] < reading[-1][2]


def test_the_composition_root_hands_its_progress_to_the_source(snapshot_files: dict[str, Path]) -> None:
    events: list[Event] = []
    app = App({}, progress=lambda *event: events.append(event))
    app.open_snapshot(str(snapshot_files["json"]))
    assert events and events[-1][1] == events[-1][2]


def test_the_bar_is_drawn_only_on_a_terminal() -> None:
    assert terminal_progress(io.StringIO()) is None
    assert isinstance(terminal_progress(Terminal()), TerminalBar)


@pytest.mark.parametrize("what, done, total, drawn", [
    ("Reading NetBox", 3, 12, "Reading NetBox [#######.......................] 25 %"),
    ("Computing capacity", 0, 0, "Computing capacity ..."),  # a step of unknown length
])
def test_the_bar_shows_the_step_and_clears_itself_when_the_step_ends(
        monkeypatch: pytest.MonkeyPatch, what: str, done: int, total: int, drawn: str) -> None:
    screen = Terminal()
    bar = TerminalBar(screen, delay_s=0)
    monkeypatch.setattr(bar_module, "REDRAW_S", 0)
    bar(what, done, total)
    assert screen.getvalue() == "\r" + drawn
    bar(what, total or 1, total or 1)
    assert screen.getvalue() == "\r" + drawn + "\r" + " " * len(drawn) + "\r"


def test_a_quick_command_shows_no_bar() -> None:
    screen = Terminal()
    bar = TerminalBar(screen)  # the default delay: nothing in the first half second
    bar("Loading dc.json: reading", 0, 2)
    bar("Loading dc.json", 2, 2)
    assert screen.getvalue() == ""


def test_the_capacity_report_reports_loading_then_computing(snapshot_files: dict[str, Path]) -> None:
    from playbooks.assessment import capacity_report

    events: list[Event] = []
    capacity_report(App({}, progress=lambda *event: events.append(event)), str(snapshot_files["json"]), [])
    whats = [what for what, _, _ in events]
    assert whats.index("Loading dc.json") < whats.index("Computing capacity")
    assert events[-1] == ("Computing capacity", 1, 1)
