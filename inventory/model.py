"""The snapshot: one typed model of a data centre that every source produces.

Plain data only (pydantic, no pynetbox), so `capacity/` can import it freely. One module
just past the ~500-line guide on purpose: every collection of the snapshot and the
cross-object rules that hold between them are read together.

Identity: every object has a `key`, unique within its collection. In files the key
defaults to the object's name (so a hand-written YAML stays readable); the NetBox
loader uses the NetBox id as key, so names may repeat across sites. Cross references
always name a key: `Device.rack` is a rack key, `PowerFeed.panel` a panel key, and so on.

Units follow NetBox: positions and heights in rack units (multiples of 0.5), draw in
watts (NetBox compares it with VA; capacity/ converts it with a power factor), feed
voltage in volts, amperage in amperes, commit and port rates in kbps, VM memory in MB
and disk in GB, cooling in kW.

Bounds are NetBox's own (its field types and validators), so whatever NetBox holds
loads: numbers are finite and within NetBox's field ranges, no device is its own
(grand)parent. A file (validated with `FILE_CONTEXT`) must also pass the rules NetBox
applies when an object is created, so `netbox load` never stops halfway: a device's
site is its rack's, a feed's rack is at its panel's site, reservation units exist in
their rack. NetBox itself can hold those states after later edits (a rack moved or
shrunk), so a snapshot read from NetBox is taken as it is (docs/input-validation.md).
"""

from __future__ import annotations

import difflib
import math
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar, get_args

import msgspec
from msgspec import Struct
from pydantic import (BaseModel, ConfigDict, Field, SerializationInfo, ValidationInfo, field_serializer,
                      field_validator, model_validator)

from inventory.limits import DEVICE_TYPE_U_HEIGHT_MAX, INT_MAX, POSITION_MAX, RACK_U_HEIGHT_MAX, SMALL_INT_MAX
from inventory.names import slugify
from inventory.rows import DeviceRow, row_plain

Face = Literal["front", "rear"]
Phase = Literal["single-phase", "three-phase"]
FeedType = Literal["primary", "redundant"]
FeedLeg = Literal["A", "B", "C"]
LEGS: tuple[FeedLeg, ...] = get_args(FeedLeg)  # in order: a three-phase feed's legs

#: `Snapshot.model_validate(data, context=FILE_CONTEXT)`: also NetBox's creation rules.
FILE_CONTEXT = {"creation_rules": True}


def check_half_units(value: float | None, what: str) -> float | None:
    """Rack heights and positions are multiples of half a unit, as in NetBox."""
    if value is not None and (not math.isfinite(value) or (value * 2) != int(value * 2)):
        raise ValueError(f"{what} must be a multiple of 0.5")
    return value


class Strict(BaseModel):
    """Base: unknown keys are errors (typos in hand-written files must not pass)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, allow_inf_nan=False)


class Keyed(Strict):
    key: str = ""
    name: str

    @model_validator(mode="after")
    def _default_key(self) -> "Keyed":
        if not self.key:
            self.key = self.name
        return self


class Site(Keyed):
    slug: str = ""
    description: str = ""

    @model_validator(mode="after")
    def _default_slug(self) -> "Site":
        if not self.slug:
            self.slug = self.key
        return self


class Location(Keyed):
    site: str
    description: str = ""
    # cooling installed in the room (kW of heat it removes), in `cooling_units` equal units
    # (CRAC/CRAH): `policy.cooling_n_plus_one` keeps one unit spare (docs/capacity-rules.md)
    cooling_kw: float | None = Field(None, ge=0, le=INT_MAX)
    cooling_units: int | None = Field(None, ge=1, le=SMALL_INT_MAX)


class TenantGroup(Keyed):
    pass


class Tenant(Keyed):
    slug: str = ""
    group: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _default_slug(self) -> "Tenant":
        if not self.slug:
            self.slug = self.key
        return self


class Rack(Keyed):
    site: str
    location: str | None = None
    u_height: int = Field(42, ge=1, le=RACK_U_HEIGHT_MAX)
    starting_unit: int = Field(1, ge=1, le=SMALL_INT_MAX)
    desc_units: bool = False
    status: str = "active"
    role: str | None = None
    tenant: str | None = None
    max_weight_kg: float | None = Field(None, ge=0)
    weight_kg: float | None = Field(None, ge=0)
    facility_id: str | None = None
    cooling_kw: float | None = Field(None, ge=0, le=INT_MAX)  # heat the rack's own cooling removes
    netbox_id: int | None = None


class DeviceType(Strict):
    key: str = ""
    manufacturer: str
    model: str
    slug: str = ""
    u_height: float = Field(1.0, ge=0, le=DEVICE_TYPE_U_HEIGHT_MAX)
    is_full_depth: bool = True
    exclude_from_utilization: bool = False
    weight_kg: float | None = Field(None, ge=0)
    subdevice_role: Literal["parent", "child"] | None = None
    power_factor: float | None = Field(None, gt=0, le=1)  # W / VA of its PSUs; None: the policy's

    @field_validator("u_height")
    @classmethod
    def _half_units(cls, v: float) -> float:
        return check_half_units(v, "u_height")  # type: ignore[return-value]

    @model_validator(mode="after")
    def _defaults(self) -> "DeviceType":
        if not self.slug:
            self.slug = slugify(f"{self.manufacturer}-{self.model}")
        if not self.key:
            self.key = self.slug
        return self


class OutletRef(Strict):
    """A PDU outlet: the device (key) and the outlet's name on it."""

    device: str
    name: str


class PowerPort(Strict):
    name: str
    allocated_draw: int | None = Field(None, ge=0, le=INT_MAX)
    maximum_draw: int | None = Field(None, ge=1, le=INT_MAX)
    feed: str | None = None  # key of the power feed cabled to this port
    outlet: OutletRef | None = None  # or the PDU outlet cabled to it

    @model_validator(mode="after")
    def _one_peer(self) -> "PowerPort":
        if self.feed is not None and self.outlet is not None:
            raise ValueError("a power port is cabled to a feed or to an outlet, not both")
        return self


class PowerOutlet(Strict):
    name: str
    power_port: str | None = None  # name of the port on the same device that feeds it
    feed_leg: FeedLeg | None = None


class Device(Keyed):
    """A device; in a snapshot read from a file, a `DeviceRow` with the same fields
    (inventory/rows.py), hence `AnyDevice` wherever a snapshot's devices are read."""

    name: str = ""
    device_type: str
    site: str
    rack: str | None = None
    position: float | None = Field(None, ge=0.5, le=POSITION_MAX)
    face: Face | None = None
    status: str = "active"
    role: str = "server"
    tenant: str | None = None
    serial: str = ""
    asset_tag: str | None = None
    parent: str | None = None  # key of the parent device (child devices in bays)
    power_ports: list[PowerPort] = Field(default_factory=list)
    power_outlets: list[PowerOutlet] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    netbox_id: int | None = None

    @field_validator("position")
    @classmethod
    def _half_position(cls, v: float | None) -> float | None:
        return check_half_units(v, "position")

    @model_validator(mode="after")
    def _key_needed(self) -> "Device":
        if not self.key and not self.name:
            raise ValueError("an unnamed device needs a key")
        if not self.key:
            self.key = self.name
        if self.position is not None and self.face is None:
            raise ValueError("a racked device (position set) needs a face")
        if self.position is not None and self.rack is None:
            raise ValueError("a device with a position needs a rack")
        return self


#: a snapshot's device: a model (built in code, read from NetBox) or a row (read from a
#: file, inventory/rows.py); both have the same fields, and so do their ports and outlets
AnyDevice = Device | DeviceRow
ModelOrRow = TypeVar("ModelOrRow", bound=BaseModel | Struct)


def replaced(obj: ModelOrRow, **changes: Any) -> ModelOrRow:
    """A copy with these fields changed (`model_copy(update=...)`) of a model or a row."""
    return obj.model_copy(update=changes) if isinstance(obj, BaseModel) else msgspec.structs.replace(obj, **changes)


def plain(obj: BaseModel | Struct) -> dict[str, Any]:
    """The fields of a model or a row as plain Python data (`model_dump()`)."""
    return obj.model_dump() if isinstance(obj, BaseModel) else row_plain(obj)


class RackReservation(Strict):
    key: str = ""
    rack: str
    units: list[Annotated[int, Field(ge=1, le=SMALL_INT_MAX)]] = Field(min_length=1)
    tenant: str | None = None
    description: str = ""
    netbox_id: int | None = None

    @model_validator(mode="after")
    def _default_key(self) -> "RackReservation":
        if not self.key:
            self.key = f"{self.rack}:{','.join(map(str, self.units))}"
        return self


class PowerPanel(Keyed):
    site: str
    location: str | None = None
    ups: str | None = None  # key of the UPS feeding this panel (custom field in NetBox)


class PowerFeed(Keyed):
    panel: str
    rack: str | None = None
    status: str = "active"
    type: FeedType = "primary"
    supply: Literal["ac", "dc"] = "ac"
    phase: Phase = "single-phase"
    voltage: int = Field(230, ge=-SMALL_INT_MAX - 1, le=SMALL_INT_MAX)
    amperage: int = Field(16, ge=1, le=SMALL_INT_MAX)
    max_utilization: int = Field(80, ge=1, le=100)
    netbox_id: int | None = None


class UPS(Keyed):
    """A UPS: NetBox has no model for it; in NetBox a device with role `ups`."""

    site: str
    rated_va: int = Field(ge=1, le=INT_MAX)
    rated_w: int | None = Field(None, ge=1, le=INT_MAX)  # None: rated_va x policy.ups_rated_power_factor
    derating: float | None = Field(None, gt=0, le=1)  # None: the policy's default
    efficiency: float | None = Field(None, gt=0, le=1)
    recharge_pct: float | None = Field(None, ge=0, le=100)  # battery recharge on generator, % of rating
    genset: str | None = None
    redundancy_group: str | None = None  # UPSs sharing a group back each other up

    @model_validator(mode="after")
    def _watts_within_va(self) -> "UPS":
        return check_ratings(self)


class Genset(Keyed):
    site: str
    rated_va: int = Field(ge=1, le=INT_MAX)
    rated_w: int | None = Field(None, ge=1, le=INT_MAX)  # None: rated_va x policy.genset_rated_power_factor
    derating: float | None = Field(None, gt=0, le=1)
    other_loads_va: int = Field(0, ge=0, le=INT_MAX)  # cooling, lighting: declared, not measured
    # mechanical (cooling) load per W of IT load behind its UPSs (PUE - 1, roughly)
    cooling_factor: float | None = Field(None, ge=0, le=10)
    redundancy_group: str | None = None

    @model_validator(mode="after")
    def _watts_within_va(self) -> "Genset":
        return check_ratings(self)


def check_ratings(source: Any) -> Any:
    """A UPS or genset delivers at most its VA rating in W (power factor <= 1)."""
    if source.rated_w is not None and source.rated_w > source.rated_va:
        raise ValueError(f"rated_w ({source.rated_w}) exceeds rated_va ({source.rated_va}): "
                         "real power cannot exceed apparent power")
    return source


class Uplink(Keyed):
    """An ISP uplink: a NetBox circuit terminating at the site."""

    site: str
    provider: str
    commit_kbps: int = Field(ge=1, le=INT_MAX)
    port_kbps: int | None = Field(None, ge=1, le=INT_MAX)  # port speed: caps a burst above commit
    status: str = "active"


class HostCapacity(Strict):
    vcpus: int = Field(ge=0)  # logical processors when cores/threads are not given
    memory_gb: float = Field(ge=0)
    disk_gb: float = Field(ge=0)
    cores: int | None = Field(None, ge=1, le=SMALL_INT_MAX)  # physical cores (overcommit is per core)
    threads: int | None = Field(None, ge=1, le=SMALL_INT_MAX)  # logical processors (hyper-threads)

    @model_validator(mode="after")
    def _threads_per_core(self) -> "HostCapacity":
        if self.cores is not None and self.threads is not None and self.threads < self.cores:
            raise ValueError(f"threads ({self.threads}) are fewer than cores ({self.cores})")
        return self


class ClusterHost(Strict):
    device: str  # key of the host device
    capacity: HostCapacity


class VirtualMachine(Keyed):
    status: str = "active"
    tenant: str | None = None
    vcpus: float = Field(0, ge=0)
    memory_mb: int = Field(0, ge=0)
    disk_gb: int = Field(0, ge=0)
    bandwidth_mbps: float = Field(0, ge=0)  # allocated internet bandwidth (hosted applications)
    request_id: str | None = None  # the co-location request that registered it (step 8)


class Cluster(Keyed):
    site: str
    type: str = "virtualization"
    hosts: list[ClusterHost] = Field(default_factory=list)
    vms: list[VirtualMachine] = Field(default_factory=list)
    # shared storage: raw datastore capacity and how many copies it keeps of every block;
    # when given, disk capacity is datastore_gb / replication_factor, not the hosts' disks
    datastore_gb: float | None = Field(None, ge=0, le=1e12)
    replication_factor: float | None = Field(None, ge=1, le=10)


class Commitment(Strict):
    """Capacity promised to an approved request that is not yet installed."""

    request_id: str
    tenant: str | None = None
    site: str | None = None
    rack: str | None = None
    feeds: list[str] = Field(default_factory=list)
    # PSUs to plug in, PSU i on feeds[i % len(feeds)] (a plug each: capacity/outlets.py);
    # None: one per feed listed
    psu_count: int | None = Field(None, ge=1)
    draw_va: int = Field(0, ge=0)  # the request's draw in W (the name predates the power factor)
    bandwidth_mbps: float = Field(0, ge=0)
    vcpus: float = Field(0, ge=0)
    memory_gb: float = Field(0, ge=0)
    disk_gb: float = Field(0, ge=0)
    cluster: str | None = None


class Snapshot(Strict):
    """A whole data centre (or part of one) as every source produces it."""

    source: str = "file"
    taken_at: datetime | None = None
    sites: list[Site] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    tenant_groups: list[TenantGroup] = Field(default_factory=list)
    tenants: list[Tenant] = Field(default_factory=list)
    racks: list[Rack] = Field(default_factory=list)
    device_types: list[DeviceType] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    reservations: list[RackReservation] = Field(default_factory=list)
    power_panels: list[PowerPanel] = Field(default_factory=list)
    power_feeds: list[PowerFeed] = Field(default_factory=list)
    ups: list[UPS] = Field(default_factory=list)
    gensets: list[Genset] = Field(default_factory=list)
    uplinks: list[Uplink] = Field(default_factory=list)
    clusters: list[Cluster] = Field(default_factory=list)
    commitments: list[Commitment] = Field(default_factory=list)

    @field_serializer("devices")
    def _devices_as_models_or_rows(self, devices: list[AnyDevice], info: SerializationInfo) -> list[Any]:
        """`model_dump` of either kind of device (a row has no `model_dump` of its own)."""
        # pydantic then serialises the returned data for the mode (a date in a custom field
        # becomes its ISO text in JSON, as for a model)
        return [d.model_dump(mode=info.mode, exclude_defaults=info.exclude_defaults,
                             exclude_none=info.exclude_none) if isinstance(d, BaseModel)
                else row_plain(d, exclude_defaults=info.exclude_defaults, exclude_none=info.exclude_none)
                for d in devices]

    @model_validator(mode="after")
    def _references_resolve(self, info: ValidationInfo) -> "Snapshot":
        context = info.context or {}
        if context.get("references", True):  # False: the caller checks them (inventory/fastload.py)
            check_references(self, creation_rules=bool(context.get("creation_rules")))
        return self


def _unique(items: list[Any], what: str) -> set[str]:
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            raise ValueError(f"duplicate {what} key {item.key!r}")
        seen.add(item.key)
    return seen


def check_references(s: Snapshot, creation_rules: bool = False) -> None:
    """Every cross reference names an object that exists; keys are unique; with
    `creation_rules`, also the cross-object rules NetBox checks when creating objects."""
    sites = _unique(s.sites, "site")
    locations = _unique(s.locations, "location")
    tenants = _unique(s.tenants, "tenant")
    groups = _unique(s.tenant_groups, "tenant group")
    racks = _unique(s.racks, "rack")
    types = _unique(s.device_types, "device type")
    devices = _unique(s.devices, "device")
    panels = _unique(s.power_panels, "power panel")
    feeds = _unique(s.power_feeds, "power feed")
    ups = _unique(s.ups, "UPS")
    gensets = _unique(s.gensets, "genset")
    _unique(s.uplinks, "uplink")
    _unique(s.clusters, "cluster")

    def need(value: str | None, pool: set[str], what: str, where: str) -> None:
        if value is not None and value not in pool:
            hint = _did_you_mean(value, pool)
            raise ValueError(f"{where}: unknown {what} {value!r}{hint}")

    for loc in s.locations:
        need(loc.site, sites, "site", f"location {loc.key!r}")
    for t in s.tenants:
        need(t.group, groups, "tenant group", f"tenant {t.key!r}")
    for r in s.racks:
        need(r.site, sites, "site", f"rack {r.key!r}")
        need(r.location, locations, "location", f"rack {r.key!r}")
        need(r.tenant, tenants, "tenant", f"rack {r.key!r}")
    site_of_rack = {r.key: r.site for r in s.racks}
    outlets_by_device = {d.key: {o.name for o in d.power_outlets} for d in s.devices if d.power_outlets}
    racks_or_none, tenants_or_none, devices_or_none = racks | {None}, tenants | {None}, devices | {None}
    feeds_or_none = feeds | {None}
    for d in s.devices:
        # 200,000 devices: the common case (everything resolves) is tested inline, and
        # `need` only names the problem (a call per reference cost 0.3 s)
        if not (d.device_type in types and d.site in sites and d.rack in racks_or_none
                and d.tenant in tenants_or_none and d.parent in devices_or_none):
            where = f"device {d.key!r}"
            need(d.device_type, types, "device type", where)
            need(d.site, sites, "site", where)
            need(d.rack, racks, "rack", where)
            need(d.tenant, tenants, "tenant", where)
            need(d.parent, devices, "parent device", where)
        if creation_rules and d.rack is not None and site_of_rack[d.rack] != d.site:
            raise ValueError(f"device {d.key!r}: site {d.site!r} differs from the site of its rack {d.rack!r} "
                             f"({site_of_rack[d.rack]!r})")
        for p in d.power_ports:
            if p.feed not in feeds_or_none:
                need(p.feed, feeds, "power feed", f"device {d.key!r} port {p.name!r}")
            if p.outlet is not None and p.outlet.name not in outlets_by_device.get(p.outlet.device, ()):
                where = f"device {d.key!r} port {p.name!r}"
                need(p.outlet.device, devices, "device", where)
                need(p.outlet.name, outlets_by_device.get(p.outlet.device, set()), "outlet",
                     f"{where} (on {p.outlet.device!r})")
        if d.power_outlets:
            port_names = {p.name for p in d.power_ports}
            for o in d.power_outlets:
                need(o.power_port, port_names, "power port", f"device {d.key!r} outlet {o.name!r}")
    _check_parents(s)
    rack_units = {r.key: (r.starting_unit, r.starting_unit + r.u_height - 1) for r in s.racks}
    for res in s.reservations:
        need(res.rack, racks, "rack", f"reservation {res.key!r}")
        need(res.tenant, tenants, "tenant", f"reservation {res.key!r}")
        low, high = rack_units[res.rack]
        wrong = [u for u in res.units if not low <= u <= high]
        if creation_rules and wrong:
            raise ValueError(f"reservation {res.key!r}: rack {res.rack!r} has units {low}-{high}, not "
                             f"{', '.join(map(str, wrong))}")
    for p in s.power_panels:
        need(p.site, sites, "site", f"power panel {p.key!r}")
        need(p.location, locations, "location", f"power panel {p.key!r}")
        need(p.ups, ups, "UPS", f"power panel {p.key!r}")
    site_of_panel = {p.key: p.site for p in s.power_panels}
    for f in s.power_feeds:
        need(f.panel, panels, "power panel", f"power feed {f.key!r}")
        need(f.rack, racks, "rack", f"power feed {f.key!r}")
        if creation_rules and f.rack is not None and site_of_rack[f.rack] != site_of_panel[f.panel]:
            raise ValueError(f"power feed {f.key!r}: its rack {f.rack!r} is at site {site_of_rack[f.rack]!r}, "
                             f"its panel {f.panel!r} at site {site_of_panel[f.panel]!r}")
    for u in s.ups:
        need(u.site, sites, "site", f"UPS {u.key!r}")
        need(u.genset, gensets, "genset", f"UPS {u.key!r}")
    for g in s.gensets:
        need(g.site, sites, "site", f"genset {g.key!r}")
    for c in s.uplinks:
        need(c.site, sites, "site", f"uplink {c.key!r}")
    for c in s.clusters:
        need(c.site, sites, "site", f"cluster {c.key!r}")
        for h in c.hosts:
            need(h.device, devices, "host device", f"cluster {c.key!r}")
        for vm in c.vms:
            need(vm.tenant, tenants, "tenant", f"VM {vm.key!r}")
    for cm in s.commitments:
        where = f"commitment {cm.request_id!r}"
        need(cm.rack, racks, "rack", where)
        need(cm.site, sites, "site", where)
        need(cm.tenant, tenants, "tenant", where)
        for f in cm.feeds:
            need(f, feeds, "power feed", where)


def _check_parents(s: Snapshot) -> None:
    """No device is its own parent, directly or through a chain of parents."""
    parent_of = {d.key: d.parent for d in s.devices if d.parent is not None}
    for start in parent_of:
        chain = [start]
        current = parent_of.get(start)
        while current is not None:
            if current == start:
                if len(chain) == 1:
                    raise ValueError(f"device {start!r} is its own parent")
                loop = " -> ".join(repr(k) for k in [*chain, start])
                raise ValueError(f"device parents form a loop: {loop}")
            if current in chain or len(chain) > len(parent_of):
                break  # a loop that does not pass through `start`: reported from its own member
            chain.append(current)
            current = parent_of.get(current)


def _did_you_mean(value: str, pool: set[str]) -> str:
    close = difflib.get_close_matches(value, sorted(pool), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
