"""Every kind of NetBox object colo writes, declared once: its natural key, the fields
compared with what NetBox holds, and how it is written (diffsync's `_identifiers` and
`_attributes`, per model class).

A `Kind` is the rule; the engine (inventory/netbox/reconcile.py) applies it: objects
are matched by `Kind.key`, the same function for the object as it should be (a write's
payload) and for NetBox's row, so the two sides can never disagree on identity. Only
`attributes` present in the desired object are compared; the rest of a payload is sent
on creation only (names, colours and tags an administrator may change afterwards).

Two tables, because the same NetBox type has another identity in another use:

- `SNAPSHOT_*` and the convention kinds: `colo netbox load` and `bootstrap`, written in
  bulk (`chunk` objects per request, `parallel` requests at once). A device of a
  snapshot is known by its name in its site (unnamed ones by rack position, serial or
  asset tag);
- `WRITE_ONCE`: what registration, withdrawal and step 5 write, one at a time under the
  exactly-once rules (inventory/netbox/write_once.py). A co-located server is known by
  its serial and request id. `filters` turn the key into a query that finds the object
  again after a refused create or a lost answer.

| kind | natural key |
|---|---|
| tenant, contact role, manufacturer, roles, types, tags | slug |
| device type (registration) | manufacturer + slug |
| contact | NIP (custom field `nip`) |
| contact assignment | object + contact + role |
| device (registration) | serial + request id (custom field `request_id`) |
| power port, inventory item | device + name |
| cable (registration) | the power port it connects |
| journal entry | object + marker text (`[REQ-…] registered` / `withdrawn`) |
| virtual machine | cluster + name |
| rack reservation (step 5) | rack + description (request id, agency, server, domain) |

NetBox itself enforces none of these for contacts (custom fields are checked, if at
all, by a read before the insert) nor for journal entries, so two writers racing can
both create one: those kinds `yield` (the later object id gives way: docs/workflow.md,
"Exactly once, whatever fails").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Hashable

from inventory.netbox.compare import Row, field_at, norm


@dataclass(frozen=True)
class Ref:
    """An object a plan creates, named until apply learns its NetBox id."""

    name: str


@dataclass(frozen=True)
class Kind:
    """One kind of NetBox object as the engine reconciles it."""

    name: str  # as reports and plans show it
    endpoint: str
    identifiers: tuple[str, ...] = ()  # the natural key: field paths of a payload or a NetBox row
    attributes: tuple[str, ...] = ()  # compared (and PATCHed when different) when the desired object has them
    folded: tuple[str, ...] = ()  # identifiers NetBox keeps unique without case (names)
    keyer: Callable[[Row], Hashable] | None = None  # a key that is not a tuple of fields
    # bulk writes (load, bootstrap): objects per request, requests in flight at once
    chunk: int = 100
    parallel: int = 1
    # one-at-a-time writes (registration): how to find the object again by its key
    filters: tuple[tuple[str, str], ...] = ()  # (identifier, query filter)
    read_fields: str = "id"
    finder: Callable[[Any, Row], list[dict[str, Any]]] | None = None  # instead of filters
    yields: bool = False  # NetBox lets two exist: the later id yields to the earlier
    owned: bool = False  # belongs to one request: one made meanwhile means a concurrent apply
    race_checked: bool = False  # placed in a rack: re-read the rack after creating it

    def key(self, obj: Row) -> Hashable:
        """The natural key of a payload or a NetBox row (the same for both)."""
        if self.keyer is not None:
            return self.keyer(obj)
        parts = tuple(self._part(path, field_at(obj, path)) for path in self.identifiers)
        return parts[0] if len(parts) == 1 else parts

    def _part(self, path: str, value: Any) -> Hashable:
        value = norm(value)
        if isinstance(value, list):
            return tuple(sorted(value))
        if path in self.folded and isinstance(value, str):
            return value.lower()
        return value

    def split(self, payload: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        """(compared fields, fields sent on creation only) of a payload."""
        compared = {k: v for k, v in payload.items() if k in self.attributes}
        return compared, {k: v for k, v in payload.items() if k not in self.attributes}

    def query(self, payload: Row) -> dict[str, Any] | None:
        """The read that finds objects with this payload's key (None: the kind has none)."""
        if not self.filters:
            return None
        params = {param: norm(field_at(payload, path)) for path, param in self.filters}
        return {**params, "fields": self.read_fields}


# --------------------------------------------------------------------------- keys
def device_key(obj: Row) -> Hashable:
    """A snapshot device: by name in its site, else by rack position (and type), else by
    serial, else by asset tag; NetBox's rows and the writer's payloads alike."""
    site = norm(obj.get("site"))
    if obj.get("name"):
        return ("n", site, str(obj["name"]).lower())
    if obj.get("rack") and obj.get("position") is not None:
        return ("u", site, norm(obj["rack"]), float(obj["position"]), norm(obj.get("face")),
                norm(obj["device_type"]))
    if obj.get("serial"):
        return ("s", site, obj["serial"])
    if obj.get("asset_tag"):
        return ("a", site, obj["asset_tag"])
    return ("id", obj.get("id"))


#: the marker a journal entry of a request starts with: `[REQ-2026-0001] registered`
MARKER = re.compile(r"^\[REQ-\d{4}-\d+\] [a-z]+")


def journal_marker(comments: str) -> str:
    m = MARKER.match(comments or "")
    return m.group(0) if m else (comments or "")


def _journal_key(obj: Row) -> Hashable:
    return (obj.get("assigned_object_type"), norm(obj.get("assigned_object_id")),
            journal_marker(obj.get("comments") or ""))


def _cable_of_port(client: Any, payload: Row) -> list[dict[str, Any]]:
    """The cable on the power port a registration cable starts at (one per port)."""
    port = payload["a_terminations"][0]["object_id"]
    cable = norm(client.get_json(f"dcim/power-ports/{port}", {"fields": "id,cable"}).get("cable"))
    return [{"id": cable}] if cable is not None else []


# --------------------------------------------------------------------------- conventions (bootstrap)
def _by_slug(name: str, endpoint: str, **rules: Any) -> Kind:
    return Kind(name, endpoint, ("slug",), ("slug",), filters=(("slug", "slug"),), read_fields="id,name,slug",
                **rules)


DEVICE_ROLE = _by_slug("device role", "dcim/device-roles")
RACK_ROLE = _by_slug("rack role", "dcim/rack-roles")
TENANT_GROUP = _by_slug("tenant group", "tenancy/tenant-groups")
INVENTORY_ITEM_ROLE = _by_slug("inventory item role", "dcim/inventory-item-roles")
TAG = _by_slug("tag", "extras/tags")
CIRCUIT_TYPE = _by_slug("circuit type", "circuits/circuit-types")
CLUSTER_TYPE = _by_slug("cluster type", "virtualization/cluster-types")
MANUFACTURER = _by_slug("manufacturer", "dcim/manufacturers")
PROVIDER = _by_slug("provider", "circuits/providers")
CONTACT_ROLE = _by_slug("contact role", "tenancy/contact-roles")
CHOICE_SET = Kind("custom field choice set", "extras/custom-field-choice-sets", ("name",), ("extra_choices",))
CUSTOM_FIELD = Kind("custom field", "extras/custom-fields", ("name",),
                    ("object_types", "related_object_type", "choice_set", "unique"))
EXPORT_TEMPLATE = Kind("export template", "extras/export-templates", ("name",),
                       ("name", "object_types", "template_code", "mime_type", "file_extension", "as_attachment"))

# --------------------------------------------------------------------------- a snapshot (`netbox load`)
DEVICE_ATTRIBUTES = ("name", "site", "device_type", "role", "rack", "position", "face", "status", "tenant",
                     "serial", "asset_tag", "cluster", "custom_fields")
# Chunks: NetBox creates ~8 cables/s and ~5-20 devices/s (4.5/s on a busy 2-core machine):
# 50 per request keeps one request well under a worker's timeout. Ports and outlets go
# two requests at a time (NetBox serves several workers; they lock only their own
# device's counters, in order, so two requests cannot deadlock). Devices and VMs go one
# request at a time (two concurrent bulk creates deadlock on their type's or cluster's
# counter rows in PostgreSQL, seen on NetBox 4.7.3). Cables go two requests at a time in
# waves (snapshot_plan.py): the feed cables, then the cables on outlets of PDUs fed
# straight from a feed, then those one PDU further down, ...: a cable's path is traced
# through cables already committed, so the cable it runs through must land in an
# earlier wave; within a wave each request writes only its own cables, ports and outlets.
PARALLEL_WRITES = 2
# A load reads each kind once with `read_fields` (`fields=` keeps NetBox from serialising
# the rest): the key, the compared fields and, for feeds, outlets and ports, the cable.
SITE = Kind("site", "dcim/sites", ("slug",), ("name", "slug", "description"), read_fields="id,name,slug,description")
LOCATION = Kind("location", "dcim/locations", ("site", "name"), ("name", "site", "description", "custom_fields"),
                ("name",), read_fields="id,name,site,description,custom_fields")
TENANT = Kind("tenant", "tenancy/tenants", ("slug",), ("name", "slug", "group", "description"),
              filters=(("slug", "slug"),), read_fields="id,name,slug,group,description")
RACK = Kind("rack", "dcim/racks", ("site", "name"),
            ("name", "site", "location", "u_height", "starting_unit", "desc_units", "status", "role", "tenant",
             "max_weight", "weight", "weight_unit", "facility_id", "custom_fields"), ("name",),
            read_fields="id,name,site,location,u_height,starting_unit,desc_units,status,role,tenant,max_weight,"
                        "weight,weight_unit,facility_id,custom_fields")
SNAPSHOT_DEVICE_TYPE = Kind("device type", "dcim/device-types", ("manufacturer", "model"),
                            ("manufacturer", "model", "u_height", "is_full_depth", "exclude_from_utilization",
                             "subdevice_role", "weight", "weight_unit", "custom_fields"), ("model",),
                            read_fields="id,manufacturer,model,slug,u_height,is_full_depth,exclude_from_utilization,"
                                        "weight,weight_unit,subdevice_role,custom_fields")
CLUSTER = Kind("cluster", "virtualization/clusters", ("scope_type", "scope_id", "name"),
               ("name", "type", "scope_type", "scope_id", "custom_fields"), ("name",),
               read_fields="id,name,type,scope_type,scope_id,custom_fields")
DEVICE_READ = "id,name,site,tenant,device_type,role,rack,position,face,status,serial,asset_tag,custom_fields,cluster"
GENSET = Kind("genset", "dcim/devices", attributes=DEVICE_ATTRIBUTES, keyer=device_key, read_fields=DEVICE_READ)
UPS = Kind("UPS", "dcim/devices", attributes=DEVICE_ATTRIBUTES, keyer=device_key, read_fields=DEVICE_READ)
SNAPSHOT_DEVICE = Kind("device", "dcim/devices", attributes=DEVICE_ATTRIBUTES, keyer=device_key, chunk=50,
                       read_fields=DEVICE_READ)
DEVICE_BAY = Kind("device bay", "dcim/device-bays", ("device", "name"), ("device", "name", "installed_device"),
                  read_fields="id,device,name,installed_device")
SNAPSHOT_RESERVATION = Kind("rack reservation", "dcim/rack-reservations", ("rack", "units"),
                            ("rack", "units", "tenant", "description"), read_fields="id,rack,units,tenant,description")
POWER_PANEL = Kind("power panel", "dcim/power-panels", ("site", "name"),
                   ("name", "site", "location", "custom_fields"), ("name",),
                   read_fields="id,name,site,location,custom_fields")
POWER_FEED = Kind("power feed", "dcim/power-feeds", ("power_panel", "name"),
                  ("name", "power_panel", "rack", "status", "type", "supply", "phase", "voltage", "amperage",
                   "max_utilization"), ("name",),
                  read_fields="id,name,power_panel,rack,status,type,supply,phase,voltage,amperage,max_utilization,"
                              "cable")
POWER_PORT = Kind("power port", "dcim/power-ports", ("device", "name"),
                  ("device", "name", "allocated_draw", "maximum_draw"), parallel=PARALLEL_WRITES,
                  filters=(("device", "device_id"), ("name", "name")),
                  read_fields="id,device,name,allocated_draw,maximum_draw,cable")
POWER_OUTLET = Kind("power outlet", "dcim/power-outlets", ("device", "name"),
                    ("device", "name", "power_port", "feed_leg"), parallel=PARALLEL_WRITES,
                    read_fields="id,device,name,power_port,feed_leg,cable")
SNAPSHOT_CABLE = Kind("cable", "dcim/cables", chunk=50, parallel=PARALLEL_WRITES)  # matched by its terminations
CIRCUIT = Kind("circuit", "circuits/circuits", ("provider", "cid"), ("cid", "provider", "type", "status", "commit_rate"),
               read_fields="id,cid,provider,type,status,commit_rate")
CIRCUIT_TERMINATION = Kind("circuit termination", "circuits/circuit-terminations", ("circuit", "term_side"),
                           ("circuit", "term_side", "termination_type", "termination_id", "port_speed"),
                           read_fields="id,circuit,term_side,termination_type,termination_id,port_speed")
VIRTUAL_MACHINE = Kind("virtual machine", "virtualization/virtual-machines", ("cluster", "name"),
                       ("name", "cluster", "status", "tenant", "vcpus", "memory", "disk", "custom_fields"), ("name",),
                       chunk=50, filters=(("cluster", "cluster_id"), ("name", "name")),
                       read_fields="id,name,cluster,status,tenant,vcpus,memory,disk,custom_fields", owned=True)
#: what a load reads, by endpoint
SNAPSHOT_READS = {k.endpoint: k.read_fields for k in (
    SITE, LOCATION, TENANT_GROUP, TENANT, RACK_ROLE, RACK, MANUFACTURER, SNAPSHOT_DEVICE_TYPE, DEVICE_ROLE,
    CLUSTER_TYPE, CLUSTER, SNAPSHOT_DEVICE, DEVICE_BAY, SNAPSHOT_RESERVATION, POWER_PANEL, POWER_FEED, POWER_PORT,
    POWER_OUTLET, PROVIDER, CIRCUIT_TYPE, CIRCUIT, CIRCUIT_TERMINATION, VIRTUAL_MACHINE)}

# --------------------------------------------------------------------------- registration (one at a time)
CONTACT = Kind("contact", "tenancy/contacts", ("custom_fields.nip",), ("name", "phone", "email"),
               filters=(("custom_fields.nip", "cf_nip"),), read_fields="id,name,custom_fields", yields=True)
CONTACT_ASSIGNMENT = Kind("contact assignment", "tenancy/contact-assignments",
                          ("object_type", "object_id", "contact", "role"),
                          filters=(("object_type", "object_type"), ("object_id", "object_id"),
                                   ("contact", "contact_id")),
                          read_fields="id,object_type,object_id,contact,role")
DEVICE_TYPE = Kind("device type", "dcim/device-types", ("manufacturer", "slug"),
                   filters=(("manufacturer", "manufacturer_id"), ("slug", "slug")), read_fields="id,slug,manufacturer")
SERVER = Kind("device", "dcim/devices", ("serial", "custom_fields.request_id"),
              ("name", "device_type", "role", "tenant", "site", "rack", "position", "face", "status", "serial",
               "custom_fields"),
              filters=(("serial", "serial"),), read_fields="id,name,serial,custom_fields", owned=True,
              race_checked=True)
INVENTORY_ITEM = Kind("inventory item", "dcim/inventory-items", ("device", "name"), ("description",),
                      filters=(("device", "device_id"), ("name", "name")), read_fields="id,name,device")
CABLE = Kind("cable", "dcim/cables", finder=_cable_of_port)
JOURNAL_ENTRY = Kind("journal entry", "extras/journal-entries", keyer=_journal_key,
                     filters=(("assigned_object_type", "assigned_object_type"),
                              ("assigned_object_id", "assigned_object_id")),
                     read_fields="id,assigned_object_type,assigned_object_id,comments", yields=True)
RESERVATION = Kind("rack reservation", "dcim/rack-reservations", ("rack", "description"),
                   filters=(("rack", "rack_id"),), read_fields="id,rack,units,description")

WRITE_ONCE: dict[str, Kind] = {k.name: k for k in (
    TENANT, CONTACT_ROLE, CONTACT, CONTACT_ASSIGNMENT, MANUFACTURER, DEVICE_TYPE, SERVER, POWER_PORT, CABLE,
    INVENTORY_ITEM, JOURNAL_ENTRY, VIRTUAL_MACHINE, RESERVATION, DEVICE_ROLE, INVENTORY_ITEM_ROLE, TENANT_GROUP)}
