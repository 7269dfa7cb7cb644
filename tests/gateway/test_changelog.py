"""The demand history from NetBox's changelog against a faked NetBox (`responses`): what
is asked (in bulk, filtered), and the tenures built from NetBox 4.7's change records."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from capacity.engine import compute_capacity
from capacity.replay import prepare
from inventory.errors import SourceError
from inventory.model import Snapshot
from inventory.netbox.changelog import changelog_tenures
from inventory.netbox.client import NetBoxClient
from inventory.netbox.settings import NetBoxSettings

URL = "http://netbox.test"
TOKEN = "nbt_AbCdEfGh1234.s3cr3tPlainTextTokenValue0987654321"
SINCE = datetime(2025, 1, 1, tzinfo=timezone.utc)

# Today's snapshot as the loader builds it from NetBox: keys are NetBox ids.
SNAPSHOT = Snapshot.model_validate({
    "source": "netbox",
    "sites": [{"key": "dc", "name": "DC"}],
    "racks": [{"key": "10", "name": "R1", "site": "dc", "u_height": 12, "role": "colocation"}],
    "device_types": [{"key": "5", "manufacturer": "Dell", "model": "R650", "u_height": 1}],
    "power_panels": [{"key": "1", "name": "P", "site": "dc"}],
    "power_feeds": [{"key": "21", "name": "A", "panel": "1", "rack": "10"},
                    {"key": "22", "name": "B", "panel": "1", "rack": "10", "type": "redundant"}],
    "devices": [
        {"key": "100", "name": "web-01", "device_type": "5", "site": "dc", "rack": "10", "position": 1,
         "face": "front", "custom_fields": {"request_id": "REQ-2026-0001"},
         "power_ports": [{"name": "PSU1", "allocated_draw": 150, "feed": "21"},
                         {"name": "PSU2", "allocated_draw": 150, "feed": "22"}]},
        # withdrawn: unracked, decommissioning, ports kept (uncabled)
        {"key": "101", "name": "old-01", "device_type": "5", "site": "dc", "status": "decommissioning",
         "power_ports": [{"name": "PSU1", "allocated_draw": 200}, {"name": "PSU2", "maximum_draw": 400}]},
    ],
    "clusters": [{"key": "7", "name": "C", "site": "dc", "vms": [{"key": "300", "name": "vm-a", "vcpus": 4}]}],
})


def change(ident: int, time: str, kind: str, obj: int, action: str, pre: dict | None, post: dict | None) -> dict:
    return {"id": ident, "time": time, "changed_object_type": kind, "changed_object_id": obj,
            "action": {"value": action, "label": action.title()}, "prechange_data": pre,
            "postchange_data": post}


def device(name: str, rack: int | None, position: float | None, dtype: int = 5, **cf: Any) -> dict:
    return {"name": name, "rack": rack, "position": None if position is None else f"{position:.1f}",
            "device_type": dtype, "site": 1, "status": "active" if rack else "decommissioning",
            "custom_fields": {"request_id": None, "bandwidth_mbps": None, **cf}}


CHANGES = [
    # web-01 created racked in 2026-02 (today's): from then on
    change(1, "2026-02-10T03:00:00Z", "dcim.device", 100, "create", None,
           device("web-01", 10, 1, request_id="REQ-2026-0001")),
    # old-01: racked before the window, unracked (withdrawn) in 2026-03
    change(2, "2026-03-01T02:00:00Z", "dcim.device", 101, "update", device("old-01", 10, 5, bandwidth_mbps=50),
           device("old-01", None, None)),
    # gone-01: created 2025-03 in U8 (2U type 6, no device of today's has it), deleted 2025-09
    change(3, "2025-03-03T01:00:00Z", "dcim.device", 102, "create", None, device("gone-01", 10, 8, dtype=6)),
    change(4, "2025-09-09T01:00:00Z", "dcim.powerport", 900, "delete",
           {"name": "PSU1", "device": 102, "allocated_draw": None, "maximum_draw": 500}, {}),
    change(5, "2025-09-09T01:00:01Z", "dcim.device", 102, "delete", device("gone-01", 10, 8, dtype=6), {}),
    # another site's device (rack 99): not this snapshot's history
    change(6, "2025-05-05T01:00:00Z", "dcim.device", 103, "create", None, device("far-01", 99, 1)),
    # vm-a created in 2025-06; vm-b active until decommissioned in 2026-01
    change(7, "2025-06-01T00:00:00Z", "virtualization.virtualmachine", 300, "create", None,
           {"name": "vm-a", "cluster": 7, "status": "active", "vcpus": "4.00", "memory": 8192, "disk": 50000,
            "custom_fields": {}}),
    change(8, "2026-01-15T00:00:00Z", "virtualization.virtualmachine", 301, "update",
           {"name": "vm-b", "cluster": 7, "status": "active", "vcpus": "8.00", "memory": 16384, "disk": 200000,
            "custom_fields": {"bandwidth_mbps": 20}},
           {"name": "vm-b", "cluster": 7, "status": "decommissioning", "vcpus": "8.00", "memory": 16384,
            "disk": 200000, "custom_fields": {"bandwidth_mbps": 20}}),
]


class FakeChangelog:
    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows
        self.queries: list[dict[str, list[str]]] = []

    def install(self, rsps: responses.RequestsMock) -> None:
        rsps.add_callback(responses.GET, re.compile(rf"{URL}/api/core/object-changes/.*"), self._changes)
        rsps.add_callback(responses.GET, re.compile(rf"{URL}/api/dcim/device-types/.*"), self._types)

    def _changes(self, request: Any) -> tuple[int, dict, str]:
        q = parse_qs(urlsplit(request.url).query)
        self.queries.append(q)
        kinds, actions = set(q["changed_object_type"]), set(q.get("action", []))
        rows = [r for r in self.rows if r["changed_object_type"] in kinds
                and (not actions or r["action"]["value"] in actions) and r["time"] >= q["time_after"][0][:10]]
        offset, limit = int(q.get("offset", ["0"])[0]), int(q["limit"][0])
        return 200, {}, json.dumps({"count": len(rows), "next": None, "previous": None,
                                    "results": rows[offset:offset + limit]})

    def _types(self, request: Any) -> tuple[int, dict, str]:
        q = parse_qs(urlsplit(request.url).query)
        self.queries.append(q)
        rows = [{"id": int(i), "u_height": "2.0"} for i in q["id"]]
        return 200, {}, json.dumps({"count": len(rows), "next": None, "previous": None, "results": rows})


@pytest.fixture
def client() -> NetBoxClient:
    return NetBoxClient(NetBoxSettings(url=URL, token=TOKEN))


def test_what_is_asked_in_bulk(client: NetBoxClient) -> None:
    fake = FakeChangelog(CHANGES)
    with responses.RequestsMock() as rsps:
        fake.install(rsps)
        changelog_tenures(client, SNAPSHOT, SINCE)
    devices_vms, ports, types = fake.queries
    assert devices_vms["changed_object_type"] == ["dcim.device", "virtualization.virtualmachine"]
    assert devices_vms["time_after"] == [SINCE.isoformat()] and devices_vms["limit"] == ["1000"]
    assert (ports["changed_object_type"], ports["action"]) == (["dcim.powerport"], ["delete"])
    assert types["id"] == ["6"] and types["fields"] == ["id,u_height"]  # only the type no device of today's has


def test_tenures_from_the_changelog(client: NetBoxClient) -> None:
    fake = FakeChangelog(CHANGES)
    with responses.RequestsMock() as rsps:
        fake.install(rsps)
        tenures = {t.label: t for t in changelog_tenures(client, SNAPSHOT, SINCE)}
    assert sorted(tenures) == ["NetBox VM vm-a", "NetBox VM vm-b", "NetBox device gone-01",
                               "NetBox device old-01", "NetBox device web-01"]
    web = tenures["NetBox device web-01"]
    assert (web.start, web.end, web.key, web.request_id) == (
        datetime(2026, 2, 10, 3, tzinfo=timezone.utc), None, "100", "REQ-2026-0001")
    old = tenures["NetBox device old-01"]
    assert (old.start, old.end) == (None, datetime(2026, 3, 1, 2, tzinfo=timezone.utc))  # held before the window
    # its ports are today's (kept on the unracked device): 200 allocated + 400 maximum
    assert (old.footprint.rack, old.footprint.position, old.footprint.u_height, old.footprint.draw_va,
            old.footprint.psu_count, old.footprint.bandwidth_mbps) == ("10", 5.0, 1.0, 600, 2, 50.0)
    gone = tenures["NetBox device gone-01"]
    assert (gone.footprint.u_height, gone.footprint.draw_va, gone.footprint.psu_count) == (2.0, 500, 1)
    vm_b = tenures["NetBox VM vm-b"]
    assert (vm_b.end, vm_b.footprint.cluster, vm_b.footprint.vcpus, vm_b.footprint.memory_gb,
            vm_b.footprint.disk_gb, vm_b.footprint.bandwidth_mbps) == (
        datetime(2026, 1, 15, tzinfo=timezone.utc), "7", 8.0, 16.0, 200.0, 20.0)


def test_the_changelog_replayed_gives_each_month_its_racks(client: NetBoxClient) -> None:
    fake = FakeChangelog(CHANGES)
    with responses.RequestsMock() as rsps:
        fake.install(rsps)
        tenures = changelog_tenures(client, SNAPSHOT, SINCE)
    replay = prepare(SNAPSHOT, tenures, datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert replay.notes == []

    def free_u(month: str) -> float:
        snap, _ = replay.snapshot_at(datetime.fromisoformat(f"{month}-15T00:00:00+00:00"))
        return compute_capacity(snap).space["10"].free_u

    # 12U rack: today web-01 (1U); 2025-05: gone-01 (2U) and old-01 (1U); 2026-02-20: web-01 and old-01
    assert (free_u("2026-12"), free_u("2025-05"), free_u("2026-02"), free_u("2025-10")) == (11, 9, 10, 11)
    snap, _ = replay.snapshot_at(datetime(2025, 12, 1, tzinfo=timezone.utc))
    cluster = compute_capacity(snap).clusters["7"]
    assert (cluster.vcpus_used, cluster.memory_gb_used, cluster.disk_gb_used) == (4 + 8, 0 + 16, 0 + 200)


def test_an_entry_without_time_is_a_source_error(client: NetBoxClient) -> None:
    broken = [{**CHANGES[0]}]
    del broken[0]["time"]
    fake = FakeChangelog([])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        rsps.replace(responses.GET, re.compile(rf"{URL}/api/core/object-changes/.*"),
                     json={"count": 1, "next": None, "previous": None, "results": broken})
        with pytest.raises(SourceError, match="changelog answered an entry without time"):
            changelog_tenures(client, SNAPSHOT, SINCE)
