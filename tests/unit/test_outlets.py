"""Plugs as a capacity dimension: every PSU of a placed server needs a free PDU outlet on
its feed, or the feed itself when nothing is cabled to it (capacity/outlets.py).

Data centres are the hand-built ones of test_fit.py: racks of 10U, feeds `<rack>-A`
(primary) and `<rack>-B` (redundant) of 1000 VA, a PDU of 8 outlets on each feed unless
the rack is `direct` (servers cabled straight to the feeds) or `outlets=` says otherwise.
"""

from __future__ import annotations

from capacity.engine import compute_capacity
from capacity.outlets import compute_plugs, plugs_needed, psu_feeds
from capacity.policy import Policy
from inventory.model import Commitment, Device, OutletRef, PowerOutlet, PowerPort
from tests.support.fit_data import dc, dev, fit, rack, server


def plugs(snap: object) -> dict[str, tuple[str, int, int]]:
    """feed name -> (kind, plugs, free)."""
    return {k: (p.kind, p.plugs, p.free) for k, p in compute_plugs(snap).items()}  # type: ignore[arg-type]


# --------------------------------------------------------------------------- counting


def test_a_feed_offers_itself_its_pdus_free_outlets_or_nothing() -> None:
    # R1: PDUs of 8 outlets, server a on outlet 1 of each -> 7 free per feed.
    # R2: server b cabled straight to both feeds -> nothing. R3: nothing cabled -> the feed.
    snap = dc([rack("R1"), rack("R2"), rack("R3")],
              [dev("a", "R1", 1, draw=(100, 100)), dev("b", "R2", 1, draw=(100, 100))],
              direct=("R2", "R3"))
    assert plugs(snap) == {
        "R1-A": ("pdu", 7, 7), "R1-B": ("pdu", 7, 7),
        "R2-A": ("device", 0, 0), "R2-B": ("device", 0, 0),
        "R3-A": ("feed", 1, 1), "R3-B": ("feed", 1, 1),
    }
    assert compute_plugs(snap)["R1-A"].pdus == ["R1-pdu-A"]


def test_daisy_chained_pdus_count_and_untied_outlets_do_not() -> None:
    # R1's A PDU (8 outlets): outlet 1 feeds a second PDU of 4 outlets (one taken by a
    # server), outlets 2-8 free -> 7 + 3 = 10 plugs on R1-A. A third PDU whose outlets are
    # tied to no input port offers nothing: a server on one would count on no feed.
    chained = Device(name="chain", device_type="pdu", site="dc", rack="R1", role="pdu",
                     power_ports=[PowerPort(name="IN", outlet=OutletRef(device="R1-pdu-A", name="1"))],
                     power_outlets=[PowerOutlet(name=str(i), power_port="IN") for i in range(1, 5)])
    untied = Device(name="untied", device_type="pdu", site="dc", rack="R1", role="pdu",
                    power_ports=[PowerPort(name="IN", outlet=OutletRef(device="R1-pdu-A", name="2"))],
                    power_outlets=[PowerOutlet(name=str(i)) for i in range(1, 5)])
    s = Device(name="s", device_type="1u", site="dc", rack="R1", position=1, face="front",
               power_ports=[PowerPort(name="PSU1", allocated_draw=50, outlet=OutletRef(device="chain", name="1"))])
    snap = dc([rack("R1")], [chained, untied, s])
    got = compute_plugs(snap)["R1-A"]
    assert (got.kind, got.plugs) == ("pdu", 6 + 3)  # outlets 3-8 of the first PDU, 2-4 of the chained one
    assert got.pdus == ["R1-pdu-A", "chain"]


def test_psu_i_goes_on_feed_i_mod_the_feeds() -> None:
    assert psu_feeds(4, ["A", "B"]) == ["A", "B", "A", "B"]
    assert psu_feeds(3, ["A", "B"]) == ["A", "B", "A"]
    assert plugs_needed(3, ["A", "B"]) == {"A": 2, "B": 1}
    assert plugs_needed(1, ["A"]) == {"A": 1}
    assert psu_feeds(2, []) == []


def test_commitments_hold_plugs() -> None:
    # R1 has free feeds (1 plug each); an approved 2-PSU server holds both; a 3-PSU one on
    # a PDU rack holds 2 on A and 1 on B; a commitment without psu_count holds one per feed.
    snap = dc([rack("R1"), rack("R2"), rack("R3")], direct=("R1",))
    snap = snap.model_copy(update={"commitments": [
        Commitment(request_id="REQ-1", rack="R1", feeds=["R1-A", "R1-B"], psu_count=2, draw_va=100),
        Commitment(request_id="REQ-2", rack="R2", feeds=["R2-A", "R2-B"], psu_count=3, draw_va=100),
        Commitment(request_id="REQ-3", rack="R3", feeds=["R3-A", "R3-B"], draw_va=100),
    ]})
    got = compute_capacity(snap).plugs
    assert {k: (p.plugs, p.committed, p.free) for k, p in got.items()} == {
        "R1-A": (1, 1, 0), "R1-B": (1, 1, 0),
        "R2-A": (8, 2, 6), "R2-B": (8, 1, 7),
        "R3-A": (8, 1, 7), "R3-B": (8, 1, 7),
    }


# --------------------------------------------------------------------------- placement


def test_a_rack_whose_feeds_are_cabled_to_servers_is_not_offered() -> None:
    # The issue: R1 holds a server cabled straight to both feeds (no PDU) and plenty of
    # power; R2 is empty with free, uncabled feeds. Only R2 can take a new server: R1's
    # feeds have one cable each, already used.
    snap = dc([rack("R1"), rack("R2")], [dev("a", "R1", 1, draw=(100, 100))], direct=("R1", "R2"))
    report = fit(snap, server(draw=200))
    assert report.fits
    assert [p.racks for p in report.placements] == [["R2"]]
    outlets = report.dimension("outlets")
    assert (outlets.unit, outlets.before, outlets.requested, outlets.after, outlets.verdict) == (
        "plugs", 2, 2, 0, "fits")
    assert "R2 A 1, B 1" in outlets.reason


def test_no_plug_anywhere_is_the_reason_and_names_the_racks_without_pdu() -> None:
    snap = dc([rack("R1")], [dev("a", "R1", 1, draw=(100, 100))], direct=("R1",))
    report = fit(snap, server(draw=200))
    assert not report.fits
    outlets = report.dimension("outlets")
    assert (outlets.verdict, outlets.before, outlets.requested) == ("does not fit", 0, 2)
    assert "1 open rack(s) have their feeds cabled straight to devices, with no PDU (R1)" in outlets.reason
    assert "PDU" not in outlets.reason.replace("no PDU", "").replace("free PDU outlets", "")
    assert report.dimension("space").verdict == "fits"
    assert report.dimension("power").verdict == "fits"
    assert any(r.startswith("outlets:") for r in report.reasons)


def test_the_servers_of_one_request_share_the_plugs() -> None:
    # Free feeds give one plug per side: two dual servers need two racks, though one
    # rack has the space and power for both.
    snap = dc([rack("R1"), rack("R2")], direct=("R1", "R2"))
    report = fit(snap, server("a", draw=100), server("b", draw=100))
    first = report.placements[0]
    assert sorted(s.rack_name for s in first.servers) == ["R1", "R2"]
    assert report.dimension("outlets").after == 0
    # a third one has no plug left anywhere
    assert not fit(snap, server("a", draw=100), server("b", draw=100), server("c", draw=100)).fits
    # PDUs with 2 outlets each: both fit in one rack, using all four outlets
    snap = dc([rack("R1")], outlets=2)
    report = fit(snap, server("a", draw=100), server("b", draw=100))
    assert report.placements[0].racks == ["R1"]
    assert (report.dimension("outlets").before, report.dimension("outlets").after) == (4, 0)


def test_every_psu_needs_a_plug() -> None:
    # PDUs of 1 outlet: a 2-PSU server fits, a 3-PSU server (2 plugs on A) does not; a
    # 1-PSU server takes one plug of one feed.
    snap = dc([rack("R1")], outlets=1)
    assert fit(snap, server(psu_count=2)).fits
    three = fit(snap, server(psu_count=3))
    assert not three.fits and three.dimension("outlets").verdict == "does not fit"
    single = fit(snap, server(psu_count=1))
    assert single.fits and single.dimension("outlets").requested == 1


def test_commitments_take_plugs_from_later_requests() -> None:
    # R1 has one outlet per PDU; an approved request holds them: a new server goes to R2.
    snap = dc([rack("R1"), rack("R2")], [dev("x", "R1", 10), dev("y", "R2", 10)], outlets=1)
    assert fit(snap, server()).placements[0].racks == ["R1"]
    held = snap.model_copy(update={"commitments": [
        Commitment(request_id="REQ-1", rack="R1", feeds=["R1-A", "R1-B"], psu_count=2, draw_va=100)]})
    report = fit(held, server())
    assert [p.racks for p in report.placements] == [["R2"]]


def test_plugs_of_a_result_built_by_hand_are_counted_from_the_snapshot() -> None:
    snap = dc([rack("R1"), rack("R2")], [dev("a", "R1", 1, draw=(100, 100))], direct=("R1", "R2"))
    policy = Policy()
    result = compute_capacity(snap, policy)
    result.plugs = {}
    from capacity.fit import check_fit
    from capacity.fit_request import CapacityRequest

    report = check_fit(snap, CapacityRequest(servers=[server()]), policy, result)
    assert [p.racks for p in report.placements] == [["R2"]]


# --------------------------------------------------------------------------- the report


def test_the_report_shows_outlets_open_closed_and_committed_capacity_per_rack() -> None:
    from capacity.report import build_report
    from reports.capacity_html import render_capacity_html
    from reports.tables import render_table

    # R1: PDUs (7 outlets free per side after server a); R2 cabled straight to server b;
    # R3 closed (planned) with free feeds. An approved request holds one plug per side of
    # R1 and 300 W there: 150 W / 0.95 = 158 VA a feed, 316 VA in all.
    snap = dc([rack("R1"), rack("R2"), rack("R3", status="planned")],
              [dev("a", "R1", 1, draw=(100, 100)), dev("b", "R2", 1, draw=(100, 100))], direct=("R2", "R3"))
    snap = snap.model_copy(update={"commitments": [
        Commitment(request_id="REQ-1", rack="R1", feeds=["R1-A", "R1-B"], psu_count=2, draw_va=300)]})
    report = build_report(snap, compute_capacity(snap))
    rows = {r["name"]: r for r in report["racks"]}
    assert {n: (r["open_for_colocation"], r["free_outlets_a"], r["free_outlets_b"], r["free_outlets"],
                r["committed_outlets"], r["committed_va"]) for n, r in rows.items()} == {
        "R1": (True, 6, 6, 12, 2, 316), "R2": (True, 0, 0, 0, 0, 0), "R3": (False, 1, 1, 2, 0, 0)}
    feeds = {f["name"]: (f["plugs_from"], f["free_outlets"], f["committed_outlets"], f["pdus"])
             for f in report["feeds"]}
    assert feeds["R1-A"] == ("pdu", 6, 1, ["R1-pdu-A"])
    assert feeds["R2-A"] == ("device", 0, 0, [])
    assert feeds["R3-B"] == ("feed", 1, 0, [])
    assert report["sites"][0]["free_outlets"] == 12  # open racks only

    text = render_table(report)
    header = next(line for line in text.splitlines() if line.startswith("Site ") and "Rack" in line)
    for column in ("Open", "Resv U", "NetBox alloc %", "Load VA alloc/max", "Commit VA", "Outlets A", "Outlets B"):
        assert column in header
    r1 = next(line for line in text.splitlines() if line.startswith("dc ") and " R1 " in line)
    assert r1.split()[-2:] == ["6", "6"] and " 316 " in r1
    assert "  R3: status 'planned' is not open for co-location (open: active)" in text
    assert "allocated draw only (a port with only a maximum draw counts 0)" in text

    html = render_capacity_html(report, snapshot_elevations={}, generated_at="2026-12-01T10:00:00+08:00", source="test",
                                lang="en")
    assert '<td class="num" data-outlets>6 / 6</td>' in html
    assert "NetBox allocated (%)" in html and "Load alloc/max (VA)" in html
