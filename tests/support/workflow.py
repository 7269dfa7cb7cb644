"""Running `colo request` against a requests folder in a temporary directory (unit tier)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from colo_cli.request_cmds import request
from playbooks.requests import RequestFile
from tests.support.request_data import DC, DRAFT_3U


SMTP_OFF = "    enabled: false\n"


def workflow_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: str = SMTP_OFF) -> dict[str, Path]:
    """A requests folder, the file data centre `DC` as the capacity source, e-mail off
    (or `smtp`: the lines of the `workflow.smtp` block), the clock at 2026-12-31 12:00
    WITA; COLO_CONFIG names the configuration."""
    (tmp_path / "dc.yaml").write_text(DC, encoding="utf-8")
    config = tmp_path / "colo.yaml"
    config.write_text(
        "workflow:\n"
        f"  requests_dir: {tmp_path / 'requests'}\n"
        f"  capacity_source: {tmp_path / 'dc.yaml'}\n"
        f"  smtp:\n{smtp}",
        encoding="utf-8")
    monkeypatch.setenv("COLO_CONFIG", str(config))
    monkeypatch.delenv("COLO_REQUESTS_DIR", raising=False)
    monkeypatch.delenv("NETBOX_URL", raising=False)
    monkeypatch.setenv("COLO_NOW", "2026-12-31T12:00:00+08:00")
    return {"root": tmp_path, "requests": tmp_path / "requests", "dc": tmp_path / "dc.yaml",
            "config": config}


def run(*args: str) -> Result:
    return CliRunner().invoke(request, list(args))


def new(env: dict[str, Path], draft: str = DRAFT_3U, at: str = "2026-11-30T08:00") -> str:
    path = env["root"] / "draft.yaml"
    path.write_text(draft, encoding="utf-8")
    result = run("new", "--from", str(path), "--by", "clerk", "--at", at)
    assert result.exit_code == 0, result.output
    return result.output.split()[0]


def step(rid: str, name: str, at: str, *extra: str, code: int = 0) -> Result:
    result = run("advance", rid, name, "--by", "Admin TIK", "--at", at, *extra)
    assert result.exit_code == code, result.output
    return result


def load(env: dict[str, Path], rid: str) -> RequestFile:
    return RequestFile.load(env["requests"] / f"{rid}.yaml")
