"""Small hand-built data centres for the fit and placement tests.

The default data centre (`dc()`): one site `dc`; racks of 10U with role `colocation`;
every rack has feed `<rack>-A` (primary, panel PA behind UPS-A) and `<rack>-B`
(redundant, panel PB behind UPS-B), each 100 V x 10 A x 100 % = 1000 VA; UPS-A and UPS-B
form one redundancy group, derating 1 (capacity = rated), efficiency 1, both on genset G.
Each feed has a 0U PDU (`<rack>-pdu-A`, 8 outlets) and existing servers draw through its
outlets; racks named in `direct` have no PDU and their servers are cabled straight to the
feeds (which then offer no plug).
"""

from __future__ import annotations

from typing import Any

from capacity.engine import compute_capacity
from capacity.fit import check_fit
from capacity.fit_request import CapacityRequest, ServerRequest
from capacity.fit_result import FitReport
from capacity.policy import Policy
from inventory.model import (
    UPS,
    Cluster,
    Device,
    DeviceType,
    Genset,
    OutletRef,
    PowerFeed,
    PowerOutlet,
    PowerPanel,
    PowerPort,
    Rack,
    RackReservation,
    Site,
    Snapshot,
    Tenant,
    Uplink,
)


TYPES = [
    DeviceType(key="1u", manufacturer="x", model="1u", u_height=1),
    DeviceType(key="2u", manufacturer="x", model="2u", u_height=2, weight_kg=25),
    DeviceType(key="1u-short", manufacturer="x", model="1u-short", u_height=1, is_full_depth=False),
    DeviceType(key="half-full", manufacturer="x", model="half-full", u_height=0.5),
    DeviceType(key="patch", manufacturer="x", model="patch", u_height=1, exclude_from_utilization=True),
    DeviceType(key="pdu-0u", manufacturer="x", model="pdu", u_height=0),
    DeviceType(key="host", manufacturer="x", model="host", u_height=2),
    DeviceType(key="pdu", manufacturer="x", model="pdu 0u", u_height=0, weight_kg=0),
]


def rack(name: str, site: str = "dc", **kw: Any) -> Rack:
    kw.setdefault("u_height", 10)
    kw.setdefault("role", "colocation")
    return Rack(name=name, site=site, **kw)


def dev(name: str, rack_name: str, position: float | None, dtype: str = "1u", face: str = "front",
        draw: tuple[int, int] | None = None, single: int | None = None, **kw: Any) -> Device:
    """A racked device; `draw` = allocated W on its A and B feed ports, `single` = one port on A."""
    ports = []
    if draw is not None:
        ports = [PowerPort(name="PSU1", allocated_draw=draw[0], feed=f"{rack_name}-A"),
                 PowerPort(name="PSU2", allocated_draw=draw[1], feed=f"{rack_name}-B")]
    elif single is not None:
        ports = [PowerPort(name="PSU1", allocated_draw=single, feed=f"{rack_name}-A")]
    site = kw.pop("site", "dc")
    return Device(name=name, device_type=dtype, site=site, rack=rack_name, position=position,
                  face=face if position is not None else None, power_ports=ports, **kw)


def dc(racks: list[Rack], devices: list[Device] | None = None,
       reservations: list[RackReservation] | None = None, *, ups_va: int = 10**6,
       genset_va: int = 10**7, efficiency: float = 1.0, amps: dict[str, int] | None = None,
       no_feeds: tuple[str, ...] = (), feed_types: tuple[str, str] = ("primary", "redundant"),
       uplink_kbps: int | None = None, clusters: list[Cluster] | None = None,
       direct: tuple[str, ...] = (), outlets: int = 8) -> Snapshot:
    amps = amps or {}
    devices = _through_pdus(racks, devices or [], no_feeds + direct, outlets)
    sites = sorted({r.site for r in racks} | {"dc"})
    feeds = []
    for r in racks:
        if r.name in no_feeds:
            continue
        for side, ftype in zip("AB", feed_types):
            feeds.append(PowerFeed(name=f"{r.name}-{side}", panel=f"P{side}-{r.site}", rack=r.name,
                                   type=ftype, voltage=100, amperage=amps.get(r.name, 10),
                                   max_utilization=100))
    panels = [PowerPanel(name=f"P{side}-{s}", site=s, ups=f"UPS-{side}") for s in sites for side in "AB"]
    return Snapshot(
        sites=[Site(name=s) for s in sites],
        tenants=[Tenant(name="dinkes"), Tenant(name="bappeda")],
        racks=racks,
        device_types=TYPES,
        devices=devices,
        reservations=reservations or [],
        power_panels=panels,
        power_feeds=feeds,
        ups=[UPS(name=f"UPS-{side}", site="dc", rated_va=ups_va, derating=1, efficiency=efficiency,
                 genset="G", redundancy_group="ups-ab") for side in "AB"],
        gensets=[Genset(name="G", site="dc", rated_va=genset_va, derating=1)],
        uplinks=[Uplink(name="isp1", site="dc", provider="telkom", commit_kbps=uplink_kbps)]
        if uplink_kbps else [],
        clusters=clusters or [],
    )


def _through_pdus(racks: list[Rack], devices: list[Device], without: tuple[str, ...],
                  outlets: int) -> list[Device]:
    """A PDU on each feed of the racks not in `without`; ports cabled to those feeds are
    moved to the PDU's outlets, in order."""
    pdus: dict[str, Device] = {}
    for r in racks:
        if r.name in without:
            continue
        for side in "AB":
            pdus[f"{r.name}-{side}"] = Device(
                name=f"{r.name}-pdu-{side}", device_type="pdu", site=r.site, rack=r.name, role="pdu",
                power_ports=[PowerPort(name="IN", feed=f"{r.name}-{side}")],
                power_outlets=[PowerOutlet(name=str(i), power_port="IN") for i in range(1, outlets + 1)])
    used: dict[str, int] = {}
    out = []
    for d in devices:
        ports = []
        for p in d.power_ports:
            pdu = pdus.get(p.feed or "")
            if pdu is not None:
                used[pdu.name] = used.get(pdu.name, 0) + 1
                p = p.model_copy(update={"feed": None, "outlet": OutletRef(device=pdu.name,
                                                                           name=str(used[pdu.name]))})
            ports.append(p)
        out.append(d.model_copy(update={"power_ports": ports}))
    return out + list(pdus.values())


def server(name: str = "srv", u: float = 1, draw: int = 100, **kw: Any) -> ServerRequest:
    return ServerRequest(name=name, u_height=u, allocated_draw_w=draw, **kw)


#: The placement rules of tests/unit/test_fit.py are topology: they run with `plain()`, a
#: policy of power factor 1 (VA = W), W ratings equal to the VA ratings, no battery
#: recharge and no memory kept for the hypervisor, so the hand-made figures stay in plain
#: watts. The engineering figures have their own tests (tests/unit/test_fit_engineering.py).
PLAIN = dict(power_factor=1, ups_recharge_pct=0, ups_rated_power_factor=1, genset_rated_power_factor=1,
             hypervisor_reserved_gb=0)


def plain(**kw: Any) -> Policy:
    """The policy the fit tests run with (see PLAIN), with `kw` set."""
    return Policy(**{**PLAIN, **kw})


def fit(snap: Snapshot, *servers: ServerRequest, policy: Policy | None = None, **kw: Any) -> FitReport:
    policy = policy or plain()
    request = CapacityRequest(servers=list(servers), **kw)
    return check_fit(snap, request, policy, compute_capacity(snap, policy))
