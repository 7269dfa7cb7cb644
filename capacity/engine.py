"""One call from a snapshot to every capacity figure: `compute_capacity`."""

from __future__ import annotations

from capacity.bandwidth import compute_bandwidth
from capacity.compute import compute_clusters
from capacity.findings import data_quality_findings
from capacity.policy import Policy
from capacity.power import compute_power
from capacity.results import CapacityResult
from capacity.space import compute_space
from inventory.model import Snapshot


def compute_capacity(snapshot: Snapshot, policy: Policy | None = None) -> CapacityResult:
    """Space, power (normal and failover), UPS, genset, bandwidth, hosting and findings."""
    policy = policy or Policy()
    space = compute_space(snapshot, policy)
    power = compute_power(snapshot, policy)
    uplinks, bandwidth = compute_bandwidth(snapshot, policy)
    clusters = compute_clusters(snapshot, policy)
    findings = data_quality_findings(snapshot) + power.findings
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
    )


def _dedupe(findings: list) -> list:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        ident = (f.kind, f.object, f.message)
        if ident not in seen:
            seen.add(ident)
            out.append(f)
    return out
