"""One writer per request on a machine (playbooks/locks.py): the one refused names the
holder, other requests are not held up, and a lock never outlives its process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from inventory.files import write_atomic
from playbooks.locks import RequestBusy, request_lock

RID = "REQ-2026-0001"


def busy(pid: int) -> str:
    """The refusal, as a pattern: who holds the request, where and since when."""
    return (rf"{RID} is busy: `colo request apply {RID}` \(pid {pid} on [^,]+, since \d{{4}}-\d\d-\d\d "
            r"\d\d:\d\d:\d\d [+-]\d{4}\) \(wait until it has finished, then run this command again\)$")


@pytest.fixture(autouse=True)
def existing_requests(tmp_path: Path) -> None:
    """The requests the tests lock exist (a lock is only taken on an existing request)."""
    for rid in (RID, "REQ-2026-0002"):
        (tmp_path / f"{rid}.yaml").write_text("id: x\n", encoding="utf-8")


def test_the_second_writer_is_refused_naming_the_first(tmp_path: Path) -> None:
    with request_lock(tmp_path, RID, f"colo request apply {RID}"):
        with pytest.raises(RequestBusy) as exc:
            with request_lock(tmp_path, RID, f"colo withdraw apply {RID}"):
                pass
        assert re.match(busy(os.getpid()), str(exc.value)), str(exc.value)
        with request_lock(tmp_path, "REQ-2026-0002", "colo request apply REQ-2026-0002"):
            pass  # another request is not held up
    with request_lock(tmp_path, RID, "colo request advance"):
        pass  # released when the first finished


def test_saving_the_request_does_not_drop_the_lock(tmp_path: Path) -> None:
    # a save replaces the request file by rename; the lock lives on a file of its own
    request_file = tmp_path / f"{RID}.yaml"
    with request_lock(tmp_path, RID, f"colo request apply {RID}"):
        write_atomic(request_file, "id: y\n")
        with pytest.raises(RequestBusy):
            with request_lock(tmp_path, RID, "other"):
                pass


def test_a_lock_dies_with_its_process(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from playbooks.locks import request_lock\n"
        f"with request_lock(Path({str(tmp_path)!r}), {RID!r}, 'colo request apply {RID}'):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(600)\n")], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RequestBusy, match=rf"pid {holder.pid} "):
            with request_lock(tmp_path, RID, "other"):
                pass
    finally:
        holder.kill()
        holder.wait()
    with request_lock(tmp_path, RID, "after a crash"):
        pass


@pytest.mark.parametrize("args", [
    ["request", "apply", RID, "--by", "B"],
    ["request", "advance", RID, "8", "--by", "B"],
    ["withdraw", "apply", RID, "--by", "B"],
    ["withdraw", "approve", RID, "--by", "B"],
])
def test_commands_that_write_a_request_wait_their_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       args: list[str]) -> None:
    from colo_cli.main import cli

    for name in ("NETBOX_URL", "NETBOX_TOKEN", "COLO_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLO_REQUESTS_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with request_lock(tmp_path, RID, f"colo request apply {RID}"):
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert re.match("Error: " + busy(os.getpid()), result.output.strip()), result.output


def test_a_request_id_that_does_not_exist_leaves_no_lock_file(tmp_path: Path) -> None:
    with request_lock(tmp_path, "REQ-2026-0999", "colo request apply REQ-2026-0999"):
        pass
    assert not list(tmp_path.glob(".REQ-2026-0999*"))
