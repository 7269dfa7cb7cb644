"""Two writers on one request at once, for real (issue 10, point 2).

Observed: two `colo request apply` of the same request started together created two
contacts with the same NIP, and one apply then failed with a NetBox HTTP 400.

Required: two applies, and an apply racing a withdrawal, end with one device and one
contact; the loser gets a clear message. On one machine the request's lock decides
(the loser names the process holding it); across machines (two copies of the requests
folder) NetBox's state decides: the later contact yields, the device is made once, and
the loser says another writer is registering the request.

The fault proxy's gates time the writers: `Hold` keeps the first one busy in the middle
of its run, `Barrier` sends both writers' first create to NetBox at the same moment.
The first writer runs as a separate `colo` process, as an operator's would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner, Result

from colo_cli.request_cmds import request
from tests.support.faultproxy import Barrier, FaultProxy, Hold
from tests.support.registration import (
    Bench, devices_with_serial, registration_problems, withdrawal_problems, write_config, write_request,
)

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench(nb_client: Any, netbox_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    with FaultProxy(netbox_env["NETBOX_URL"]) as proxy:
        yield Bench(nb_client, netbox_env, tmp_path_factory.mktemp("race"), proxy)


def colo(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """`colo ARGS` as its own process."""
    return subprocess.Popen([sys.executable, "-m", "colo_cli.main", *args], cwd=REPO, text=True,
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def run_cli(env: dict[str, str], *args: str) -> Result:
    """`colo request ARGS` in this process."""
    return CliRunner().invoke(request, list(args), env=env)


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = process.communicate(timeout=600)
    return process.returncode, out


def second_machine(bench: Bench, folder: Path) -> dict[str, str]:
    """Another operator's machine: its own copy of the requests folder, same NetBox."""
    return {**bench.env, "COLO_CONFIG": str(write_config(folder, bench.site.slug))}


def through_proxy(bench: Bench, env: dict[str, str]) -> dict[str, str]:
    return {**env, "NETBOX_URL": bench.proxy.url}


def busy_message(rid: str, command: str, pid: int) -> str:
    return (rf"^Error: {rid} is busy: `{command} {rid}` \(pid {pid} on [^,]+, since [^)]+\) "
            r"\(wait until it has finished, then run this command again\)$")


def meanwhile(bench: Bench, hold_at: str, first: tuple[str, ...], second: Callable[[], Result]
              ) -> tuple[subprocess.Popen[str], Result]:
    """Run `colo FIRST` (its own process) through the proxy, hold it at the write
    matching `hold_at`, run `second()` meanwhile, then let the first finish, which must
    succeed. Returns the first process and the second's result."""
    hold = Hold(hold_at)
    bench.proxy.arm(None)
    bench.proxy.gate = hold
    try:
        process = colo(through_proxy(bench, bench.env), *first)
        assert hold.reached.wait(120), finish(process)
        result = second()
    finally:
        hold.release()
        bench.proxy.gate = None
    code, out = finish(process)
    assert code == 0, out
    return process, result


@pytest.mark.parametrize("first", ["request apply", "withdraw apply"])
def test_on_one_machine_an_apply_waits_for_the_writer_already_at_work(bench: Bench, first: str) -> None:
    """The first writer is held in the middle of its run: an apply of the same request's
    first create, or a withdrawal's second write (it has begun changing NetBox)."""
    if first == "request apply":
        req, hold_at, problems = bench.delivered(), r"POST /api/tenancy/contacts/", registration_problems
    else:
        req, hold_at, problems = bench.registered(), r"^#2 ", withdrawal_problems
    process, apply = meanwhile(bench, hold_at, (*first.split(), req.id, "--by", "Operator A"),
                               lambda: run_cli(bench.env, "apply", req.id, "--by", "Operator B"))
    assert apply.exit_code == 1, apply.output
    assert re.match(busy_message(req.id, f"colo {first}", process.pid), apply.output.strip()), apply.output
    assert problems(bench.client, req) == []


def test_two_applies_on_two_machines_end_with_one_device_and_one_contact(bench: Bench, tmp_path: Path) -> None:
    req = bench.delivered()
    env_b = second_machine(bench, tmp_path)
    (tmp_path / "requests").mkdir()
    shutil.copy(bench.requests / f"{req.id}.yaml", tmp_path / "requests")
    bench.proxy.arm(None)
    bench.proxy.gate = Barrier(r"POST /api/tenancy/contacts/", parties=2)
    try:
        runs = [colo(through_proxy(bench, env), "request", "apply", req.id, "--by", who)
                for env, who in ((bench.env, "Operator A"), (env_b, "Operator B"))]
        results = [finish(p) for p in runs]
    finally:
        bench.proxy.gate = None
    assert sorted(code for code, _ in results) == [0, 1], results
    loser = next(i for i, (code, _) in enumerate(results) if code == 1)
    message = results[loser][1]
    assert "was created by another writer while this run was about to" in message, message
    assert "run the same command again once the other one has finished" in message
    assert not re.search(r"HTTP [45]\d\d", message) and "Traceback" not in message, message
    # the loser does as told: its run finds everything in place
    rerun = run_cli((bench.env, env_b)[loser], "apply", req.id, "--by", "the loser")
    assert rerun.exit_code == 0, rerun.output
    assert registration_problems(bench.client, req) == []


def test_an_apply_from_another_machine_never_puts_back_a_server_being_withdrawn(bench: Bench,
                                                                                tmp_path: Path) -> None:
    # machine B's copy still says completed; machine A withdraws; B re-applies meanwhile,
    # when the withdrawal is half done (one write made, the next held)
    req = bench.registered()
    env_b = second_machine(bench, tmp_path)
    write_request(tmp_path / "requests", req, "completed")
    _, apply = meanwhile(bench, r"^#2 ", ("withdraw", "apply", req.id, "--by", "Operator A"),
                         lambda: run_cli(env_b, "apply", req.id, "--by", "Operator B"))
    assert apply.exit_code == 1, apply.output
    assert f"server {req.servers[0].name} (S/N {req.servers[0].serial}" in apply.output
    assert "is withdrawn in NetBox (status decommissioning): apply does not register it again" in apply.output
    assert withdrawal_problems(bench.client, req) == []
    assert len(devices_with_serial(bench.client, req.servers[0].serial or "")) == 1
