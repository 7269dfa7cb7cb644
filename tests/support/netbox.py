"""The real NetBox sandbox for the integration tests: finding it, nbshell, and writing
uniquely named data centres into it (the fixtures that use these: tests/integration/conftest.py).

The sandbox is shared by several people and test runs: nothing here resets, wipes or
deletes anything. Every test writes its own uniquely named sites (`isolate`) and reads
only those.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from inventory.model import Snapshot

REPO = Path(__file__).resolve().parents[2]
SANDBOX = REPO / "scripts" / "netbox-sandbox"
NBSHELL_MARK = "@@COLO-NBSHELL@@"


def _sandbox_env() -> dict[str, str] | None:
    """NETBOX_URL/NETBOX_TOKEN of the local sandbox, if it is set up and answers."""
    if not SANDBOX.exists():
        return None
    try:
        res = subprocess.run([str(SANDBOX), "env"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if res.returncode != 0:
        return None
    env = dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)
    if not env.get("NETBOX_URL") or not env.get("NETBOX_TOKEN"):
        return None
    import requests

    try:
        ok = requests.get(f"{env['NETBOX_URL']}/api/status/", timeout=10,
                          headers={"Authorization": f"Bearer {env['NETBOX_TOKEN']}"}).ok
    except requests.RequestException:
        return None
    return {"NETBOX_URL": env["NETBOX_URL"], "NETBOX_TOKEN": env["NETBOX_TOKEN"]} if ok else None


def find_netbox() -> dict[str, str]:
    """The NetBox to test against, or skip (fail in CI) saying how to get one."""
    url, token = os.environ.get("NETBOX_URL"), os.environ.get("NETBOX_TOKEN")
    if url and token:
        return {"NETBOX_URL": url.rstrip("/"), "NETBOX_TOKEN": token}
    found = _sandbox_env()
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI is set but no NetBox: NETBOX_URL/NETBOX_TOKEN are unset and the sandbox "
                    "(scripts/netbox-sandbox up) does not answer")
    pytest.skip('no NetBox: NETBOX_URL is unset and the sandbox is not running; run '
                '`scripts/netbox-sandbox up` (and `eval "$(scripts/netbox-sandbox env)"`)')


def nbshell(code: str, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    """Run Python inside the sandbox's NetBox (`scripts/netbox-sandbox manage nbshell -c CODE`)
    and return what it printed. Raises AssertionError with NetBox's error output on failure."""
    res = subprocess.run([str(SANDBOX), "manage", "nbshell", "-c", code], capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, **(env or {})}, check=False)
    if res.returncode != 0:
        raise AssertionError(f"nbshell failed (exit {res.returncode}):\n{res.stderr[-3000:]}")
    return res.stdout


def nbshell_json(code: str, env: dict[str, str] | None = None) -> Any:
    """Run code that ends with `emit(obj)` in nbshell and return obj (JSON round trip)."""
    import json

    prelude = f"import json\ndef emit(obj):\n    print({NBSHELL_MARK!r} + json.dumps(obj))\n"
    out = nbshell(prelude + code, env)
    for line in out.splitlines():
        if line.startswith(NBSHELL_MARK):
            return json.loads(line[len(NBSHELL_MARK):])
    raise AssertionError(f"nbshell printed no result:\n{out[-3000:]}")


def isolate(snapshot: Snapshot, sfx: str) -> Snapshot:
    """The same data centre under names no other test or person uses: site slugs and
    names, tenant groups, tenants, manufacturers (so device types) and providers get
    the suffix. Keys stay, so every reference inside the snapshot still holds."""
    data = snapshot.model_dump(mode="json")
    for s in data["sites"]:
        s["slug"] = f"{s['slug']}-{sfx}"
        s["name"] = f"{s['name']} {sfx}"
    for g in data["tenant_groups"]:
        g["name"] = f"{g['name']} {sfx}"
    for t in data["tenants"]:
        t["slug"] = f"{t['slug']}-{sfx}"
        t["name"] = f"{t['name']} {sfx}"
    for t in data["device_types"]:
        t["manufacturer"] = f"{t['manufacturer']} {sfx}"
        t["slug"] = f"{t['slug']}-{sfx}"
    for u in data["uplinks"]:
        u["provider"] = f"{u['provider']} {sfx}"
    return Snapshot.model_validate(data)


def write_into_netbox(client: Any, snapshot: Snapshot) -> None:
    """`colo netbox load` of a snapshot, as a function call."""
    from inventory.netbox.writer import load_snapshot_into_netbox

    load_snapshot_into_netbox(client, snapshot)


def capacity_in_netbox(client: Any, site: str, committed_from: Path | None = None) -> Any:
    """`colo capacity report --source netbox --site SITE` as a function call: the capacity
    of what NetBox holds at the site, plus the commitments of the approved requests in
    `committed_from` when given (as `--requests-dir` adds them)."""
    from capacity.engine import compute_capacity
    from inventory.netbox.loader import load_snapshot
    from playbooks.commitments import apply_commitments
    from playbooks.config import WorkflowConfig

    snapshot = load_snapshot(client, [site])
    if committed_from is not None:
        snapshot = apply_commitments(snapshot, committed_from, config=WorkflowConfig())
    return compute_capacity(snapshot)


def workflow_env(tmp_path: Path, site: str, netbox_env: dict[str, str]) -> dict[str, str]:
    """The environment a `colo request` run needs against the sandbox: a configuration in
    `tmp_path` whose requests live there and whose capacity source is NetBox, `site`."""
    config = tmp_path / "colo.yaml"
    config.write_text(f"workflow:\n  requests_dir: {tmp_path / 'requests'}\n  capacity_source: netbox\n"
                      f"  site: {site}\n  smtp:\n    enabled: false\n", encoding="utf-8")
    return {"COLO_CONFIG": str(config), "COLO_REQUESTS_DIR": "", "COLO_NOW": "", **netbox_env}
