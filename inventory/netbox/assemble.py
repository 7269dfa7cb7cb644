"""NetBox rows into a `Snapshot`: pure, no HTTP (inventory/netbox/loader.py reads the rows).

Rows are shaped as NetBox's GraphQL answers them (`{"id": "7", "rack": {"id": "3"}}`;
the export templates' rows are parsed into the same shape). Keys are NetBox ids (as
strings) for everything whose name may repeat (racks, devices, panels, feeds, locations,
device types, clusters, circuits, VMs, UPS, gensets); slugs for sites, tenants and
tenant groups (unique in NetBox, and what request files name). Names are NetBox's own.

Cabling is taken from the cable id of every power port, outlet and feed alone: NetBox
lets a power cable join ports on one end only to outlets or only to feeds on the other
(powerport <-> poweroutlet | powerfeed), so the ports on a cable are exactly the link
peers of the outlet or feed on it, as NetBox's own `link_peers` and
`get_downstream_powerports()` have them.

UPS and gensets are devices with role `ups`/`genset` and the capacity custom fields
docs/netbox.md lists; they become `UPS`/`Genset` entries (and also devices when they sit
in a rack, so that rack space stays exact). Power panels name their UPS in the custom
field `ups`; cluster hosts carry `vcpus`, `memory_gb`, `disk_gb`. What the snapshot
cannot hold (a UPS without a rated capacity, a link to an object outside the loaded
sites) is left out and named through `warn`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from inventory.errors import SourceError
from inventory.netbox.conventions import GENSET_ROLE, UPS_ROLE
from inventory.netbox.custom_values import (
    HOST_CORE_FIELDS, HOST_FIELDS, SOURCE_FIELDS, bounded, fraction, host_capacity_of, number,
    power_source, vm_bandwidth,
)
from inventory.netbox.conventions import UPLINK_CIRCUIT_TYPE, VM_DISK_MB_PER_GB
from inventory.netbox.custom_values import id_of as _id
from inventory.model import (
    UPS,
    Cluster,
    ClusterHost,
    Device,
    DeviceType,
    Genset,
    HostCapacity,
    Location,
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
    TenantGroup,
    Uplink,
    VirtualMachine,
)


_KG = {"kg": 1.0, "g": 0.001, "lb": 0.45359237, "oz": 0.028349523125}

Warn = Callable[[str], None]


def site_models(site_rows: list[dict]) -> list[Site]:
    """NetBox's sites (id, name, slug, description) as snapshot sites, keyed by slug."""
    return [Site(key=s["slug"], name=s["name"], slug=s["slug"], description=s.get("description") or "")
            for s in site_rows]


def assemble(site_rows: list[dict], rows: dict[str, list[dict]], warn: Warn) -> Snapshot:
    """The snapshot of the loaded sites (`site_rows`) from every read's rows."""
    return _Assembly(site_rows, rows, warn).snapshot()


class _Assembly:
    """One assembly: each kind of object in turn, with the keys of those already made."""

    def __init__(self, site_rows: list[dict], rows: dict[str, list[dict]], warn: Warn) -> None:
        self.rows = rows
        self.warn = warn
        self.site_key = {str(s["id"]): s["slug"] for s in site_rows}
        self.sites = site_models(site_rows)
        self.tenant_slug = {str(t["id"]): t["slug"] for t in rows["tenants"]}

    def snapshot(self) -> Snapshot:
        locations = self.locations()
        location_keys = {loc.key for loc in locations}
        groups, tenants = self.tenants()
        racks = self.racks(location_keys)
        rack_keys = {r.key for r in racks}
        ports_of, outlets_of = self.ports_and_outlets()
        devices, ups, gensets, used_types, host_capacity = self.devices(rack_keys, ports_of, outlets_of)
        device_types = self.device_types(used_types)
        panels = self.panels(ups, gensets, location_keys)
        feeds = self.feeds({p.key for p in panels}, rack_keys)
        self.drop_outside_references(devices, {f.key for f in feeds})
        reservations = self.reservations(rack_keys)
        uplinks = self.uplinks()
        clusters = self.clusters(host_capacity, {d.key for d in devices})
        try:
            return Snapshot(
                source="netbox", taken_at=datetime.now(timezone.utc), sites=self.sites, locations=locations,
                tenant_groups=groups, tenants=tenants, racks=racks, device_types=device_types,
                devices=devices, reservations=reservations, power_panels=panels, power_feeds=feeds,
                ups=ups, gensets=gensets, uplinks=uplinks, clusters=clusters)
        except ValidationError as exc:  # a NetBox state the model cannot hold: name it
            raise SourceError(f"NetBox data does not fit the snapshot model: {exc.errors()[0]['msg']}",
                              "please report it with the object named") from None

    def site(self, obj: Any) -> str | None:
        """The key of a loaded site (None: a site not loaded)."""
        return self.site_key.get(_id(obj) or "")

    def tenant(self, obj: Any) -> str | None:
        return self.tenant_slug.get(_id(obj) or "")

    def locations(self) -> list[Location]:
        out = []
        for r in self.rows["locations"]:
            if _id(r["site"]) not in self.site_key:
                continue
            cf, label = r.get("custom_field_data") or {}, f"location {r['name']}"
            units = bounded(cf, "cooling_units", label, self.warn, 1, 32767)
            out.append(Location(key=str(r["id"]), name=r["name"], site=self.site_key[_id(r["site"])],
                                description=r.get("description") or "",
                                cooling_kw=bounded(cf, "cooling_kw", label, self.warn, 0, 2**31 - 1),
                                cooling_units=None if units is None else int(units)))
        return out

    def tenants(self) -> tuple[list[TenantGroup], list[Tenant]]:
        group_slug = {str(g["id"]): g["slug"] for g in self.rows["tenant_groups"]}
        groups = [TenantGroup(key=g["slug"], name=g["name"]) for g in self.rows["tenant_groups"]]
        tenants = [Tenant(key=t["slug"], name=t["name"], slug=t["slug"], group=group_slug.get(_id(t.get("group"))),
                          description=t.get("description") or "") for t in self.rows["tenants"]]
        return groups, tenants

    def racks(self, location_keys: set[str]) -> list[Rack]:
        racks: list[Rack] = []
        for r in self.rows["racks"]:
            site = self.site(r["site"])
            if site is None:
                continue
            loc = _id(r.get("location"))
            racks.append(Rack(
                key=str(r["id"]), name=r["name"], site=site, location=loc if loc in location_keys else None,
                u_height=int(r.get("u_height") or 42), starting_unit=int(r.get("starting_unit") or 1),
                desc_units=bool(r.get("desc_units")), status=r.get("status") or "active",
                role=_slug(r.get("role")), tenant=self.tenant(r.get("tenant")),
                max_weight_kg=_kg(r.get("max_weight"), r.get("weight_unit")),
                weight_kg=_kg(r.get("weight"), r.get("weight_unit")),
                facility_id=r.get("facility_id") or None, netbox_id=int(r["id"]),
                cooling_kw=bounded(r.get("custom_field_data") or {}, "cooling_kw", f"rack {r['name']}", self.warn,
                                    0, 2**31 - 1)))
        return racks

    def ports_and_outlets(self) -> tuple[dict[str, list[PowerPort]], dict[str, list[PowerOutlet]]]:
        """Per device key, its power ports (each cabled to a feed or an outlet) and outlets."""
        rows, warn = self.rows, self.warn
        # the ports on a cable are the link peers of the outlet or feed on it
        source_of_cable: dict[str, tuple[str, str]] = {}
        for kind in ("power_outlets", "power_feeds"):
            for obj in rows[kind]:
                cable = _id(obj.get("cable"))
                if cable is None:
                    continue
                if cable in source_of_cable:  # NetBox allows it; the snapshot gives a port one peer
                    warn(f"cable {cable} joins several outlets or feeds on one end; the ports on it are "
                         f"counted on {source_of_cable[cable][1]} only")
                    continue
                source_of_cable[cable] = (kind, str(obj["id"]))
        outlets_by_id = {str(o["id"]): o for o in rows["power_outlets"]}
        port_name = {str(p["id"]): p["name"] for p in rows["power_ports"]}

        ports_of: dict[str, list[PowerPort]] = defaultdict(list)
        for p in rows["power_ports"]:
            feed = outlet = None
            cable = _id(p.get("cable"))
            src = source_of_cable.get(cable) if cable is not None else None
            if cable is not None and src is None:
                warn(f"power port {p['name']} (NetBox id {p['id']}): its cable {cable} leads to no loaded "
                     "feed or outlet (another site?); not followed")
            if src is not None:
                kind, ident = src
                if kind == "power_feeds":
                    feed = ident
                else:
                    o = outlets_by_id[ident]
                    outlet = OutletRef(device=_id(o["device"]) or "", name=o["name"])
            maximum = p.get("maximum_draw")
            ports_of[_id(p["device"]) or ""].append(PowerPort(
                name=p["name"], allocated_draw=p.get("allocated_draw"),
                maximum_draw=maximum if maximum else None,  # NetBox allows 0; the model means "unknown"
                feed=feed, outlet=outlet))
        outlets_of: dict[str, list[PowerOutlet]] = defaultdict(list)
        for o in rows["power_outlets"]:
            leg = o.get("feed_leg")
            outlets_of[_id(o["device"]) or ""].append(PowerOutlet(
                name=o["name"], power_port=port_name.get(_id(o.get("power_port")) or ""),
                feed_leg=leg.upper() if isinstance(leg, str) and leg else None))
        return ports_of, outlets_of

    def devices(self, rack_keys: set[str], ports_of: dict[str, list[PowerPort]],
                outlets_of: dict[str, list[PowerOutlet]]
                ) -> tuple[list[Device], list[UPS], list[Genset], set[str], dict[str, tuple[str, HostCapacity]]]:
        """Devices, the UPS and gensets among them, the device types used, and cluster
        hosts' capacity (device key -> (cluster key, capacity))."""
        rows, warn = self.rows, self.warn
        role_slug = {str(r["id"]): r["slug"] for r in rows["device_roles"]}
        cluster_of_host = {str(h["id"]): str(c["id"]) for c in rows["clusters"] for h in c.get("devices") or []}
        parent_of = {_id(b.get("installed_device")): _id(b.get("device")) for b in rows["device_bays"]}
        devices: list[Device] = []
        ups: list[UPS] = []
        gensets: list[Genset] = []
        used_types: set[str] = set()
        host_capacity: dict[str, tuple[str, HostCapacity]] = {}
        for d in rows["devices"]:
            key = str(d["id"])
            site = self.site(d["site"])
            if site is None:
                continue
            role = role_slug.get(_id(d.get("role")) or "", "")
            cf = {k: v for k, v in (d.get("custom_field_data") or {}).items() if v is not None and v != ""}
            rack = _id(d.get("rack"))
            rack = rack if rack in rack_keys else None
            name = d.get("name") or ""
            if role in (UPS_ROLE, GENSET_ROLE):
                made = power_source(key, name, site, role, cf, warn)
                if isinstance(made, UPS):
                    ups.append(made)
                elif isinstance(made, Genset):
                    gensets.append(made)
                if rack is None:  # an unracked UPS/genset takes no rack space: not a device here
                    continue
                cf = {k: v for k, v in cf.items() if k not in SOURCE_FIELDS}
            cluster = cluster_of_host.get(key)
            if cluster is not None:
                host_capacity[key] = (cluster, host_capacity_of(cf, name or key, warn))
                cf = {k: v for k, v in cf.items() if k not in HOST_FIELDS + HOST_CORE_FIELDS}
            position = number(d.get("position")) if rack is not None else None
            face = (d.get("face") or None) if rack is not None else None
            if position is not None and face is None:
                warn(f"device {name or key}: position U{position:g} without a face; taken as unpositioned")
                position = None
            dtype = _id(d["device_type"]) or ""
            used_types.add(dtype)
            try:
                devices.append(Device(
                    key=key, name=name, device_type=dtype, site=site, rack=rack, position=position, face=face,
                    status=d.get("status") or "active", role=role or "unknown", tenant=self.tenant(d.get("tenant")),
                    serial=d.get("serial") or "", asset_tag=d.get("asset_tag") or None,
                    parent=parent_of.get(key), power_ports=ports_of.get(key, []),
                    power_outlets=outlets_of.get(key, []), custom_fields=cf, netbox_id=int(d["id"])))
            except ValidationError as exc:
                warn(f"device {name or key} (NetBox id {key}) left out: {exc.errors()[0]['msg']}")
        return devices, ups, gensets, used_types, host_capacity

    def device_types(self, used_types: set[str]) -> list[DeviceType]:
        type_rows = {str(t["id"]): t for t in self.rows["device_types"]}
        device_types = []
        for tid in sorted(used_types, key=lambda x: (len(x), x)):
            t = type_rows.get(tid)
            if t is None:
                raise SourceError(f"NetBox device type {tid} is used by devices but was not listed")
            sub = t.get("subdevice_role")
            device_types.append(DeviceType(
                key=tid, manufacturer=(t.get("manufacturer") or {}).get("name") or "?", model=t["model"],
                slug=t.get("slug") or "", u_height=number(t.get("u_height")) or 0.0,
                is_full_depth=bool(t.get("is_full_depth")),
                exclude_from_utilization=bool(t.get("exclude_from_utilization")),
                weight_kg=_kg(t.get("weight"), t.get("weight_unit")),
                subdevice_role=sub if sub in ("parent", "child") else None,
                power_factor=fraction(t.get("custom_field_data") or {}, "power_factor",
                                       f"device type {t['model']}", self.warn)))
        return device_types

    def panels(self, ups: list[UPS], gensets: list[Genset], location_keys: set[str]) -> list[PowerPanel]:
        """Power panels with their UPS; a UPS's genset or a panel's UPS that was not loaded is dropped."""
        warn = self.warn
        ups_keys = {u.key for u in ups}
        genset_keys = {g.key for g in gensets}
        for u in ups:
            if u.genset is not None and u.genset not in genset_keys:
                warn(f"UPS {u.name}: custom field genset points at {u.genset}, not a loaded genset; link dropped")
                u.genset = None
        panels = []
        for p in self.rows["power_panels"]:
            site = self.site(p["site"])
            if site is None:
                continue
            link = _id((p.get("custom_field_data") or {}).get("ups"))
            if link is not None and link not in ups_keys:
                warn(f"power panel {p['name']}: custom field ups points at {link}, not a loaded UPS; link dropped")
                link = None
            loc = _id(p.get("location"))
            panels.append(PowerPanel(key=str(p["id"]), name=p["name"], site=site,
                                     location=loc if loc in location_keys else None, ups=link))
        return panels

    def feeds(self, panel_keys: set[str], rack_keys: set[str]) -> list[PowerFeed]:
        feeds = []
        for f in self.rows["power_feeds"]:
            panel = _id(f.get("power_panel"))
            if panel not in panel_keys:
                continue
            rack = _id(f.get("rack"))
            feed = PowerFeed(
                key=str(f["id"]), name=f["name"], panel=panel, rack=rack if rack in rack_keys else None,
                status=f.get("status") or "active", type=f.get("type") or "primary",
                supply=f.get("supply") or "ac", phase=f.get("phase") or "single-phase",
                voltage=int(f.get("voltage") or 0), amperage=int(f.get("amperage") or 1),
                max_utilization=int(f.get("max_utilization") or 80), netbox_id=int(f["id"]))
            stored = f.get("available_power")
            if stored is not None and int(stored) != _available(feed):
                self.warn(f"power feed {feed.name}: NetBox's stored available_power {stored} differs from "
                          f"{_available(feed)} computed from its voltage, amperage and utilization")
            feeds.append(feed)
        return feeds

    def drop_outside_references(self, devices: list[Device], feed_keys: set[str]) -> None:
        """References to objects outside the load (another site, a skipped object) are dropped."""
        device_keys = {d.key for d in devices}
        for d in devices:
            if d.parent is not None and d.parent not in device_keys:
                d.parent = None
            for p in d.power_ports:
                if p.outlet is not None and p.outlet.device not in device_keys:
                    self.warn(f"device {d.name or d.key} port {p.name}: cabled to an outlet of a device outside "
                              "the loaded sites; not followed")
                    p.outlet = None
                if p.feed is not None and p.feed not in feed_keys:
                    self.warn(f"device {d.name or d.key} port {p.name}: cabled to a feed outside the loaded "
                              "sites; not followed")
                    p.feed = None

    def reservations(self, rack_keys: set[str]) -> list[RackReservation]:
        reservations = []
        for r in self.rows["reservations"]:
            rack = _id(r.get("rack"))
            units = sorted({int(u) for u in r.get("units") or []})
            if rack not in rack_keys or not units:
                continue
            reservations.append(RackReservation(key=str(r["id"]), rack=rack, units=units,
                                                tenant=self.tenant(r.get("tenant")),
                                                description=r.get("description") or "", netbox_id=int(r["id"])))
        return reservations

    def uplinks(self) -> list[Uplink]:
        """Circuits of the uplink type with a termination at a loaded site."""
        uplinks: dict[str, Uplink] = {}
        for t in sorted(self.rows["circuit_terminations"], key=lambda t: t.get("term_side") or ""):
            site = self.site_key.get(_scope_site(t.get("termination")) or "")
            c = t.get("circuit") or {}
            cid = _id(c)
            if site is None or cid is None or cid in uplinks or _slug(c.get("type")) != UPLINK_CIRCUIT_TYPE:
                continue
            if not c.get("commit_rate"):
                self.warn(f"uplink {c.get('cid')}: no commit rate in NetBox; not counted")
                continue
            port = t.get("port_speed")
            uplinks[cid] = Uplink(key=cid, name=c["cid"], site=site,
                                  provider=(c.get("provider") or {}).get("name") or "?",
                                  commit_kbps=int(c["commit_rate"]), status=c.get("status") or "active",
                                  port_kbps=int(port) if port else None)
        return list(uplinks.values())

    def clusters(self, host_capacity: dict[str, tuple[str, HostCapacity]], device_keys: set[str]) -> list[Cluster]:
        """Clusters scoped to a loaded site: hosts by device.cluster, VMs by vm.cluster."""
        clusters: dict[str, Cluster] = {}
        for c in self.rows["clusters"]:
            site = self.site_key.get(_scope_site(c.get("scope")) or "")
            if site is None:
                continue
            cf, label = c.get("custom_field_data") or {}, f"cluster {c['name']}"
            datastore = bounded(cf, "datastore_gb", label, self.warn, 0, 1e12)
            clusters[str(c["id"])] = Cluster(key=str(c["id"]), name=c["name"], site=site,
                                             type=_slug(c.get("type")) or "virtualization", datastore_gb=datastore,
                                             replication_factor=bounded(cf, "replication_factor", label,
                                                                         self.warn, 1, 10))
        for dev_key, (cluster, cap) in host_capacity.items():
            if cluster in clusters and dev_key in device_keys:
                clusters[cluster].hosts.append(ClusterHost(device=dev_key, capacity=cap))
        for vm in self.rows["vms"]:
            cluster = _id(vm.get("cluster"))
            if cluster not in clusters:
                continue
            clusters[cluster].vms.append(VirtualMachine(
                key=str(vm["id"]), name=vm["name"], status=vm.get("status") or "active",
                tenant=self.tenant(vm.get("tenant")), vcpus=number(vm.get("vcpus")) or 0.0,
                memory_mb=int(vm.get("memory") or 0),
                disk_gb=round((vm.get("disk") or 0) / VM_DISK_MB_PER_GB),
                bandwidth_mbps=vm_bandwidth(vm, self.warn),
                request_id=str((vm.get("custom_field_data") or {}).get("request_id") or "") or None))
        return list(clusters.values())


# --------------------------------------------------------------------------- helpers
def _slug(obj: Any) -> str | None:
    return obj.get("slug") if isinstance(obj, dict) else None


def _kg(weight: Any, unit: Any) -> float | None:
    w = number(weight)
    if w is None:
        return None
    return round(w * _KG.get(str(unit or "kg").lower(), 1.0), 3)


def _scope_site(obj: Any) -> str | None:
    """The site id of a scope/termination union: a site, or a location in a site."""
    if not isinstance(obj, dict):
        return None
    if obj.get("__typename") == "SiteType":
        return _id(obj)
    if obj.get("__typename") == "LocationType":
        return _id(obj.get("site"))
    return None




def _available(feed: PowerFeed) -> int:
    """NetBox's PowerFeed.save(): round(|V| x A x util/100), x 1.732 for three-phase."""
    kva = abs(feed.voltage) * feed.amperage * (feed.max_utilization / 100)
    return round(kva * 1.732) if feed.phase == "three-phase" else round(kva)
