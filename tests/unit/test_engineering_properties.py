"""Invariants of the engineering figures (issue 12) on random data centres (hypothesis).

* failover >= normal on every dimension: feeds and racks in W and VA, three-phase legs,
  UPS and gensets in W and VA; the bandwidth left after the largest uplink fails is at
  most the bandwidth left; a room's cooling with a unit spare is at most what is
  installed; the largest VM after N+1 fits the largest host;
* adding load never raises any headroom: a server (feeds, legs, racks, UPS and gensets
  in both units, cooling of rooms and racks, the site's power), an allocation
  (bandwidth, normal and with the largest uplink down), a VM (hosting).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.engine import compute_capacity
from capacity.policy import Policy
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
    OutletRef,
    PowerFeed,
    PowerOutlet,
    PowerPanel,
    PowerPort,
    Rack,
    Site,
    Snapshot,
    Uplink,
    VirtualMachine,
)

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LEGS = [None, "A", "B", "C"]


@st.composite
def datacentres(draw: Any) -> tuple[Snapshot, list[tuple[str, str]]]:
    """1-3 racks in two rooms with cooling; A/B feeds, single- or three-phase, each behind
    a PDU whose outlets have random legs; servers on outlets or feeds, of types with or
    without a power factor; UPSs with or without a W rating, in a group or not; gensets
    with a cooling factor; uplinks with ports; a cluster with cores and a datastore.
    Also returns the free outlets."""
    racks = [Rack(name=f"R{i}", site="s1", location=draw(st.sampled_from(["H1", "H2"])),
                  cooling_kw=draw(st.one_of(st.none(), st.floats(0.5, 20))))
             for i in range(draw(st.integers(1, 3)))]
    feeds: list[PowerFeed] = []
    devices: list[Device] = []
    free: list[tuple[str, str]] = []
    for r in racks:
        for side in draw(st.sampled_from([("A", "B"), ("A",), ("A", "B", "B")])):
            name = f"{r.name}-{side}{len(feeds)}"
            three = draw(st.booleans())
            feeds.append(PowerFeed(name=name, panel=f"P{side}", rack=r.name,
                                   type="primary" if side == "A" else "redundant",
                                   status=draw(st.sampled_from(["active", "active", "planned"])),
                                   phase="three-phase" if three else "single-phase", voltage=400 if three else 230,
                                   amperage=draw(st.integers(2, 32))))
            if draw(st.booleans()):
                pdu = f"pdu-{name}"
                outlets = [PowerOutlet(name=str(j), power_port="IN", feed_leg=draw(st.sampled_from(LEGS)))
                           for j in range(6)]
                devices.append(Device(name=pdu, device_type="pdu", site="s1", rack=r.name, role="pdu",
                                      power_ports=[PowerPort(name="IN", feed=name)], power_outlets=outlets))
                free += [(pdu, str(j)) for j in range(6)]
    for i in range(draw(st.integers(0, 6))):
        devices.append(server(draw, f"srv{i}", draw(st.sampled_from(racks)).name, feeds, free))
    grouped = draw(st.booleans())
    ups = [UPS(name=u, site="s1", rated_va=20_000, rated_w=draw(st.one_of(st.none(), st.integers(10_000, 20_000))),
               recharge_pct=draw(st.one_of(st.none(), st.floats(0, 20))), genset=draw(st.sampled_from(["G1", "G2"])),
               redundancy_group="pair" if grouped else None) for u in ("U1", "U2")]
    gensets = [Genset(name=g, site="s1", rated_va=80_000, rated_w=draw(st.one_of(st.none(), st.integers(40_000, 80_000))),
                      other_loads_va=draw(st.integers(0, 3000)), cooling_factor=draw(st.one_of(st.none(), st.floats(0, 1))),
                      redundancy_group=draw(st.sampled_from([None, "gg"]))) for g in ("G1", "G2")]
    hosts = [ClusterHost(device=f"h{i}", capacity=HostCapacity(
        vcpus=64, memory_gb=draw(st.sampled_from([64, 256, 512])), disk_gb=1000,
        cores=draw(st.one_of(st.none(), st.integers(8, 32))), threads=None)) for i in range(draw(st.integers(1, 3)))]
    devices += [Device(name=h.device, device_type="srv", site="s1") for h in hosts]
    snap = Snapshot(
        sites=[Site(name="s1")],
        locations=[Location(name=n, site="s1", cooling_kw=draw(st.floats(1, 50)),
                            cooling_units=draw(st.one_of(st.none(), st.integers(1, 4)))) for n in ("H1", "H2")],
        racks=racks,
        device_types=[DeviceType(key="srv", manufacturer="a", model="srv"),
                      DeviceType(key="old", manufacturer="a", model="old", power_factor=draw(st.floats(0.6, 1))),
                      DeviceType(key="pdu", manufacturer="a", model="pdu", u_height=0)],
        power_panels=[PowerPanel(name="PA", site="s1", ups="U1"), PowerPanel(name="PB", site="s1", ups="U2")],
        power_feeds=feeds, devices=devices, ups=ups, gensets=gensets,
        uplinks=[Uplink(name=f"isp{i}", site="s1", provider="p", commit_kbps=draw(st.integers(1000, 10**6)),
                        port_kbps=draw(st.one_of(st.none(), st.integers(1000, 10**6)))) for i in range(draw(st.integers(1, 3)))],
        clusters=[Cluster(name="c", site="s1", hosts=hosts,
                          datastore_gb=draw(st.one_of(st.none(), st.floats(100, 10**5))),
                          replication_factor=draw(st.one_of(st.none(), st.sampled_from([1, 2, 3]))))])
    return snap, free


def server(draw: Any, name: str, rack: str, feeds: list[PowerFeed], free: list[tuple[str, str]],
           bandwidth: float = 0) -> Device:
    ports = []
    for j in range(draw(st.integers(1, 3))):
        if free and draw(st.booleans()):
            pdu, outlet = free.pop(draw(st.integers(0, len(free) - 1)))
            target: dict[str, Any] = {"outlet": OutletRef(device=pdu, name=outlet)}
        else:
            target = {"feed": draw(st.sampled_from(feeds)).key}
        ports.append(PowerPort(name=f"PSU{j}", allocated_draw=draw(st.integers(1, 4000)), **target))
    return Device(name=name, device_type=draw(st.sampled_from(["srv", "old"])), site="s1", rack=rack,
                  power_ports=ports, custom_fields={"bandwidth_mbps": bandwidth} if bandwidth else {})


def headrooms(s: Snapshot) -> dict[tuple[str, ...], float]:
    """Every headroom of every dimension, by (kind, key, figure)."""
    r = compute_capacity(s, Policy())
    out: dict[tuple[str, ...], float] = {}
    for k, f in r.feeds.items():
        out[("feed", k, "va")] = f.headroom_va
        out[("feed", k, "failover va")] = f.failover_headroom_va
        for leg in f.legs:
            out[("leg", k + leg.leg, "va")] = leg.headroom_va
            out[("leg", k + leg.leg, "failover va")] = leg.failover_headroom_va
    for k, rp in r.racks_power.items():
        out[("rack", k, "failover va")] = rp.failover_headroom_va
        out[("rack", k, "one side va")] = rp.usable_one_side_failed_va - rp.load_va
    for kind, group in (("ups", r.ups), ("genset", r.gensets)):
        for k, x in group.items():
            for figure in ("headroom_va", "failover_headroom_va", "headroom_w", "failover_headroom_w"):
                out[(kind, k, figure)] = getattr(x, figure)
    for k, c in r.cooling.items():
        out[("cooling", k, "w")] = c.headroom_w
    for k, bw in r.bandwidth.items():
        out[("bandwidth", k, "free")] = bw.free_kbps
        out[("bandwidth", k, "failover free")] = bw.failover_free_kbps
    for k, c in r.clusters.items():
        for figure in ("vcpus_free", "memory_gb_free", "disk_gb_free"):
            out[("cluster", k, figure)] = getattr(c, figure)
    for site in build_report(s, r)["sites"]:
        out[("site", site["site"], "va")] = site["available_va"] - site["load_va"]
    return out


@SETTINGS
@given(datacentres())
def test_failover_is_never_below_normal_on_any_dimension(dc: tuple[Snapshot, Any]) -> None:
    r = compute_capacity(dc[0], Policy())
    for k, f in r.feeds.items():
        assert f.failover_load_va >= f.load_va and f.failover_load_w >= f.load_w, k
        for leg in f.legs:
            assert leg.failover_load_va >= leg.load_va - 1e-9, (k, leg.leg)
    for group in (r.ups, r.gensets):
        for k, x in group.items():
            assert x.failover_load_va >= x.load_va and x.failover_load_w >= x.load_w, k
            assert x.capacity_w <= x.capacity_va, k  # W never above VA
    for k, bw in r.bandwidth.items():
        assert bw.failover_allocatable_kbps <= bw.allocatable_kbps and bw.failover_free_kbps <= bw.free_kbps, k
    for k, c in r.cooling.items():
        assert c.capacity_w <= c.installed_kw * 1000 + 0.05, k  # (rounded to 0.1 W)
    for k, c in r.clusters.items():
        assert c.vm_max_vcpus <= c.largest_host_vcpus and c.vm_max_memory_gb <= c.largest_host_memory_gb, k


@SETTINGS
@given(st.data())
def test_adding_load_never_raises_any_headroom(data: st.DataObject) -> None:
    s, free = data.draw(datacentres())
    before = headrooms(s)
    rack = data.draw(st.sampled_from(s.racks)).name
    new = server(data.draw, "new-server", rack, s.power_feeds, free, bandwidth=data.draw(st.integers(0, 500)))
    vm = VirtualMachine(name="new-vm", vcpus=data.draw(st.integers(0, 16)), memory_mb=data.draw(st.integers(0, 65536)),
                        disk_gb=data.draw(st.integers(0, 500)))
    cluster = s.clusters[0].model_copy(update={"vms": [vm]})
    after = headrooms(s.model_copy(update={"devices": s.devices + [new], "clusters": [cluster]}))
    assert before.keys() == after.keys()
    for key, value in after.items():
        assert value <= before[key] + 1e-6, (key, before[key], value)
