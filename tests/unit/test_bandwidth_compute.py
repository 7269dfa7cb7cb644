"""Bandwidth per site and hosting compute per cluster, hand-computed."""

from __future__ import annotations

from typing import Any

import pytest

from capacity.bandwidth import compute_bandwidth
from capacity.compute import compute_clusters
from capacity.policy import Policy
from capacity.scan import scan_devices
from inventory.model import (
    Cluster,
    ClusterHost,
    Commitment,
    Device,
    DeviceType,
    HostCapacity,
    Rack,
    Site,
    Snapshot,
    Uplink,
    VirtualMachine,
)


def device(name: str, mbps: Any = None, site: str = "s1", status: str = "active") -> Device:
    cf = {} if mbps is None else {"bandwidth_mbps": mbps}
    return Device(name=name, device_type="t", site=site, status=status, custom_fields=cf)


def bw_snapshot(uplinks: list[Uplink], devices: list[Device],
                commitments: list[Commitment] | None = None) -> Snapshot:
    return Snapshot(sites=[Site(name="s1"), Site(name="s2"), Site(name="s3")],
                    racks=[Rack(name="R1", site="s1")],
                    device_types=[DeviceType(key="t", manufacturer="a", model="t")],
                    uplinks=uplinks, devices=devices, commitments=commitments or [])


UPLINKS = [
    Uplink(name="isp-a", site="s1", provider="A", commit_kbps=1_000_000),
    Uplink(name="isp-b", site="s1", provider="B", commit_kbps=500_000),
    Uplink(name="isp-old", site="s1", provider="C", commit_kbps=300_000, status="decommissioned"),
]


# --- bandwidth ------------------------------------------------------------------------------


def test_bandwidth_commit_allocations_and_free() -> None:
    s = bw_snapshot(UPLINKS, [device("a", 100), device("b", "250.5"), device("c"),
                              device("off", 400, status="offline"),
                              device("plan", 50, status="planned"),
                              device("bad", "fast")],
                    [Commitment(request_id="REQ-1", site="s1", bandwidth_mbps=20),
                     Commitment(request_id="REQ-2", rack="R1", bandwidth_mbps=5)])
    uplinks, sites = compute_bandwidth(s, Policy())
    assert set(uplinks) == {"isp-a", "isp-b", "isp-old"}
    assert uplinks["isp-a"].commit_kbps == 1_000_000
    b = sites["s1"]
    assert b.commit_kbps == 1_500_000  # the decommissioned uplink does not carry traffic
    assert b.allocatable_kbps == 1_500_000  # oversubscription 1.0 by default
    # devices 100 + 250.5 + 50 (planned counts, offline does not, "fast" is invalid)
    # = 400.5 Mbps = 400,500 kbps; commitments 20 + 5 Mbps (REQ-2 via its rack's site)
    assert b.committed_kbps == 25_000
    assert b.allocated_kbps == 425_500
    assert b.free_kbps == 1_500_000 - 425_500
    assert b.failover_allocatable_kbps == 500_000  # the 1 Gbps uplink down


def test_bandwidth_oversubscription_and_n_plus_one() -> None:
    s = bw_snapshot(UPLINKS, [device("a", 1000)])
    _, sites = compute_bandwidth(s, Policy(bandwidth_oversubscription=2.5))
    assert sites["s1"].allocatable_kbps == 3_750_000  # 1.5 Gbps x 2.5
    assert sites["s1"].failover_allocatable_kbps == 1_250_000  # 0.5 Gbps x 2.5
    assert sites["s1"].free_kbps == 2_750_000
    _, sites = compute_bandwidth(s, Policy(bandwidth_oversubscription=2.5,
                                           bandwidth_n_plus_one=True))
    assert sites["s1"].allocatable_kbps == 1_250_000
    assert sites["s1"].free_kbps == 250_000


def test_bandwidth_sites_listed_are_those_with_uplinks_or_allocations() -> None:
    s = bw_snapshot(UPLINKS, [device("far", 10, site="s2"), device("none", site="s3")])
    _, sites = compute_bandwidth(s, Policy())
    assert list(sites) == ["s1", "s2"]
    far = sites["s2"]
    assert (far.commit_kbps, far.allocatable_kbps, far.allocated_kbps, far.free_kbps) == \
        (0, 0, 10_000, -10_000)


def test_bandwidth_from_a_shared_scan_is_the_same() -> None:
    s = bw_snapshot(UPLINKS, [device("a", 100), device("b", 7.25, status="staged")])
    assert compute_bandwidth(s, Policy(), scan_devices(s)) == compute_bandwidth(s, Policy())
    assert compute_bandwidth(s, Policy())[1]["s1"].allocated_kbps == 107_250


def test_bandwidth_of_hosted_applications_counts_at_their_clusters_site() -> None:
    # a hosting request registered at step 8 is a VM with bandwidth_mbps: once installed its
    # commitment is gone, so the VM must carry the allocation
    s = bw_snapshot(UPLINKS, [device("a", 100)])
    s = s.model_copy(update={"clusters": [
        Cluster(name="c1", site="s1", vms=[
            VirtualMachine(name="web", bandwidth_mbps=50),
            VirtualMachine(name="test", bandwidth_mbps=20, status="planned"),
            VirtualMachine(name="old", bandwidth_mbps=400, status="decommissioning")]),
        Cluster(name="c2", site="s2", vms=[VirtualMachine(name="far", bandwidth_mbps=5)])]})
    _, sites = compute_bandwidth(s, Policy())
    assert sites["s1"].allocated_kbps == (100 + 50 + 20) * 1000
    assert sites["s2"].allocated_kbps == 5_000
    assert compute_bandwidth(s, Policy(), scan_devices(s)) == compute_bandwidth(s, Policy())


# --- hosting compute ----------------------------------------------------------------------


def host(key: str, vcpus: int, mem: float, disk: float) -> ClusterHost:
    return ClusterHost(device=key, capacity=HostCapacity(vcpus=vcpus, memory_gb=mem, disk_gb=disk))


def cluster_snapshot(vms: list[VirtualMachine], commitments: list[Commitment] | None = None,
                     host_status: str = "active", second_cluster: bool = False) -> Snapshot:
    hosts = [host("h1", 64, 512, 4000), host("h2", 32, 768, 8000), host("h3", 48, 256, 2000)]
    devices = [Device(name=h.device, device_type="t", site="s1",
                      status=host_status if h.device == "h3" else "active") for h in hosts]
    clusters = [Cluster(name="c1", site="s1", hosts=hosts, vms=vms)]
    if second_cluster:
        clusters.append(Cluster(name="c2", site="s1"))
    return Snapshot(sites=[Site(name="s1")],
                    device_types=[DeviceType(key="t", manufacturer="a", model="t")],
                    devices=devices, clusters=clusters, commitments=commitments or [])


VMS = [
    VirtualMachine(name="vm1", vcpus=8, memory_mb=16384, disk_gb=200),
    VirtualMachine(name="vm2", vcpus=2.5, memory_mb=3072, disk_gb=50, status="planned"),
    VirtualMachine(name="vm3", vcpus=100, memory_mb=1024000, disk_gb=9000, status="offline"),
]


def test_cluster_n_plus_one_per_resource_and_overcommit() -> None:
    c = compute_clusters(cluster_snapshot(VMS), Policy())["c1"]
    assert c.hosts == 3
    # each host keeps 8 GB for its hypervisor (the policy's default): 504, 760, 248 GB
    # N+1 drops the largest host per resource: cpu 64, memory 760, disk 8000
    # cpu (144 - 64) x 4 = 320; memory (1512 - 760) x 1 = 752; disk (14000 - 8000) x 1 = 6000
    assert (c.vcpus_capacity, c.memory_gb_capacity, c.disk_gb_capacity) == (320, 752, 6000)
    # used: vm1 + vm2 (offline vm3 holds nothing): 10.5 vCPU, 16 + 3 = 19 GB, 250 GB
    assert (c.vcpus_used, c.memory_gb_used, c.disk_gb_used) == (10.5, 19, 250)
    assert (c.vcpus_free, c.memory_gb_free, c.disk_gb_free) == (309.5, 733, 5750)


def test_cluster_without_n_plus_one_and_other_overcommit() -> None:
    policy = Policy(compute_n_plus_one=False, cpu_overcommit=2, memory_overcommit=1.5,
                    disk_overcommit=0.5)
    c = compute_clusters(cluster_snapshot([]), policy)["c1"]
    # memory (504 + 760 + 248) x 1.5 = 2268 (8 GB per host for the hypervisor)
    assert (c.vcpus_capacity, c.memory_gb_capacity, c.disk_gb_capacity) == (288, 2268, 7000)


def test_single_host_cluster_keeps_its_host() -> None:
    s = Snapshot(sites=[Site(name="s1")],
                 device_types=[DeviceType(key="t", manufacturer="a", model="t")],
                 devices=[Device(name="h1", device_type="t", site="s1")],
                 clusters=[Cluster(name="c1", site="s1", hosts=[host("h1", 16, 64, 500)])])
    c = compute_clusters(s, Policy())["c1"]
    assert (c.vcpus_capacity, c.memory_gb_capacity, c.disk_gb_capacity) == (64, 56, 500)


def test_failed_host_gives_no_capacity() -> None:
    c = compute_clusters(cluster_snapshot([], host_status="failed"), Policy())["c1"]
    # h1 and h2 left; N+1 keeps the larger per resource: cpu 64, mem 760, disk 8000
    assert c.hosts == 2
    assert (c.vcpus_capacity, c.memory_gb_capacity, c.disk_gb_capacity) == (128, 504, 4000)


@pytest.mark.parametrize("commitment, charged", [
    (Commitment(request_id="R", cluster="c1", vcpus=4, memory_gb=8, disk_gb=100), True),
    (Commitment(request_id="R", site="s1", vcpus=4, memory_gb=8, disk_gb=100), True),
    (Commitment(request_id="R", vcpus=4, memory_gb=8, disk_gb=100), False),
])
def test_commitments_count_as_used(commitment: Commitment, charged: bool) -> None:
    c = compute_clusters(cluster_snapshot([], [commitment]), Policy())["c1"]
    assert (c.vcpus_used, c.memory_gb_used, c.disk_gb_used) == \
        ((4, 8, 100) if charged else (0, 0, 0))


def test_commitment_naming_no_cluster_on_a_site_with_two_is_not_guessed() -> None:
    s = cluster_snapshot([], [Commitment(request_id="R", site="s1", vcpus=4)], second_cluster=True)
    result = compute_clusters(s, Policy())
    assert result["c1"].vcpus_used == 0 and result["c2"].vcpus_used == 0
