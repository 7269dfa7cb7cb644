"""Placement is the same whatever is displayed (issue 10, point 3), one VM never outgrows
one host, and `capacity check --site` filters.

The best placement (and the first j of k shown) must not depend on `max_placements`:
the search visits anchors by an exact lower bound on their rank and stops only when no
anchor left can beat the k-th best found (capacity/bounds.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.engine import compute_capacity
from capacity.fit import check_fit
from capacity.fit_request import CapacityRequest, HostingRequest, ServerRequest
from capacity.policy import Policy
from colo_cli.main import cli
from inventory.model import (
    Cluster,
    ClusterHost,
    Device,
    HostCapacity,
    OutletRef,
    PowerOutlet,
    PowerPort,
    Snapshot,
    VirtualMachine,
)
from inventory.sources import open_snapshot
from tests.support.fit_data import dc, dev, rack

TWO = """\
servers:
  - {name: a, u_height: 2, allocated_draw_w: 2796}
  - {name: b, u_height: 2, allocated_draw_w: 2796}
"""


def spots(report: Any) -> list[tuple[Any, ...]]:
    return [tuple((s.server, s.rack_name, s.position, s.face, s.feed_a, s.feed_b) for s in p.servers)
            for p in report.placements]


def test_two_big_servers_on_the_demo_go_to_the_empty_rack_that_takes_both() -> None:
    # The issue: two 2U servers of 2,944 VA (2,796 W at power factor 0.95). Each in-use
    # rack's feeds can carry one on failover (5,888 VA feeds), the empty R2-06 carries both
    # (2 x 2,943.2 = 5,886.3 VA). The search used to stop after max_placements candidates,
    # all two-rack ones, and only then sort them.
    snap = open_snapshot("demo").snapshot
    servers = [ServerRequest(name=n, u_height=2, allocated_draw_w=2796) for n in "ab"]
    result = compute_capacity(snap, Policy())
    for limit in range(1, 7):
        report = check_fit(snap, CapacityRequest(servers=servers), Policy(max_placements=limit), result)
        best = report.placements[0]
        assert (best.racks, best.racks_used, best.empty_racks_used, best.slack_u) == (["R2-06"], 1, 1, 78)
        assert len(report.placements) == limit
        power = report.dimension("power")
        assert (power.before, power.after) == (5888, 1.7)  # failover: each feed carries both


@st.composite
def data_centres(draw: Any) -> tuple[Snapshot, list[ServerRequest]]:
    """2 to 6 racks of 8 to 16U, some in use, some through PDUs with a few outlets to spare,
    some cabled straight to the feeds; 1 to 4 servers to place."""
    racks, devices, direct = [], [], []
    for i in range(draw(st.integers(2, 6))):
        name = f"R{i + 1}"
        racks.append(rack(name, u_height=draw(st.integers(8, 16))))
        if draw(st.booleans()):
            direct.append(name)
        for j in range(draw(st.integers(0, 3))):
            devices.append(dev(f"{name}-d{j}", name, draw(st.integers(1, 6)) * 2 - 1, draw(st.sampled_from(["1u", "2u"])),
                               draw=(draw(st.sampled_from([50, 150, 250])),) * 2))
    snap = dc(racks, devices, direct=tuple(direct), outlets=3 + draw(st.integers(0, 2)),
              amps={r.name: draw(st.sampled_from([6, 10, 16])) for r in racks})
    servers = [ServerRequest(name=f"s{i}", u_height=draw(st.sampled_from([1, 2, 3])),
                             psu_count=draw(st.sampled_from([1, 2, 2, 4])),
                             allocated_draw_w=draw(st.sampled_from([100, 200, 300, 450])))
               for i in range(draw(st.integers(1, 4)))]
    return snap, servers


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data_centres())
def test_the_best_placements_do_not_depend_on_how_many_are_shown(case: tuple[Snapshot, list[ServerRequest]]) -> None:
    snap, servers = case
    result = compute_capacity(snap, Policy())
    request = CapacityRequest(servers=servers)
    every = check_fit(snap, request, Policy(max_placements=50), result)  # more than there are anchors
    ranks = [(p.racks_used, p.empty_racks_used, p.slack_u) for p in every.placements]
    assert ranks == sorted(ranks)
    for limit in range(1, 7):
        shown = check_fit(snap, request, Policy(max_placements=limit), result)
        assert spots(shown) == spots(every)[:limit]
        assert shown.fits == every.fits


def hosts_dc(vcpus: int = 256, memory_gb: float = 512, n: int = 3) -> Snapshot:
    hosts = [dev(f"h{i}", "R1", 2 * i + 1, "host") for i in range(n)]
    cap = HostCapacity(vcpus=vcpus, memory_gb=memory_gb, disk_gb=10_000)
    return dc([rack("R1")], hosts, clusters=[Cluster(name="vmw", site="dc", hosts=[
        ClusterHost(device=h.key, capacity=cap) for h in hosts])])


def test_one_vm_larger_than_any_host_does_not_fit() -> None:
    # Three hosts of 256 vCPU / 512 GB (8 GB each kept for the hypervisor), N+1: the
    # cluster offers 512 x 4 = 2,048 vCPU and 1,008 GB; a VM of 300 vCPU / 600 GB still
    # runs on one host, and none left after N+1 is that big (256 vCPU, 504 GB).
    snap = hosts_dc()
    policy = Policy()
    big = check_fit(snap, CapacityRequest(hosting=HostingRequest(vcpus=300, memory_gb=600, disk_gb=100)),
                    policy, compute_capacity(snap, policy))
    assert not big.fits
    vcpu, memory = big.dimension("host_vcpu"), big.dimension("host_memory")
    assert (vcpu.before, vcpu.requested, vcpu.after, vcpu.verdict) == (256, 300, -44, "does not fit")
    assert (memory.before, memory.requested, memory.after, memory.verdict) == (504, 600, -96, "does not fit")
    assert vcpu.reason.startswith("one VM runs on one host: the largest host of cluster vmw left when the largest "
                                  "fails (N+1), its logical processors")
    assert "memory less the hypervisor's 8 GB, x memory overcommit 1" in memory.reason
    assert big.dimension("vcpu").verdict == big.dimension("memory").verdict == "fits"  # the pool has room
    assert big.dimension("disk").verdict == "fits"
    # as big as a host: fits; with memory overcommit 1.5 a 600 GB VM fits a host (504 x 1.5)
    assert check_fit(snap, CapacityRequest(hosting=HostingRequest(vcpus=256, memory_gb=504)),
                     policy, compute_capacity(snap, policy)).fits
    lax = Policy(memory_overcommit=1.5)
    assert check_fit(snap, CapacityRequest(hosting=HostingRequest(vcpus=200, memory_gb=600)),
                     lax, compute_capacity(snap, lax)).fits


def test_the_cluster_n_plus_one_rule_still_holds() -> None:
    # two hosts of 16 vCPU / 128 GB: N+1 leaves one host's worth, 64 vCPU, 128 GB (no
    # memory kept for the hypervisor here)
    snap = hosts_dc(vcpus=16, memory_gb=128, n=2)
    policy = Policy(hypervisor_reserved_gb=0)
    report = check_fit(snap, CapacityRequest(hosting=HostingRequest(vcpus=16, memory_gb=128)), policy,
                       compute_capacity(snap, policy))
    assert report.fits and report.dimension("memory").after == 0
    used = snap.model_copy(update={"clusters": [snap.clusters[0].model_copy(update={"vms": [
        VirtualMachine(name="vm1", vcpus=1, memory_mb=1024)]})]})
    report = check_fit(used, CapacityRequest(hosting=HostingRequest(vcpus=16, memory_gb=128)), policy,
                       compute_capacity(used, policy))
    assert not report.fits
    assert report.dimension("memory").reason.startswith("free on cluster vmw after overcommit with the largest")


def test_capacity_check_site_filters_and_unknown_sites_are_bad_input(tmp_path: Path) -> None:
    two = tmp_path / "two.yaml"
    two.write_text(TWO, encoding="utf-8")
    runner = CliRunner()
    nowhere = runner.invoke(cli, ["capacity", "check", str(two), "--source", "demo", "--site", "nowhere"])
    assert nowhere.exit_code == 2
    assert "Error: unknown site 'nowhere' (known sites: dc-kaltim, drc-balikpapan)" in nowhere.output
    # the DRC's only open rack has its feeds cabled straight to servers: nothing fits there
    drc = runner.invoke(cli, ["capacity", "check", str(two), "--source", "demo", "--site", "drc-balikpapan"])
    assert drc.exit_code == 1, drc.output
    assert "DRC-01" in drc.output and "R2-06" not in drc.output
    dc_ = runner.invoke(cli, ["capacity", "check", str(two), "--source", "demo", "--site", "DC-KALTIM"])
    assert dc_.exit_code == 0 and "rack R2-06 (score" in dc_.output
    # a request naming another site than --site is refused, not silently emptied
    other = tmp_path / "other.yaml"
    other.write_text("site: dc-kaltim\n" + TWO, encoding="utf-8")
    clash = runner.invoke(cli, ["capacity", "check", str(other), "--source", "demo", "--site", "drc-balikpapan"])
    assert clash.exit_code == 2
    assert "Error: request: site 'dc-kaltim' is not among the sites asked for (drc-balikpapan)" in clash.output


def test_a_chained_pdu_gives_plugs_to_placement() -> None:
    # R1's A PDU has no free outlet but feeds a second PDU from outlet 1, which has two;
    # the B PDU has free outlets: a dual server fits in R1.
    chained = Device(name="chain", device_type="pdu", site="dc", rack="R1", role="pdu",
                     power_ports=[PowerPort(name="IN", outlet=OutletRef(device="R1-pdu-A", name="1"))],
                     power_outlets=[PowerOutlet(name=str(i), power_port="IN") for i in (1, 2)])
    snap = dc([rack("R1")], [chained, dev("x", "R1", 10, draw=(50, 50))], outlets=2)  # x takes A2 and B1
    report = check_fit(snap, CapacityRequest(servers=[ServerRequest(name="s", u_height=1, allocated_draw_w=100)]),
                       Policy(), compute_capacity(snap, Policy()))
    assert report.fits and report.placements[0].racks == ["R1"]
