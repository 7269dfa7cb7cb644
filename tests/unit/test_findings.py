"""Data-quality findings on small hand-built snapshots: each kind, and what must not fire."""

from __future__ import annotations

from typing import Any

from capacity.findings import data_quality_findings
from inventory.model import (
    Commitment,
    Device,
    DeviceType,
    PowerFeed,
    Rack,
    Site,
    Snapshot,
)
from tests.support.power_data import ab_feeds, feed, pdu, port, server, snap

PANEL = "acme-panel"  # an excluded (passive) type, full depth
HALF = "acme-half"  # a half-depth 1U type
HALF_U = "acme-half-u"  # a 0.5U full-depth type


def racked_snap(devices: list[Device], feeds: list[PowerFeed] | None = None,
                racks: list[Rack] | None = None, **kw: Any) -> Snapshot:
    types = [
        DeviceType(manufacturer="acme", model="panel", u_height=1, exclude_from_utilization=True),
        DeviceType(manufacturer="acme", model="half", u_height=1, is_full_depth=False),
        DeviceType(manufacturer="acme", model="half-u", u_height=0.5),
        DeviceType(manufacturer="acme", model="two", u_height=2),
    ]
    return snap(devices, feeds if feeds is not None else ab_feeds(), rack_objects=racks,
                extra_types=types, **kw)


def dev(name: str, dtype: str, position: float | None, face: str = "front", rack: str = "R1",
        **kw: Any) -> Device:
    return Device(name=name, device_type=dtype, site="s1", rack=rack, position=position,
                  face=face if position is not None else None, **kw)


def found(s: Snapshot, kind: str) -> list[tuple[str, str]]:
    return [(f.object, f.message) for f in data_quality_findings(s) if f.kind == kind]


def objects(s: Snapshot, kind: str) -> list[str]:
    return [o for o, _ in found(s, kind)]


# --- devices without draw data ----------------------------------------------------------


def test_server_with_ports_without_draw() -> None:
    s = racked_snap([
        server("nodata", port("P1", feed="R1-A"), port("P2", feed="R1-B", alloc=200)),
        server("maxonly", port("P1", feed="R1-A", maxi=300)),
        server("ok", port("P1", feed="R1-A", alloc=100)),
    ])
    assert found(s, "no_draw_data") == [(
        "device nodata",
        "power port(s) P1 have neither allocated nor maximum draw: counted as 0 VA until set")]


def test_racked_server_without_power_ports() -> None:
    s = racked_snap([server("bare", position=10),
                     server("unracked", rack=None),
                     dev("panel", PANEL, 12),  # excluded type: passive, no finding
                     dev("strip", "acme-srv", 13, role="cable-management")])
    assert objects(s, "no_draw_data") == ["device bare"]


def test_pdus_and_child_devices_are_not_expected_to_have_draw() -> None:
    chassis = server("chassis", port("P1", feed="R1-A", alloc=900), position=20)
    blade = Device(name="blade1", device_type="acme-srv", site="s1", rack="R1", parent="chassis")
    p = pdu("PDU1", {"in": port("in", feed="R1-B")}, {"o1": "in"})  # its input has no draw
    s = racked_snap([chassis, blade, p])
    assert objects(s, "no_draw_data") == []


# --- cabling ----------------------------------------------------------------------------


def test_uncabled_feed() -> None:
    s = racked_snap([server("x", port("P1", feed="R1-A", alloc=100))],
                    ab_feeds() + [feed("spare", rack=None)])
    # R1-B has a rack and nothing cabled; "spare" has no rack: not reported
    assert found(s, "uncabled_feed") == [
        ("feed R1-B", "assigned to rack R1 but no power port is cabled to it")]


def test_feed_cabled_to_a_pdu_input_is_cabled() -> None:
    s = racked_snap([pdu("PDU-A", {"in": port("in", feed="R1-A")}, {"o1": "in"}),
                     pdu("PDU-B", {"in": port("in", feed="R1-B")}, {"o1": "in"})])
    assert found(s, "uncabled_feed") == []


def test_rack_without_feeds() -> None:
    racks = [Rack(name="R1", site="s1"), Rack(name="R2", site="s1"), Rack(name="R3", site="s1")]
    s = racked_snap([server("x", port("P1", alloc=100), rack="R2", position=1),
                     server("y", rack="R2", position=3),
                     dev("panel", PANEL, 1, rack="R3")],  # only passive kit: no power needed
                    racks=racks)
    assert found(s, "rack_without_feeds") == [
        ("rack R2", "holds 2 device(s) that need power but no power feed is assigned to the rack")]


def test_active_device_with_no_port_cabled() -> None:
    s = racked_snap([server("loose", port("P1", alloc=100), port("P2", alloc=100)),
                     server("planned", port("P1", alloc=100), status="planned"),
                     server("half", port("P1", feed="R1-A", alloc=100), port("P2", alloc=100))])
    assert objects(s, "uncabled_power_ports") == ["device loose"]


def test_dangling_power_chain() -> None:
    # PDU-X's input is not cabled; a server hangs off its outlet
    x = pdu("PDU-X", {"in": port("in")}, {"o1": "in", "o2": "in"})
    # PDU-Y's outlet o9 is tied to no input port, and a server is cabled to it
    y = pdu("PDU-Y", {"in": port("in", feed="R1-A")}, {"o1": "in", "o9": None})
    # PDU-Z has no upstream feed but nothing cabled to its outlets: not a chain
    z = pdu("PDU-Z", {"in": port("in")}, {"o1": "in"})
    s = racked_snap([x, y, z,
                     server("a", port("P1", outlet=("PDU-X", "o2"), alloc=100)),
                     server("b", port("P1", outlet=("PDU-Y", "o9"), alloc=100)),
                     server("c", port("P1", outlet=("PDU-Y", "o1"), alloc=100))])
    got = dict(found(s, "dangling_power_chain"))
    assert set(got) == {"device PDU-X", "device PDU-Y"}
    assert "input in" in got["device PDU-X"]
    assert "outlet o9 (tied to no input port)" in got["device PDU-Y"]


def test_nested_pdu_under_a_dangling_one_is_dangling_too() -> None:
    top = pdu("TOP", {"in": port("in")}, {"o1": "in"})
    sub = pdu("SUB", {"in": port("in", outlet=("TOP", "o1"))}, {"o1": "in"})
    s = racked_snap([top, sub, server("a", port("P1", outlet=("SUB", "o1"), alloc=100))])
    assert sorted(objects(s, "dangling_power_chain")) == ["device SUB", "device TOP"]


# --- overlaps -----------------------------------------------------------------------------


def test_overlap_same_face() -> None:
    s = racked_snap([dev("a", HALF, 10), dev("b", HALF, 10)])
    assert found(s, "overlap") == [("rack R1", "devices a and b both occupy U10 (front)")]


def test_half_depth_front_and_rear_do_not_overlap() -> None:
    s = racked_snap([dev("a", HALF, 10, "front"), dev("b", HALF, 10, "rear")])
    assert found(s, "overlap") == []


def test_full_depth_overlaps_a_rear_device() -> None:
    s = racked_snap([dev("full", "acme-srv", 10, "front"), dev("back", HALF, 10, "rear")])
    assert found(s, "overlap") == [("rack R1", "devices full and back both occupy U10 (rear)")]


def test_half_units_overlap_only_when_they_share_a_half() -> None:
    # 0.5U at 10 occupies 10-10.5; 1U at 10.5 occupies 10.5-11.5: no overlap.
    # 1U at 11 occupies 11-12: shares 11-11.5 with the one at 10.5.
    s = racked_snap([dev("h", HALF_U, 10), dev("one", "acme-srv", 10.5),
                     dev("two", "acme-srv", 11)])
    assert found(s, "overlap") == [
        ("rack R1", "devices one and two both occupy U11 (front and rear)")]


def test_excluded_types_still_overlap_and_zero_u_never_does() -> None:
    s = racked_snap([dev("panel", PANEL, 5), dev("srv", "acme-srv", 5),
                     pdu("vpdu", {"in": port("in", feed="R1-A")}, {"o1": "in"})])
    assert objects(s, "overlap") == ["rack R1"]


def test_two_unit_overlap_spans_units() -> None:
    s = racked_snap([dev("a", "acme-two", 4), dev("b", "acme-two", 4)])
    assert found(s, "overlap") == [
        ("rack R1", "devices a and b both occupy U4-U5 (front and rear)")]


def test_device_outside_its_rack() -> None:
    # a 10U rack: U1-U10, i.e. positions 1.0 up to 11.0
    racks = [Rack(name="R1", site="s1", u_height=10)]
    s = racked_snap([dev("top", "acme-srv", 10.5),  # 10.5-11.5: sticks out
                     dev("fits", HALF_U, 10.5),  # 10.5-11.0: the top half of U10
                     dev("low", HALF_U, 0.5)],  # 0.5-1.0: below U1
                    racks=racks)
    assert found(s, "outside_rack") == [
        ("device top", "occupies U10-U11 but rack R1 has U1-U10"),
        ("device low", "occupies U0 but rack R1 has U1-U10")]


# --- custom fields and commitments ----------------------------------------------------------


def test_invalid_bandwidth_custom_field() -> None:
    s = racked_snap([server("a", custom_fields={"bandwidth_mbps": "lots"}),
                     server("b", custom_fields={"bandwidth_mbps": -5}),
                     server("c", custom_fields={"bandwidth_mbps": "100"}),
                     server("d", custom_fields={"bandwidth_mbps": None})])
    assert objects(s, "invalid_bandwidth") == ["device a", "device b"]


def test_commitments_that_cannot_be_charged() -> None:
    s = racked_snap([], commitments=[
        Commitment(request_id="REQ-1", bandwidth_mbps=100),  # no site, no rack
        Commitment(request_id="REQ-2", site="s1", vcpus=4),  # s1 has no cluster
        Commitment(request_id="REQ-3", site="s1", bandwidth_mbps=10),  # fine
    ])
    assert objects(s, "commitment_unassigned") == ["request REQ-1", "request REQ-2"]


def test_clean_snapshot_has_no_findings() -> None:
    s = racked_snap([server("x", port("P1", feed="R1-A", alloc=100),
                            port("P2", feed="R1-B", alloc=100),
                            position=1, custom_fields={"bandwidth_mbps": 50})])
    assert data_quality_findings(s) == []


def test_findings_name_the_site() -> None:
    s = racked_snap([server("bare", position=10)])
    assert {f.site for f in data_quality_findings(s)} == {"s1"}


def test_sites_of_findings_follow_the_object() -> None:
    base = racked_snap([])
    s = Snapshot(sites=[Site(name="s1"), Site(name="s2")],
                 racks=base.racks + [Rack(name="R9", site="s2")],
                 device_types=base.device_types,
                 devices=[server("far", rack="R9", position=1).model_copy(update={"site": "s2"})])
    assert [(f.kind, f.site) for f in data_quality_findings(s)] == [
        ("no_draw_data", "s2"), ("rack_without_feeds", "s2")]
