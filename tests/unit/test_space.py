"""Rack space: NetBox-exact utilization and placeable space, on hand-built racks.

Every expected figure below is counted by hand in half units (h.u.) from the layout
described in the test; NetBox's formula is occupied h.u. / all h.u. * 100.
"""

from __future__ import annotations

from typing import Any

import pytest

from capacity.policy import Policy
from capacity.space import build_space_index, compute_space, face_counts, space_index_for
from inventory.model import Device, DeviceType, Rack, RackReservation, Site, Snapshot, Tenant

TYPES = [
    DeviceType(key="1u", manufacturer="x", model="1u", u_height=1, weight_kg=15),
    DeviceType(key="2u", manufacturer="x", model="2u", u_height=2, weight_kg=25),
    DeviceType(key="half-u", manufacturer="x", model="half-u", u_height=0.5, is_full_depth=False),
    DeviceType(key="1u-short", manufacturer="x", model="1u-short", u_height=1, is_full_depth=False),
    DeviceType(key="patch", manufacturer="x", model="patch", u_height=1, exclude_from_utilization=True,
               weight_kg=2),
    DeviceType(key="pdu-0u", manufacturer="x", model="pdu", u_height=0, weight_kg=5),
    DeviceType(key="blade", manufacturer="x", model="blade", u_height=0, subdevice_role="child"),
]


def dev(name: str, dtype: str, rack: str | None = "R1", position: float | None = None,
        face: str | None = "front", **kw: Any) -> Device:
    return Device(name=name, device_type=dtype, site="dc", rack=rack, position=position,
                  face=face if position is not None else None, **kw)


def snapshot(racks: list[Rack] | None = None, devices: list[Device] | None = None,
             reservations: list[RackReservation] | None = None) -> Snapshot:
    return Snapshot(
        sites=[Site(name="dc")],
        tenants=[Tenant(name="dinkes"), Tenant(name="bappeda")],
        racks=racks or [Rack(name="R1", site="dc", u_height=10, role="colocation")],
        device_types=TYPES,
        devices=devices or [],
        reservations=reservations or [],
    )


def space_of(snap: Snapshot, policy: Policy | None = None, rack: str = "R1"):
    return compute_space(snap, policy or Policy())[rack]


# --------------------------------------------------------------------------- NetBox utilization


def test_empty_rack_is_all_free() -> None:
    sp = space_of(snapshot())
    assert sp.utilization_pct == 0.0
    assert (sp.used_u, sp.reserved_u) == (0, 0)
    assert (sp.free_u, sp.free_u_front, sp.free_u_rear) == (10, 10, 10)
    assert sp.largest_free_block_u == 10


def test_utilization_counts_devices_on_either_face_and_reservations() -> None:
    # 10U rack = 20 h.u.: 2U front at U1 (4 h.u.), half-depth 1U on the REAR at U5 (2 h.u.,
    # NetBox counts it too: rack_face=None), reservation of U7 (2 h.u.). 8 of 20 h.u.
    snap = snapshot(
        devices=[dev("a", "2u", position=1), dev("b", "1u-short", position=5, face="rear")],
        reservations=[RackReservation(rack="R1", units=[7])],
    )
    sp = space_of(snap)
    assert sp.utilization_pct == 40.0
    assert sp.used_u == 3.0
    assert sp.reserved_u == 1.0


def test_utilization_is_the_same_float_as_netbox() -> None:
    # 42U rack, one 1U device: NetBox computes float(2) / 84 * 100.
    snap = snapshot(racks=[Rack(name="R1", site="dc", u_height=42)], devices=[dev("a", "1u", position=20)])
    expected = float(2) / 84 * 100  # NetBox's expression with the hand-counted h.u.
    assert space_of(snap).utilization_pct == expected
    assert expected != round(expected, 1)  # not rounded anywhere


def test_excluded_types_do_not_count_for_netbox_but_occupy_physically() -> None:
    snap = snapshot(devices=[dev("pp", "patch", position=10)])
    sp = space_of(snap)
    assert sp.utilization_pct == 0.0
    assert sp.used_u == 0
    assert sp.free_u == 9  # the patch panel (full depth) takes U10 on both faces
    assert sp.free_u_front == 9 and sp.free_u_rear == 9


def test_zero_u_unpositioned_and_child_devices_occupy_nothing() -> None:
    snap = snapshot(devices=[
        dev("pdu", "pdu-0u"),  # 0U, no position
        dev("loose", "1u"),  # in the rack but not racked
        dev("chassis", "2u", position=3),
        dev("blade1", "blade", parent="chassis"),
        # a 0U type given a position (NetBox forbids it; tolerate it as NetBox's maths do)
        dev("odd", "pdu-0u", position=8),
    ])
    sp = space_of(snap)
    assert sp.used_u == 2.0
    assert sp.utilization_pct == 20.0
    assert sp.free_u == 8


def test_weight_sums_every_device_in_the_rack_with_a_known_weight() -> None:
    snap = snapshot(
        racks=[Rack(name="R1", site="dc", u_height=10, max_weight_kg=500)],
        devices=[dev("a", "2u", position=1), dev("pp", "patch", position=10), dev("pdu", "pdu-0u"),
                 dev("short", "1u-short", position=5)],  # no weight on its type
    )
    sp = space_of(snap)
    assert sp.weight_kg == 25 + 2 + 5
    assert sp.max_weight_kg == 500
    index = build_space_index(snap, Policy())
    assert index.racks["R1"].devices_without_weight == 1


def test_weight_is_unknown_when_no_device_has_one() -> None:
    snap = snapshot(devices=[dev("short", "1u-short", position=5)])
    assert space_of(snap).weight_kg is None


def test_overlapping_devices_take_their_units_once() -> None:
    # 2U at U3 and 1U at U4 overlap on U4: occupied U3-U4 = 4 h.u., not 6.
    snap = snapshot(devices=[dev("a", "2u", position=3), dev("b", "1u", position=4)])
    sp = space_of(snap)
    assert sp.used_u == 2.0
    assert sp.utilization_pct == 20.0
    assert sp.free_u == 8


def test_reservation_over_a_device_counts_once_and_reserved_u_is_the_rest() -> None:
    # Reservation of U1, U2 over a 1U device at U1: NetBox removes U1 once.
    snap = snapshot(devices=[dev("a", "1u", position=1)],
                    reservations=[RackReservation(rack="R1", units=[1, 2])])
    sp = space_of(snap)
    assert sp.used_u == 1.0
    assert sp.reserved_u == 1.0
    assert sp.utilization_pct == 20.0
    assert sp.free_u == 8


def test_starting_unit_and_descending_units() -> None:
    # Units 5..8 (8 h.u.). 1U at U5; 2U at U8 runs past the top: only U8 is in the rack;
    # the reservation of U12 is outside the rack and ignored, as in NetBox.
    for desc in (False, True):
        snap = snapshot(
            racks=[Rack(name="R1", site="dc", u_height=4, starting_unit=5, desc_units=desc)],
            devices=[dev("a", "1u", position=5), dev("b", "2u", position=8)],
            reservations=[RackReservation(rack="R1", units=[12])],
        )
        sp = space_of(snap)
        assert sp.utilization_pct == 50.0
        assert sp.free_u == 2
        assert sp.largest_free_block_u == 2


def test_device_status_does_not_matter_for_space() -> None:
    # NetBox counts planned and offline devices: their units are taken.
    snap = snapshot(devices=[dev("a", "2u", position=1, status="planned"),
                             dev("b", "1u", position=4, status="offline")])
    sp = space_of(snap)
    assert sp.used_u == 3.0
    assert sp.free_u == 7


# --------------------------------------------------------------------------- placeable space


def test_half_depth_device_leaves_the_other_face_free() -> None:
    # 1U half depth on the front at U4: front loses U4, rear keeps it, "both" loses it.
    snap = snapshot(devices=[dev("a", "1u-short", position=4, face="front")])
    sp = space_of(snap)
    assert sp.free_u_front == 9
    assert sp.free_u_rear == 10
    assert sp.free_u == 9
    assert sp.largest_free_block_u == 6  # U5-U10
    assert sp.largest_free_block_front_u == 6
    assert sp.largest_free_block_rear_u == 10


def test_full_depth_device_takes_both_faces_whatever_its_face() -> None:
    snap = snapshot(devices=[dev("a", "2u", position=4, face="rear")])
    sp = space_of(snap)
    assert (sp.free_u, sp.free_u_front, sp.free_u_rear) == (8, 8, 8)
    assert sp.largest_free_block_u == 5  # U6-U10


def test_half_unit_devices_leave_half_unit_gaps() -> None:
    # 0.5U half-depth at U3 (front) and at U3.5 (rear): "both" loses U3 entirely,
    # each face loses half a unit. Both-face runs: U1-U2 (2U) and U4-U10 (7U).
    snap = snapshot(devices=[dev("a", "half-u", position=3, face="front"),
                             dev("b", "half-u", position=3.5, face="rear")])
    sp = space_of(snap)
    assert sp.free_u == 9.0
    assert sp.free_u_front == 9.5
    assert sp.free_u_rear == 9.5
    assert sp.largest_free_block_u == 7.0
    assert sp.largest_free_block_front_u == 7.5  # U3.5-U10
    assert sp.largest_free_block_rear_u == 7.0  # U4-U10 (the other rear run, U1-U3.0, is 2.5U)
    assert sp.used_u == 1.0
    assert sp.utilization_pct == 10.0


def test_reservations_take_both_faces() -> None:
    snap = snapshot(reservations=[RackReservation(rack="R1", units=[5, 6])])
    sp = space_of(snap)
    assert (sp.free_u, sp.free_u_front, sp.free_u_rear) == (8, 8, 8)
    assert sp.largest_free_block_u == 4  # U1-U4 (U7-U10 is 4 too)


def test_face_counts_add_up() -> None:
    snap = snapshot(devices=[dev("a", "1u-short", position=2, face="front"), dev("b", "2u", position=6)],
                    reservations=[RackReservation(rack="R1", units=[6, 9])])
    occ = build_space_index(snap, Policy()).racks["R1"]
    # front: used = U2 + U6-U7 = 6 h.u.; reserved not used = U9 = 2 h.u.; free = 12
    assert face_counts(occ, "front") == (12, 6, 2)
    # rear: used = U6-U7 = 4; reserved not used = U9 = 2; free = 14
    assert face_counts(occ, "rear") == (14, 4, 2)


def test_policy_headroom_is_kept_out_of_free_units() -> None:
    snap = snapshot(devices=[dev("a", "2u", position=1)])
    sp = space_of(snap, Policy(rack_headroom_u=3))
    assert sp.free_u == 5  # 8 free - 3 kept
    assert sp.largest_free_block_u == 5  # block U3-U10 is 8 but only 5 may be used
    full = space_of(snapshot(devices=[dev("a", "2u", position=1)]), Policy(rack_headroom_u=9))
    assert full.free_u == 0 and full.largest_free_block_u == 0


# --------------------------------------------------------------------------- openness


@pytest.mark.parametrize(
    ("rack", "policy", "is_open", "reason_part"),
    [
        (Rack(name="R1", site="dc", role="colocation"), Policy(), True, None),
        (Rack(name="R1", site="dc", role="colocation", status="planned"), Policy(), False, "status 'planned'"),
        (Rack(name="R1", site="dc", role="internal"), Policy(), False, "role 'internal'"),
        (Rack(name="R1", site="dc"), Policy(), False, "no role"),
        (Rack(name="R1", site="dc"), Policy(open_rack_roles=None), True, None),
        (Rack(name="R1", site="dc", role="network"), Policy(open_rack_roles=None), True, None),
        (Rack(name="R1", site="dc", role="colocation", status="reserved"),
         Policy(open_rack_statuses=["active", "reserved"]), True, None),
        # A tenant's dedicated rack is open (for that tenant only; fit enforces who).
        (Rack(name="R1", site="dc", role="colocation", tenant="dinkes"), Policy(), True, None),
    ],
)
def test_open_for_colocation(rack: Rack, policy: Policy, is_open: bool, reason_part: str | None) -> None:
    sp = space_of(snapshot(racks=[rack]), policy)
    assert sp.open_for_colocation is is_open
    if reason_part is None:
        assert sp.closed_reason is None
    else:
        assert reason_part in (sp.closed_reason or "")


def test_every_rack_gets_a_row() -> None:
    racks = [Rack(name=f"R{i}", site="dc") for i in range(1, 4)]
    assert sorted(compute_space(snapshot(racks=racks), Policy())) == ["R1", "R2", "R3"]


def test_the_index_is_reused_only_for_the_same_snapshot_and_policy() -> None:
    snap = snapshot(devices=[dev("a", "2u", position=1)])
    space = compute_space(snap, Policy())
    assert space_index_for(snap, Policy(), space) is space.index
    assert space_index_for(snap, Policy(rack_headroom_u=1), space) is not space.index
    other = snapshot(devices=[dev("a", "2u", position=1)])
    assert space_index_for(other, Policy(), space) is not space.index
    snap.devices.append(dev("b", "1u", position=5))  # changed after the index was built
    assert space_index_for(snap, Policy(), space) is not space.index
