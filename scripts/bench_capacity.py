#!/usr/bin/env python3
"""Benchmark: full capacity computation and one placement query on a large synthetic DC.

Prints wall time and the peak resident memory each phase adds. Targets on the 2-core
machine (issue 2): full computation <= 2 s, placement <= 100 ms.

    .venv/bin/python scripts/bench_capacity.py [--racks 10000] [--devices 200000]
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import threading
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capacity.engine import compute_capacity  # noqa: E402
from capacity.fit import CapacityRequest, ServerRequest, check_fit  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--racks", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    args = parser.parse_args()

    snapshot = measure(f"generate {args.racks} racks / {args.devices} devices",
                       lambda: generate_snapshot(args.racks, args.devices, seed=args.seed))
    ports = sum(len(d.power_ports) for d in snapshot.devices)
    print(f"snapshot: {len(snapshot.racks)} racks, {len(snapshot.devices)} devices, "
          f"{len(snapshot.power_feeds)} feeds, {ports} power ports")
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
