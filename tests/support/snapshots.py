"""Hand-built snapshots shared by more than one tier: `small_dc` (written into NetBox by
the integration tests, planned offline by the gateway tests) and `small_snapshot`
(rendered as HTML by the unit tests, shown in a browser by the integration tests); and
`written_as_json_and_yaml`, a snapshot in both file forms for the file readers' tests."""

from __future__ import annotations

from pathlib import Path

from inventory.files import dump_snapshot
from inventory.model import Snapshot


def written_as_json_and_yaml(snapshot: Snapshot, folder: Path) -> dict[str, Path]:
    """`folder/dc.json` and `folder/dc.yaml` as `dump_snapshot` writes them, by suffix."""
    paths = {suffix: folder / f"dc.{suffix}" for suffix in ("json", "yaml")}
    for path in paths.values():
        dump_snapshot(snapshot, path)
    return paths


def small_dc(sfx: str) -> Snapshot:
    """A hand-built data centre; every name carries `sfx` so tests never collide."""
    site = f"it-{sfx}"
    return Snapshot.model_validate({
        "sites": [{"key": site, "name": f"IT site {sfx}", "slug": site}],
        "locations": [{"key": "hall", "name": f"Hall {sfx}", "site": site}],
        "tenant_groups": [{"key": "g", "name": f"OPD {sfx}"}],
        "tenants": [{"key": "dinas", "name": f"Dinas {sfx}", "slug": f"dinas-{sfx}", "group": "g"}],
        "racks": [
            {"key": "R1", "name": "R1", "site": site, "location": "hall", "u_height": 42, "role": "colocation",
             "max_weight_kg": 1000},
            {"key": "R2", "name": "R2", "site": site, "u_height": 24, "status": "planned"},
        ],
        "device_types": [
            {"key": "srv1u", "manufacturer": f"Maker {sfx}", "model": "S1", "u_height": 1},
            {"key": "srv2u", "manufacturer": f"Maker {sfx}", "model": "S2", "u_height": 2, "is_full_depth": False},
            {"key": "pdu", "manufacturer": f"Maker {sfx}", "model": "PDU0", "u_height": 0,
             "is_full_depth": False, "exclude_from_utilization": True},
            {"key": "half", "manufacturer": f"Maker {sfx}", "model": "H", "u_height": 0.5},
        ],
        "devices": [
            {"name": f"pdu-a-{sfx}", "device_type": "pdu", "site": site, "rack": "R1", "role": "pdu",
             "power_ports": [{"name": "inlet", "feed": "F-A"}],
             "power_outlets": [{"name": "o1", "power_port": "inlet", "feed_leg": "A"},
                               {"name": "o2", "power_port": "inlet", "feed_leg": "A"}]},
            {"name": f"srv-1-{sfx}", "device_type": "srv1u", "site": site, "rack": "R1", "position": 10,
             "face": "front", "tenant": "dinas", "serial": f"SN-{sfx}-1",
             "custom_fields": {"domain": "dinas.kaltimprov.go.id", "request_id": f"REQ-{sfx}",
                               "bandwidth_mbps": 20},
             "power_ports": [{"name": "PSU1", "allocated_draw": 300, "maximum_draw": 450,
                              "outlet": {"device": f"pdu-a-{sfx}", "name": "o1"}},
                             {"name": "PSU2", "allocated_draw": 300, "maximum_draw": 450, "feed": "F-B"}]},
            {"name": f"srv-2-{sfx}", "device_type": "srv2u", "site": site, "rack": "R1", "position": 20,
             "face": "rear", "power_ports": [{"name": "PSU1", "maximum_draw": 500,
                                              "outlet": {"device": f"pdu-a-{sfx}", "name": "o2"}}]},
            {"name": f"half-{sfx}", "device_type": "half", "site": site, "rack": "R2", "position": 3.5,
             "face": "front"},
            {"name": f"host-{sfx}", "device_type": "srv1u", "site": site, "rack": "R2", "position": 10,
             "face": "front", "role": "hypervisor"},
        ],
        "reservations": [{"rack": "R1", "units": [30, 31, 32], "tenant": "dinas", "description": f"REQ-{sfx}"}],
        "power_panels": [{"key": "P1", "name": "Panel 1", "site": site, "ups": "UPS1"}],
        "power_feeds": [
            {"key": "F-A", "name": "Feed A", "panel": "P1", "rack": "R1"},
            {"key": "F-B", "name": "Feed B", "panel": "P1", "rack": "R1", "type": "redundant",
             "phase": "three-phase", "voltage": 400, "amperage": 32},
        ],
        "ups": [{"key": "UPS1", "name": f"UPS-{sfx}", "site": site, "rated_va": 40000, "derating": 0.8,
                 "efficiency": 0.95, "genset": "G1"}],
        "gensets": [{"key": "G1", "name": f"Genset-{sfx}", "site": site, "rated_va": 100000,
                     "other_loads_va": 15000}],
        "uplinks": [{"key": "U1", "name": f"CID-{sfx}", "site": site, "provider": f"ISP {sfx}",
                     "commit_kbps": 1_000_000}],
        "clusters": [{"key": "C1", "name": f"Cluster {sfx}", "site": site,
                      "hosts": [{"device": f"host-{sfx}", "capacity": {"vcpus": 64, "memory_gb": 512,
                                                                        "disk_gb": 4000}}],
                      "vms": [{"name": f"vm-{sfx}", "tenant": "dinas", "vcpus": 4, "memory_mb": 8192,
                               "disk_gb": 50}]}],
    })


def small_snapshot() -> Snapshot:
    """Two 10U racks and one 6U rack numbered top-down, every occupancy rule once."""
    site = "DC Samarinda"
    return Snapshot.model_validate({
        "sites": [{"name": site, "slug": "dc-smd"}],
        "locations": [{"name": "Ruang Server 1", "site": site}],
        "tenants": [{"name": "Dinas Kesehatan"}, {"name": "Bapenda"}],
        "racks": [
            {"name": "R01", "site": site, "location": "Ruang Server 1", "u_height": 10, "role": "colocation"},
            {"name": "R02", "site": site, "location": "Ruang Server 1", "u_height": 10, "role": "colocation"},
            {"name": "R03", "site": site, "u_height": 6, "desc_units": True},
        ],
        "device_types": [
            {"manufacturer": "Dell", "model": "R650", "u_height": 1},
            {"manufacturer": "HPE", "model": "DL380", "u_height": 2},
            {"manufacturer": "Cisco", "model": "Switch", "u_height": 1, "is_full_depth": False},
            {"manufacturer": "Generic", "model": "Shelf", "u_height": 0.5, "is_full_depth": False},
            {"manufacturer": "APC", "model": "PDU", "u_height": 0},
            {"manufacturer": "Dell", "model": "Blade", "u_height": 1, "subdevice_role": "child"},
        ],
        "devices": [
            {"name": "dinkes-web-01", "device_type": "dell-r650", "site": site, "rack": "R01", "position": 1,
             "face": "front", "tenant": "Dinas Kesehatan"},
            {"name": "bapenda-db-01", "device_type": "hpe-dl380", "site": site, "rack": "R01", "position": 5,
             "face": "front", "tenant": "Bapenda"},
            {"name": "sw-r01", "device_type": "cisco-switch", "site": site, "rack": "R01", "position": 10,
             "face": "rear"},
            {"name": "pdu-r01", "device_type": "apc-pdu", "site": site, "rack": "R01"},  # 0U: no unit
            {"name": "blade-1", "device_type": "dell-blade", "site": site, "rack": "R01",
             "parent": "bapenda-db-01"},  # in a bay: no unit of its own
            {"name": "shelf", "device_type": "generic-shelf", "site": site, "rack": "R02", "position": 3.5,
             "face": "front"},
            {"name": "top", "device_type": "dell-r650", "site": site, "rack": "R03", "position": 1,
             "face": "front", "tenant": "Bapenda"},
        ],
        "reservations": [
            {"rack": "R02", "units": [9, 7, 8], "tenant": "Bapenda", "description": "REQ-2026-0007"},
            {"rack": "R02", "units": [2]},
        ],
    })
