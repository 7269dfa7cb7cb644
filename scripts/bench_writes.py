#!/usr/bin/env python3
"""Benchmark: the writes into NetBox, `colo netbox load` of the demo and one `colo request apply`.

    eval "$(scripts/netbox-sandbox env)" && export NETBOX_URL NETBOX_TOKEN
    .venv/bin/python scripts/bench_writes.py            # the demo load and one apply
    .venv/bin/python scripts/bench_writes.py --no-load  # one apply only (the load takes minutes)

Against the NetBox of NETBOX_URL (the shared sandbox: everything is written under a new
suffix, as the integration tests do; nothing is deleted). Measures, as subprocesses of
the `colo` command a user runs:

- `colo netbox load FILE` of the bundled demo (isolated under the suffix) into NetBox
  where none of it exists yet, then the same load again (0 changes), then `--dry-run`;
- `colo request apply` of one delivered request (one 1U server on a PDU outlet per feed,
  a tenant, a contact, inventory items) on a seeded site, then the same apply again
  (0 changes), then `colo request plan`.

Prints wall seconds and the HTTP requests `netbox load` reports; docs/benchmarks.md has
the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
COLO = str(Path(sys.executable).with_name("colo"))


def timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    res = subprocess.run([COLO, *args], capture_output=True, text=True, env=env, check=False)
    took = time.monotonic() - started
    if res.returncode != 0:
        raise SystemExit(f"colo {' '.join(args)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return took, res.stdout


def bench_load(env: dict[str, str], folder: Path, sfx: str) -> None:
    from inventory.files import dump_snapshot, load_snapshot
    from tests.integration.conftest import isolate

    path = folder / "demo.yaml"
    dump_snapshot(isolate(load_snapshot("demo"), f"b{sfx}"), path)
    for what, extra in (("fresh", []), ("again", []), ("dry run", ["--dry-run"])):
        took, out = timed(["netbox", "load", str(path), *extra], env)
        summary = next((line for line in out.splitlines() if line.startswith("load:")), out.strip()[-200:])
        requests_ = re.search(r"(\d+) HTTP requests", summary)
        print(f"netbox load demo, {what}: {took:.1f} s wall; {summary}"
              + ("" if requests_ else " (no request count)"))


def bench_apply(env: dict[str, str], folder: Path, client: object) -> None:
    from tests.support.registration import new_request, reserve, seed_fault_site, write_config, write_request

    site = seed_fault_site(client, uuid.uuid4().hex[:6])
    config = write_config(folder, site.slug)
    apply_env = {**env, "COLO_CONFIG": str(config), "COLO_REQUESTS_DIR": "", "COLO_NOW": ""}
    req = reserve(new_request(site, 1, "REQ-2025-0001"))
    write_request(folder / "requests", req, "delivered")
    for what, args in (("plan", ["request", "plan", req.id]),
                       ("apply, fresh", ["request", "apply", req.id, "--by", "bench"]),
                       ("apply, again", ["request", "apply", req.id, "--by", "bench"]),
                       ("plan, applied", ["request", "plan", req.id])):
        took, out = timed(args, apply_env)
        print(f"colo {what}: {took:.1f} s wall; {out.strip().splitlines()[-1]}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--no-load", action="store_true", help="skip the demo load (it takes minutes)")
    p.add_argument("--no-apply", action="store_true", help="skip the apply")
    args = p.parse_args(argv)
    from inventory.netbox.client import NetBoxClient, settings_from_env_and_file

    client = NetBoxClient(settings_from_env_and_file(None))  # NETBOX_URL, NETBOX_TOKEN
    client.check()
    sfx = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = folder / "netbox.yaml"
        config.write_text("netbox:\n  timeout_s: 600\n", encoding="utf-8")
        env = {**os.environ, "COLO_CONFIG": str(config)}
        if not args.no_load:
            bench_load(env, folder, sfx)
        if not args.no_apply:
            bench_apply(env, folder, client)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
