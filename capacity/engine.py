"""One call from a snapshot to every capacity figure: `compute_capacity`."""

from __future__ import annotations

import gc

from capacity.bandwidth import bandwidth_findings, compute_bandwidth
from capacity.compute import compute_clusters
from capacity.cooling import compute_cooling
from capacity.findings import data_quality_findings
from capacity.outlets import compute_plugs
from capacity.policy import Policy
from capacity.power import compute_power
from capacity.scan import scan_devices
from capacity.results import CapacityResult, Finding
from capacity.space import compute_space
from inventory.model import Snapshot


def compute_capacity(snapshot: Snapshot, policy: Policy | None = None) -> CapacityResult:
    """Space, power (W and VA, normal and failover, per leg), plugs, UPS, genset, cooling,
    bandwidth, hosting and findings."""
    policy = policy or Policy()
    # The snapshot is millions of long-lived objects: move them out of the collector's
    # generations so the maths' short-lived allocations do not trigger full passes over
    # them (measured 1-2 s each on 200,000 devices).
    # Automatic collection is also off until the result is built: a collection of the
    # young objects made here (hundreds of thousands) can promote enough of them to start
    # a full pass, and a full pass after `gc.unfreeze()` walks the whole snapshot (this was
    # the occasional +2 s run, typically the first one). Reference counting frees as usual.
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        scan = scan_devices(snapshot)  # the one pass over devices and ports, shared below
        space = compute_space(snapshot, policy, scan)
        power = compute_power(snapshot, policy, scan)
        uplinks, bandwidth = compute_bandwidth(snapshot, policy, scan)
        clusters = compute_clusters(snapshot, policy, scan.host_status)
        cooling, cooling_findings = compute_cooling(snapshot, policy, power.racks)
        findings = (data_quality_findings(snapshot, scan) + power.findings + cooling_findings
                    + bandwidth_findings(snapshot, uplinks, bandwidth))
        return CapacityResult(
            space=space,
            feeds=power.feeds,
            racks_power=power.racks,
            ups=power.ups,
            gensets=power.gensets,
            uplinks=uplinks,
            bandwidth=bandwidth,
            clusters=clusters,
            findings=_dedupe(findings),
            plugs=compute_plugs(snapshot, scan),
            cooling=cooling,
            ups_groups=power.ups_groups,
        )
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        ident = (f.kind, f.object, f.message)
        if ident not in seen:
            seen.add(ident)
            out.append(f)
    return out
