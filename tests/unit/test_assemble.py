"""NetBox rows into a snapshot, with no HTTP at all (inventory/netbox/assemble.py)."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.errors import SourceError
from inventory.netbox.assemble import assemble


def ref(i: int | None) -> dict[str, str] | None:
    return None if i is None else {"id": str(i)}


def rows(**extra: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """One rack with a PDU on feed 31 and a server on the PDU's outlet 1; a UPS behind the panel."""
    base: dict[str, list[dict[str, Any]]] = {
        "locations": [], "tenant_groups": [{"id": "1", "name": "OPD", "slug": "opd"}],
        "tenants": [{"id": "5", "name": "Dinas Kesehatan", "slug": "dinkes", "group": ref(1)}],
        "racks": [{"id": "3", "name": "R01", "u_height": 42, "status": "active", "site": ref(1),
                   "role": {"slug": "colocation"}, "tenant": None, "max_weight": "500", "weight_unit": "kg"}],
        "device_types": [{"id": "9", "model": "R650", "slug": "r650", "u_height": "1.0", "is_full_depth": True,
                          "manufacturer": {"name": "Dell"}},
                         {"id": "10", "model": "PDU", "slug": "pdu", "u_height": "0.0", "manufacturer": {"name": "APC"}},
                         {"id": "11", "model": "UPS", "slug": "ups", "u_height": "0.0", "manufacturer": {"name": "x"}}],
        "device_roles": [{"id": "1", "slug": "server"}, {"id": "2", "slug": "pdu"}, {"id": "3", "slug": "ups"}],
        "power_panels": [{"id": "4", "name": "PA", "site": ref(1), "custom_field_data": {"ups": 22}}],
        "reservations": [{"id": "8", "units": [5, 6], "rack": ref(3), "tenant": ref(5), "description": "REQ-1: x"}],
        "device_bays": [], "circuit_terminations": [], "clusters": [], "vms": [],
        "devices": [
            {"id": "20", "name": "srv-1", "position": "10.0", "face": "front", "status": "active",
             "device_type": ref(9), "role": ref(1), "tenant": ref(5), "rack": ref(3), "site": ref(1),
             "custom_field_data": {"bandwidth_mbps": 50, "request_id": None}},
            {"id": "21", "name": "pdu-a", "status": "active", "device_type": ref(10), "role": ref(2),
             "rack": ref(3), "site": ref(1)},
            {"id": "22", "name": "UPS-A", "status": "active", "device_type": ref(11), "role": ref(3),
             "site": ref(1), "custom_field_data": {"rated_va": 40000, "derating": "0.8"}},
        ],
        "power_ports": [
            {"id": "40", "name": "PSU1", "allocated_draw": 300, "maximum_draw": 0, "device": ref(20), "cable": ref(70)},
            {"id": "41", "name": "input", "device": ref(21), "cable": ref(71)},
        ],
        "power_outlets": [{"id": "50", "name": "1", "feed_leg": "a", "device": ref(21), "power_port": ref(41),
                           "cable": ref(70)}],
        "power_feeds": [{"id": "31", "name": "R01-A", "status": "active", "type": "primary", "voltage": 230,
                         "amperage": 16, "max_utilization": 80, "available_power": 2944, "power_panel": ref(4),
                         "rack": ref(3), "cable": ref(71)}],
    }
    base.update(extra)
    return base


SITE = [{"id": "1", "name": "DC Kaltim", "slug": "dc-kaltim"}]


def test_rows_become_a_snapshot_with_cabling_followed_through_the_pdu() -> None:
    warnings: list[str] = []
    s = assemble(SITE, rows(), warnings.append)
    assert warnings == []
    assert [t.key for t in s.tenants] == ["dinkes"] and s.tenants[0].group == "opd"
    srv = next(d for d in s.devices if d.name == "srv-1")
    assert (srv.rack, srv.position, srv.face, srv.tenant, srv.role) == ("3", 10.0, "front", "dinkes", "server")
    port = srv.power_ports[0]
    assert (port.outlet.device, port.outlet.name, port.maximum_draw) == ("21", "1", None)  # 0 W means unknown
    pdu = next(d for d in s.devices if d.name == "pdu-a")
    assert pdu.power_ports[0].feed == "31" and pdu.power_outlets[0].feed_leg == "A"
    # the unracked UPS is a UPS, not a device; the panel names it
    assert [u.name for u in s.ups] == ["UPS-A"] and s.ups[0].derating == 0.8
    assert "22" not in {d.key for d in s.devices} and s.power_panels[0].ups == "22"
    assert s.racks[0].max_weight_kg == 500 and s.reservations[0].units == [5, 6]


def test_what_the_snapshot_cannot_hold_is_left_out_and_named() -> None:
    warnings: list[str] = []
    feeds = rows()["power_feeds"]
    feeds[0] = {**feeds[0], "available_power": 3000}
    devices = rows()["devices"]
    devices[2] = {**devices[2], "custom_field_data": {}}  # a UPS without rated_va
    s = assemble(SITE, rows(power_feeds=feeds, devices=devices), warnings.append)
    assert s.ups == [] and s.power_panels[0].ups is None
    assert warnings == [
        "UPS UPS-A: custom field rated_va is missing or not a positive number; not counted",
        "power panel PA: custom field ups points at 22, not a loaded UPS; link dropped",
        "power feed R01-A: NetBox's stored available_power 3000 differs from 2944 computed from its "
        "voltage, amperage and utilization",
    ]


def test_a_device_type_used_but_not_listed_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="NetBox device type 9 is used by devices but was not listed"):
        assemble(SITE, rows(device_types=[]), lambda w: None)
