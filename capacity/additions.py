"""`colo capacity whatif --change FILE`: a small YAML of additions to the snapshot. Pure
(the file is read by the caller).

Top-level keys are the snapshot's collections (`racks`, `power_panels`, `power_feeds`,
`ups`, `gensets`, `uplinks`, `locations`, `device_types`, `devices`, `clusters`) plus
`rack_rows`, a row of identical racks with their A/B feeds in a few lines::

    ups:
      - {name: UPS-A, rated_va: 300000}          # exists: only the fields given change
      - {name: UPS-C, site: dc-kaltim, rated_va: 300000, genset: GENSET-1}   # new
    uplinks:
      - {name: ICON-IPT-SMD-01, site: dc-kaltim, provider: ICON+, commit_kbps: 1000000}
    rack_rows:
      - {prefix: R3-, count: 8, site: dc-kaltim, location: Ruang Server 3,
         panel_a: PP-3A, panel_b: PP-3B}

An entry naming an existing object (by key, or by a name only one object has) updates
the fields it gives; any other entry is a new object. References may name keys or
names (a NetBox snapshot's keys are ids). Every reference of the result must resolve;
every error names the file and the entry.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inventory.errors import InputError
from inventory.files import describe_validation_error
from inventory.model import (
    UPS, Cluster, Device, DeviceType, Genset, Location, Phase, PowerFeed, PowerPanel, Rack, Snapshot, Uplink,
    check_references, plain,
)

#: collection -> its model, in the order entries are applied (referenced kinds first).
COLLECTIONS: dict[str, type[BaseModel]] = {
    "locations": Location, "gensets": Genset, "ups": UPS, "power_panels": PowerPanel, "racks": Rack,
    "power_feeds": PowerFeed, "uplinks": Uplink, "device_types": DeviceType, "devices": Device,
    "clusters": Cluster,
}
#: (collection, field) -> the collection it names.
REFERENCES: dict[tuple[str, str], str] = {
    ("locations", "site"): "sites", ("gensets", "site"): "sites", ("ups", "site"): "sites",
    ("ups", "genset"): "gensets", ("power_panels", "site"): "sites", ("power_panels", "location"): "locations",
    ("power_panels", "ups"): "ups", ("racks", "site"): "sites", ("racks", "location"): "locations",
    ("racks", "tenant"): "tenants", ("power_feeds", "panel"): "power_panels", ("power_feeds", "rack"): "racks",
    ("uplinks", "site"): "sites", ("devices", "site"): "sites", ("devices", "rack"): "racks",
    ("devices", "device_type"): "device_types", ("devices", "tenant"): "tenants", ("clusters", "site"): "sites",
}


class RackRow(BaseModel):
    """A row of identical racks `prefix + number` with an A (primary) and a B (redundant)
    feed each, from the panels named (no panels: racks without feeds)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    prefix: str = Field(min_length=1)
    count: int = Field(ge=1, le=100)
    first: int = Field(1, ge=0)
    digits: int = Field(2, ge=1, le=4)
    site: str
    location: str | None = None
    u_height: int = Field(42, ge=1, le=100)
    role: str | None = "colocation"
    status: str = "active"
    panel_a: str | None = None
    panel_b: str | None = None
    voltage: int = 230
    amperage: int = Field(32, ge=1)
    phase: Phase = "single-phase"
    max_utilization: int = Field(80, ge=1, le=100)

    def expand(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        racks, feeds = [], []
        for i in range(self.first, self.first + self.count):
            name = f"{self.prefix}{i:0{self.digits}d}"
            racks.append({"name": name, "site": self.site, "location": self.location, "u_height": self.u_height,
                          "role": self.role, "status": self.status})
            for side, panel, kind in (("A", self.panel_a, "primary"), ("B", self.panel_b, "redundant")):
                if panel is not None:
                    feeds.append({"name": f"{name}-{side}", "panel": panel, "rack": name, "type": kind,
                                  "voltage": self.voltage, "amperage": self.amperage, "phase": self.phase,
                                  "max_utilization": self.max_utilization})
        return racks, feeds


def apply_additions(snapshot: Snapshot, data: Any, path: str) -> tuple[Snapshot, list[str]]:
    """The snapshot with the file's additions, and one line per addition for people."""
    if data is None:
        raise InputError(f"{path}: the file is empty")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of collections (racks, ups, uplinks, ...)")
    unknown = sorted(set(data) - set(COLLECTIONS) - {"rack_rows"})
    if unknown:
        known = ", ".join(["rack_rows", *COLLECTIONS])
        raise InputError(f"{path}: {unknown[0]}: unknown key (known: {known})")
    entries: dict[str, list[tuple[str, Any]]] = {name: [] for name in COLLECTIONS}
    for name in COLLECTIONS:
        items = data.get(name) or []
        if not isinstance(items, list):
            raise InputError(f"{path}: {name}: expected a list")
        entries[name] = [(f"{name}[{i}]", item) for i, item in enumerate(items)]
    rows = data.get("rack_rows") or []
    if not isinstance(rows, list):
        raise InputError(f"{path}: rack_rows: expected a list")
    described: list[str] = []
    for i, raw in enumerate(rows):
        row = _validate(RackRow, raw, f"{path}: rack_rows[{i}]")
        racks, feeds = row.expand()
        entries["racks"] += [(f"rack_rows[{i}] rack {r['name']}", r) for r in racks]
        entries["power_feeds"] += [(f"rack_rows[{i}] feed {f['name']}", f) for f in feeds]
        described.append(f"added rack row {racks[0]['name']}..{racks[-1]['name']} ({len(racks)} racks, "
                         f"{len(feeds)} feeds)")

    collections: dict[str, list[Any]] = {name: list(getattr(snapshot, name)) for name in COLLECTIONS}
    for name, model in COLLECTIONS.items():
        for where, item in entries[name]:
            if not isinstance(item, dict):
                raise InputError(f"{path}: {where}: expected a mapping")
            current = collections[name]
            index = _existing(current, item)
            merged = dict(item) if index is None else {**plain(current[index]), **item}
            if index is not None:
                merged["key"] = current[index].key
            _resolve(snapshot, collections, name, merged)
            obj = _validate(model, merged, f"{path}: {where}")
            from_row = where.startswith("rack_rows")
            if index is None:
                current.append(obj)
                if not from_row:
                    described.append(f"added {_kind(name)} {_label(obj)}")
            else:
                current[index] = obj
                fields = ", ".join(sorted(set(item) - {"key", "name"})) or "nothing"
                described.append(f"changed {_kind(name)} {_label(obj)}: {fields}")
    out = snapshot.model_copy(update=collections)
    try:
        check_references(out)  # a NetBox snapshot is taken as it is: only the references
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None
    return out, described


def _existing(current: list[Any], item: dict[str, Any]) -> int | None:
    """The index of the object an entry names: by key, else by a name only one has."""
    key = item.get("key")
    if key is not None:
        for i, obj in enumerate(current):
            if obj.key == key:
                return i
        return None
    name = item.get("name") or item.get("model")
    if name is None:
        return None
    hits = [i for i, obj in enumerate(current) if getattr(obj, "name", getattr(obj, "model", None)) == name]
    return hits[0] if len(hits) == 1 else None


def _resolve(snapshot: Snapshot, collections: dict[str, list[Any]], name: str, item: dict[str, Any]) -> None:
    """References by name become keys (an unknown one is left for the reference check)."""
    for (coll, field_name), target in REFERENCES.items():
        value = item.get(field_name)
        if coll != name or not isinstance(value, str):
            continue
        pool = collections.get(target) if target in collections else getattr(snapshot, target)
        if any(o.key == value for o in pool):
            continue
        hits = {o.key for o in pool if value in (getattr(o, "name", None), getattr(o, "slug", None),
                                                 getattr(o, "model", None))}
        if len(hits) == 1:
            item[field_name] = hits.pop()
    if name == "clusters":
        devices = collections["devices"]
        for host in item.get("hosts") or []:
            if isinstance(host, dict) and isinstance(host.get("device"), str) \
                    and not any(d.key == host["device"] for d in devices):
                hits = [d.key for d in devices if d.name == host["device"]]
                if len(hits) == 1:
                    host["device"] = hits[0]


def _validate(model: type[BaseModel], data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{where}: {describe_validation_error(exc, model, data)}") from None


def _kind(collection: str) -> str:
    return {"ups": "UPS", "gensets": "genset", "power_panels": "power panel", "power_feeds": "power feed",
            "device_types": "device type"}.get(collection, collection.rstrip("s"))


def _label(obj: Any) -> str:
    if isinstance(obj, UPS | Genset):
        return f"{obj.name} ({obj.rated_va:,} VA)"
    if isinstance(obj, Uplink):
        return f"{obj.name} ({obj.commit_kbps // 1000:,} Mbps)"
    return str(getattr(obj, "name", None) or getattr(obj, "model", None) or obj.key)
