#!/usr/bin/env python3
"""Benchmark: the figures of issue 13 (speed at scale), each with its target and PASS/FAIL.

    .venv/bin/python scripts/bench_speed.py                # files, placement, NetBox when there
    .venv/bin/python scripts/bench_speed.py --no-netbox    # files and placement only
    .venv/bin/python scripts/bench_speed.py --runs 5

1. File source, 10,000 racks / 200,000 devices (`inventory.synthetic`, seed 1), as JSON
   and as YAML written by `dump_snapshot`: `colo capacity report --source FILE --format
   json > file` as a subprocess, whole process: wall time and peak resident memory (the
   child's `ru_maxrss`), after one warm-up run that writes the project's bytecode (the
   measured processes run without PYTHONDONTWRITEBYTECODE: colo as installed). The files
   are generated once and kept in ~/.cache/colo-bench (keyed by the code that writes them).
2. Placement on the same data centre: `capacity.fit.check_fit` of 1 and of 20 servers,
   in-process, after one warm-up.
3. NetBox source (unless --no-netbox or NETBOX_URL is unset): scripts/bench_netbox.py (its own NetBox on :8001,
   seeded once): the full report with export templates and without them (GraphQL), each
   against NetBox's own rack list page, run by run.
4. `colo netbox load` of the bundled demo into the NetBox of NETBOX_URL (the shared
   sandbox: `make bench` sets it), isolated under a new suffix.

The machine is shared: every figure is printed with its runs and the load average.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CACHE = Path("~/.cache/colo-bench").expanduser()
COLO = str(Path(sys.executable).with_name("colo"))
RACKS, DEVICES, SEED = 10_000, 200_000, 1


def verdict(label: str, values: list[float], target: float, unit: str, fmt: str = "{:.2f}") -> bool:
    """One line: best and median of the runs against the target (the best run decides, as
    for the engine's figures), the runs, the load average."""
    best, median = min(values), statistics.median(values)
    ok = best <= target
    runs = ", ".join(fmt.format(v) for v in values)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{label}: best {fmt.format(best)} {unit}, median {fmt.format(median)} {unit} "
          f"(target <= {fmt.format(target)} {unit}) {'PASS' if ok else 'FAIL'}  [runs {runs}; load {load}]",
          flush=True)
    return ok


def files() -> dict[str, Path]:
    """The 10,000-rack data centre as JSON and YAML, generated once per version of the code that writes them."""
    code = hashlib.sha256()
    for part in ("inventory/synthetic.py", "inventory/model.py", "inventory/files.py", "inventory/fastjson.py"):
        code.update((REPO / part).read_bytes())
    stem = CACHE / f"dc-{RACKS}-{DEVICES}-s{SEED}-{code.hexdigest()[:12]}"
    paths = {suffix: stem.with_suffix(f".{suffix}") for suffix in ("json", "yaml")}
    if not all(p.exists() for p in paths.values()):
        print(f"generating {RACKS} racks / {DEVICES} devices (seed {SEED}) into {CACHE} (once; minutes)", flush=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        # in a process of its own: a child forked from a 3 GB process would report 3 GB as its peak
        subprocess.run([sys.executable, "-c", "import sys; from inventory.files import dump_snapshot; "
                        "from inventory.synthetic import generate_snapshot; "
                        f"s = generate_snapshot({RACKS}, {DEVICES}, seed={SEED}); "
                        "[dump_snapshot(s, p) for p in sys.argv[1:]]", *map(str, paths.values())],
                       check=True, cwd=REPO)
    return paths


# `colo` as installed: its bytecode cached (pip compiles at install; a checkout's
# __pycache__ is written on first use). A shell with PYTHONDONTWRITEBYTECODE set (some
# sandboxes) would make every measured process compile the project's 120 modules again.
INSTALLED_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def warm_up() -> None:
    """One `colo` run that writes the project's bytecode, as a user's first run does."""
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        print("bench: PYTHONDONTWRITEBYTECODE is set in this shell; the measured colo processes run "
              "without it (bytecode cached, as installed)", flush=True)
    subprocess.run([COLO, "capacity", "report", "--source", "demo", "--format", "json"], env=INSTALLED_ENV,
                   stdout=subprocess.DEVNULL, check=True)


def report_process(path: Path) -> tuple[float, float]:
    """(wall s, peak RSS MiB) of `colo capacity report --source PATH --format json > file`."""
    with open(os.devnull, "wb") as sink:
        started = time.perf_counter()
        child = subprocess.Popen([COLO, "capacity", "report", "--source", str(path), "--format", "json"],
                                 stdout=sink, stderr=subprocess.PIPE, env=INSTALLED_ENV)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"bench: colo capacity report --source {path} failed: {child.stderr.read().decode()[-500:]}")
    return wall, usage.ru_maxrss / 1024


def bench_files(runs: int) -> list[bool]:
    paths = files()
    warm_up()
    results = []
    for suffix, (seconds, mib) in (("json", (4.0, 600.0)), ("yaml", (15.0, 1536.0))):
        size = paths[suffix].stat().st_size / 1e6
        walls, peaks = [], []
        for _ in range(runs):
            wall, peak = report_process(paths[suffix])
            walls.append(wall)
            peaks.append(peak)
        what = f"file source {suffix.upper()} ({size:.0f} MB), colo capacity report --format json, end to end"
        results.append(verdict(f"{what}, wall", walls, seconds, "s"))
        results.append(verdict(f"{what}, peak RSS", peaks, mib, "MiB", "{:.0f}"))
    return results


def bench_placement(runs: int) -> list[bool]:  # after the file figures: it makes this process large
    from capacity.engine import compute_capacity
    from capacity.fit import check_fit
    from capacity.fit_request import CapacityRequest, ServerRequest
    from capacity.policy import Policy
    from inventory.files import load_snapshot

    snapshot = load_snapshot(files()["json"])
    policy = Policy(open_rack_roles=None)
    result = compute_capacity(snapshot, policy)
    results = []
    for count, target in ((1, 0.1), (20, 1.0)):
        request = CapacityRequest(servers=[
            ServerRequest(name=f"s{i}", u_height=2, psu_count=2, allocated_draw_w=450, maximum_draw_w=750,
                          bandwidth_mbps=10) for i in range(count)])
        check_fit(snapshot, request, policy, result)  # warm-up
        times = []
        for _ in range(max(runs, 5)):
            started = time.perf_counter()
            check_fit(snapshot, request, policy, result)
            times.append(time.perf_counter() - started)
        results.append(verdict(f"placement, capacity check of {count} x 2U on {RACKS} racks",
                               [t * 1000 for t in times], target * 1000, "ms", "{:.0f}"))
    return results


def bench_netbox_report(runs: int) -> list[bool]:
    """scripts/bench_netbox.py's run-by-run figures: each run of the report against the page's."""
    import bench_netbox

    m = bench_netbox.main(["--runs", str(runs)])
    results = []
    for key, label in (("cli", "with export templates"), ("cli_gql", "without export templates (GraphQL)")):
        pairs = list(zip(m[key], m["page"]))
        ok = all(report < page for report, page in pairs)
        shown = ", ".join(f"{r:.1f} vs {p:.1f}" for r, p in pairs)
        print(f"NetBox source, full report {label} vs NetBox's rack list page, every run: {shown} s "
              f"(target: faster in every run) {'PASS' if ok else 'FAIL'}", flush=True)
        results.append(ok)
    return results


def bench_netbox_load() -> list[bool]:
    """`colo netbox load` of the demo, isolated under a new suffix, into the shared sandbox."""
    import tempfile
    import uuid

    from inventory.files import dump_snapshot, load_snapshot
    from tests.support.netbox import isolate

    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.yaml"
        dump_snapshot(isolate(load_snapshot("demo"), f"bench{uuid.uuid4().hex[:6]}"), path)
        started = time.perf_counter()
        done = subprocess.run([COLO, "netbox", "load", str(path)], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
    if done.returncode != 0:
        print(f"colo netbox load of the demo FAILED: {done.stderr.strip()[-300:]}")
        return [False]
    for line in done.stdout.splitlines():
        if line.startswith(("  device:", "  power port:", "  power outlet:", "  cable:", "load:")):
            print(f"    {line.strip()}")
    return [verdict("colo netbox load of the bundled demo, nothing in NetBox yet", [wall], 60.0, "s", "{:.1f}")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-netbox", action="store_true", help="skip the NetBox figures")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "scripts"))
    sections: list[Callable[[], list[bool]]] = [lambda: bench_files(args.runs), lambda: bench_placement(args.runs)]
    if args.no_netbox or "NETBOX_URL" not in os.environ:
        print("NetBox figures: skipped (--no-netbox, or no NETBOX_URL: run `make bench` with the sandbox up)")
    else:
        sections += [lambda: bench_netbox_report(args.runs), bench_netbox_load]
    passed = [ok for section in sections for ok in section()]
    print(f"issue 13 figures: {sum(passed)} of {len(passed)} met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
