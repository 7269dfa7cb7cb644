#!/usr/bin/env python3
"""Benchmark: placement queries (`check_fit`) of 1, 2 and 20 servers on a large synthetic DC.

Targets (issue 10): <= 100 ms for one server, <= 1 s for 20 servers, on the 2-core machine.
Prints, per request, the best and median wall time of `--repeat` runs and the best
placement's rank (racks used, empty racks used, slack U).

    .venv/bin/python scripts/bench_fit.py [--racks 10000] [--devices 200000] [--repeat 5]

Run it from another checkout's root (e.g. `git archive REV | tar -x -C DIR`, then copy
this file into DIR/scripts) to compare revisions: it imports the package it sits in.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capacity.engine import compute_capacity  # noqa: E402
from capacity.fit import check_fit  # noqa: E402
from capacity.fit_request import CapacityRequest, ServerRequest  # noqa: E402
from capacity.policy import Policy  # noqa: E402
from inventory.synthetic import generate_snapshot  # noqa: E402

REQUESTS = (  # (label, servers, one server's fields)
    ("1 x 2U 450 W", 1, {"u_height": 2, "allocated_draw_w": 450, "maximum_draw_w": 750}),
    ("2 x 2U 2,944 W", 2, {"u_height": 2, "allocated_draw_w": 2944}),
    ("20 x 2U 450 W", 20, {"u_height": 2, "allocated_draw_w": 450, "maximum_draw_w": 750}),
    ("20 x 1U 300 W", 20, {"u_height": 1, "allocated_draw_w": 300, "maximum_draw_w": 500}),
    ("20 x 4U 1,500 W", 20, {"u_height": 4, "allocated_draw_w": 1500}),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--racks", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    snapshot = generate_snapshot(args.racks, args.devices, seed=args.seed)
    policy = Policy(open_rack_roles=None)
    result = compute_capacity(snapshot, policy)
    for label, count, fields in REQUESTS:
        request = CapacityRequest(servers=[ServerRequest(name=f"s{i}", psu_count=2, bandwidth_mbps=10, **fields)
                                           for i in range(count)])
        check_fit(snapshot, request, policy, result)  # warm-up
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            report = check_fit(snapshot, request, policy, result)
            times.append(time.perf_counter() - started)
        best = report.placements[0] if report.placements else None
        rank = f"{best.racks_used} racks, {best.empty_racks_used} empty, slack {best.slack_u:g} U" if best else "-"
        cut = " (search stopped at its budget)" if any("stopped after" in n for n in report.notes) else ""
        print(f"{label}: best {min(times) * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f} ms; "
              f"fits={report.fits}; best placement {rank}{cut}", flush=True)


if __name__ == "__main__":
    main()
