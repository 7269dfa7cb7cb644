"""Invariants of space and placement, on random racks (hypothesis).

* per face, free + used + reserved = all half units, and each matches a naive count;
* utilization_pct equals a line-by-line transcription of NetBox 4.7's
  Rack.get_units / get_available_units / get_reserved_units / get_utilization (Decimal);
* no placement overlaps an existing device (on the faces the server needs), a
  reservation, or another server of the same request; it stays inside the rack;
* installing the best placement (devices cabled as the placement says) and recomputing
  with the real engine never raises any headroom, and keeps every touched feed, UPS and
  genset failover-safe, as check_fit promised.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.engine import compute_capacity
from capacity.fit import check_fit
from capacity.fit_request import CapacityRequest, ServerRequest
from capacity.policy import Policy
from capacity.space import build_space_index, compute_space, face_counts
from inventory.model import (
    Device,
    DeviceType,
    OutletRef,
    PowerOutlet,
    PowerPort,
    Rack,
    RackReservation,
    Site,
    Snapshot,
)
from tests.support.fit_data import dc, rack

TYPES = [
    DeviceType(key="t0", manufacturer="x", model="zero", u_height=0),
    DeviceType(key="t05", manufacturer="x", model="half", u_height=0.5),
    DeviceType(key="t05s", manufacturer="x", model="half-short", u_height=0.5, is_full_depth=False),
    DeviceType(key="t1", manufacturer="x", model="one", u_height=1),
    DeviceType(key="t1s", manufacturer="x", model="one-short", u_height=1, is_full_depth=False),
    DeviceType(key="t15", manufacturer="x", model="one-half", u_height=1.5),
    DeviceType(key="t2", manufacturer="x", model="two", u_height=2, weight_kg=20),
    DeviceType(key="t3s", manufacturer="x", model="three-short", u_height=3, is_full_depth=False),
    DeviceType(key="tpp", manufacturer="x", model="patch", u_height=1, exclude_from_utilization=True),
]
TYPE_BY_KEY = {t.key: t for t in TYPES}


@st.composite
def racks_with_contents(draw: Any) -> tuple[Rack, list[Device], list[RackReservation]]:
    height = draw(st.integers(1, 14))
    start = draw(st.integers(1, 3))
    r = Rack(name="R1", site="dc", u_height=height, starting_unit=start, desc_units=draw(st.booleans()),
             role="colocation")
    devices = []
    for i in range(draw(st.integers(0, 12))):
        positioned = draw(st.integers(0, 9)) > 0
        dtype = draw(st.sampled_from(TYPES))
        position = None
        if positioned and dtype.u_height > 0:
            position = draw(st.integers(1, 2 * (start + height + 1))) / 2  # may overhang
        devices.append(Device(name=f"d{i}", device_type=dtype.key, site="dc", rack="R1",
                              position=position, face=draw(st.sampled_from(["front", "rear"]))
                              if position is not None else None))
    reservations = []
    for i in range(draw(st.integers(0, 2))):
        units = draw(st.lists(st.integers(1, start + height + 1), min_size=1, max_size=4, unique=True))
        reservations.append(RackReservation(key=f"res{i}", rack="R1", units=units))
    return r, devices, reservations


def snap_of(r: Rack, devices: list[Device], reservations: list[RackReservation]) -> Snapshot:
    return Snapshot(sites=[Site(name="dc")], racks=[r], device_types=TYPES, devices=devices,
                    reservations=reservations)


# --------------------------------------------------------------------------- references


def drange(start: Any, end: Any, step: Any = Decimal(1)) -> Any:
    """NetBox's utilities.data.drange."""
    start, end, step = Decimal(start), Decimal(end), Decimal(step)
    if start < end:
        while start < end:
            yield start
            start += step
    else:
        while start > end:
            yield start
            start += step


def netbox_utilization(r: Rack, devices: list[Device], reservations: list[RackReservation]) -> float:
    """Rack.get_utilization() of NetBox 4.7, transcribed with the ORM filters inlined."""
    if r.desc_units:
        units = list(drange(decimal.Decimal(r.starting_unit), r.u_height + r.starting_unit, 0.5))
    else:
        units = list(drange(r.u_height + decimal.Decimal(0.5) + r.starting_unit - 1,
                            0.5 + r.starting_unit - 1, -0.5))
    total_units = len(units)
    # get_available_units(u_height=0.5, ignore_excluded_devices=True)
    counted = [d for d in devices if d.rack == r.key and d.position is not None and d.position >= 1
               and not TYPE_BY_KEY[d.device_type].exclude_from_utilization]
    available = list(units)
    for d in counted:
        pos = Decimal(str(d.position))
        for u in drange(pos, pos + Decimal(str(TYPE_BY_KEY[d.device_type].u_height)), 0.5):
            try:
                available.remove(u)
            except ValueError:
                pass
    available_units = []
    for u in available:
        if set(drange(u, u + decimal.Decimal(0.5), 0.5)).issubset(available):
            available_units.append(u)
    available_units = list(reversed(available_units))
    # get_reserved_units
    reserved_units = {}
    for res in reservations:
        for u in res.units:
            reserved_units[u] = res
    for ru in reserved_units:
        for u in drange(ru, ru + 1, 0.5):
            if u in available_units:
                available_units.remove(u)
    occupied_unit_count = total_units - len(available_units)
    return float(occupied_unit_count) / total_units * 100


def naive_faces(r: Rack, devices: list[Device], reservations: list[RackReservation]
                ) -> tuple[set[Decimal], dict[str, set[Decimal]], set[Decimal]]:
    """All half units, the half units taken per face, the reserved ones: plain sets."""
    half = Decimal("0.5")
    all_units = {Decimal(r.starting_unit) + half * i for i in range(2 * r.u_height)}
    taken: dict[str, set[Decimal]] = {"front": set(), "rear": set()}
    for d in devices:
        t = TYPE_BY_KEY[d.device_type]
        if d.position is None or t.u_height == 0:
            continue
        units = set(drange(Decimal(str(d.position)), Decimal(str(d.position)) + Decimal(str(t.u_height)), half))
        for face in ("front", "rear"):
            if t.is_full_depth or d.face == face:
                taken[face] |= units & all_units
    reserved = {Decimal(u) + k for res in reservations for u in res.units for k in (0, half)} & all_units
    return all_units, taken, reserved


# --------------------------------------------------------------------------- space


@settings(max_examples=300, deadline=None)
@given(racks_with_contents())
def test_utilization_matches_netbox(case: tuple[Rack, list[Device], list[RackReservation]]) -> None:
    r, devices, reservations = case
    sp = compute_space(snap_of(r, devices, reservations), Policy())["R1"]
    assert sp.utilization_pct == netbox_utilization(r, devices, reservations)


@settings(max_examples=300, deadline=None)
@given(racks_with_contents())
def test_free_used_reserved_add_up_per_face(case: tuple[Rack, list[Device], list[RackReservation]]) -> None:
    r, devices, reservations = case
    snap = snap_of(r, devices, reservations)
    occ = build_space_index(snap, Policy()).racks["R1"]
    all_units, taken, reserved = naive_faces(r, devices, reservations)
    for face in ("front", "rear"):
        free, used, res = face_counts(occ, face)  # type: ignore[arg-type]
        assert free + used + res == 2 * r.u_height
        assert used == len(taken[face])
        assert res == len(reserved - taken[face])
        assert free == len(all_units - taken[face] - reserved)
    sp = compute_space(snap, Policy())["R1"]
    both_free = all_units - taken["front"] - taken["rear"] - reserved
    assert sp.free_u == len(both_free) / 2
    assert sp.free_u_front == len(all_units - taken["front"] - reserved) / 2
    assert 0 <= sp.largest_free_block_u <= sp.free_u


# --------------------------------------------------------------------------- placement


@st.composite
def placement_cases(draw: Any, efficiency: float = 0.9, max_servers: int = 3) -> tuple[Snapshot, list[ServerRequest]]:
    n_racks = draw(st.integers(1, 3))
    racks = [rack(f"R{i + 1}", u_height=draw(st.integers(4, 12))) for i in range(n_racks)]
    devices: list[Device] = []
    for r in racks:
        # servers cabled straight to the feeds (which then offer no plug), or through a
        # PDU per feed with 0 to 2 outlets to spare
        via_pdu = draw(st.booleans())
        used = {"A": 0, "B": 0}

        def peer(side: str) -> dict[str, Any]:
            if not via_pdu:
                return {"feed": f"{r.name}-{side}"}
            used[side] += 1
            return {"outlet": OutletRef(device=f"{r.name}-pdu-{side}", name=str(used[side]))}

        for i in range(draw(st.integers(0, 6))):
            dtype = draw(st.sampled_from(TYPES[1:]))
            position = draw(st.integers(2, 2 * r.u_height)) / 2
            draw_w = draw(st.sampled_from([None, 100, 250, 400]))
            ports = []
            if draw_w is not None:
                if draw(st.booleans()):
                    ports = [PowerPort(name="PSU1", allocated_draw=draw_w, **peer("A")),
                             PowerPort(name="PSU2", allocated_draw=draw_w, **peer("B"))]
                else:
                    side = draw(st.sampled_from("AB"))
                    ports = [PowerPort(name="PSU1", allocated_draw=draw_w, **peer(side))]
            devices.append(Device(name=f"{r.name}-d{i}", device_type=dtype.key, site="dc", rack=r.name,
                                  position=position, face=draw(st.sampled_from(["front", "rear"])),
                                  power_ports=ports))
        if via_pdu:
            for side in "AB":
                outlets = used[side] + draw(st.integers(0, 2))
                devices.append(Device(
                    name=f"{r.name}-pdu-{side}", device_type="t0", site="dc", rack=r.name, role="pdu",
                    power_ports=[PowerPort(name="IN", feed=f"{r.name}-{side}")],
                    power_outlets=[PowerOutlet(name=str(k), power_port="IN") for k in range(1, outlets + 1)]))
    reservations = []
    for r in racks:
        if draw(st.booleans()):
            units = draw(st.lists(st.integers(1, r.u_height), min_size=1, max_size=3, unique=True))
            reservations.append(RackReservation(rack=r.name, units=units))
    base = dc(racks, ups_va=draw(st.sampled_from([2000, 5000, 10**6])),
              genset_va=draw(st.sampled_from([4000, 10**7])), efficiency=efficiency)
    data = base.model_dump()
    data["device_types"] = [t.model_dump() for t in TYPES]
    data["devices"] = [d.model_dump() for d in devices]
    data["reservations"] = [r.model_dump() for r in reservations]
    servers = [
        ServerRequest(name=f"s{i}", u_height=draw(st.sampled_from([0.5, 1, 1.5, 2, 3])),
                      full_depth=draw(st.booleans()), psu_count=draw(st.sampled_from([1, 2])),
                      allocated_draw_w=draw(st.sampled_from([50, 150, 333, 601])))
        for i in range(draw(st.integers(1, max_servers)))
    ]
    return Snapshot.model_validate(data), servers


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(placement_cases())
def test_placements_never_overlap(case: tuple[Snapshot, list[ServerRequest]]) -> None:
    snap, servers = case
    policy = Policy(max_placements=3)
    report = check_fit(snap, CapacityRequest(servers=servers), policy, compute_capacity(snap, policy))
    by_name = {s.name: s for s in servers}
    half = Decimal("0.5")
    for placement in report.placements:
        ours: dict[tuple[str, str], set[Decimal]] = {}
        for sp in placement.servers:
            req = by_name[sp.server]
            r = next(x for x in snap.racks if x.key == sp.rack)
            devices = [d for d in snap.devices if d.rack == r.key]
            reservations = [x for x in snap.reservations if x.rack == r.key]
            all_units, taken, reserved = naive_faces(r, devices, reservations)
            assert sp.position is not None
            units = set(drange(Decimal(str(sp.position)), Decimal(str(sp.position)) + Decimal(str(req.u_height)),
                               half))
            assert units <= all_units  # inside the rack
            assert not units & reserved
            faces = ("front", "rear") if req.full_depth else (sp.face,)
            for face in faces:
                assert not units & taken[face], f"{sp.server} overlaps a device on the {face}"
                other = ours.setdefault((r.key, face), set())
                assert not units & other, f"{sp.server} overlaps another server of the request"
                other |= units
            if float(req.u_height).is_integer():
                assert float(sp.position).is_integer()
            # feeds: a dual-PSU server on a primary and a redundant feed of its rack
            if req.psu_count >= 2:
                assert sp.feed_a == f"{r.key}-A" and sp.feed_b == f"{r.key}-B"
            else:
                assert sp.feed_b is None and sp.feed_a in (f"{r.key}-A", f"{r.key}-B")


def install(snap: Snapshot, servers: list[ServerRequest], placement: Any) -> Snapshot:
    """The snapshot after the placement's servers are racked and cabled as it says."""
    data = snap.model_dump()
    by_name = {s.name: s for s in servers}
    for sp in placement.servers:
        req = by_name[sp.server]
        tkey = f"new-{sp.server}"
        data["device_types"].append(DeviceType(key=tkey, manufacturer="new", model=tkey, u_height=req.u_height,
                                               is_full_depth=req.full_depth).model_dump())
        ports = [PowerPort(name="PSU1", allocated_draw=sp.feed_a_draw_va, feed=sp.feed_a)]
        if sp.feed_b is not None:
            ports.append(PowerPort(name="PSU2", allocated_draw=sp.feed_b_draw_va, feed=sp.feed_b))
        data["devices"].append(Device(name=sp.server, device_type=tkey, site=sp.site, rack=sp.rack,
                                      position=sp.position, face=sp.face, power_ports=ports).model_dump())
    return Snapshot.model_validate(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(placement_cases())
def test_placing_never_raises_headroom_and_keeps_failover_safe(case: tuple[Snapshot, list[ServerRequest]]) -> None:
    snap, servers = case
    policy = Policy()
    before = compute_capacity(snap, policy)
    report = check_fit(snap, CapacityRequest(servers=servers), policy, before)
    if not report.placements:
        return
    after = compute_capacity(install(snap, servers, report.placements[0]), policy)
    for k, f in before.feeds.items():
        assert after.feeds[k].headroom_va <= f.headroom_va
        assert after.feeds[k].failover_headroom_va <= f.failover_headroom_va
    for pool_before, pool_after in ((before.ups, after.ups), (before.gensets, after.gensets)):
        for k, s in pool_before.items():
            assert pool_after[k].headroom_va <= s.headroom_va
            assert pool_after[k].failover_headroom_va <= s.failover_headroom_va
    for k, r in before.space.items():
        a = after.space[k]
        assert a.free_u <= r.free_u
        assert a.free_u_front <= r.free_u_front and a.free_u_rear <= r.free_u_rear
        assert a.largest_free_block_u <= r.largest_free_block_u
        assert a.utilization_pct >= r.utilization_pct
    # what check_fit promised holds in the engine's own figures
    used_feeds = {k for s in report.placements[0].servers for k in (s.feed_a, s.feed_b) if k}
    for k in used_feeds:
        assert after.feeds[k].headroom_va >= 0
        assert after.feeds[k].failover_headroom_va >= 0
        ups = after.feeds[k].ups
        if ups is not None:
            assert after.ups[ups].failover_headroom_va >= 0
    for g in after.gensets.values():
        if before.gensets[g.key].failover_headroom_va >= 0:
            assert g.failover_headroom_va >= -1  # rounding of loads / efficiency
    power = report.dimension("power")
    assert power.after is not None
    tight = min(after.feeds[k].failover_headroom_va for k in used_feeds)
    assert abs(power.after - tight) <= 1


def naive_plugs(snap: Snapshot, feed: str) -> int:
    """Plugs a feed offers, read off the cabling the slow way: the feed itself when no
    port is on it, else the outlets of the PDUs on it that no port is cabled to."""
    on_feed = [(d, p) for d in snap.devices for p in d.power_ports if p.feed == feed]
    if not on_feed:
        return 1
    taken = {(p.outlet.device, p.outlet.name) for d in snap.devices for p in d.power_ports if p.outlet}
    return sum(1 for d, p in on_feed for o in d.power_outlets
               if o.power_port == p.name and (d.key, o.name) not in taken)


def brute_force_fits(snap: Snapshot, server: ServerRequest, policy: Policy) -> bool:
    """Does one server fit anywhere? Every rack, every position and face, every feed
    choice with a plug for each PSU (PSU i on feed i % 2), judged by installing it and
    asking the real engine."""
    before = compute_capacity(snap, policy)
    half = Decimal("0.5")
    size = Decimal(str(server.u_height))
    for r in snap.racks:
        devices = [d for d in snap.devices if d.rack == r.key]
        reservations = [x for x in snap.reservations if x.rack == r.key]
        all_units, taken, reserved = naive_faces(r, devices, reservations)
        spot = None
        for start in sorted(all_units):
            if size == int(size) and start != int(start):
                continue
            units = set(drange(start, start + size, half))
            for face in ("front", "rear"):
                faces = ("front", "rear") if server.full_depth else (face,)
                if units <= all_units and not units & reserved and not any(units & taken[f] for f in faces):
                    spot = (float(start), face)
                    break
            if spot:
                break
        if spot is None:
            continue
        feeds = [f for f in snap.power_feeds if f.rack == r.key and f.status == "active"]
        if server.psu_count >= 2:
            options = [(a, b) for a in feeds if a.type == "primary" for b in feeds if b.type == "redundant"]
        else:
            options = [(f,) for f in feeds]
        for option in options:
            wanted = [option[i % len(option)].key for i in range(server.psu_count)]
            if any(wanted.count(f) > naive_plugs(snap, f) for f in set(wanted)):
                continue
            d = server.draw_w
            shares = [d - d // 2, d // 2] if len(option) == 2 else [d]
            placement = type("P", (), {})()
            placement.servers = [type("S", (), dict(
                server=server.name, site=r.site, rack=r.key, position=spot[0], face=spot[1],
                feed_a=option[0].key, feed_b=option[1].key if len(option) == 2 else None,
                feed_a_draw_va=shares[0], feed_b_draw_va=shares[1] if len(option) == 2 else None))()]
            after = compute_capacity(install(snap, [server], placement), policy)
            touched_ups = {after.feeds[f.key].ups for f in option} - {None}
            touched_gensets = {u.genset for u in snap.ups if u.key in touched_ups} - {None}
            ok = all(after.feeds[f.key].headroom_va >= 0 and after.feeds[f.key].failover_headroom_va >= 0
                     for f in option)
            # a UPS or genset has two ratings (VA and W): both must hold
            ok = ok and all(min(x.headroom_va, x.failover_headroom_va, x.headroom_w, x.failover_headroom_w) >= 0
                            for x in [after.ups[u] for u in touched_ups] + [after.gensets[g] for g in touched_gensets])
            if ok:
                return True
    del before
    return False


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(placement_cases(efficiency=1.0, max_servers=1))
def test_a_single_server_is_placed_whenever_some_spot_is_safe(case: tuple[Snapshot, list[ServerRequest]]) -> None:
    """No false "does not fit": the pruning never hides a spot the engine finds safe."""
    snap, servers = case
    policy = Policy()
    report = check_fit(snap, CapacityRequest(servers=servers), policy, compute_capacity(snap, policy))
    assert report.fits == brute_force_fits(snap, servers[0], policy)
