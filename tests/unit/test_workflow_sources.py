"""No silent fake data in the workflow (issue 10, point 4a): with no NetBox configured,
steps 3 and 5 refuse to check a real request against the bundled demo unless
`--source demo` or `workflow.capacity_source: demo` says so. `colo capacity report`
keeps the demo with its notice: that is the quick start."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from colo_cli.main import cli
from tests.support.request_data import DRAFT

NOW = "2026-12-31T12:00:00+08:00"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "colo.yaml").write_text(
        f"workflow:\n  requests_dir: {tmp_path / 'requests'}\n  smtp:\n    enabled: false\n", encoding="utf-8")
    (tmp_path / "draft.yaml").write_text(DRAFT, encoding="utf-8")
    monkeypatch.setenv("COLO_CONFIG", str(tmp_path / "colo.yaml"))
    monkeypatch.setenv("COLO_NOW", NOW)
    for name in ("NETBOX_URL", "NETBOX_TOKEN", "COLO_REQUESTS_DIR", "COLO_CAPACITY_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def colo(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result


def folder_state(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "requests").rglob("*")) if p.is_file()}


def submitted(root: Path) -> str:
    rid = colo("request", "new", "--from", "draft.yaml", "--by", "clerk", "--at", "2026-11-30T08:00").output.split()[0]
    colo("request", "advance", rid, "2", "--by", "Admin", "--at", "2026-11-30T08:10")
    return rid


def test_steps_3_and_5_refuse_the_demo_unless_it_is_named(root: Path) -> None:
    rid = submitted(root)
    before = folder_state(root)
    refused = colo("request", "advance", rid, "3", "--by", "Admin", "--at", "2026-11-30T08:40", code=2)
    (error,) = [line for line in refused.output.splitlines() if line.startswith("Error:")]
    assert "NetBox is not configured" in error
    assert "--source demo" in error and "workflow.capacity_source: demo" in error
    assert "available" not in refused.output
    assert folder_state(root) == before  # nothing recorded, no report written

    checked = colo("request", "advance", rid, "3", "--by", "Admin", "--at", "2026-11-30T08:40", "--source", "demo")
    assert checked.output.startswith("capacity: available (demo (bundled")
    colo("request", "advance", rid, "4", "--by", "Admin", "--at", "2026-11-30T09:00")
    before = folder_state(root)
    refused = colo("request", "advance", rid, "5", "--by", "Admin", "--at", "2026-11-30T09:10", code=2)
    assert "--source demo" in refused.output and folder_state(root) == before
    colo("request", "advance", rid, "5", "--by", "Admin", "--at", "2026-11-30T09:10", "--source", "demo")


def test_the_configuration_may_name_the_demo(root: Path) -> None:
    config = root / "colo.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "  capacity_source: demo\n", encoding="utf-8")
    rid = submitted(root)
    checked = colo("request", "advance", rid, "3", "--by", "Admin", "--at", "2026-11-30T08:40")
    assert checked.output.startswith("capacity: available (demo (bundled")
    assert "No NetBox configured" not in checked.output  # named, so no notice


def test_capacity_report_keeps_the_demo_with_its_notice(root: Path) -> None:
    result = colo("capacity", "report")
    assert "No NetBox configured (NETBOX_URL unset): using the bundled demo data centre." in result.stderr
    assert "Racks: space and power" in result.stdout


def test_a_netbox_named_in_the_configuration_is_used_not_the_demo(root: Path) -> None:
    config = root / "colo.yaml"
    config.write_text(config.read_text(encoding="utf-8")
                      + "netbox:\n  url: http://127.0.0.1:9\n  token: not-a-real-token\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["capacity", "report"])
    assert result.exit_code == 1, result.output
    assert "No NetBox configured" not in result.output and "127.0.0.1:9" in result.output
    assert "not-a-real-token" not in result.output
