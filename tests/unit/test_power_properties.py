"""Invariants of the power maths on random data centres (hypothesis).

* failover load >= load, for every feed, UPS and genset;
* the feeds' loads add up to the leaf draws that reach a feed plus the commitments;
* adding a server never raises any headroom (normal or failover);
* the NetBox figures equal a line-by-line transliteration of NetBox's own code, on
  arbitrary PDU topologies (nested, auto-mode inputs, loops).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.policy import Policy
from capacity.power import compute_power
from inventory.model import (
    UPS,
    Commitment,
    Device,
    DeviceType,
    Genset,
    OutletRef,
    PowerFeed,
    PowerOutlet,
    PowerPanel,
    PowerPort,
    Rack,
    Site,
    Snapshot,
)

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

draws = st.one_of(st.none(), st.integers(0, 3000))


@st.composite
def datacentres(draw: Any, explicit_pdu_draw: bool = True
                ) -> tuple[Snapshot, list[tuple[str, str]]]:
    """A random site: racks with A/B (or A only) feeds, PDUs that may nest or loop,
    servers cabled to feeds or outlets, commitments. Also returns the free outlets."""
    racks = [f"R{i}" for i in range(draw(st.integers(1, 3)))]
    feeds: list[PowerFeed] = []
    for r in racks:
        sides = draw(st.sampled_from([("A", "B"), ("A",), ("A", "A", "B"), ("A", "B", "B")]))
        for k, side in enumerate(sides):
            feeds.append(PowerFeed(
                name=f"{r}-{side}{k}", panel="PA" if side == "A" else "PB", rack=r,
                type="primary" if side == "A" else "redundant",
                status=draw(st.sampled_from(["active", "active", "active", "planned", "offline"])),
                phase=draw(st.sampled_from(["single-phase", "three-phase"])),
                voltage=draw(st.sampled_from([230, 400, -48])), amperage=draw(st.integers(1, 63)),
                max_utilization=draw(st.integers(1, 100))))
    if draw(st.booleans()):
        feeds.append(PowerFeed(name="loose", panel="PA", rack=None))
    feed_keys = [f.key for f in feeds]

    n_pdus = draw(st.integers(0, 4))
    pdu_keys = [f"PDU{i}" for i in range(n_pdus)]
    free_outlets = [(k, f"o{j}") for k in pdu_keys for j in range(4)]
    devices: list[Device] = []

    def target() -> dict[str, Any]:
        choice = draw(st.sampled_from(["feed", "outlet", "outlet", "none"]))
        if choice == "feed":
            return {"feed": draw(st.sampled_from(feed_keys))}
        if choice == "outlet" and free_outlets:
            k = draw(st.integers(0, len(free_outlets) - 1))
            dev, name = free_outlets.pop(k)
            return {"outlet": OutletRef(device=dev, name=name)}
        return {}

    for key in pdu_keys:
        inputs = [f"in{j}" for j in range(draw(st.integers(1, 2)))]
        ports = []
        for name in inputs:
            explicit = explicit_pdu_draw and draw(st.booleans())
            alloc = draw(draws) if explicit else None
            maxi = draw(st.one_of(st.none(), st.integers(1, 3000))) if explicit else None
            if alloc is not None and maxi is not None and alloc > maxi:
                alloc, maxi = maxi, alloc
            ports.append(PowerPort(name=name, allocated_draw=alloc, maximum_draw=maxi, **target()))
        devices.append(Device(
            name=key, device_type="pdu", site="s1", rack=draw(st.sampled_from(racks)), role="pdu",
            power_ports=ports,
            power_outlets=[PowerOutlet(name=f"o{j}",
                                       power_port=draw(st.sampled_from(inputs + inputs + [None])))
                           for j in range(4)]))
    for i in range(draw(st.integers(0, 8))):
        devices.append(_server(draw, f"srv{i}", draw(st.sampled_from(racks)), target,
                               need_draw=False))
    commitments = []
    for i in range(draw(st.integers(0, 2))):
        chosen = draw(st.lists(st.sampled_from(feed_keys), max_size=2, unique=True))
        commitments.append(Commitment(request_id=f"REQ-{i}", feeds=chosen,
                                      rack=draw(st.sampled_from(racks)),
                                      draw_va=draw(st.integers(0, 2000))))
    two_gensets = draw(st.booleans())
    snapshot = Snapshot(
        sites=[Site(name="s1")],
        racks=[Rack(name=r, site="s1") for r in racks],
        device_types=[DeviceType(key="srv", manufacturer="a", model="srv"),
                      DeviceType(key="pdu", manufacturer="a", model="pdu", u_height=0)],
        power_panels=[PowerPanel(name="PA", site="s1", ups="U1"),
                      PowerPanel(name="PB", site="s1", ups="U2")],
        ups=[UPS(name="U1", site="s1", rated_va=20000, genset="G1", redundancy_group="pair",
                 efficiency=draw(st.sampled_from([None, 0.9, 0.95]))),
             UPS(name="U2", site="s1", rated_va=20000, genset="G2" if two_gensets else "G1",
                 redundancy_group=draw(st.sampled_from(["pair", None])))],
        gensets=[Genset(name="G1", site="s1", rated_va=80000,
                        other_loads_va=draw(st.integers(0, 5000)), redundancy_group="gg")]
        + ([Genset(name="G2", site="s1", rated_va=80000, redundancy_group="gg")]
           if two_gensets else []),
        power_feeds=feeds, devices=devices, commitments=commitments)
    return snapshot, free_outlets


def _server(draw: Any, name: str, rack: str, target: Any, need_draw: bool) -> Device:
    ports = []
    for j in range(draw(st.integers(1, 3))):
        alloc = draw(draws)
        maxi = draw(st.one_of(st.none(), st.integers(1, 3000)))
        if need_draw and not alloc and maxi is None:
            maxi = draw(st.integers(1, 3000))
        if alloc is not None and maxi is not None and alloc > maxi:
            alloc, maxi = maxi, alloc
        ports.append(PowerPort(name=f"PSU{j}", allocated_draw=alloc, maximum_draw=maxi, **target()))
    return Device(name=name, device_type="srv", site="s1", rack=rack, power_ports=ports)


# --- helpers: a naive walk and NetBox's own code, transliterated ---------------------------------


def naive_leaf_draws(s: Snapshot) -> int:
    """Sum of the leaf ports' draws (allocated, else maximum) that reach a feed."""
    outlet_input = {(d.key, o.name): o.power_port for d in s.devices for o in d.power_outlets}
    upstream = {(d.key, o.power_port) for d in s.devices for o in d.power_outlets if o.power_port}
    ports = {(d.key, p.name): p for d in s.devices for p in d.power_ports}

    def reaches_feed(key: tuple[str, str], seen: set) -> bool:
        p = ports[key]
        if p.feed is not None:
            return True
        if p.outlet is None or key in seen:
            return False
        src = outlet_input[(p.outlet.device, p.outlet.name)]
        return src is not None and reaches_feed((p.outlet.device, src), seen | {key})

    return sum((p.allocated_draw or p.maximum_draw or 0) for key, p in ports.items()
               if key not in upstream and reaches_feed(key, set()))


def netbox_rack_utilization(s: Snapshot, rack: str) -> float:
    """Rack.get_power_utilization() and PowerPort.get_power_draw() of NetBox 4.7."""
    ports = {(d.key, p.name): p for d in s.devices for p in d.power_ports}
    outlets = {(d.key, o.name): o for d in s.devices for o in d.power_outlets}

    def get_downstream_powerports(key: tuple[str, str]) -> list[tuple[str, str]]:
        dev, name = key
        return [k for k, p in ports.items() if p.outlet is not None and p.outlet.device == dev
                and outlets[(dev, p.outlet.name)].power_port == name]

    def get_power_draw(key: tuple[str, str], _seen: set | None = None) -> int:
        p = ports[key]
        if p.allocated_draw is None and p.maximum_draw is None:
            def _aggregate(powerports: list, seen: set) -> int:
                allocated_total = 0
                for powerport in powerports:
                    if powerport in seen:
                        continue
                    seen.add(powerport)
                    allocated_total += get_power_draw(powerport, _seen=seen)
                return allocated_total
            base_seen = set(_seen) if _seen else set()
            base_seen.add(key)
            return _aggregate(get_downstream_powerports(key), set(base_seen))
        return p.allocated_draw or 0

    def available_power(f: PowerFeed) -> int:
        kva = abs(f.voltage) * f.amperage * (f.max_utilization / 100)
        return round(kva * 1.732) if f.phase == "three-phase" else round(kva)

    powerfeeds = [f for f in s.power_feeds if f.rack == rack]
    available_power_total = sum(available_power(pf) for pf in powerfeeds)
    if not available_power_total:
        return 0
    keys = {f.key for f in powerfeeds}
    powerports = [k for k, p in ports.items() if p.feed in keys]
    allocated_draw = sum(get_power_draw(k) for k in powerports)
    return round(allocated_draw / available_power_total * 100, 1)


def headrooms(s: Snapshot) -> dict[tuple[str, str, str], int]:
    r = compute_power(s, Policy())
    out: dict[tuple[str, str, str], int] = {}
    for k, f in r.feeds.items():
        out[("feed", k, "normal")] = f.headroom_va
        out[("feed", k, "failover")] = f.failover_headroom_va
    for k, rp in r.racks.items():
        out[("rack", k, "normal")] = rp.available_va - rp.load_va
        out[("rack", k, "failover")] = rp.failover_headroom_va
    for kind, group in (("ups", r.ups), ("genset", r.gensets)):
        for k, src in group.items():
            out[(kind, k, "normal")] = src.headroom_va
            out[(kind, k, "failover")] = src.failover_headroom_va
    return out


# --- properties ----------------------------------------------------------------------------------


@SETTINGS
@given(datacentres())
def test_failover_load_is_never_below_load(dc: tuple[Snapshot, Any]) -> None:
    r = compute_power(dc[0], Policy())
    for group in (r.feeds, r.ups, r.gensets):
        for k, x in group.items():
            assert x.failover_load_va >= x.load_va, k
    for k, rp in r.racks.items():
        assert rp.failover_headroom_va == rp.failover_available_va - rp.failover_load_va


@SETTINGS
@given(datacentres(explicit_pdu_draw=False))
def test_feed_loads_add_up_to_leaf_draws_and_commitments(dc: tuple[Snapshot, Any]) -> None:
    s = dc[0]
    r = compute_power(s, Policy())
    feeds_of_rack = {rk: [f.key for f in s.power_feeds if f.rack == rk and f.status == "active"]
                     for rk in {f.rack for f in s.power_feeds if f.rack}}
    committed = sum(c.draw_va for c in s.commitments
                    if c.draw_va > 0 and (c.feeds or feeds_of_rack.get(c.rack)))
    # draw is in W (VA = W / power factor, each feed rounded to the VA: within 1 VA a feed)
    assert sum(f.load_w for f in r.feeds.values()) == naive_leaf_draws(s) + committed
    assert abs(sum(f.committed_va for f in r.feeds.values()) - committed / 0.95) <= len(r.feeds)


@SETTINGS
@given(st.data())
def test_adding_a_server_never_raises_headroom(data: st.DataObject) -> None:
    s, free_outlets = data.draw(datacentres())
    feed_keys = [f.key for f in s.power_feeds]

    def target() -> dict[str, Any]:
        if free_outlets and data.draw(st.booleans()):
            dev, name = free_outlets.pop(data.draw(st.integers(0, len(free_outlets) - 1)))
            return {"outlet": OutletRef(device=dev, name=name)}
        return {"feed": data.draw(st.sampled_from(feed_keys))}

    before = headrooms(s)
    new = _server(data.draw, "new-server", s.racks[0].key, target, need_draw=True)
    after = headrooms(s.model_copy(update={"devices": s.devices + [new]}))
    assert before.keys() == after.keys()
    for key, value in after.items():
        assert value <= before[key], key


@SETTINGS
@given(datacentres())
def test_netbox_figures_equal_netbox_code(dc: tuple[Snapshot, Any]) -> None:
    s = dc[0]
    r = compute_power(s, Policy())
    for rack in s.racks:
        assert r.racks[rack.key].power_utilization_pct == netbox_rack_utilization(s, rack.key)


@SETTINGS
@given(st.data())
def test_figures_do_not_depend_on_the_order_of_the_devices(data: st.DataObject) -> None:
    # NetBox lists devices by id: a server may come before the PDU it is cabled to
    s = data.draw(datacentres())[0]
    shuffled = s.model_copy(update={"devices": data.draw(st.permutations(s.devices))})
    a, b = compute_power(s, Policy()), compute_power(shuffled, Policy())
    assert (a.feeds, a.racks, a.ups, a.gensets) == (b.feeds, b.racks, b.ups, b.gensets)
    assert sorted(map(repr, a.findings)) == sorted(map(repr, b.findings))
