"""The `colo` command line: help everywhere, the report contract, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from colo_cli.main import cli

RACK_KEYS = {"site", "name", "u_height", "utilization_pct", "free_u", "largest_free_block_u",
             "power_utilization_pct", "available_va", "load_va", "failover_load_va"}
FEED_KEYS = {"name", "panel", "rack", "available_va", "load_va"}


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.delenv("NETBOX_URL", raising=False)
    monkeypatch.delenv("NETBOX_TOKEN", raising=False)
    monkeypatch.delenv("COLO_CONFIG", raising=False)
    monkeypatch.setenv("COLO_REQUESTS_DIR", str(tmp_path / "requests"))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        path = prefix + (name,)
        found.append(path)
        if isinstance(command, click.Group):
            found += all_commands(command, path)
    return found


def test_every_command_has_help(runner: CliRunner) -> None:
    commands = all_commands(cli)
    assert ("capacity", "report") in commands and ("capacity", "check") in commands
    for path in commands:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output
        command = cli
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        assert (command.help or command.short_help), f"{' '.join(path)} has no help text"


def test_report_without_netbox_uses_the_demo_and_says_so(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["capacity", "report", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "No NetBox configured" in result.stderr
    report = json.loads(result.stdout)
    for key in ("racks", "feeds", "ups", "gensets", "uplinks", "clusters", "findings"):
        assert key in report
    assert report["racks"] and report["feeds"]
    for rack in report["racks"]:
        assert RACK_KEYS <= set(rack)
    for feed in report["feeds"]:
        assert FEED_KEYS <= set(feed)


def test_site_filter_by_slug_or_name(runner: CliRunner) -> None:
    everything = json.loads(runner.invoke(cli, ["capacity", "report", "--format", "json"]).stdout)
    sites = {r["site"] for r in everything["racks"]}
    assert len(sites) >= 2
    one = sorted(sites)[0]
    result = runner.invoke(cli, ["capacity", "report", "--format", "json", "--site", one])
    assert result.exit_code == 0
    assert {r["site"] for r in json.loads(result.stdout)["racks"]} == {one}
    bad = runner.invoke(cli, ["capacity", "report", "--site", "nowhere"])
    assert bad.exit_code == 2
    assert "Error: unknown site 'nowhere'" in bad.stderr


def test_table_csv_and_xlsx(runner: CliRunner, tmp_path: Path) -> None:
    table = runner.invoke(cli, ["capacity", "report"])
    assert table.exit_code == 0
    assert "Racks: space and power" in table.stdout and "Power feeds" in table.stdout
    csv_out = runner.invoke(cli, ["capacity", "report", "--format", "csv"])
    header = csv_out.stdout.splitlines()[0].split(",")
    assert {"site", "name", "utilization_pct", "failover_load_va"} <= set(header)
    target = tmp_path / "cap.xlsx"
    xlsx = runner.invoke(cli, ["capacity", "report", "--format", "xlsx", "-o", str(target)])
    assert xlsx.exit_code == 0
    import openpyxl

    book = openpyxl.load_workbook(target)
    assert {"racks", "feeds", "ups", "gensets", "findings"} <= set(book.sheetnames)


def test_source_file_errors_exit_2_and_name_the_problem(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites:\n  - name: x\n    colour: red\n")
    result = runner.invoke(cli, ["capacity", "report", "--source", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {bad}: sites[0] (x).colour: unknown key")
    missing = runner.invoke(cli, ["capacity", "report", "--source", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2
    assert "unknown source" in missing.stderr


def test_check_exit_codes(runner: CliRunner, tmp_path: Path) -> None:
    small = tmp_path / "small.yaml"
    small.write_text(
        "servers:\n  - name: simrs-app-01\n    u_height: 1\n    psu_count: 2\n"
        "    allocated_draw_w: 300\n    maximum_draw_w: 500\n    bandwidth_mbps: 50\n"
    )
    fits = runner.invoke(cli, ["capacity", "check", str(small), "--source", "demo"])
    assert fits.exit_code == 0, fits.output
    huge = tmp_path / "huge.yaml"
    huge.write_text("servers:\n  - name: monster\n    u_height: 60\n    allocated_draw_w: 900000\n")
    nofit = runner.invoke(cli, ["capacity", "check", str(huge), "--source", "demo"])
    assert nofit.exit_code == 1, nofit.output
    malformed = tmp_path / "malformed.yaml"
    malformed.write_text("servers:\n  - name: x\n    u_hieght: 1\n")
    bad = runner.invoke(cli, ["capacity", "check", str(malformed), "--source", "demo"])
    assert bad.exit_code == 2
    assert "u_hieght" in bad.stderr and "did you mean 'u_height'" in bad.stderr
