"""Issue 12: the figures an electrical engineer signs off, hand-computed.

Each test's numbers are the worked example of the same name in docs/capacity-rules.md
("Engineering figures"): watts and volt-amperes, both ratings of a UPS, the genset on
generator, three-phase legs, cooling, redundancy topology, bandwidth with the largest
uplink down, hosting, site totals.
"""

from __future__ import annotations

from typing import Any

import pytest

from capacity.bandwidth import bandwidth_findings, compute_bandwidth
from capacity.compute import compute_clusters
from capacity.engine import compute_capacity
from capacity.legs import imbalance_pct
from capacity.policy import Policy
from capacity.power import compute_power
from capacity.report import build_report
from inventory.model import (
    UPS,
    Cluster,
    ClusterHost,
    Device,
    DeviceType,
    Genset,
    HostCapacity,
    Location,
    PowerOutlet,
    PowerPanel,
    Rack,
    Site,
    Snapshot,
    Uplink,
)
from tests.support.power_data import feed, port, server, snap


def kinds(findings: list[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        out.setdefault(f.kind, []).append(f"{f.object}: {f.message}")
    return out


# --- watts and volt-amperes ---------------------------------------------------------------


def test_watts_become_va_with_the_power_factor_of_the_policy_or_of_the_device_type() -> None:
    # web (type srv, the policy's 0.95): 300 W on A -> 300 / 0.95 = 315.8 VA
    # old (type old-psu, power factor 0.8): 400 W on A -> 500 VA; A carries 700 W, 815.8 VA
    old_type = DeviceType(manufacturer="acme", model="old", power_factor=0.8)
    s = snap([server("web", port("PSU1", feed="R1-A", alloc=300)),
              Device(name="old", device_type=old_type.key, site="s1", rack="R1",
                     power_ports=[port("PSU1", feed="R1-A", alloc=400)])],
             [feed("R1-A", amperage=32), feed("R1-B", type="redundant", panel="PB", amperage=32)],
             extra_types=[old_type])
    r = compute_power(s, Policy())
    a = r.feeds["R1-A"]
    assert (a.load_w, a.load_va) == (700, 816)  # 315.79 + 500 = 815.79
    assert a.headroom_va == 5888 - 816
    # NetBox's own figures keep NetBox's units: the allocated draw, in "VA" as NetBox says
    assert (a.allocated_va, r.racks["R1"].power_utilization_pct) == (700, 5.9)  # 700 / 11776
    # every device at the policy's power factor: web 300 W on A, db 300 W on each side; A
    # carries 600 W (631.6 VA), and 900 W (947.4 VA) when B fails and db's B half moves
    only = snap([server("web", port("PSU1", feed="R1-A", alloc=300)),
                 server("db", port("PSU1", feed="R1-A", alloc=300), port("PSU2", feed="R1-B", alloc=300))],
                [feed("R1-A", amperage=32), feed("R1-B", type="redundant", panel="PB", amperage=32)])
    a = compute_power(only, Policy()).feeds["R1-A"]
    assert (a.load_w, a.load_va, a.failover_load_w, a.failover_load_va) == (600, 632, 900, 947)


def test_a_ups_is_limited_by_the_lower_of_its_two_ratings() -> None:
    # UPS 10 kVA / 8 kW, derating 0.8: 8,000 VA and 6,400 W. A 6,650 W load at power factor
    # 0.95 is 7,000 VA: within the VA rating (87.5 %), over the W rating (103.9 %).
    panels = [PowerPanel(name="PA", site="s1", ups="U1")]
    s = snap([server("x", port("P1", feed="A", alloc=6650))], [feed("A", amperage=63)],
             ups=[UPS(name="U1", site="s1", rated_va=10_000, rated_w=8_000)], panels=panels)
    r = compute_power(s, Policy())
    u = r.ups["U1"]
    assert (u.capacity_va, u.capacity_w, u.load_va, u.load_w) == (8000, 6400, 7000, 6650)
    assert (u.headroom_va, u.headroom_w) == (1000, -250)
    assert u.utilization_pct == 103.9 and u.limited_by == "W"
    assert kinds(r.findings)["overload"] == ["UPS U1: load 6650 W exceeds its capacity 6400 W (8000 W rated x 0.8)"]
    # without a W rating: rated_va x policy.ups_rated_power_factor 0.9 = 9,000 W -> 7,200 W
    plain = snap([server("x", port("P1", feed="A", alloc=6650))], [feed("A", amperage=63)],
                 ups=[UPS(name="U1", site="s1", rated_va=10_000)], panels=panels)
    assert compute_power(plain, Policy()).ups["U1"].capacity_w == 7200


def test_genset_on_generator_carries_ups_input_recharge_cooling_and_other_loads() -> None:
    # 10,000 W of IT (10,526.3 VA at 0.95) through UPS U1 (20 kVA / 18 kW, efficiency 0.95,
    # recharge 10 %) on genset G (cooling factor 0.5, other loads 2,000 VA).
    # W:  10,000 x (1 / 0.95 + 0.5) = 15,526.3; recharge 0.1 x 18,000 = 1,800;
    #     other 2,000 x 0.95 = 1,900                                      -> 19,226 W
    # VA: 10,526.3 x (1 / 0.95 + 0.5) = 16,343.4; recharge 0.1 x 20,000 = 2,000;
    #     other 2,000                                                      -> 20,343 VA
    s = snap([server("x", port("P1", feed="A", alloc=10_000))], [feed("A", amperage=63, voltage=400)],
             ups=[UPS(name="U1", site="s1", rated_va=20_000, rated_w=18_000, efficiency=0.95, genset="G")],
             gensets=[Genset(name="G", site="s1", rated_va=40_000, rated_w=32_000, other_loads_va=2_000,
                             cooling_factor=0.5)],
             panels=[PowerPanel(name="PA", site="s1", ups="U1")])
    g = compute_power(s, Policy()).gensets["G"]
    assert (g.load_w, g.load_va) == (19226, 20343)
    assert (g.recharge_w, g.cooling_w, g.other_w) == (1800, 5000, 1900)
    assert (g.capacity_va, g.capacity_w) == (32000, 25600)  # both ratings x the policy's 0.8


# --- three-phase legs ---------------------------------------------------------------------


def three_phase_rack(extra_devices: list[Device] | None = None, legs: str = "AABBC") -> Snapshot:
    """R1: A = three-phase 400 V 16 A 80 % (8,868 VA, 2,956 VA a leg) through a PDU whose
    outlets 1-5 are on legs `legs` ('-' = no leg); B = single-phase 230 V 16 A (2,944 VA)."""
    outlets = [PowerOutlet(name=str(i + 1), power_port="IN", feed_leg=None if x == "-" else x)
               for i, x in enumerate(legs)]
    pdu = Device(name="pdu", device_type="acme-pdu", site="s1", rack="R1", role="pdu",
                 power_ports=[port("IN", feed="A")], power_outlets=outlets)
    feeds = [feed("A", voltage=400, amperage=16, phase="three-phase"),
             feed("B", type="redundant", panel="PB", amperage=16)]
    return snap([pdu, *(extra_devices or [])], feeds)


def test_draw_lands_on_the_leg_of_its_outlet_and_each_leg_is_a_third_of_the_feed() -> None:
    # dual: 500 W on outlet 1 (leg A) + 500 W on B -> leg A 526.3 VA, 1,052.6 VA when B fails
    # solo: 300 W on outlet 3 (leg B)               -> leg B 315.8 VA
    # direct: 600 W cabled straight to the feed (a three-phase load) -> 200 W a leg, 210.5 VA
    s = three_phase_rack([
        server("dual", port("P1", outlet=("pdu", "1"), alloc=500), port("P2", feed="B", alloc=500)),
        server("solo", port("P1", outlet=("pdu", "3"), alloc=300)),
        server("direct", port("P1", feed="A", alloc=600))])
    r = compute_power(s, Policy())
    legs = {leg.leg: leg for leg in r.feeds["A"].legs}
    assert {k: (x.available_va, x.load_va, x.failover_load_va) for k, x in legs.items()} == {
        "A": (2956.0, 736.842, 1263.158),  # 526.3 + 210.5; on failover 1,052.6 + 210.5
        "B": (2956.0, 526.316, 526.316),  # 315.8 + 210.5
        "C": (2956.0, 210.526, 210.526)}
    # imbalance: mean 491.2; the largest deviation is C's, 280.7 -> 57.1 %
    assert imbalance_pct([x.load_va for x in legs.values()]) == 57.1
    assert kinds(r.findings)["leg_imbalance"] == [
        "feed A: legs unbalanced by 57.1 % (VA: A 737, B 526, C 211; more than 20 %): plug new servers into "
        "the least loaded leg"]


def test_a_leg_over_its_third_is_an_overload_and_unknown_legs_are_reported() -> None:
    # 2,900 W on leg A: 3,052.6 VA > 2,956; 600 W on outlet 5 (no leg): 200 W counted a leg
    s = three_phase_rack([server("big", port("P1", outlet=("pdu", "1"), alloc=2900)),
                          server("x", port("P1", outlet=("pdu", "5"), alloc=600))], legs="AABB-")
    found = kinds(compute_power(s, Policy()).findings)
    assert found["leg_overload"] == ["feed A: leg A carries 3263 VA against a third of the feed, 2956 VA"]
    assert found["no_feed_leg"] == [
        "feed A: 632 VA reaches this three-phase feed through PDU outlets with no feed leg: counted evenly on "
        "legs A, B and C; set the outlets' feed_leg"]


def test_a_leg_that_takes_the_other_side_on_failover_is_reported() -> None:
    # dual 2,000 W: 1,000 W on leg A (1,052.6 VA), 2,000 W when B fails (2,105.3 VA) ...
    # plus 1,000 W single-corded on leg A: 1,052.6 + 1,052.6 = 2,105.3 normal, 3,157.9 on failover
    s = three_phase_rack([
        server("dual", port("P1", outlet=("pdu", "1"), alloc=1000), port("P2", feed="B", alloc=1000)),
        server("solo", port("P1", outlet=("pdu", "2"), alloc=1000))])
    result = compute_power(s, Policy())
    found = kinds(result.findings)
    assert found["leg_failover_unsafe"] == [
        "feed A: when the other side fails, leg A carries 3158 VA against a third of the feed, 2956 VA"]
    assert "leg_overload" not in found
    # feed A as a whole would carry 3,158 VA of its 8,868 and B 2,105 of its 2,944: only the
    # leg is short, and that is enough for the rack to be unsafe on failover
    assert "failover_unsafe" not in found
    assert result.racks["R1"].failover_safe is False
    # the same servers spread over legs A and B: every leg holds, the rack is safe
    spread = three_phase_rack([
        server("dual", port("P1", outlet=("pdu", "1"), alloc=1000), port("P2", feed="B", alloc=1000)),
        server("solo", port("P1", outlet=("pdu", "3"), alloc=1000))])
    assert compute_power(spread, Policy()).racks["R1"].failover_safe is True


# --- cooling ------------------------------------------------------------------------------


def cooled(heat_w: int, *, units: int | None = 3, rack_kw: float | None = None) -> Snapshot:
    """Room "Hall" with 30 kW of cooling in `units` equal units; rack R1 there draws heat_w."""
    return snap([server("x", port("P1", feed="A", alloc=heat_w))], [feed("A", amperage=63, voltage=400)],
                locations=[Location(name="Hall", site="s1", cooling_kw=30, cooling_units=units)],
                rack_objects=[Rack(name="R1", site="s1", location="Hall", cooling_kw=rack_kw)])


@pytest.mark.parametrize("heat, units, capacity, found", [
    (19_000, 3, 20_000, None),  # 30 kW in 3 units, one spare: 20 kW
    (21_000, 3, 20_000, "cooling_failover_unsafe"),  # fits 30 kW, not 20 kW
    (31_000, 3, 20_000, "cooling_overload"),
    (21_000, None, 30_000, None),  # units unknown: no unit to keep spare
])
def test_room_cooling_keeps_its_largest_unit_spare(heat: int, units: int | None, capacity: float,
                                                   found: str | None) -> None:
    result = compute_capacity(cooled(heat, units=units))
    room = result.cooling["room:Hall"]
    assert (room.capacity_w, room.heat_w, room.headroom_w) == (capacity, heat, capacity - heat)
    cooling = [f.kind for f in result.findings if f.kind.startswith("cooling")]
    assert cooling == ([found] if found else [])


def test_a_rack_declares_its_own_cooling_without_n_plus_one() -> None:
    result = compute_capacity(cooled(7_000, rack_kw=6))
    rack = result.cooling["rack:R1"]
    assert (rack.capacity_w, rack.heat_w, rack.utilization_pct) == (6000, 7000, 116.7)
    assert [f.message for f in result.findings if f.kind == "cooling_overload"] == [
        "heat 7000 W exceeds its installed cooling 6000 W"]


# --- redundancy topology ------------------------------------------------------------------


def ups_pair(group_a: str | None, group_b: str | None, genset_b: str = "G1",
             genset_group: str | None = None) -> Snapshot:
    """R1: A from panel PA (UPS U1), B from PB (UPS U2); a dual 1,000 W server and a
    300 W one on A only."""
    return snap([server("x", port("P1", feed="R1-A", alloc=500), port("P2", feed="R1-B", alloc=500)),
                 server("solo", port("P1", feed="R1-A", alloc=300))],
                [feed("R1-A", amperage=32), feed("R1-B", type="redundant", panel="PB", amperage=32)],
                ups=[UPS(name="U1", site="s1", rated_va=20_000, genset="G1", redundancy_group=group_a),
                     UPS(name="U2", site="s1", rated_va=20_000, genset=genset_b, redundancy_group=group_b)],
                gensets=[Genset(name="G1", site="s1", rated_va=80_000, redundancy_group=genset_group),
                         Genset(name="G2", site="s1", rated_va=80_000, redundancy_group=genset_group)],
                panels=[PowerPanel(name="PA", site="s1", ups="U1"), PowerPanel(name="PB", site="s1", ups="U2")])


def test_a_ups_pair_feeding_a_and_b_without_a_group_still_fails_over_and_is_reported() -> None:
    # The issue: such a pair used to get failover = load. U1 carries 500 + 300 W, U2 500 W;
    # when U1 fails, x's 500 W moves to U2 (1,000 W); when U2 fails, to U1 (1,300 W).
    r = compute_power(ups_pair(None, None), Policy(power_factor=1))
    assert (r.ups["U1"].load_w, r.ups["U2"].load_w) == (800, 500)
    assert (r.ups["U1"].failover_load_w, r.ups["U2"].failover_load_w) == (1300, 1000)
    assert kinds(r.findings)["ups_pair_without_group"] == [
        "UPS U1, UPS U2: they feed the A and B sides of rack(s) R1 but share no redundancy_group: failover "
        "counts them as one group; declare it in NetBox"]
    # two different groups are not a shared one either
    assert "ups_pair_without_group" in kinds(compute_power(ups_pair("g1", "g2"), Policy()).findings)
    assert "ups_pair_without_group" not in kinds(compute_power(ups_pair("g", "g"), Policy()).findings)


def test_a_redundancy_group_on_one_genset_without_a_partner_is_a_single_point_of_failure() -> None:
    assert kinds(compute_power(ups_pair("g", "g"), Policy()).findings)["ups_group_single_genset"] == [
        "UPS group g: UPS U1 and UPS U2 both run on genset G1, which has no partner genset: on a mains failure "
        "that genset is a single point of failure"]
    # on two gensets, or on one genset with a partner: no finding
    assert "ups_group_single_genset" not in kinds(compute_power(ups_pair("g", "g", "G2"), Policy()).findings)
    assert "ups_group_single_genset" not in kinds(
        compute_power(ups_pair("g", "g", genset_group="gg"), Policy()).findings)


def test_an_undeclared_ups_pair_on_one_genset_is_the_same_single_point_of_failure() -> None:
    # U1 and U2 feed R1's A and B sides with no group declared: failover already counts them
    # as one group, so the genset under both is as single a point of failure as for a group
    found = kinds(compute_power(ups_pair(None, None), Policy()).findings)
    assert found["ups_group_single_genset"] == [
        "UPS U1, UPS U2: UPS U1 and UPS U2 both run on genset G1, which has no partner genset: on a mains "
        "failure that genset is a single point of failure"]
    assert "ups_pair_without_group" in found
    assert "ups_group_single_genset" not in kinds(compute_power(ups_pair(None, None, "G2"), Policy()).findings)


def test_a_and_b_feeds_on_the_same_ups_are_not_2n() -> None:
    s = ups_pair("g", "g").model_copy(update={"power_panels": [
        PowerPanel(name="PA", site="s1", ups="U1"), PowerPanel(name="PB", site="s1", ups="U1")]})
    assert kinds(compute_power(s, Policy()).findings)["ab_same_ups"] == [
        "rack R1: its A feed R1-A and B feed R1-B both hang from UPS U1: that UPS is a single point of "
        "failure, the rack is not 2N"]


# --- bandwidth ----------------------------------------------------------------------------


def uplinks(*links: tuple[int, int | None], mbps: float = 0) -> Snapshot:
    devices = [Device(name="d", device_type="t", site="s1", custom_fields={"bandwidth_mbps": mbps})] if mbps else []
    return Snapshot(sites=[Site(name="s1")], device_types=[DeviceType(key="t", manufacturer="a", model="t")],
                    devices=devices,
                    uplinks=[Uplink(name=f"isp{i}", site="s1", provider="p", commit_kbps=c, port_kbps=p)
                             for i, (c, p) in enumerate(links)])


def test_a_burst_above_commit_is_capped_by_the_port() -> None:
    # oversubscription 2: isp0 commits 1 Gbps on a 1.5 Gbps port -> 1.5 Gbps, not 2;
    # isp1 commits 0.5 Gbps on an unrecorded port -> 1 Gbps. Largest down: 1 Gbps left.
    ups, sites = compute_bandwidth(uplinks((1_000_000, 1_500_000), (500_000, None)),
                                   Policy(bandwidth_oversubscription=2))
    assert [u.allocatable_kbps for u in ups.values()] == [1_500_000, 1_000_000]
    bw = sites["s1"]
    assert (bw.allocatable_kbps, bw.failover_allocatable_kbps, bw.burst_kbps) == (2_500_000, 1_000_000, 2_000_000)


def test_more_allocated_than_is_left_after_the_largest_uplink_fails_is_a_warning() -> None:
    # the demo: 2,520 Mbps allocated, 2 + 1 Gbps committed: 1,000 Mbps left
    s = uplinks((2_000_000, None), (1_000_000, None), mbps=2520)
    ups, sites = compute_bandwidth(s, Policy())
    assert sites["s1"].failover_free_kbps == -1_520_000
    [finding] = bandwidth_findings(s, ups, sites)
    assert (finding.kind, finding.severity, finding.message) == (
        "bandwidth_failover_short", "warning",
        "2,520 Mbps allocated against 1,000 Mbps left when uplink isp0 (2,000 Mbps) fails")
    assert bandwidth_findings(*_with(uplinks((2_000_000, None), (1_000_000, None), mbps=1000))) == []


def _with(s: Snapshot) -> tuple[Snapshot, Any, Any]:
    return (s, *compute_bandwidth(s, Policy()))


# --- hosting ------------------------------------------------------------------------------


def test_hosting_counts_physical_cores_hypervisor_memory_and_a_shared_datastore() -> None:
    # h1, h2: 16 cores / 32 threads / 256 GB; h3: 24 cores / 48 threads / 384 GB; 8 GB each
    # for the hypervisor. N+1 drops h3 per resource: vCPU (16 + 16) x 4 = 128; memory
    # 248 + 248 = 496 GB. Disk from the datastore: 10,000 GB / replication 2 = 5,000 GB.
    # The largest VM after N+1 (h3 failed): h1's 32 threads and 248 GB.
    hosts = [ClusterHost(device=k, capacity=HostCapacity(vcpus=0, memory_gb=m, disk_gb=1000, cores=c, threads=t))
             for k, c, t, m in (("h1", 16, 32, 256), ("h2", 16, 32, 256), ("h3", 24, 48, 384))]
    s = Snapshot(sites=[Site(name="s1")], device_types=[DeviceType(key="t", manufacturer="a", model="t")],
                 devices=[Device(name=h.device, device_type="t", site="s1") for h in hosts],
                 clusters=[Cluster(name="c1", site="s1", hosts=hosts, datastore_gb=10_000, replication_factor=2)])
    c = compute_clusters(s, Policy())["c1"]
    assert (c.vcpu_basis, c.cores, c.threads) == ("cores", 56, 112)
    assert (c.vcpus_capacity, c.memory_gb_capacity, c.disk_gb_capacity) == (128, 496, 5000)
    assert (c.vm_max_vcpus, c.vm_max_memory_gb) == (32, 248)


# --- site totals --------------------------------------------------------------------------


def test_a_site_counts_what_one_side_gives_not_a_plus_b() -> None:
    # R1: A 5,888 + B 5,888; R2: A 5,888 + B 2,944 (16 A). With one side failed: 5,888 + 2,944
    feeds = [feed("R1-A", amperage=32), feed("R1-B", type="redundant", panel="PB", amperage=32),
             feed("R2-A", rack="R2", amperage=32), feed("R2-B", rack="R2", type="redundant", panel="PB", amperage=16)]
    s = snap([], feeds, racks=("R1", "R2"))
    [site] = build_report(s, compute_capacity(s))["sites"]
    assert (site["available_va"], site["installed_va"]) == (8832, 20608)


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("body, message", [
    ("ups:\n  - {name: U1, site: s1, rated_va: 10000, rated_w: 12000}\n",
     "ups[0] (U1): rated_w (12000) exceeds rated_va (10000): real power cannot exceed apparent power"),
    ("device_types: [{manufacturer: a, model: h, power_factor: 1.5}]\n",
     "device_types[0].power_factor: Input should be less than or equal to 1"),
    ("locations: [{name: Hall, site: s1, cooling_kw: -5}]\n",
     "locations[0] (Hall).cooling_kw: Input should be greater than or equal to 0"),
    ("device_types: [{manufacturer: a, model: h}]\ndevices: [{name: h1, device_type: a-h, site: s1}]\n"
     "clusters:\n  - {name: c, site: s1, replication_factor: 0.5,\n"
     "     hosts: [{device: h1, capacity: {vcpus: 8, memory_gb: 64, disk_gb: 0, cores: 16, threads: 8}}]}\n",
     "clusters[0] (c).hosts[0].capacity: threads (8) are fewer than cores (16); "
     "clusters[0] (c).replication_factor: Input should be greater than or equal to 1"),
])
def test_impossible_engineering_inputs_are_bad_input(tmp_path: Any, body: str, message: str) -> None:
    from click.testing import CliRunner

    from colo_cli.main import cli

    path = tmp_path / "dc.yaml"
    path.write_text("sites: [{name: s1}]\n" + body, encoding="utf-8")
    result = CliRunner().invoke(cli, ["capacity", "report", "--source", str(path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"Error: {path}: {message}"
