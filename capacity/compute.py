"""Hosting compute per virtualization cluster: hosts x overcommit (N+1) - VMs. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from capacity.committed import CommitmentScope
from capacity.policy import Policy
from capacity.results import ClusterCapacity
from inventory.model import Snapshot

#: VM statuses that hold their resources (NetBox VM status slugs).
COUNTED_VM_STATUSES = frozenset({"active", "planned", "staged"})

#: Host device statuses whose capacity counts (a failed or offline host gives nothing).
SERVING_HOST_STATUSES = frozenset({"active"})


def _r(x: float) -> float:
    """Round away float noise (0.1 + 0.2) without hiding anything a person would read."""
    return round(x, 3)


def compute_clusters(snapshot: Snapshot, policy: Policy,
                     host_status: Mapping[str, str] | None = None) -> dict[str, ClusterCapacity]:
    """Capacity, used and free vCPUs, memory (GB) and disk (GB) of every cluster.

    capacity = (sum over serving hosts - the largest host per resource when N+1 is on and
    there are at least 2 hosts) x that resource's overcommit; used = counted VMs +
    commitments charged to it (capacity/committed.py). The
    largest serving host's vCPUs and memory are kept too: one VM cannot outgrow one host.
    """
    scope = CommitmentScope(snapshot)
    status = host_status
    if status is None:
        hosts_wanted = {h.device for c in snapshot.clusters for h in c.hosts}
        status = {d.key: d.status for d in snapshot.devices if d.key in hosts_wanted} \
            if hosts_wanted else {}

    extra: dict[str, list[float]] = {}
    for cm in snapshot.commitments:
        if not (cm.vcpus or cm.memory_gb or cm.disk_gb):
            continue
        target = scope.cluster_of(cm)
        if target is None:
            continue  # a data-quality finding (commitment_unassigned)
        acc = extra.setdefault(target, [0.0, 0.0, 0.0])
        acc[0] += cm.vcpus
        acc[1] += cm.memory_gb
        acc[2] += cm.disk_gb

    out: dict[str, ClusterCapacity] = {}
    for c in snapshot.clusters:
        hosts = [h.capacity for h in c.hosts if status.get(h.device) in SERVING_HOST_STATUSES]
        cpu = [float(h.vcpus) for h in hosts]
        mem = [float(h.memory_gb) for h in hosts]
        disk = [float(h.disk_gb) for h in hosts]
        spare = policy.compute_n_plus_one and len(hosts) >= 2

        def usable(values: list[float]) -> float:
            return sum(values) - (max(values) if spare else 0.0)

        cap_cpu = usable(cpu) * policy.cpu_overcommit
        cap_mem = usable(mem) * policy.memory_overcommit
        cap_disk = usable(disk) * policy.disk_overcommit

        u_cpu = u_mem = u_disk = 0.0
        for vm in c.vms:
            if vm.status in COUNTED_VM_STATUSES:
                u_cpu += vm.vcpus
                u_mem += vm.memory_mb / 1024
                u_disk += vm.disk_gb
        e = extra.get(c.key)
        if e:
            u_cpu += e[0]
            u_mem += e[1]
            u_disk += e[2]
        out[c.key] = ClusterCapacity(
            key=c.key, name=c.name, site=c.site, hosts=len(hosts),
            vcpus_capacity=_r(cap_cpu), memory_gb_capacity=_r(cap_mem),
            disk_gb_capacity=_r(cap_disk), vcpus_used=_r(u_cpu), memory_gb_used=_r(u_mem),
            disk_gb_used=_r(u_disk), vcpus_free=_r(cap_cpu - u_cpu),
            memory_gb_free=_r(cap_mem - u_mem), disk_gb_free=_r(cap_disk - u_disk),
            largest_host_vcpus=max(cpu, default=0.0), largest_host_memory_gb=max(mem, default=0.0))
    return out
