"""Demand history from NetBox's changelog (`/api/core/object-changes/`), read in bulk.

Three reads, paginated 1,000 at a time, whatever the size of the data centre: every
change of a device or a virtual machine since the history begins, and the deletions of
power ports (their draws). Each object's changes, in time order, give the intervals in
which it held capacity (`inventory.demand.Tenure`):

* a device holds capacity while it is **racked**: from its creation in a rack (or being
  racked later) until it is deleted or unracked (a withdrawal unracks it, status
  decommissioning); its footprint is its last racked state (rack, position, type's
  height) with the draws of its power ports (those of today's snapshot when it still
  exists, else the deleted ports') and its `bandwidth_mbps`;
* a VM holds capacity while its status is active, planned or staged and it has a cluster.

An object whose first change in the window is an update or a deletion held capacity
before the window began when that change's "before" says so. Only objects in the
snapshot's racks and clusters count (a `--site` report reads only its site's history).
Not replayed: a device moved between racks, a port's draw or cable changed without its
device changing, reservations (docs/forecast.md).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from inventory.demand import Footprint, Tenure
from inventory.errors import SourceError
from inventory.model import Snapshot, plain
from inventory.netbox.client import NetBoxClient
from inventory.netbox.conventions import VM_DISK_MB_PER_GB
from inventory.netbox.custom_values import number as netbox_number  # NetBox sends decimals as strings

CHANGES = "core/object-changes"
DEVICE, POWER_PORT, VM = "dcim.device", "dcim.powerport", "virtualization.virtualmachine"
HOLDING_VM_STATUSES = frozenset({"active", "planned", "staged"})
MB_PER_GB = 1024  # NetBox keeps a VM's memory in MB (its disk: VM_DISK_MB_PER_GB)
TYPES_PER_READ = 200  # ids per request (the URL stays short)


def read_changes(client: NetBoxClient, since: datetime) -> list[dict[str, Any]]:
    """Device and VM changes, and power-port deletions, since `since`, oldest first."""
    after = since.isoformat()
    rows = client.get_all(CHANGES, {"changed_object_type": [DEVICE, VM], "time_after": after})
    rows += client.get_all(CHANGES, {"changed_object_type": POWER_PORT, "action": "delete", "time_after": after})
    for row in rows:
        if not isinstance(row, dict) or "time" not in row or "changed_object_id" not in row:
            raise SourceError("NetBox's changelog answered an entry without time or object id",
                              "is this NetBox 4.x?")
    return sorted(rows, key=lambda r: (str(r["time"]), int(r.get("id") or 0)))


def changelog_tenures(client: NetBoxClient, snapshot: Snapshot, since: datetime) -> list[Tenure]:
    """The tenures of the snapshot's devices and VMs according to NetBox's changelog."""
    changes = read_changes(client, since)
    types = {t.key: t.u_height for t in snapshot.device_types}
    missing = {str(_id(_data(c).get("device_type"))) for c in changes
               if c["changed_object_type"] == DEVICE} - set(types) - {"None"}
    wanted = sorted(missing, key=int)
    for i in range(0, len(wanted), TYPES_PER_READ):  # types of deleted devices no device uses any more
        chunk = wanted[i:i + TYPES_PER_READ]
        for t in client.get_all("dcim/device-types", {"id": chunk, "fields": "id,u_height"}):
            types[str(t["id"])] = netbox_number(t.get("u_height")) or 0.0
    return tenures_from_changes(changes, snapshot, types)


def tenures_from_changes(changes: list[dict[str, Any]], snapshot: Snapshot,
                         type_heights: dict[str, float]) -> list[Tenure]:
    """Tenures from changelog entries in time order (see the module docstring)."""
    by_object: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    deleted_ports: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in changes:
        kind = c["changed_object_type"]
        if kind == POWER_PORT:
            pre = c.get("prechange_data") or {}
            if _id(pre.get("device")) is not None:
                deleted_ports[int(_id(pre["device"]))].append(pre)  # type: ignore[arg-type]
        elif kind in (DEVICE, VM):
            by_object[(kind, int(c["changed_object_id"]))].append(c)
    racks = {r.key: r for r in snapshot.racks}
    clusters = {c.key for c in snapshot.clusters}
    devices = {d.key: d for d in snapshot.devices}
    out: list[Tenure] = []
    for (kind, ident), entries in by_object.items():
        if kind == DEVICE:
            holds = _racked
            place = _referenced(entries, "rack") & set(racks)
        else:
            holds = _vm_holds
            place = _referenced(entries, "cluster") & clusters
        if not place:
            continue  # another site's, or never in a rack or cluster
        for start, end, state in _intervals(entries, holds):
            if kind == DEVICE:
                known = devices.get(str(ident))
                ports = [plain(p) for p in known.power_ports] if known else deleted_ports.get(ident, [])
                footprint = _device_footprint(state, ports, type_heights, racks) if end is not None else None
            else:
                footprint = _vm_footprint(state) if end is not None else None
            cf = state.get("custom_fields") or {}
            out.append(Tenure("device" if kind == DEVICE else "vm",
                              f"NetBox {'device' if kind == DEVICE else 'VM'} {state.get('name') or ident}",
                              start, end, key=str(ident), name=state.get("name") or None,
                              request_id=str(cf.get("request_id")) if cf.get("request_id") else None,
                              footprint=footprint, source="netbox"))
    return out


def _intervals(entries: list[dict[str, Any]], holds: Any) -> list[tuple[datetime | None, datetime | None,
                                                                         dict[str, Any]]]:
    """(start, end, the held state) of each interval in which `holds(state)`."""
    out = []
    start: datetime | None = None
    held = False
    last: dict[str, Any] = {}
    for i, e in enumerate(entries):
        action = _action(e)
        before = e.get("prechange_data") or {}
        after = e.get("postchange_data") or {}
        if i == 0 and action != "create" and holds(before):
            held, start, last = True, None, before
        moment = _time(e)
        now_holds = action != "delete" and holds(after)
        if not held and now_holds:
            held, start = True, moment
        elif held and not now_holds:
            out.append((start, moment, before or last))
            held = False
        if now_holds:
            last = after
    if held:
        out.append((start, None, last))
    return out


def _device_footprint(state: dict[str, Any], ports: list[dict[str, Any]], type_heights: dict[str, float],
                      racks: dict[str, Any]) -> Footprint | None:
    rack = str(_id(state.get("rack")))
    if rack not in racks:
        return None
    draws = [(netbox_number(p.get("allocated_draw")) or netbox_number(p.get("maximum_draw")) or 0.0) for p in ports]
    cf = state.get("custom_fields") or {}
    return Footprint(
        site=racks[rack].site, rack=rack, position=netbox_number(state.get("position")),
        u_height=type_heights.get(str(_id(state.get("device_type"))), 0.0),
        psu_count=len(ports) or None, draw_va=int(sum(draws)), bandwidth_mbps=netbox_number(cf.get("bandwidth_mbps")) or 0.0)


def _vm_footprint(state: dict[str, Any]) -> Footprint:
    cf = state.get("custom_fields") or {}
    return Footprint(cluster=str(_id(state.get("cluster"))), vcpus=netbox_number(state.get("vcpus")) or 0.0,
                     memory_gb=(netbox_number(state.get("memory")) or 0.0) / MB_PER_GB,
                     disk_gb=(netbox_number(state.get("disk")) or 0.0) / VM_DISK_MB_PER_GB,
                     bandwidth_mbps=netbox_number(cf.get("bandwidth_mbps")) or 0.0)


def _racked(state: dict[str, Any]) -> bool:
    return _id(state.get("rack")) is not None


def _vm_holds(state: dict[str, Any]) -> bool:
    return _id(state.get("cluster")) is not None and _value(state.get("status")) in HOLDING_VM_STATUSES


def _data(entry: dict[str, Any]) -> dict[str, Any]:
    return entry.get("postchange_data") or entry.get("prechange_data") or {}


def _referenced(entries: list[dict[str, Any]], name: str) -> set[str]:
    """Every `name` reference (as a snapshot key) before or after any of the changes."""
    return {str(_id(data.get(name))) for e in entries
            for data in (e.get("prechange_data") or {}, e.get("postchange_data") or {})}


def _action(entry: dict[str, Any]) -> str:
    return str(_value(entry.get("action")))


def _value(v: Any) -> Any:
    """A choice field: `{"value": ..., "label": ...}` in the API, the bare value in data."""
    return v.get("value") if isinstance(v, dict) else v


def _id(v: Any) -> int | None:
    """A reference: an id in changelog data (a nested object elsewhere)."""
    if isinstance(v, dict):
        v = v.get("id")
    if v is None or isinstance(v, bool):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _time(entry: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(f"NetBox's changelog entry {entry.get('id')} has an unreadable time "
                          f"{entry.get('time')!r}") from None
