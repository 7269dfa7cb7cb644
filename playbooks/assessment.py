"""`colo capacity report` and `colo capacity check` as one call each: the snapshot from
its source, the capacity approved requests hold added (docs/workflow.md, "Committed
capacity"), computed with the configured policy."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from capacity.engine import compute_capacity
from capacity.fit import check_fit
from capacity.fit_result import FitReport
from capacity.report import build_report
from inventory.errors import ColoError
from inventory.heap import building_long_lived
from inventory.model import Snapshot
from inventory.names import select_sites
from inventory.progress import no_progress
from inventory.sources import Loaded
from playbooks.check_input import read_check_input
from playbooks.commitments import apply_commitments
from playbooks.context import App


def with_commitments(app: App, snapshot: Snapshot) -> Snapshot:
    """`snapshot` with the reservations and commitments of the approved requests in the
    requests folder. A broken `workflow:` section must not break a capacity report: it is
    reported as a warning, and no commitments are counted."""
    try:
        workflow = app.workflow
        folder = app.requests_dir
    except ColoError as exc:
        app.notify(f"warning: workflow configuration not read ({exc}); no commitments counted")
        return snapshot
    return apply_commitments(snapshot, folder, now=app.clock.now(), config=workflow)


def capacity_snapshot(app: App, source: str | None, sites: list[str]) -> Loaded:
    """The snapshot of `source` (None: the default) for `sites` (none: all), commitments added."""
    loaded = app.open_snapshot(source, sites=sites or None)
    if loaded.notice:
        app.notify(loaded.notice)
    loaded.snapshot = with_commitments(app, loaded.snapshot)
    return loaded


@dataclass
class CapacityReport:
    loaded: Loaded
    report: dict[str, Any]  # capacity.report.build_report's, with `meta`
    sites: set[str]  # the site keys the report covers
    load_s: float
    compute_s: float


def capacity_report(app: App, source: str | None, sites: list[str]) -> CapacityReport:
    """The capacity report of every rack, feed, UPS, genset, uplink and cluster."""
    policy = app.policy
    started = time.perf_counter()
    # A large site is millions of long-lived objects: a collection triggered by the
    # report's own allocations would walk them all (inventory/heap.py). The report itself
    # (185,000 objects at 10,000 racks) moves to the oldest generation on the way out: left
    # young, the first collection after the pause walked it all (0.115 s).
    with building_long_lived():
        loaded = capacity_snapshot(app, source, sites)
        loaded_at = time.perf_counter()
        wanted = set(select_sites(loaded.snapshot.sites, sites))
        step = app.progress or no_progress
        step("Computing capacity", 0, 0)  # one step of unknown length: 2 s for 200,000 devices
        report = build_report(loaded.snapshot, compute_capacity(loaded.snapshot, policy), wanted)
        step("Computing capacity", 1, 1)
    report["meta"] = {
        "source": loaded.source,
        "generated_at": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
        "sites": sorted(s["site"] for s in report["sites"]),
    }
    return CapacityReport(loaded, report, wanted, loaded_at - started, time.perf_counter() - loaded_at)


def check_request_file(app: App, path: Path, source: str | None, sites: list[str]) -> FitReport:
    """Whether the servers/hosting of the capacity request or request file at `path` fit,
    and where (kept to `sites` when given). Bad input fails before any NetBox read."""
    checked = read_check_input(path)
    if checked.note:
        app.notify(f"note: {path} is {checked.note}")
    policy = app.policy
    loaded = capacity_snapshot(app, source, sites)
    request = checked.for_snapshot(loaded.snapshot)
    wanted = set(select_sites(loaded.snapshot.sites, sites)) if sites else None  # unknown: exit 2, naming the known
    return check_fit(loaded.snapshot, request, policy, compute_capacity(loaded.snapshot, policy), sites=wanted)
