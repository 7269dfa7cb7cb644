"""Shared fixtures of the integration tests: the real NetBox sandbox.

Where NetBox is: NETBOX_URL/NETBOX_TOKEN from the environment, else what
`scripts/netbox-sandbox env` prints when that sandbox answers. With neither, the tests
skip with the reason, except in CI (CI set), where they must run and fail instead.

The sandbox is shared by several people and test runs: nothing here resets, wipes or
deletes anything. Every test writes its own uniquely named sites (`isolate`) and reads
only those.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, Callable

import pytest

from tests.support.netbox import _sandbox_env, find_netbox, nbshell


@pytest.fixture(scope="session")
def netbox_env() -> dict[str, str]:
    return find_netbox()


@pytest.fixture(scope="session")
def nb_client(netbox_env: dict[str, str]) -> Any:
    """A client with a generous timeout: the shared sandbox can be slow under load."""
    from inventory.netbox.client import NetBoxClient, NetBoxSettings

    client = NetBoxClient(NetBoxSettings(url=netbox_env["NETBOX_URL"], token=netbox_env["NETBOX_TOKEN"],
                                         timeout_s=600))
    client.check()
    return client


@pytest.fixture(scope="session")
def local_sandbox(netbox_env: dict[str, str]) -> None:
    """nbshell reaches only the local sandbox: skip when NETBOX_URL points elsewhere."""
    sandbox = _sandbox_env()
    if sandbox is None or sandbox["NETBOX_URL"].rstrip("/") != netbox_env["NETBOX_URL"].rstrip("/"):
        if os.environ.get("CI"):
            pytest.fail("CI: NETBOX_URL is not the local sandbox, whose nbshell these tests need")
        pytest.skip(f"NETBOX_URL {netbox_env['NETBOX_URL']} is not the local sandbox: "
                    "these tests ask NetBox's own maths through `scripts/netbox-sandbox manage nbshell`")


@pytest.fixture(scope="session")
def nbshell_run(local_sandbox: None) -> Callable[[str], str]:
    return nbshell


@pytest.fixture(scope="session")
def unique_suffix() -> str:
    return uuid.uuid4().hex[:6]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The fault sweeps' tally (tests/integration/test_exactly_once.py), in `make test`'s output."""
    from tests.support.faultproxy import TALLY

    if not TALLY:
        return
    terminalreporter.section("exactly once under faults (lost answer, HTTP 503) at every write")
    for name, (tried, converged) in TALLY.items():
        terminalreporter.write_line(f"{name}: {tried} write points tried, {converged} converged")
