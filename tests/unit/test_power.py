"""Power per feed and rack (NetBox-exact and this project's load with A/B failover), UPS,
genset: small hand-built data centres with hand-computed expectations.

These pin the topology of the maths (what moves where on a failure). They compute with
`W_AS_VA`, a policy of power factor 1 and no battery recharge, so that their hand-made
figures stay in plain watts; the power factor, the W ratings, recharge and cooling have
their own hand-computed tests in tests/unit/test_power_engineering.py."""

from __future__ import annotations

from typing import Any

import pytest

from capacity.policy import Policy
from capacity.power import (
    compute_power,
    feed_available_va,
    group_failover,
    split_evenly,
)
from capacity.scan import scan_devices
from inventory.model import UPS, Commitment, Genset, PowerFeed, PowerPanel, Snapshot
from tests.support.power_data import ab_feeds, feed, pdu, port, server, snap

#: power factor 1 (VA = W), W ratings equal to VA ratings, no battery recharge: the
#: figures below are topology only
PLAIN = dict(power_factor=1, ups_recharge_pct=0, ups_rated_power_factor=1, genset_rated_power_factor=1)
W_AS_VA = Policy(**PLAIN)


def kinds(result: Any) -> list[tuple[str, str]]:
    return sorted((f.kind, f.object) for f in result.findings)


# --- NetBox-exact available VA ----------------------------------------------------------


@pytest.mark.parametrize("kw, expected", [
    # 230 x 16 x 0.8 = 2944
    (dict(voltage=230, amperage=16, max_utilization=80), 2944),
    # 400 x 32 x 0.8 = 10240, x 1.732 = 17735.68 -> 17736
    (dict(voltage=400, amperage=32, max_utilization=80, phase="three-phase"), 17736),
    # DC -48 V: |V| -> 48 x 100 x 0.9 = 4320
    (dict(voltage=-48, amperage=100, max_utilization=90, supply="dc"), 4320),
    # 5 x 1 x 0.5 = 2.5 -> 2: NetBox's round() is Python's, half to even
    (dict(voltage=5, amperage=1, max_utilization=50), 2),
    # 7 x 1 x 0.5 = 3.5 -> 4
    (dict(voltage=7, amperage=1, max_utilization=50), 4),
    # three-phase 230 x 10 x 1.0 = 2300 x 1.732 = 3983.6 -> 3984
    (dict(voltage=230, amperage=10, max_utilization=100, phase="three-phase"), 3984),
])
def test_feed_available_va_as_netbox(kw: dict[str, Any], expected: int) -> None:
    assert feed_available_va(PowerFeed(name="F", panel="PA", **kw)) == expected


# --- NetBox-exact rack utilization and this project's load ------------------------------


def test_direct_ports_netbox_pct_and_load() -> None:
    # web: 300 allocated on A. db: only a maximum (500) on B: NetBox allocates 0 for it,
    # this project loads its maximum.
    s = snap([server("web", port("PSU1", feed="R1-A", alloc=300, maxi=600)),
              server("db", port("PSU1", feed="R1-B", maxi=500))], ab_feeds())
    r = compute_power(s, W_AS_VA)
    a, b = r.feeds["R1-A"], r.feeds["R1-B"]
    assert (a.available_va, a.allocated_va, a.load_va) == (5888, 300, 300)
    assert (b.available_va, b.allocated_va, b.load_va) == (5888, 0, 500)
    rack = r.racks["R1"]
    # NetBox: round(300 / 11776 * 100, 1) = round(2.5475..., 1) = 2.5
    assert rack.power_utilization_pct == 2.5
    assert (rack.available_va, rack.allocated_va, rack.load_va) == (11776, 300, 800)
    assert (a.headroom_va, b.headroom_va) == (5588, 5388)


def test_three_phase_feed_in_the_rack_figure() -> None:
    feeds = [feed("A", type="primary", voltage=400, amperage=32, phase="three-phase"),
             feed("B", type="redundant", voltage=230, amperage=32)]
    s = snap([server("x", port("P1", feed="A", alloc=1000), port("P2", feed="B", alloc=1000))],
             feeds)
    r = compute_power(s, W_AS_VA)
    assert r.feeds["A"].available_va == 17736 and r.feeds["B"].available_va == 5888
    # round(2000 / 23624 * 100, 1) = round(8.4660..., 1) = 8.5
    assert r.racks["R1"].power_utilization_pct == 8.5
    # worst surviving feed after a failure is B (5888 - 2000 = 3888 < 17736 - 2000)
    assert r.racks["R1"].failover_load_va == 2000
    assert r.racks["R1"].failover_available_va == 5888
    assert r.racks["R1"].failover_headroom_va == 3888


def test_rack_without_feeds_has_zeros() -> None:
    s = snap([server("x", port("P1", alloc=100), rack="R2")], ab_feeds(), racks=("R1", "R2"))
    r = compute_power(s, W_AS_VA)
    rp = r.racks["R2"]
    assert (rp.available_va, rp.load_va, rp.failover_load_va, rp.power_utilization_pct) == \
        (0, 0, 0, 0.0)
    assert rp.feeds == [] and rp.failover_safe


def test_nested_pdu_chain_netbox_recursion_and_load() -> None:
    # A -> PDU1.in (auto) -> o1 -> PDU2.in (auto) -> o1 -> s1.P (200 alloc)
    #                     -> o2 -> s2.P (max 400 only: NetBox 0, load 400)
    #                     -> o3 -> s3.P (nothing: NetBox 0, load 0 + finding)
    pdu1 = pdu("PDU1", {"in": port("in", feed="R1-A")}, {"o1": "in", "o2": "in", "o3": "in"})
    pdu2 = pdu("PDU2", {"in": port("in", outlet=("PDU1", "o1"))}, {"o1": "in"})
    s = snap([pdu1, pdu2,
              server("s1", port("P", outlet=("PDU2", "o1"), alloc=200, maxi=300)),
              server("s2", port("P", outlet=("PDU1", "o2"), maxi=400)),
              server("s3", port("P", outlet=("PDU1", "o3")))], ab_feeds())
    r = compute_power(s, W_AS_VA)
    a = r.feeds["R1-A"]
    assert a.allocated_va == 200  # NetBox: 200 + 0 + 0 through two auto-mode PDU inputs
    assert a.load_va == 600  # 200 + 400 + 0
    assert a.devices_without_draw == 1
    # round(200 / 11776 * 100, 1) = 1.7
    assert r.racks["R1"].power_utilization_pct == 1.7


def test_pdu_input_with_its_own_draw() -> None:
    # NetBox: an explicit value on the PDU input wins over its outlets (1000, not 300).
    # Load: max(1000, 300) = 1000; the 700 over what we know is the PDU's own fixed draw.
    pdu_a = pdu("PDU-A", {"in": port("in", feed="R1-A", alloc=1000)}, {"o1": "in"})
    pdu_b = pdu("PDU-B", {"in": port("in", feed="R1-B", maxi=200)}, {"o1": "in"})
    s = snap([pdu_a, pdu_b,
              server("x", port("P1", outlet=("PDU-A", "o1"), alloc=300),
                     port("P2", outlet=("PDU-B", "o1"), alloc=300))], ab_feeds())
    r = compute_power(s, W_AS_VA)
    a, b = r.feeds["R1-A"], r.feeds["R1-B"]
    assert (a.allocated_va, a.load_va) == (1000, 1000)
    # B: NetBox takes the input's own value, allocated None -> 0; load max(200, 300) = 300
    assert (b.allocated_va, b.load_va) == (0, 300)
    # B fails: x's 300 moves to its A port, on top of the PDU's 1000 -> 1300
    assert a.failover_load_va == 1300
    # A fails: x's 300 moves to B -> 600 (the PDU-A excess does not move)
    assert b.failover_load_va == 600


def test_pdu_port_feeding_no_outlet_is_a_leaf_of_the_pdu() -> None:
    # PDU with two inputs: "in" feeds the outlets, "mgmt" (its own electronics) feeds none
    p = pdu("PDU1", {"in": port("in", feed="R1-A"), "mgmt": port("mgmt", feed="R1-B", alloc=40)},
            {"o1": "in"})
    s = snap([p, server("x", port("P", outlet=("PDU1", "o1"), alloc=100, maxi=200))], ab_feeds())
    r = compute_power(s, W_AS_VA)
    assert (r.feeds["R1-A"].allocated_va, r.feeds["R1-A"].load_va) == (100, 100)
    assert (r.feeds["R1-B"].allocated_va, r.feeds["R1-B"].load_va) == (40, 40)
    # round(140 / 11776 * 100, 1) = 1.2
    assert r.racks["R1"].power_utilization_pct == 1.2


def test_loop_of_pdus_terminates_and_is_dangling() -> None:
    # PDU-X and PDU-Y feed each other: nothing upstream; the server on them reaches no feed
    x = pdu("PDU-X", {"in": port("in", outlet=("PDU-Y", "o1"))}, {"o1": "in", "o2": "in"})
    y = pdu("PDU-Y", {"in": port("in", outlet=("PDU-X", "o1"))}, {"o1": "in"})
    s = snap([x, y, server("lost", port("P", outlet=("PDU-X", "o2"), alloc=250)),
              server("fine", port("P", feed="R1-A", alloc=100))], ab_feeds())
    r = compute_power(s, W_AS_VA)
    assert r.feeds["R1-A"].load_va == 100 and r.feeds["R1-A"].allocated_va == 100
    assert r.feeds["R1-B"].load_va == 0
    scan = scan_devices(s)
    dangling = {s.devices[di].name for di, _ in scan.dangling}
    assert dangling == {"PDU-X", "PDU-Y"}


# --- A/B failover -----------------------------------------------------------------------


def test_failover_moves_the_whole_draw_to_the_surviving_side() -> None:
    s = snap([server("x", port("P1", feed="R1-A", alloc=300), port("P2", feed="R1-B", alloc=250)),
              server("y", port("P1", feed="R1-A", alloc=100), port("P2", feed="R1-B", alloc=100))],
             ab_feeds())
    r = compute_power(s, W_AS_VA)
    a, b = r.feeds["R1-A"], r.feeds["R1-B"]
    assert (a.load_va, b.load_va) == (400, 350)
    assert a.failover_load_va == 750 and b.failover_load_va == 750
    assert (a.failover_headroom_va, b.failover_headroom_va) == (5138, 5138)
    rack = r.racks["R1"]
    assert rack.load_va == 750
    assert (rack.failover_load_va, rack.failover_available_va) == (750, 5888)
    assert rack.failover_safe


def test_failover_splits_over_several_surviving_ports() -> None:
    # z: two ports on A1, A2 (both primary) and one on B. B fails: its 301 splits
    # 151 + 150 over the two A ports. A (A1 and A2) fails: 100 + 200 go to B.
    feeds = [feed("A1", type="primary"), feed("A2", type="primary"),
             feed("B", type="redundant")]
    s = snap([server("z", port("P1", feed="A1", alloc=100), port("P2", feed="A2", alloc=200),
                     port("P3", feed="B", alloc=301))], feeds)
    r = compute_power(s, W_AS_VA)
    assert r.feeds["A1"].failover_load_va == 100 + 151
    assert r.feeds["A2"].failover_load_va == 200 + 150
    assert r.feeds["B"].failover_load_va == 301 + 300


def test_single_corded_device_is_a_finding_and_does_not_move() -> None:
    s = snap([server("solo", port("P1", feed="R1-A", alloc=400)),
              server("duo", port("P1", feed="R1-A", alloc=100),
                     port("P2", feed="R1-B", alloc=100))],
             ab_feeds())
    r = compute_power(s, W_AS_VA)
    assert ("single_corded", "device solo") in kinds(r)
    assert ("single_corded", "device duo") not in kinds(r)
    # A fails: only duo's 100 moves to B; solo goes dark
    assert r.feeds["R1-B"].failover_load_va == 200
    assert r.feeds["R1-A"].failover_load_va == 600


def test_single_corded_on_a_single_sided_rack_is_not_a_finding() -> None:
    s = snap([server("solo", port("P1", feed="A", alloc=400))], [feed("A", type="primary")])
    r = compute_power(s, W_AS_VA)
    assert kinds(r) == []
    assert r.feeds["A"].failover_load_va == 400  # nothing to fail over to: its own load


def test_failover_unsafe_rack() -> None:
    # 230 x 16 x 0.8 = 2944 per feed; 2 x 1600 dual-fed: normal 1600, failover 3200 > 2944
    feeds = [feed("A", amperage=16), feed("B", type="redundant", amperage=16)]
    s = snap([server(f"x{i}", port("P1", feed="A", alloc=800), port("P2", feed="B", alloc=800))
              for i in range(2)], feeds)
    r = compute_power(s, W_AS_VA)
    assert r.feeds["A"].load_va == 1600 and r.feeds["A"].failover_load_va == 3200
    assert not r.racks["R1"].failover_safe
    assert r.racks["R1"].failover_headroom_va == 2944 - 3200
    assert ("failover_unsafe", "rack R1") in kinds(r)
    assert not any(f.kind == "overload" for f in r.findings)


def test_overload_finding() -> None:
    s = snap([server("big", port("P1", feed="A", alloc=3000))],
             [feed("A", amperage=16)])  # 2944 available
    r = compute_power(s, W_AS_VA)
    assert ("overload", "feed A") in kinds(r)
    assert r.feeds["A"].headroom_va == -56


def test_missing_draw_counts_zero_and_is_reported() -> None:
    s = snap([server("nodata", port("P1", feed="R1-A"), port("P2", feed="R1-B")),
              server("zero", port("P1", feed="R1-A", alloc=0, maxi=450))], ab_feeds())
    r = compute_power(s, W_AS_VA)
    # nodata: 0 on both; zero: an allocated draw of 0 is "not given": its maximum counts
    assert r.feeds["R1-A"].load_va == 450
    assert r.feeds["R1-A"].devices_without_draw == 1
    assert r.feeds["R1-B"].devices_without_draw == 1
    scan = scan_devices(s)
    assert [(s.devices[di].name, ports) for di, ports in scan.no_draw] == \
        [("nodata", ["P1", "P2"])]


# --- feed status ------------------------------------------------------------------------


def test_offline_feed_gives_no_supply_and_its_load_is_a_finding() -> None:
    feeds = [feed("A", amperage=32), feed("B", type="redundant", amperage=32, status="offline")]
    s = snap([server("x", port("P1", feed="A", alloc=300), port("P2", feed="B", alloc=300))],
             feeds)
    r = compute_power(s, W_AS_VA)
    rack = r.racks["R1"]
    assert rack.available_va == 5888  # B is offline: not available supply
    # NetBox still counts every feed of the rack: round(600 / 11776 * 100, 1) = 5.1
    assert rack.power_utilization_pct == 5.1
    assert r.feeds["B"].available_va == 5888  # the feed's own figure is still reported
    # B carries 300 VA (600 after A fails) with no supply: not failover-safe
    assert not rack.failover_safe
    assert (rack.failover_load_va, rack.failover_available_va) == (600, 0)
    assert ("inactive_feed_load", "feed B") in kinds(r)


# --- commitments ------------------------------------------------------------------------


def test_commitment_on_named_feeds_and_failover() -> None:
    s = snap([server("x", port("P1", feed="R1-A", alloc=100), port("P2", feed="R1-B", alloc=100))],
             ab_feeds(), commitments=[Commitment(request_id="REQ-1", feeds=["R1-A", "R1-B"],
                                                 draw_va=1001)])
    r = compute_power(s, W_AS_VA)
    a, b = r.feeds["R1-A"], r.feeds["R1-B"]
    # 1001 split 501 + 500
    assert (a.committed_va, b.committed_va) == (501, 500)
    assert (a.load_va, b.load_va) == (601, 600)
    # B fails: x's 100 and the commitment's 500 move to A -> 601 + 600 = 1201
    assert a.failover_load_va == 1201 and b.failover_load_va == 1201
    assert r.racks["R1"].load_va == 1201


def test_commitment_with_rack_only_spreads_over_its_active_feeds() -> None:
    s = snap([], ab_feeds(), commitments=[Commitment(request_id="REQ-2", rack="R1", draw_va=800)])
    r = compute_power(s, W_AS_VA)
    assert (r.feeds["R1-A"].committed_va, r.feeds["R1-B"].committed_va) == (400, 400)
    assert r.feeds["R1-A"].failover_load_va == 800


def test_commitment_without_feed_or_rack_is_a_finding() -> None:
    s = snap([], ab_feeds(), commitments=[Commitment(request_id="REQ-3", site="s1", draw_va=800)])
    r = compute_power(s, W_AS_VA)
    assert ("commitment_unplaced", "request REQ-3") in kinds(r)
    assert r.racks["R1"].load_va == 0


# --- UPS and gensets --------------------------------------------------------------------


def ups_pair_snapshot(same_genset: bool = True, genset_group: str | None = None,
                      **ups_kw: Any) -> Snapshot:
    panels = [PowerPanel(name="PA", site="s1", ups="U1"),
              PowerPanel(name="PB", site="s1", ups="U2")]
    ups = [UPS(name="U1", site="s1", rated_va=10000, genset="G1", redundancy_group="pair",
               **ups_kw),
           UPS(name="U2", site="s1", rated_va=10000, genset="G1" if same_genset else "G2",
               redundancy_group="pair", **ups_kw)]
    gensets = [Genset(name="G1", site="s1", rated_va=50000, other_loads_va=1000,
                      redundancy_group=genset_group)]
    if not same_genset:
        gensets.append(Genset(name="G2", site="s1", rated_va=50000, redundancy_group=genset_group))
    devices = [server("x", port("P1", feed="R1-A", alloc=470), port("P2", feed="R1-B", alloc=470)),
               server("solo", port("P1", feed="R1-A", alloc=94))]
    return snap(devices, ab_feeds(), ups=ups, gensets=gensets, panels=panels)


def test_ups_pair_failover() -> None:
    r = compute_power(ups_pair_snapshot(), W_AS_VA)
    u1, u2 = r.ups["U1"], r.ups["U2"]
    assert (u1.load_va, u2.load_va) == (564, 470)
    assert u1.capacity_va == 8000  # 10000 x the policy's 0.8
    # U2 fails: x's 470 moves to U1; U1 fails: x's 470 moves to U2, solo goes dark
    assert (u1.failover_load_va, u2.failover_load_va) == (1034, 940)
    assert (u1.headroom_va, u1.failover_headroom_va) == (8000 - 564, 8000 - 1034)
    # 564 / 8000 * 100 is 7.049999... in binary floating point -> 7.0
    assert u1.utilization_pct == 7.0
    assert r.feeds["R1-A"].ups == "U1"


def test_ups_own_derating_wins() -> None:
    r = compute_power(ups_pair_snapshot(derating=0.9), Policy(ups_derating=0.5, **PLAIN))
    assert r.ups["U1"].capacity_va == 9000


def test_genset_load_includes_ups_losses_and_cooling() -> None:
    r = compute_power(ups_pair_snapshot(efficiency=0.94), W_AS_VA)
    g = r.gensets["G1"]
    # (564 + 470) / 0.94 + 1000 = 1100 + 1000 = 2100
    assert g.load_va == 2100
    assert g.capacity_va == 40000  # 50000 x the policy's genset derating 0.8
    # both UPSs on G1: a UPS failure moves load within G1; nothing changes
    assert g.failover_load_va == 2100


def test_genset_uses_the_policy_efficiency_by_default() -> None:
    r = compute_power(ups_pair_snapshot(), Policy(ups_efficiency=0.5, **PLAIN))
    # (564 + 470) / 0.5 + 1000 = 3068
    assert r.gensets["G1"].load_va == 3068


def test_ups_partners_on_two_gensets_move_load_between_them() -> None:
    r = compute_power(ups_pair_snapshot(same_genset=False, efficiency=0.94), W_AS_VA)
    g1, g2 = r.gensets["G1"], r.gensets["G2"]
    # G1: 564 / 0.94 + 1000 = 1600; G2: 470 / 0.94 = 500
    assert (g1.load_va, g2.load_va) == (1600, 500)
    # U2 fails: x's 470 moves to U1 -> G1 gains 470 / 0.94 = 500 -> 2100
    # U1 fails: x's 470 moves to U2 -> G2 gains 500 -> 1000
    assert (g1.failover_load_va, g2.failover_load_va) == (2100, 1000)


def test_gensets_in_a_group_back_each_other_up() -> None:
    r = compute_power(ups_pair_snapshot(same_genset=False, genset_group="gg", efficiency=0.94),
                      W_AS_VA)
    # G2 fails: the dual-fed x's 500 (at genset level) moves to G1: 1600 + 500 = 2100;
    # G1 fails: x's 500 moves to G2 (solo and the cooling do not): 500 + 500 = 1000
    assert (r.gensets["G1"].failover_load_va, r.gensets["G2"].failover_load_va) == (2100, 1000)


def test_ups_overload_is_a_finding() -> None:
    panels = [PowerPanel(name="PA", site="s1", ups="U1")]
    s = snap([server("x", port("P1", feed="A", alloc=900))], [feed("A")],
             ups=[UPS(name="U1", site="s1", rated_va=1000)], panels=panels)
    r = compute_power(s, W_AS_VA)  # capacity 800
    assert ("overload", "UPS U1") in kinds(r)
    assert r.ups["U1"].headroom_va == -100


# --- the generic group function ---------------------------------------------------------


def test_split_evenly() -> None:
    assert split_evenly(10, 3) == [4, 3, 3]
    assert split_evenly(9, 3) == [3, 3, 3]
    assert split_evenly(1.5, 2) == [0.75, 0.75]


def test_group_failover_three_sided_group() -> None:
    # a UPS group of three: a unit on all three; each failure spreads over the other two
    side = {"U1": "U1", "U2": "U2", "U3": "U3"}
    group = {"U1": "g", "U2": "g", "U3": "g"}
    gl = group_failover([[("U1", 300), ("U2", 300), ("U3", 300)], [("U1", 50)]], side, group)
    assert gl.load == {"U1": 350, "U2": 300, "U3": 300}
    # U2 or U3 fails: U1 gains 150
    assert gl.failover_load == {"U1": 500, "U2": 450, "U3": 450}
    assert gl.single_sided == [(1, "g", "U1")]


# --- plumbing -----------------------------------------------------------------------------


def test_a_shared_scan_gives_the_same_figures() -> None:
    s = ups_pair_snapshot(efficiency=0.94)
    assert compute_power(s, W_AS_VA, scan_devices(s)) == compute_power(s, W_AS_VA)


def test_the_garbage_collector_is_left_as_it_was() -> None:
    import gc

    s = ups_pair_snapshot()
    assert gc.isenabled()
    compute_power(s, W_AS_VA)
    assert gc.isenabled()
    gc.disable()
    try:
        compute_power(s, W_AS_VA)
        assert not gc.isenabled()
    finally:
        gc.enable()
