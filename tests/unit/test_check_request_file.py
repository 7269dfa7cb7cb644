"""`colo capacity check` reads what `colo request template` prints and the request files
of the workflow (issue 10, point 6): validated as the workflow validates them, converted
as step 3 converts them, with a note naming the keys the check used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from colo_cli.main import cli
from tests.support.request_data import DC, DRAFT, DRAFT_3U


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "dc.yaml").write_text(DC, encoding="utf-8")
    (tmp_path / "colo.yaml").write_text(
        f"workflow:\n  requests_dir: {tmp_path / 'requests'}\n  capacity_source: {tmp_path / 'dc.yaml'}\n"
        "  smtp:\n    enabled: false\n", encoding="utf-8")
    monkeypatch.setenv("COLO_CONFIG", str(tmp_path / "colo.yaml"))
    monkeypatch.setenv("COLO_NOW", "2026-12-31T12:00:00+08:00")
    for name in ("NETBOX_URL", "NETBOX_TOKEN", "COLO_REQUESTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def colo(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_the_printed_template_is_checked(root: Path) -> None:
    template = colo("request", "template").output
    (root / "template.yaml").write_text(template, encoding="utf-8")
    result = colo("capacity", "check", "template.yaml", "--source", "demo", "--format", "json")
    assert result.exit_code == 0, result.output
    note = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert note == ["note: template.yaml is a request file: the check uses agency.tenant (else unit_name) "
                    "as the tenant; servers[].allocated_draw_w, bandwidth_mbps, full_depth, maximum_draw_w, "
                    "name, psu_count, u_height (the other keys are for the workflow)"]
    report = json.loads(result.stdout)
    assert report["fits"] is True and report["request_id"] is None
    assert report["placements"][0]["servers"][0]["server"] == "contoh-app-01"


def test_check_answers_what_step_3_records(root: Path) -> None:
    (root / "draft.yaml").write_text(DRAFT_3U, encoding="utf-8")
    checked = colo("capacity", "check", "draft.yaml", "--source", "dc.yaml", "--format", "json")
    assert checked.exit_code == 0, checked.output
    spot = json.loads(checked.stdout)["placements"][0]["servers"][0]
    rid = colo("request", "new", "--from", "draft.yaml", "--by", "clerk", "--at", "2026-11-30T08:00").output.split()[0]
    for n, at in (("2", "08:10"), ("3", "08:40")):
        assert colo("request", "advance", rid, n, "--by", "Admin", "--at", f"2026-11-30T{at}").exit_code == 0
    recorded = colo("request", "status", rid).output
    assert f"placement: dinkes-app-01 -> rack {spot['rack_name']} U{spot['position']:g} {spot['face']}" in recorded
    # the request file itself (id, state, history) is checked too, under its id
    again = colo("capacity", "check", f"requests/{rid}.yaml", "--source", "dc.yaml", "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["request_id"] == rid


@pytest.mark.parametrize("old, new, message", [
    ("nip: 198503142010011002", "nip: 198502302010011002",
     "draft.yaml: person_in_charge.nip: NIP '198502302010011002': digits 1-8 must be a birth date"),
    ("domain: simpus.kaltimprov.go.id", "domain: simpus", "draft.yaml: domain: domain name 'simpus' needs "),
    ("agency:", "state: approved\nagency:", "draft.yaml: state: a draft must not have it"),
])
def test_a_request_file_is_validated_as_the_workflow_does(root: Path, old: str, new: str, message: str) -> None:
    (root / "draft.yaml").write_text(DRAFT.replace(old, new), encoding="utf-8")
    result = colo("capacity", "check", "draft.yaml", "--source", "dc.yaml")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: {message}"), result.stderr
