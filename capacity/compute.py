"""Hosting compute per virtualization cluster: hosts x overcommit (N+1) - VMs. Pure.

* vCPU: physical cores x `cpu_overcommit` when every serving host declares its cores;
  otherwise the hosts' declared vCPUs x `cpu_overcommit` (the older convention).
* memory: each host's memory less `policy.hypervisor_reserved_gb`, x `memory_overcommit`.
* disk: the cluster's shared datastore, `datastore_gb / replication_factor`, when it
  declares one; otherwise the hosts' disks. Shared storage keeps its own redundancy (the
  replication factor): no host is kept spare from it.
* N+1: the largest host per resource is kept spare (not from a shared datastore).
* The largest VM: one VM runs on one host, and must still find a host when the largest
  fails: at most the logical processors (threads) and the memory (less the hypervisor's
  share, x memory overcommit) of the largest host left after N+1.
Rules and a worked example: docs/capacity-rules.md, "Hosting compute".
"""

from __future__ import annotations

from collections.abc import Mapping

from capacity.committed import CommitmentScope
from capacity.policy import Policy
from capacity.results import ClusterCapacity
from inventory.model import HostCapacity, Snapshot

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
        by_core = bool(hosts) and all(h.cores is not None for h in hosts)
        cpu = [float(h.cores if by_core else h.vcpus) for h in hosts]  # type: ignore[arg-type]
        logical = [float(host_threads(h)) for h in hosts]
        mem = [max(float(h.memory_gb) - policy.hypervisor_reserved_gb, 0.0) for h in hosts]
        disk = [float(h.disk_gb) for h in hosts]
        spare = policy.compute_n_plus_one and len(hosts) >= 2

        def usable(values: list[float]) -> float:
            return sum(values) - (max(values) if spare else 0.0)

        def after_n_plus_one(values: list[float]) -> float:
            """The largest host left when the largest fails (N+1), else the largest."""
            ordered = sorted(values, reverse=True)
            return ordered[1] if spare else (ordered[0] if ordered else 0.0)

        cap_cpu = usable(cpu) * policy.cpu_overcommit
        cap_mem = usable(mem) * policy.memory_overcommit
        shared = c.datastore_gb is not None
        if shared:
            cap_disk = c.datastore_gb / (c.replication_factor or 1.0) * policy.disk_overcommit  # type: ignore[operator]
        else:
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
            largest_host_vcpus=max(logical, default=0.0),
            largest_host_memory_gb=max((float(h.memory_gb) for h in hosts), default=0.0),
            vm_max_vcpus=after_n_plus_one(logical),
            vm_max_memory_gb=_r(after_n_plus_one(mem) * policy.memory_overcommit),
            cores=sum(h.cores or 0 for h in hosts) if by_core else 0,
            threads=int(sum(logical)) if by_core else 0, vcpu_basis="cores" if by_core else "vcpus",
            datastore_gb=c.datastore_gb, replication_factor=(c.replication_factor or 1.0) if shared else None)
    return out


def host_threads(h: HostCapacity) -> int:
    """A host's logical processors: its threads, else its cores, else its declared vCPUs."""
    return h.threads if h.threads is not None else (h.cores if h.cores is not None else h.vcpus)
