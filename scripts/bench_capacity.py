#!/usr/bin/env python3
"""Benchmark: full capacity computation and one placement query on a large synthetic DC.

Prints wall time and the peak resident memory each phase adds. Targets on the 2-core
machine (issue 2): full computation <= 2 s, placement <= 100 ms.

    .venv/bin/python scripts/bench_capacity.py [--racks 10000] [--devices 200000]
    .venv/bin/python scripts/bench_capacity.py --compare REV   # A/B against a git revision

This machine's speed drifts by tens of percent from one hour to the next, so figures
from separate runs compare badly. `--compare REV` imports the `capacity` package of git
revision REV under another name and times both engines alternately, in one process, on
the same snapshot.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import threading
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capacity.engine import compute_capacity  # noqa: E402
from capacity.fit import check_fit  # noqa: E402
from capacity.fit_request import CapacityRequest, ServerRequest  # noqa: E402
from capacity.policy import Policy  # noqa: E402
from inventory.synthetic import generate_snapshot  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def measure(label: str, func: Callable[[], Any]) -> Any:
    """Wall time, and the peak resident memory the call added (sampled every 5 ms)."""
    gc.collect()
    before = rss_mib()
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mib())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    value = func()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    peak = max(peak, rss_mib())
    print(f"{label}: {elapsed:.3f} s, peak RSS +{peak - before:.0f} MiB (process {peak:.0f} MiB)", flush=True)
    return value


ROOT = Path(__file__).resolve().parent.parent


def engine_at(rev: str, workdir: Path) -> Callable[..., Any]:
    """`compute_capacity` of git revision `rev`, imported as package `capacity_at_rev`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "capacity"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(workdir, filter="data")
    package = workdir / "capacity_at_rev"
    (workdir / "capacity").rename(package)
    for source in package.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("from capacity.", "from capacity_at_rev.")
                          .replace("from capacity import", "from capacity_at_rev import"),
                          encoding="utf-8")
    sys.path.insert(0, str(workdir))
    return importlib.import_module("capacity_at_rev.engine").compute_capacity  # type: ignore[no-any-return]


def compare(snapshot: Any, rev: str, repeat: int) -> None:
    """Both engines alternately on the same snapshot: best and median of each."""
    with tempfile.TemporaryDirectory() as tmp:
        other = engine_at(rev, Path(tmp))
        policy_at_rev = importlib.import_module("capacity_at_rev.policy").Policy(open_rack_roles=None)
        engines = ((rev, other, policy_at_rev), ("working tree", compute_capacity,
                                                  Policy(open_rack_roles=None)))
        times: dict[str, list[float]] = {name: [] for name, _, _ in engines}
        for _ in range(repeat):
            for name, engine, policy in engines:
                started = time.perf_counter()
                engine(snapshot, policy)
                times[name].append(time.perf_counter() - started)
    for name, values in times.items():
        print(f"full capacity computation, {name}: best {min(values):.3f} s, median "
              f"{statistics.median(values):.3f} s of {repeat} "
              f"({', '.join(f'{t:.2f}' for t in values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--racks", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    parser.add_argument("--compare", metavar="REV",
                        help="time the engine of git revision REV against the working tree, "
                             "alternately in one process (default 7 runs each)")
    args = parser.parse_args()

    snapshot = measure(f"generate {args.racks} racks / {args.devices} devices",
                       lambda: generate_snapshot(args.racks, args.devices, seed=args.seed))
    ports = sum(len(d.power_ports) for d in snapshot.devices)
    print(f"snapshot: {len(snapshot.racks)} racks, {len(snapshot.devices)} devices, "
          f"{len(snapshot.power_feeds)} feeds, {ports} power ports")
    if args.compare:
        compare(snapshot, args.compare, args.repeat if args.repeat != 3 else 7)
        return
    policy = Policy(open_rack_roles=None)

    times = []
    for run in range(args.repeat):
        started = time.perf_counter()
        result = compute_capacity(snapshot, policy)
        times.append(time.perf_counter() - started)
    print(f"full capacity computation: best {min(times):.3f} s of {args.repeat} "
          f"({', '.join(f'{t:.3f}' for t in times)})")
    measure("full capacity computation, memory", lambda: compute_capacity(snapshot, policy))

    request = CapacityRequest(servers=[
        ServerRequest(name="bench-01", u_height=2, full_depth=True, psu_count=2,
                      allocated_draw_w=450, maximum_draw_w=750, bandwidth_mbps=100),
    ])
    times = []
    for _ in range(max(args.repeat, 5)):
        started = time.perf_counter()
        report = check_fit(snapshot, request, policy, result)
        times.append(time.perf_counter() - started)
    print(f"placement query (1 server, 2U): best {min(times) * 1000:.1f} ms, "
          f"median {sorted(times)[len(times) // 2] * 1000:.1f} ms; fits={report.fits}, "
          f"{len(report.placements)} candidates")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
