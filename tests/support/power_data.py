"""Builders of small power topologies (feeds, PDUs, servers) for the power tests."""

from __future__ import annotations

from typing import Any

from inventory.model import (
    UPS,
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


SRV = "acme-srv"
PDU = "acme-pdu"


def port(name: str, feed: str | None = None, outlet: tuple[str, str] | None = None,
         alloc: int | None = None, maxi: int | None = None) -> PowerPort:
    return PowerPort(name=name, feed=feed, allocated_draw=alloc, maximum_draw=maxi,
                     outlet=OutletRef(device=outlet[0], name=outlet[1]) if outlet else None)


def server(name: str, *ports: PowerPort, rack: str = "R1", position: float | None = None,
           **kw: Any) -> Device:
    return Device(name=name, device_type=SRV, site="s1", rack=rack, position=position,
                  face="front" if position is not None else None, power_ports=list(ports), **kw)


def pdu(name: str, inputs: dict[str, PowerPort], outlets: dict[str, str | None],
        rack: str = "R1") -> Device:
    """A PDU: its input ports, and outlet name -> name of the input port feeding it."""
    return Device(name=name, device_type=PDU, site="s1", rack=rack, role="pdu",
                  power_ports=list(inputs.values()),
                  power_outlets=[PowerOutlet(name=o, power_port=p) for o, p in outlets.items()])


def feed(name: str, rack: str | None = "R1", type: str = "primary", panel: str = "PA",
         **kw: Any) -> PowerFeed:
    return PowerFeed(name=name, panel=panel, rack=rack, type=type, **kw)


def snap(devices: list[Device], feeds: list[PowerFeed], racks: tuple[str, ...] = ("R1",),
         ups: list[UPS] | None = None, gensets: list[Genset] | None = None,
         panels: list[PowerPanel] | None = None, rack_objects: list[Rack] | None = None,
         extra_types: list[DeviceType] | None = None, **kw: Any) -> Snapshot:
    return Snapshot(
        sites=[Site(name="s1")],
        racks=rack_objects or [Rack(name=r, site="s1") for r in racks],
        device_types=[DeviceType(manufacturer="acme", model="srv", u_height=1),
                      DeviceType(manufacturer="acme", model="pdu", u_height=0)]
        + (extra_types or []),
        power_panels=panels if panels is not None else [
            PowerPanel(name="PA", site="s1"), PowerPanel(name="PB", site="s1")],
        power_feeds=feeds, devices=devices, ups=ups or [], gensets=gensets or [], **kw)


def ab_feeds(rack: str = "R1", **kw: Any) -> list[PowerFeed]:
    """230 V x 32 A x 80 % = 5888 VA each."""
    return [feed(f"{rack}-A", rack=rack, type="primary", panel="PA", amperage=32, **kw),
            feed(f"{rack}-B", rack=rack, type="redundant", panel="PB", amperage=32, **kw)]
