"""Bandwidth per site: uplink commit rates x oversubscription - allocations. Pure."""

from __future__ import annotations

from collections import defaultdict

from capacity.committed import CommitmentScope
from capacity.policy import Policy
from capacity.scan import BANDWIDTH_FIELD, COUNTED_DEVICE_STATUSES, DeviceScan, bandwidth_value
from capacity.results import SiteBandwidth, UplinkCapacity
from inventory.model import Snapshot

#: Uplink statuses that carry traffic (NetBox circuit status `active`).
ACTIVE_UPLINK_STATUSES = frozenset({"active"})


def compute_bandwidth(snapshot: Snapshot, policy: Policy, scan: DeviceScan | None = None
                      ) -> tuple[dict[str, UplinkCapacity], dict[str, SiteBandwidth]]:
    """Every uplink, and per site (each site with uplinks or allocations) the commit,
    allocatable (oversubscription, N+1 if configured), allocated, committed and free kbps.

    Figures are kbps (NetBox's circuit `commit_rate` unit); Mbps allocations x 1000.
    `scan` (from `scan.scan_devices`) saves a pass over the devices when given.
    """
    uplinks: dict[str, UplinkCapacity] = {}
    commit: dict[str, int] = {}
    largest: dict[str, int] = {}
    for u in snapshot.uplinks:
        uplinks[u.key] = UplinkCapacity(key=u.key, name=u.name, site=u.site,
                                        provider=u.provider, commit_kbps=u.commit_kbps)
        commit.setdefault(u.site, 0)
        largest.setdefault(u.site, 0)
        if u.status in ACTIVE_UPLINK_STATUSES:
            commit[u.site] += u.commit_kbps
            largest[u.site] = max(largest[u.site], u.commit_kbps)

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

    ratio = policy.bandwidth_oversubscription
    order = {s.key: n for n, s in enumerate(snapshot.sites)}
    sites: dict[str, SiteBandwidth] = {}
    for site in sorted(set(commit) | {k for k, v in allocated_mbps.items() if v}
                       | set(committed_mbps), key=lambda k: (order.get(k, len(order)), k)):
        c = commit.get(site, 0)
        failover = round((c - largest.get(site, 0)) * ratio)
        allocatable = failover if policy.bandwidth_n_plus_one else round(c * ratio)
        committed = round(committed_mbps.get(site, 0.0) * 1000)
        allocated = round(allocated_mbps.get(site, 0.0) * 1000) + committed
        sites[site] = SiteBandwidth(
            site=site, commit_kbps=c, allocatable_kbps=allocatable, allocated_kbps=allocated,
            committed_kbps=committed, free_kbps=allocatable - allocated,
            failover_allocatable_kbps=failover)
    return uplinks, sites
