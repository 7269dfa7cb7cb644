"""Bandwidth per site: uplink commit rates x oversubscription, capped by each uplink's
port, less the allocations; and what is left when the largest uplink fails. Pure.

An uplink gives `min(commit x oversubscription, port)`: bursting above the commit rate is
capped by the port speed. Failover: the site's allocatable less the uplink that gives the
most; `bandwidth_failover_short` (warning) when more is allocated than that.
Rules and a worked example: docs/capacity-rules.md, "Bandwidth".
"""

from __future__ import annotations

from collections import defaultdict

from capacity.committed import CommitmentScope
from capacity.policy import Policy
from capacity.scan import BANDWIDTH_FIELD, COUNTED_DEVICE_STATUSES, DeviceScan, bandwidth_value
from capacity.results import Finding, SiteBandwidth, UplinkCapacity
from inventory.model import Snapshot, Uplink

#: Uplink statuses that carry traffic (NetBox circuit status `active`).
ACTIVE_UPLINK_STATUSES = frozenset({"active"})


def uplink_allocatable_kbps(u: Uplink, oversubscription: float) -> int:
    """What one uplink gives: its commit x oversubscription, capped by its port speed."""
    given = round(u.commit_kbps * oversubscription)
    return min(given, u.port_kbps) if u.port_kbps is not None else given


def compute_bandwidth(snapshot: Snapshot, policy: Policy, scan: DeviceScan | None = None
                      ) -> tuple[dict[str, UplinkCapacity], dict[str, SiteBandwidth]]:
    """Every uplink, and per site (each site with uplinks or allocations) the commit,
    allocatable (oversubscription, N+1 if configured), allocated, committed and free kbps.

    Figures are kbps (NetBox's circuit `commit_rate` unit); Mbps allocations x 1000.
    `scan` (from `scan.scan_devices`) saves a pass over the devices when given.
    """
    uplinks: dict[str, UplinkCapacity] = {}
    commit: dict[str, int] = {}
    given: dict[str, int] = {}  # allocatable over the active uplinks (ports applied)
    largest: dict[str, int] = {}  # the most one active uplink gives
    burst: dict[str, int] = {}
    ratio = policy.bandwidth_oversubscription
    for u in snapshot.uplinks:
        active = u.status in ACTIVE_UPLINK_STATUSES
        gives = uplink_allocatable_kbps(u, ratio)
        uplinks[u.key] = UplinkCapacity(key=u.key, name=u.name, site=u.site, provider=u.provider,
                                        commit_kbps=u.commit_kbps, port_kbps=u.port_kbps,
                                        allocatable_kbps=gives, active=active)
        for acc in (commit, given, largest, burst):
            acc.setdefault(u.site, 0)
        if active:
            commit[u.site] += u.commit_kbps
            given[u.site] += gives
            largest[u.site] = max(largest[u.site], gives)
            burst[u.site] += u.port_kbps if u.port_kbps is not None else u.commit_kbps

    if scan is not None:
        allocated_mbps = scan.bandwidth_mbps_by_site
    else:
        acc: dict[str, float] = defaultdict(float)
        for d in snapshot.devices:
            cf = d.custom_fields
            if not cf or d.status not in COUNTED_DEVICE_STATUSES:
                continue
            v = bandwidth_value(cf.get(BANDWIDTH_FIELD))
            if v:
                acc[d.site] += v
        allocated_mbps = acc
    # hosted applications: their VMs' allocations count at their cluster's site
    allocated_mbps = dict(allocated_mbps)
    for c in snapshot.clusters:
        for vm in c.vms:
            if vm.bandwidth_mbps and vm.status in COUNTED_DEVICE_STATUSES:
                allocated_mbps[c.site] = allocated_mbps.get(c.site, 0.0) + vm.bandwidth_mbps

    scope = CommitmentScope(snapshot)
    committed_mbps: dict[str, float] = defaultdict(float)
    for cm in snapshot.commitments:
        if cm.bandwidth_mbps <= 0:
            continue
        site = scope.site_of(cm)
        if site is not None:  # else a data-quality finding (commitment_unassigned)
            committed_mbps[site] += cm.bandwidth_mbps

    order = {s.key: n for n, s in enumerate(snapshot.sites)}
    sites: dict[str, SiteBandwidth] = {}
    for site in sorted(set(commit) | {k for k, v in allocated_mbps.items() if v}
                       | set(committed_mbps), key=lambda k: (order.get(k, len(order)), k)):
        failover = given.get(site, 0) - largest.get(site, 0)
        allocatable = failover if policy.bandwidth_n_plus_one else given.get(site, 0)
        committed = round(committed_mbps.get(site, 0.0) * 1000)
        allocated = round(allocated_mbps.get(site, 0.0) * 1000) + committed
        sites[site] = SiteBandwidth(
            site=site, commit_kbps=commit.get(site, 0), allocatable_kbps=allocatable, allocated_kbps=allocated,
            committed_kbps=committed, free_kbps=allocatable - allocated,
            failover_allocatable_kbps=failover, failover_free_kbps=failover - allocated,
            burst_kbps=burst.get(site, 0))
    return uplinks, sites


def bandwidth_findings(snapshot: Snapshot, uplinks: dict[str, UplinkCapacity],
                       sites: dict[str, SiteBandwidth]) -> list[Finding]:
    """`bandwidth_failover_short`: more allocated than is left when the largest uplink fails."""
    names = {s.key: s.name for s in snapshot.sites}
    out = []
    for site, bw in sites.items():
        active = [u for u in uplinks.values() if u.site == site and u.active]
        if len(active) < 1 or bw.allocated_kbps <= bw.failover_allocatable_kbps:
            continue
        lost = max(active, key=lambda u: (u.allocatable_kbps, u.name))
        out.append(Finding(
            kind="bandwidth_failover_short", severity="warning", object=f"site {names.get(site, site)}",
            message=f"{bw.allocated_kbps / 1000:,.0f} Mbps allocated against {bw.failover_allocatable_kbps / 1000:,.0f} "
                    f"Mbps left when uplink {lost.name} ({lost.allocatable_kbps / 1000:,.0f} Mbps) fails",
            site=site))
    return out
