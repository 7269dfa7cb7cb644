"""Settings come from the configuration the command was given, and only from it.

The configuration file is read once, by the command, and handed down: a library
function that looked the file up again by itself found the default file (or none)
instead of the one named by `--config`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from colo_cli.main import cli
from tests.support.request_data import DC, DRAFT_3U


def colo(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def approved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A request approved at step 5 in a folder only the configuration file `x.yaml` names;
    no COLO_CONFIG, no ./colo.yaml, no COLO_REQUESTS_DIR."""
    for name in ("COLO_CONFIG", "COLO_REQUESTS_DIR", "NETBOX_URL", "COLO_CAPACITY_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLO_NOW", "2026-11-30T12:00:00+08:00")
    (tmp_path / "dc.yaml").write_text(DC, encoding="utf-8")
    (tmp_path / "draft.yaml").write_text(DRAFT_3U, encoding="utf-8")
    folder = tmp_path / "elsewhere" / "requests"
    config = tmp_path / "x.yaml"
    config.write_text(f"workflow:\n  requests_dir: {folder}\n  capacity_source: {tmp_path / 'dc.yaml'}\n"
                      "  smtp:\n    enabled: false\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    rid = colo("request", "new", "--config", str(config), "--from", str(tmp_path / "draft.yaml"),
               "--by", "clerk", "--at", "2026-11-30T08:00").output.split()[0]
    for number, at in (("2", "08:10"), ("3", "08:20"), ("4", "08:30"), ("5", "08:40")):
        colo("request", "advance", rid, number, "--config", str(config), "--by", "Admin TIK",
             "--at", f"2026-11-30T{at}")
    return {"config": config, "folder": folder, "dc": tmp_path / "dc.yaml"}


def _report(*args: str) -> dict:
    return json.loads(colo("capacity", "report", "--format", "json", *args).stdout)


def test_capacity_report_counts_the_commitments_of_the_requests_folder_its_config_names(
        approved: dict[str, Path]) -> None:
    # the approved 3U server (350 W) is committed: its units reserved, its draw on R01's feeds
    # (350 W at the default power factor 0.95: 368 VA)
    named_folder = _report("--source", str(approved["dc"]), "--requests-dir", str(approved["folder"]))
    rack = next(r for r in named_folder["racks"] if r["name"] == "R01")
    assert rack["committed_va"] == round(350 / 0.95) and rack["free_u"] == 1
    # the same folder, named only by the workflow section of --config: the same report
    from_config = _report("--source", str(approved["dc"]), "--config", str(approved["config"]))
    assert from_config["racks"] == named_folder["racks"]
    assert from_config["feeds"] == named_folder["feeds"]


def test_a_step_reads_its_configuration_file_once(approved: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # step 5 needs the workflow, policy and documents sections (and the documents' own
    # look-ups of the source): all from one read of the file
    import inventory.files

    config = approved["config"]
    config.write_text(config.read_text(encoding="utf-8") + "documents:\n  auto: true\n  format: html\n",
                      encoding="utf-8")
    reads: list[Path] = []
    real_read_bytes = inventory.files.read_bytes  # every input file is read through it

    def counting(path: Path, *args: object, **kwargs: object) -> bytes:
        if Path(path) == config:
            reads.append(Path(path))
        return real_read_bytes(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inventory.files, "read_bytes", counting)
    rid = "REQ-2026-0001"
    out = colo("request", "advance", rid, "6", "--config", str(config), "--by", "Admin TIK",
               "--at", "2026-11-30T08:50").output
    assert f"document: documents/{rid}/{rid}-approval-notice.html" in out
    assert reads == [config]


def test_a_malformed_colo_now_is_refused_naming_it(approved: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLO_NOW", "yesterday")
    result = CliRunner().invoke(cli, ["request", "list", "--config", str(approved["config"])])
    assert result.exit_code == 2
    assert result.output == ("Error: COLO_NOW 'yesterday' is not an ISO date/time "
                             "(e.g. 2026-11-30T09:15:00+08:00)\n")


def test_the_capacity_report_judges_lapse_on_the_commands_clock(
        approved: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # an approval holds capacity for `lapse_working_days`; whether it has lapsed is judged
    # at COLO_NOW like every other date of the run, not at the machine's clock (which
    # made a pinned demo's commitments vanish as the real calendar moved on)
    config = approved["config"]
    config.write_text(config.read_text(encoding="utf-8").replace(
        "workflow:\n", "workflow:\n  lapse_working_days: 1\n"), encoding="utf-8")

    def r01_committed_va(now: str) -> float:
        monkeypatch.setenv("COLO_NOW", now)
        report = _report("--source", str(approved["dc"]), "--config", str(config))
        return next(r for r in report["racks"] if r["name"] == "R01")["committed_va"]

    assert r01_committed_va("2026-11-30T12:00:00+08:00") == round(350 / 0.95)  # approved this morning
    assert r01_committed_va("2026-12-03T12:00:00+08:00") == 0  # one working day later: lapsed
