"""Exactly once, whatever fails mid-apply (issue 10, point 2), against the real NetBox.

A fault-injecting proxy (tests/support/faultproxy.py) stands between `colo` and the
sandbox. For every write of a clean apply, of a clean withdrawal and of an approval
(step 5, which makes the reservation apply later removes), in order, two faults:

- the write reaches NetBox but its answer is lost (the proxy hangs up);
- the write is refused with HTTP 503 (never forwarded).

Each faulted run must stop with a clear `Error:` line (no traceback), then a clean rerun
must leave NetBox holding each object exactly once, and no reservation of the request.
The tally is printed at the end of the run (tests/integration/conftest.py).

Every case has its own request, agency, NIP and serial on one seeded site; request
files are written in the state a case needs, with step 5's real NetBox reservation.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from click.testing import Result

from colo_cli.request_cmds import request
from colo_cli.withdraw_cmds import withdraw
from playbooks.requests import RequestFile
from tests.support.faultproxy import TALLY, Fault, FaultProxy
from tests.support.registration import (
    Bench, new_request, registration_problems, request_reservations, withdrawal_problems, write_request,
)

pytestmark = pytest.mark.integration
FAULTS: tuple[Fault, ...] = ("lost_reply", "refuse")
# what the faulted run must say, besides `Error:`
SAYS = {"lost_reply": "is unknown", "refuse": "HTTP 503"}


@pytest.fixture(scope="module")
def bench(nb_client: Any, netbox_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    with FaultProxy(netbox_env["NETBOX_URL"]) as proxy:
        yield Bench(nb_client, netbox_env, tmp_path_factory.mktemp("once"), proxy)


def faulted_run_problems(result: Result, fault: Fault) -> list[str]:
    """A faulted run must fail with one clear `Error:` line, never a traceback."""
    if result.exit_code == 0:
        return ["the faulted run succeeded"]
    if not isinstance(result.exception, SystemExit) or "Traceback" in result.output:
        return [f"the faulted run crashed: {result.exception!r}"]
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    if len(errors) != 1 or SAYS[fault] not in errors[0]:
        return [f"the faulted run said: {result.output[-600:]!r}"]
    if fault == "lost_reply" and "running the same command again is safe" not in errors[0]:
        return [f"a lost answer must say a rerun is safe: {errors[0]!r}"]
    return []


def sweep(bench: Bench, name: str, setup: Callable[[], Any], args: Callable[[Any], list[str]], group: Any,
          check: Callable[[Any], list[str]]) -> None:
    """Count the writes W of a clean run, then for N in 1..W and each fault: a fresh
    request, the faulted run, a clean rerun, and NetBox checked for exactly once."""
    req = setup()  # a clean run through the proxy, only counting
    bench.proxy.arm(None)
    clean = bench.cli(group, *args(req), through_proxy=True)
    assert clean.exit_code == 0, clean.output
    assert check(req) == []
    writes = list(bench.proxy.writes)
    assert writes, f"{name}: a clean run made no write"

    failures: dict[str, list[str]] = {}
    tried = 0
    for number in range(1, len(writes) + 1):
        for fault in FAULTS:
            tried += 1
            req = setup()
            bench.proxy.arm(number, fault)
            faulted = bench.cli(group, *args(req), through_proxy=True)
            problems = [] if bench.proxy.fired else [f"write {number} was never made"]
            problems += faulted_run_problems(faulted, fault)
            rerun = bench.cli(group, *args(req))
            if rerun.exit_code != 0:
                problems.append(f"the clean rerun failed: {rerun.output[-600:]!r}")
            problems += check(req)
            if problems:
                failures[f"{fault} at write {number} ({writes[number - 1]})"] = problems
    TALLY[name] = (tried, tried - len(failures))
    assert not failures, failures


def test_apply_converges_after_a_fault_at_any_write(bench: Bench) -> None:
    sweep(bench, "apply", bench.delivered, lambda req: ["apply", req.id, "--by", "staff"], request,
          lambda req: registration_problems(bench.client, req))


def test_withdrawal_converges_after_a_fault_at_any_write(bench: Bench) -> None:
    def check(req: Any) -> list[str]:
        state = RequestFile.load(bench.requests / f"{req.id}.yaml").request.state
        return withdrawal_problems(bench.client, req) + ([] if state == "withdrawn" else [f"state {state}"])

    sweep(bench, "withdrawal", bench.registered, lambda req: ["apply", req.id, "--by", "staff"], withdraw, check)


def test_approval_converges_after_a_fault_at_any_write(bench: Bench) -> None:
    """Step 5 makes the reservation: a lost answer to its POST used to leave one behind
    that no later step removed (the rerun saw the units taken and reserved others)."""
    site = bench.site

    def form_submitted() -> Any:
        n = site.next_number()
        req = new_request(site, n, f"REQ-2025-{n:04d}")
        write_request(bench.requests, req, "form_submitted")
        return req

    def check(req: Any) -> list[str]:
        held = RequestFile.load(bench.requests / f"{req.id}.yaml").request
        reserved = request_reservations(bench.client, req)
        problems = [] if held.state == "approved" else [f"state {held.state}"]
        if held.reservation is None or sorted(r["id"] for r in reserved) != held.reservation.netbox_ids:
            problems.append(f"NetBox holds reservations {[(r['id'], r['units']) for r in reserved]}, "
                            f"the request records {held.reservation}")
        tenants = bench.client.get_all("tenancy/tenants", {"slug": req.agency.tenant_slug(), "fields": "id"})
        if len(tenants) != 1:
            problems.append(f"{len(tenants)} tenants")
        for r in reserved:  # the units go back to the site for the next cases
            bench.client.write("delete", f"dcim/rack-reservations/{r['id']}", None)
        return problems

    sweep(bench, "approval (step 5)", form_submitted, lambda req: ["advance", req.id, "5", "--by", "head"],
          request, check)


def test_step_8_refuses_until_apply_has_registered_the_request(bench: Bench) -> None:
    """Point 4b: step 8 ends the request's commitment; recorded while NetBox holds nothing
    of it, its units and power would vanish from every report."""
    req = bench.delivered()
    refused = bench.cli(request, "advance", req.id, "8", "--by", "Personil DC")
    assert refused.exit_code == 2, refused.output
    assert refused.output == (
        f"Error: {req.id}: not registered in NetBox yet: no device has the serial {req.servers[0].serial} of "
        f"server {req.servers[0].name} (run `colo request apply {req.id} --by NAME` first, then record step 8)\n")
    held = RequestFile.load(bench.requests / f"{req.id}.yaml").request
    assert held.state == "delivered"  # its capacity is still committed
    assert [r["id"] for r in request_reservations(bench.client, req)] == held.reservation.netbox_ids

    bench.proxy.arm(7, "refuse")  # an apply stopped half-way: the device is there, not all of it
    assert bench.cli(request, "apply", req.id, "--by", "Personil DC", through_proxy=True).exit_code == 1
    refused = bench.cli(request, "advance", req.id, "8", "--by", "Personil DC")
    assert refused.exit_code == 2
    assert f"the registration of server {req.servers[0].name} (S/N {req.servers[0].serial}) did not finish" \
        in refused.output

    assert bench.cli(request, "apply", req.id, "--by", "Personil DC").exit_code == 0
    done = bench.cli(request, "advance", req.id, "8", "--by", "Personil DC")
    assert done.exit_code == 0, done.output
    assert RequestFile.load(bench.requests / f"{req.id}.yaml").request.state == "installed"
    assert registration_problems(bench.client, req) == []
