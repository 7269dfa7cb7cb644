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


def engineering_rows(ups_cf: dict[str, Any], **extra: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """rows() with the engineering custom fields of issue 12 on the location, rack, device
    type, UPS, a cluster and an uplink's termination."""
    base = rows(**extra)
    base["locations"] = [{"id": "6", "name": "Hall", "site": ref(1),
                          "custom_field_data": {"cooling_kw": "30.5", "cooling_units": 3}}]
    base["racks"][0] = {**base["racks"][0], "location": ref(6), "custom_field_data": {"cooling_kw": 8}}
    base["device_types"][0] = {**base["device_types"][0], "custom_field_data": {"power_factor": "0.9"}}
    base["devices"][2] = {**base["devices"][2], "custom_field_data": {"rated_va": 40000, **ups_cf}}
    base["circuit_terminations"] = [{"id": "90", "term_side": "A", "port_speed": 10_000_000, "termination": {
        "__typename": "SiteType", "id": "1"}, "circuit": {"id": "91", "cid": "ISP-1", "status": "active",
        "commit_rate": 1_000_000, "type": {"slug": "internet-uplink"}, "provider": {"name": "Telkom"}}}]
    base["clusters"] = [{"id": "80", "name": "vmw", "type": {"slug": "virtualization"}, "devices": [{"id": "20"}],
                         "scope": {"__typename": "SiteType", "id": "1"},
                         "custom_field_data": {"datastore_gb": "46080", "replication_factor": 2}}]
    base["devices"][0] = {**base["devices"][0], "custom_field_data": {
        "vcpus": 64, "memory_gb": 512, "disk_gb": 0, "cores": 32, "threads": 64}}
    return base


def test_the_engineering_custom_fields_are_read() -> None:
    warnings: list[str] = []
    s = assemble(SITE, engineering_rows({"rated_w": 32000, "recharge_pct": "12.5"}), warnings.append)
    assert warnings == []
    assert (s.locations[0].cooling_kw, s.locations[0].cooling_units, s.racks[0].cooling_kw) == (30.5, 3, 8)
    assert s.device_types[0].power_factor == 0.9
    assert (s.ups[0].rated_w, s.ups[0].recharge_pct) == (32000, 12.5)
    assert [(u.commit_kbps, u.port_kbps) for u in s.uplinks] == [(1_000_000, 10_000_000)]
    [cluster] = s.clusters
    assert (cluster.datastore_gb, cluster.replication_factor) == (46080, 2)
    assert (cluster.hosts[0].capacity.cores, cluster.hosts[0].capacity.threads) == (32, 64)
    # the host's capacity fields are not left on the device
    assert "cores" not in next(d for d in s.devices if d.key == "20").custom_fields


def test_an_engineering_value_out_of_range_is_left_out_and_named() -> None:
    warnings: list[str] = []
    bad = engineering_rows({"rated_w": 50000, "recharge_pct": 150})
    bad["device_types"][0]["custom_field_data"] = {"power_factor": 1.2}
    bad["locations"][0]["custom_field_data"] = {"cooling_kw": -1, "cooling_units": 0}
    s = assemble(SITE, bad, warnings.append)
    assert (s.ups[0].rated_w, s.ups[0].recharge_pct, s.device_types[0].power_factor) == (None, None, None)
    assert (s.locations[0].cooling_kw, s.locations[0].cooling_units) == (None, None)
    assert warnings == [
        "location Hall: custom field cooling_units is 0, not a number in [1, 32767]; taken as not given",
        "location Hall: custom field cooling_kw is -1, not a number >= 0; taken as not given",
        "UPS UPS-A: custom field rated_w is 50000, not a number in [1, 40000]; taken as not given",
        "UPS UPS-A: custom field recharge_pct is 150, not a number in [0, 100]; taken as not given",
        "device type R650: power_factor 1.2 is not in (0, 1]; the policy default is used",
    ]
