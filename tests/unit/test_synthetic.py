"""The seeded random data-centre generator: reproducible, NetBox-valid, varied."""

from __future__ import annotations

from collections import Counter

import pytest

from inventory.errors import InputError
from inventory.model import Snapshot
from inventory.synthetic import generate_snapshot


@pytest.fixture(scope="module")
def medium() -> Snapshot:
    return generate_snapshot(400, 8000, seed=3, sites=2)


def _half_units(position: float, height: float) -> list[float]:
    return [position + i / 2 for i in range(int(height * 2))]


# --------------------------------------------------------------------------- basics
def test_same_seed_same_snapshot_other_seed_other_snapshot():
    a = generate_snapshot(60, 1200, seed=11)
    b = generate_snapshot(60, 1200, seed=11)
    c = generate_snapshot(60, 1200, seed=12)
    assert a.model_dump() == b.model_dump()
    assert a.model_dump() != c.model_dump()


def test_counts_are_exact(medium):
    assert len(medium.racks) == 400
    assert len(medium.devices) == 8000  # PDUs included
    assert [s.key for s in medium.sites] == ["site-01", "site-02"]
    per_site = Counter(r.site for r in medium.racks)
    assert per_site == {"site-01": 200, "site-02": 200}
    assert len(medium.uplinks) == 4 and len(medium.clusters) == 2


def test_pdu_racks_is_honoured():
    s = generate_snapshot(50, 1000, seed=1, pdu_racks=20)
    assert len({d.rack for d in s.devices if d.role == "pdu"}) == 20
    assert len({d.rack for d in generate_snapshot(50, 1000, seed=1, pdu_racks=0).devices
                if d.role == "pdu"}) == 0


def test_small_snapshot_satisfies_the_model_and_its_references():
    s = generate_snapshot(40, 700, seed=5, sites=2)
    again = Snapshot.model_validate(s.model_dump())
    assert again == s


def test_medium_snapshot_satisfies_the_model_and_its_references(medium):
    Snapshot.model_validate(medium.model_dump())


# --------------------------------------------------------------------------- NetBox rules
def test_every_device_fits_and_nothing_overlaps_on_its_faces(medium):
    types = {t.key: t for t in medium.device_types}
    racks = {r.key: r for r in medium.racks}
    occupied: dict[tuple[str, str, float], str] = {}
    for d in medium.devices:
        t = types[d.device_type]
        if t.u_height == 0:
            assert d.position is None and d.face is None, d.key
            continue
        if d.position is None:
            continue
        r = racks[d.rack]
        assert d.position * 2 == int(d.position * 2)
        assert d.position >= r.starting_unit, d.key
        assert d.position + t.u_height <= r.starting_unit + r.u_height, d.key
        for face in (("front", "rear") if t.is_full_depth else (d.face,)):
            for u in _half_units(d.position, t.u_height):
                other = occupied.setdefault((d.rack, face, u), d.key)
                assert other == d.key, f"{d.key} overlaps {other} on the {face} at U{u}"


def test_cabling_is_physically_possible(medium):
    devices = {d.key: d for d in medium.devices}
    feeds = {f.key: f for f in medium.power_feeds}
    racks = {r.key: r for r in medium.racks}
    panels = {p.key: p for p in medium.power_panels}
    plugged: set[tuple[str, str]] = set()
    for d in medium.devices:
        outlet_ports = {p.name for p in d.power_ports}
        for o in d.power_outlets:
            assert o.power_port in outlet_ports  # outlets are fed by the PDU's own input
        for p in d.power_ports:
            if p.outlet is not None:
                pdu = devices[p.outlet.device]
                assert pdu.role == "pdu" and pdu.rack == d.rack and pdu.key != d.key
                assert p.outlet.name in {o.name for o in pdu.power_outlets}
                assert (pdu.key, p.outlet.name) not in plugged, "one plug per outlet"
                plugged.add((pdu.key, p.outlet.name))
            if p.feed is not None:
                assert feeds[p.feed].rack == d.rack
    for f in medium.power_feeds:
        assert panels[f.panel].site == racks[f.rack].site


def test_reservations_stay_inside_their_rack_and_never_repeat_a_unit(medium):
    racks = {r.key: r for r in medium.racks}
    seen: set[tuple[str, int]] = set()
    for res in medium.reservations:
        r = racks[res.rack]
        for u in res.units:
            assert r.starting_unit <= u < r.starting_unit + r.u_height
            assert (res.rack, u) not in seen
            seen.add((res.rack, u))


# --------------------------------------------------------------------------- variety
def test_every_case_the_capacity_rules_care_about_occurs(medium):
    s = medium
    types = {t.key: t for t in s.device_types}
    racked = [d for d in s.devices if d.position is not None]
    kinds = [types[d.device_type] for d in racked]
    ports = [p for d in s.devices if d.role != "pdu" for p in d.power_ports]
    pdu_ports = [p for d in s.devices if d.role == "pdu" for p in d.power_ports]
    checks = {
        "half-U device": any(t.u_height == 0.5 for t in kinds),
        "device at a .5 position": any(d.position % 1 for d in racked),
        "1.5U device": any(t.u_height == 1.5 for t in kinds),
        "0U non-PDU device": any(types[d.device_type].u_height == 0 and d.role != "pdu"
                                 for d in s.devices),
        "rear face": any(d.face == "rear" for d in racked),
        "half depth": any(not t.is_full_depth for t in kinds),
        "excluded type": any(t.exclude_from_utilization for t in kinds),
        "unpositioned in a rack": any(d.position is None and types[d.device_type].u_height
                                      for d in s.devices),
        "reservation": bool(s.reservations),
        "starting unit above 1": any(r.starting_unit > 1 for r in s.racks),
        "descending units": any(r.desc_units for r in s.racks),
        "rack not active": any(r.status != "active" for r in s.racks),
        "three-phase feed": any(f.phase == "three-phase" for f in s.power_feeds),
        "single-phase feed": any(f.phase == "single-phase" for f in s.power_feeds),
        "A-only rack": any(sum(f.rack == r.key for f in s.power_feeds) == 1 for r in s.racks),
        "rack without feeds": any(not any(f.rack == r.key for f in s.power_feeds)
                                  for r in s.racks),
        "A/B feeds": any(f.type == "redundant" for f in s.power_feeds),
        "port to a PDU outlet": any(p.outlet for p in ports),
        "port straight to a feed": any(p.feed for p in ports),
        "PDU behind a PDU": any(p.outlet for p in pdu_ports),
        "PDU input with its own draw": any(p.allocated_draw or p.maximum_draw
                                           for p in pdu_ports),
        "PDU input without draw": any(p.allocated_draw is None and p.maximum_draw is None
                                      for p in pdu_ports),
        "feed legs on outlets": any(o.feed_leg for d in s.devices for o in d.power_outlets),
        "both draws": any(p.allocated_draw and p.maximum_draw for p in ports),
        "only maximum draw": any(p.allocated_draw is None and p.maximum_draw for p in ports),
        "no draw": any(p.allocated_draw is None and p.maximum_draw is None for p in ports),
        "uncabled port": any(p.feed is None and p.outlet is None for p in ports),
        "single-PSU device": any(len(d.power_ports) == 1 and d.role == "server"
                                 for d in s.devices),
        "feed not active": any(f.status != "active" for f in s.power_feeds),
        "device not active": any(d.status != "active" for d in s.devices),
    }
    missing = [name for name, present in checks.items() if not present]
    assert missing == []


def test_prefix_makes_names_unique_across_generated_data_centres():
    plain = generate_snapshot(20, 300, seed=4)
    tagged = generate_snapshot(20, 300, seed=4, prefix="t42-")
    for section in ("sites", "tenants", "tenant_groups"):
        assert all(x.key.startswith("t42-") and x.name.startswith("t42-")
                   for x in getattr(tagged, section)), section
    assert all(u.name.startswith("T42-") for u in tagged.uplinks)
    # ...and nothing else changes: same racks, same devices in the same places.
    assert [(d.key, d.rack, d.position, d.face) for d in tagged.devices] == \
        [(d.key, d.rack, d.position, d.face) for d in plain.devices]


def test_without_power_there_is_nothing_electrical():
    s = generate_snapshot(30, 600, seed=2, with_power=False)
    assert len(s.devices) == 600
    assert s.power_feeds == [] and s.power_panels == [] and s.ups == [] and s.gensets == []
    assert not any(d.power_ports or d.power_outlets for d in s.devices)
    assert not any(d.role == "pdu" for d in s.devices)


def test_no_devices_gives_empty_racks():
    s = generate_snapshot(5, 0, seed=0)
    assert len(s.racks) == 5 and s.devices == []


@pytest.mark.parametrize("args, kwargs, message", [
    ((0, 10), {}, "racks must be at least 1"),
    ((5, -1), {}, "devices must not be negative"),
    ((5, 10), {"sites": 6}, "sites must be between 1 and the number of racks (5)"),
    ((5, 10), {"pdu_racks": 6}, "pdu_racks must be between 0 and 5"),
    ((5, 10), {"pdu_racks": 2, "with_power": False}, "pdu_racks needs with_power=True"),
    ((10, 5), {"pdu_racks": 10}, "more than the 5 devices asked for"),
])
def test_impossible_requests_are_refused_clearly(args, kwargs, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        generate_snapshot(*args, **kwargs)
