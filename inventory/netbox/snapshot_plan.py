"""The plan that writes a whole `Snapshot` into NetBox (`colo netbox load`).

Kind by kind in dependency order (sites, locations, tenants, racks, types, clusters,
gensets, UPSs, devices, bays, reservations, power, circuits, VMs), what NetBox holds is
read once per object type, filtered to the snapshot's sites, several reads in flight
at once, and compared by the natural keys of inventory/netbox/kinds.py. Objects the
plan creates are `Ref`s until apply learns their ids, so the whole plan exists before
the first write. Nothing is deleted except a cable that connects a port to another peer
than the snapshot says (it is replaced).
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Hashable, Iterable

from inventory.model import Snapshot
from inventory.names import slugify
from inventory.netbox import kinds as K
from inventory.netbox.client import NetBoxClient
from inventory.netbox.compare import norm
from inventory.netbox.conventions import (
    GENERIC_MANUFACTURER,
    GENSET_TYPE,
    TAG,
    UPLINK_CIRCUIT_TYPE,
    UPS_TYPE,
    VM_DISK_MB_PER_GB,
)
from inventory.netbox.kinds import Kind
from inventory.netbox.reconcile import Change, Desired, Plan, desired

Id = Any  # a NetBox id, or the Ref of an object the plan creates
ON_CREATE = {"tags": TAG}


def _ids(values: Iterable[Id]) -> list[int]:
    """The NetBox ids among `values` (objects the plan creates have no children in NetBox yet)."""
    return sorted({v for v in values if isinstance(v, int) and v > 0})


def _title(value: str) -> str:
    """A display name for a slug-like value (`patch-panel` -> `Patch Panel`)."""
    if value == slugify(value):
        return value.replace("-", " ").replace("_", " ").title() if len(value) > 3 else value.upper()
    return value


SITE_SCOPED = (  # read per site, all at once as soon as the site ids are known
    "dcim/locations", "dcim/racks", "virtualization/clusters", "dcim/devices", "dcim/device-bays",
    "dcim/rack-reservations", "dcim/power-panels", "dcim/power-feeds", "dcim/power-ports",
    "dcim/power-outlets", "virtualization/virtual-machines",
)


class _SnapshotPlanner:
    """Reads what NetBox holds of a snapshot's objects and plans them, kind by kind."""

    def __init__(self, client: NetBoxClient, snapshot: Snapshot, conventions: Plan) -> None:
        self.c = client
        self.s = snapshot
        self.plan = Plan("load", bulk=True)
        self.conventions = conventions  # planned before: what it creates counts as present
        # reads are independent of each other: several in flight at once (NetBox serves
        # them on several workers), each object type read exactly once per run
        self.pool = ThreadPoolExecutor(max_workers=4)
        self._reads: dict[str, Future[list[dict[str, Any]]]] = {}

    # -- reads ------------------------------------------------------------------
    def _fetch(self, endpoint: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"fields": K.SNAPSHOT_READS[endpoint]}
        for name, value in filters.items():
            if isinstance(value, list):
                if not value:
                    return []  # filtered to nothing that exists yet
                params[name] = value
            elif value is not None:
                params[name] = value
        return self.c.get_all(endpoint, params)

    def prefetch(self, endpoint: str, **filters: Any) -> None:
        if endpoint not in self._reads:
            self._reads[endpoint] = self.pool.submit(self._fetch, endpoint, filters)

    def read(self, endpoint: str, **filters: Any) -> list[dict[str, Any]]:
        """What NetBox has of an object type (prefetched, or read now with these filters)."""
        self.prefetch(endpoint, **filters)
        return self._reads[endpoint].result()

    def sync(self, kind: Kind, objects: Iterable[Desired], **filters: Any) -> dict[Hashable, Id]:
        """Plan `objects` against what NetBox has of their kind; natural key -> id or Ref."""
        return self.plan.reconcile(kind, objects, self.read(kind.endpoint, **filters))

    def named(self, kind: Kind, values: Iterable[str], extra: dict[str, Any] | None = None) -> dict[str, Id]:
        """Organisational objects referred to by name or slug (roles, manufacturers, types):
        reuse one whose slug or name matches (also one the conventions create), create the
        rest. Never renamed."""
        wanted = sorted(set(v for v in values if v))
        if not wanted:
            return {}
        self.plan.use(kind)
        existing = self.read(kind.endpoint) + self.conventions.planned(kind.endpoint)
        by_slug = {e["slug"]: e for e in existing}
        by_name = {str(e["name"]).lower(): e for e in existing}
        found: dict[str, Id] = {}
        missing: list[Desired] = []
        for v in wanted:
            hit = (by_slug.get(v) or by_slug.get(slugify(v)) or by_name.get(v.lower())
                   or by_name.get(_title(v).lower()))
            if hit:
                found[v] = hit["id"]
                self.plan.add(Change(kind.name, "keep", v, kind.endpoint, object_id=hit["id"]))
            else:
                missing.append(Desired(v, v, {"slug": slugify(v)}, {"name": _title(v), **(extra or {}), **ON_CREATE}))
        found.update(self.plan.reconcile(kind, missing, []))
        return found

    # -- the whole snapshot, in dependency order ----------------------------------
    def run(self) -> Plan:
        s = self.s
        # the organisational types, all at once
        site_slug = {site.key: site.slug for site in s.sites}
        self.prefetch("dcim/sites", slug=sorted(site_slug.values()))
        needed = {
            "tenancy/tenant-groups": s.tenant_groups, "tenancy/tenants": s.tenants,
            "dcim/rack-roles": [r for r in s.racks if r.role], "dcim/manufacturers": s.device_types or s.ups
            or s.gensets, "dcim/device-roles": s.devices or s.ups or s.gensets,
            "virtualization/cluster-types": s.clusters, "circuits/providers": s.uplinks,
            "circuits/circuit-types": s.uplinks}
        for endpoint, items in needed.items():
            if items:
                self.prefetch(endpoint)

        by_slug = self.sync(K.SITE, [
            desired(K.SITE, {"name": site.name, "slug": site.slug,
                             **({"description": site.description} if site.description else {})},
                    site.slug, {"status": "active", **ON_CREATE})
            for site in s.sites], slug=sorted(site_slug.values()))
        self.site_id = {k: by_slug[slug] for k, slug in site_slug.items()}
        self.sites = sites = _ids(self.site_id.values())
        wanted = {
            "dcim/locations": s.locations, "dcim/racks": s.racks, "virtualization/clusters": s.clusters,
            "dcim/devices": s.devices or s.ups or s.gensets,
            "dcim/device-bays": [d for d in s.devices if d.parent], "dcim/rack-reservations": s.reservations,
            "dcim/power-panels": s.power_panels, "dcim/power-feeds": s.power_feeds,
            "dcim/power-ports": [d for d in s.devices if d.power_ports],
            "dcim/power-outlets": [d for d in s.devices if d.power_outlets],
            "virtualization/virtual-machines": [vm for c in s.clusters for vm in c.vms]}
        for endpoint in SITE_SCOPED:
            if wanted[endpoint]:
                self.prefetch(endpoint, site_id=sites)

        loc = self.sync(K.LOCATION, [
            desired(K.LOCATION, {"name": x.name, "site": self.site_id[x.site],
                                 **({"description": x.description} if x.description else {}),
                                 "custom_fields": {"cooling_kw": x.cooling_kw, "cooling_units": x.cooling_units}},
                    x.name, {"slug": slugify(x.name), "status": "active", **ON_CREATE})
            for x in s.locations], site_id=sites)
        self.location_id = {x.key: loc[(self.site_id[x.site], x.name.lower())] for x in s.locations}
        self._tenants()
        self._racks()
        self._device_types()
        self._clusters()
        self._devices()
        self._device_bays()
        self._reservations()
        self._power()
        self._circuits()
        self._vms()
        return self.plan

    def _tenants(self) -> None:
        s = self.s
        group_slug = {g.key: slugify(g.name) for g in s.tenant_groups}
        grp = self.plan.reconcile(K.TENANT_GROUP, [
            desired(K.TENANT_GROUP, {"slug": group_slug[g.key], "name": g.name}, g.name, ON_CREATE)
            for g in s.tenant_groups],
            self.read("tenancy/tenant-groups") + self.conventions.planned("tenancy/tenant-groups"))
        group_id = {k: grp[v] for k, v in group_slug.items()}
        ten = self.sync(K.TENANT, [
            desired(K.TENANT, {"name": t.name, "slug": t.slug, "group": group_id[t.group] if t.group else None,
                               **({"description": t.description} if t.description else {})}, t.name, ON_CREATE)
            for t in s.tenants])
        self.tenant_id = {t.key: ten[t.slug] for t in s.tenants}

    def _racks(self) -> None:
        s = self.s
        rack_role = self.named(K.RACK_ROLE, (r.role for r in s.racks if r.role), {"color": "9e9e9e"})
        objects = []
        for r in s.racks:
            f: dict[str, Any] = {
                "name": r.name, "site": self.site_id[r.site],
                "location": self.location_id[r.location] if r.location else None,
                "u_height": r.u_height, "starting_unit": r.starting_unit, "desc_units": r.desc_units,
                "status": r.status, "role": rack_role[r.role] if r.role else None,
                "tenant": self.tenant_id[r.tenant] if r.tenant else None,
                # NetBox stores max_weight as a whole number
                "max_weight": round(r.max_weight_kg) if r.max_weight_kg is not None else None,
                "weight": r.weight_kg,
                "custom_fields": {"cooling_kw": r.cooling_kw},
            }
            if r.max_weight_kg is not None or r.weight_kg is not None:
                f["weight_unit"] = "kg"
            if r.facility_id:
                f["facility_id"] = r.facility_id
            objects.append(desired(K.RACK, f, r.name, ON_CREATE))
        rk = self.sync(K.RACK, objects, site_id=self.sites)
        self.rack_id = {r.key: rk[(self.site_id[r.site], r.name.lower())] for r in s.racks}

    def _device_types(self) -> None:
        """Manufacturers and device types, plus the generic UPS/genset types."""
        s = self.s
        makers = [t.manufacturer for t in s.device_types]
        if s.ups or s.gensets:
            makers.append(GENERIC_MANUFACTURER)
        maker_id = self.named(K.MANUFACTURER, makers)
        objects = []
        for t in s.device_types:
            f = {"manufacturer": maker_id[t.manufacturer], "model": t.model, "u_height": t.u_height,
                 "is_full_depth": t.is_full_depth, "exclude_from_utilization": t.exclude_from_utilization,
                 "subdevice_role": t.subdevice_role, "custom_fields": {"power_factor": t.power_factor}}
            if t.weight_kg is not None:
                f.update(weight=t.weight_kg, weight_unit="kg")
            objects.append(desired(K.SNAPSHOT_DEVICE_TYPE, f, f"{t.manufacturer} {t.model}",
                                   {"slug": t.slug, **ON_CREATE}))
        generic: dict[str, Hashable] = {}
        for what, spec, present in (("ups", UPS_TYPE, s.ups), ("genset", GENSET_TYPE, s.gensets)):
            if present:
                d = desired(K.SNAPSHOT_DEVICE_TYPE, {
                    "manufacturer": maker_id[GENERIC_MANUFACTURER], "model": spec["model"], "u_height": 0,
                    "is_full_depth": False, "exclude_from_utilization": True},
                    f"{GENERIC_MANUFACTURER} {spec['model']}", {"slug": spec["slug"], **ON_CREATE})
                generic[what] = d.key
                objects.append(d)
        dt = self.sync(K.SNAPSHOT_DEVICE_TYPE, objects, manufacturer_id=_ids(maker_id.values()))
        self.type_id = {t.key: dt[(maker_id[t.manufacturer], t.model.lower())] for t in s.device_types}
        self.generic_type = {k: dt[v] for k, v in generic.items()}
        roles = [d.role for d in s.devices] + (["ups"] if s.ups else []) + (["genset"] if s.gensets else [])
        self.role_id = self.named(K.DEVICE_ROLE, roles, {"color": "9e9e9e"})

    def _clusters(self) -> None:
        """Clusters (before devices: hosts are assigned to them)."""
        s = self.s
        ctype = self.named(K.CLUSTER_TYPE, (c.type for c in s.clusters))
        cl = self.sync(K.CLUSTER, [
            desired(K.CLUSTER, {"name": c.name, "type": ctype[c.type], "scope_type": "dcim.site",
                                "scope_id": self.site_id[c.site],
                                "custom_fields": {"datastore_gb": c.datastore_gb,
                                                  "replication_factor": c.replication_factor}},
                    c.name, {"status": "active", **ON_CREATE})
            for c in s.clusters], site_id=self.sites)
        self.cluster_id = {c.key: cl[("dcim.site", self.site_id[c.site], c.name.lower())] for c in s.clusters}

    def _devices(self) -> None:
        """Gensets, then UPSs (they point at gensets), then the rest."""
        s = self.s
        gs = self.sync(K.GENSET, [
            desired(K.GENSET, {
                "name": g.name, "site": self.site_id[g.site], "device_type": self.generic_type["genset"],
                "role": self.role_id["genset"], "rack": None, "status": "active",
                "custom_fields": {"rated_va": g.rated_va, "derating": g.derating,
                                  "other_loads_va": g.other_loads_va, "redundancy_group": g.redundancy_group,
                                  "rated_w": g.rated_w, "cooling_factor": g.cooling_factor}},
                g.name, ON_CREATE)
            for g in s.gensets], site_id=self.sites)
        self.genset_id = {g.key: gs[("n", self.site_id[g.site], g.name.lower())] for g in s.gensets}
        us = self.sync(K.UPS, [
            desired(K.UPS, {
                "name": u.name, "site": self.site_id[u.site], "device_type": self.generic_type["ups"],
                "role": self.role_id["ups"], "rack": None, "status": "active",
                "custom_fields": {"rated_va": u.rated_va, "derating": u.derating, "efficiency": u.efficiency,
                                  "genset": self.genset_id[u.genset] if u.genset else None,
                                  "redundancy_group": u.redundancy_group, "rated_w": u.rated_w,
                                  "recharge_pct": u.recharge_pct}},
                u.name, ON_CREATE)
            for u in s.ups], site_id=self.sites)
        self.ups_id = {u.key: us[("n", self.site_id[u.site], u.name.lower())] for u in s.ups}

        host_of = {h.device: (c.key, h.capacity) for c in s.clusters for h in c.hosts}
        objects = []
        key_of: dict[str, Hashable] = {}
        # parents first, so a chunk never holds a child before its parent exists (bays come later)
        for d in sorted(s.devices, key=lambda d: d.parent is not None):
            f = {"name": d.name or None, "site": self.site_id[d.site], "device_type": self.type_id[d.device_type],
                 "role": self.role_id[d.role], "rack": self.rack_id[d.rack] if d.rack else None,
                 "position": d.position, "face": d.face, "status": d.status,
                 "tenant": self.tenant_id[d.tenant] if d.tenant else None}
            if d.serial:
                f["serial"] = d.serial
            if d.asset_tag:
                f["asset_tag"] = d.asset_tag
            cfs = dict(d.custom_fields)
            if d.key in host_of:
                cluster_key, cap = host_of[d.key]
                f["cluster"] = self.cluster_id[cluster_key]
                cfs.update(vcpus=cap.vcpus, memory_gb=cap.memory_gb, disk_gb=cap.disk_gb, cores=cap.cores,
                           threads=cap.threads)
            if cfs:
                f["custom_fields"] = cfs
            objects.append(desired(K.SNAPSHOT_DEVICE, f, d.name or d.key, ON_CREATE))
            key_of[d.key] = objects[-1].key
        dv = self.sync(K.SNAPSHOT_DEVICE, objects, site_id=self.sites)
        self.device_id = {k: dv[v] for k, v in key_of.items()}

    def _device_bays(self) -> None:
        children = [d for d in self.s.devices if d.parent]
        if not children:
            return
        self.sync(K.DEVICE_BAY, [
            desired(K.DEVICE_BAY, {"device": self.device_id[d.parent], "name": f"Bay {d.name or d.key}",
                                   "installed_device": self.device_id[d.key]}, f"{d.parent}/Bay {d.name or d.key}")
            for d in children if d.parent], site_id=self.sites)

    def _reservations(self) -> None:
        if not self.s.reservations:
            return
        user = self.c.current_user()
        self.sync(K.SNAPSHOT_RESERVATION, [
            desired(K.SNAPSHOT_RESERVATION, {
                "rack": self.rack_id[r.rack], "units": sorted(r.units),
                "tenant": self.tenant_id[r.tenant] if r.tenant else None,
                **({"description": r.description} if r.description else {})}, r.key,
                {"user": user["id"], **ON_CREATE,
                 **({} if r.description else {"description": f"Reserved (colo {r.key})"})})
            for r in self.s.reservations], site_id=self.sites)

    # -- power --------------------------------------------------------------------
    def _power(self) -> None:
        s, sites = self.s, self.sites
        pp = self.sync(K.POWER_PANEL, [
            desired(K.POWER_PANEL, {
                "name": p.name, "site": self.site_id[p.site],
                "location": self.location_id[p.location] if p.location else None,
                "custom_fields": {"ups": self.ups_id[p.ups] if p.ups else None}}, p.name, ON_CREATE)
            for p in s.power_panels], site_id=sites)
        panel_id = {p.key: pp[(self.site_id[p.site], p.name.lower())] for p in s.power_panels}

        feed_cable = {e["id"]: norm(e.get("cable")) for e in self.read("dcim/power-feeds", site_id=sites)}
        pf = self.sync(K.POWER_FEED, [
            desired(K.POWER_FEED, {
                "name": f.name, "power_panel": panel_id[f.panel], "rack": self.rack_id[f.rack] if f.rack else None,
                "status": f.status, "type": f.type, "supply": f.supply, "phase": f.phase, "voltage": f.voltage,
                "amperage": f.amperage, "max_utilization": f.max_utilization}, f.name, ON_CREATE)
            for f in s.power_feeds], site_id=sites)
        feed_id = {f.key: pf[(panel_id[f.panel], f.name.lower())] for f in s.power_feeds}

        with_ports = [d for d in s.devices if d.power_ports]
        port_cable = {e["id"]: norm(e.get("cable"))
                      for e in (self.read("dcim/power-ports", site_id=sites) if with_ports else [])}
        ports = self.sync(K.POWER_PORT, [
            desired(K.POWER_PORT, {"device": self.device_id[d.key], "name": p.name,
                                   "allocated_draw": p.allocated_draw, "maximum_draw": p.maximum_draw},
                    f"{d.name or d.key}/{p.name}")
            for d in with_ports for p in d.power_ports], site_id=sites)
        port_id = {(d.key, p.name): ports[(self.device_id[d.key], p.name)] for d in with_ports for p in d.power_ports}

        with_outlets = [d for d in s.devices if d.power_outlets]
        outlet_cable = {e["id"]: norm(e.get("cable"))
                        for e in (self.read("dcim/power-outlets", site_id=sites) if with_outlets else [])}
        outs = self.sync(K.POWER_OUTLET, [
            desired(K.POWER_OUTLET, {
                "device": self.device_id[d.key], "name": o.name,
                "power_port": port_id[(d.key, o.power_port)] if o.power_port else None,
                "feed_leg": o.feed_leg}, f"{d.name or d.key}/{o.name}")
            for d in with_outlets for o in d.power_outlets], site_id=sites)
        outlet_id = {(d.key, o.name): outs[(self.device_id[d.key], o.name)]
                     for d in with_outlets for o in d.power_outlets}
        self._cables(feed_id, outlet_id, port_id, {"dcim.powerfeed": feed_cable, "dcim.poweroutlet": outlet_cable},
                     port_cable)

    def _cables(self, feed_id: dict[str, Id], outlet_id: dict[tuple[str, str], Id],
                port_id: dict[tuple[str, str], Id], cable_of: dict[str, dict[int, Any]],
                port_cable: dict[int, Any]) -> None:
        """Cables feed -> port(s) and outlet -> port(s), matched by their terminations.

        NetBox gives every feed and outlet one cable; several ports behind one feed or
        outlet share it (one cable, several B terminations). Existing cables are
        recognised from the `cable` field of feeds, outlets and ports alone (cheap reads).
        A cable that ends elsewhere than the snapshot says is replaced.
        """
        kind = self.plan.use(K.SNAPSHOT_CABLE)
        want: dict[tuple[str, Id], tuple[str, list[Id]]] = {}  # (a type, a id) -> (label, ports)
        for d in self.s.devices:
            for p in d.power_ports:
                pid = port_id[(d.key, p.name)]
                if p.feed is not None:
                    a, a_label = ("dcim.powerfeed", feed_id[p.feed]), f"feed {p.feed}"
                elif p.outlet is not None:
                    a = ("dcim.poweroutlet", outlet_id[(p.outlet.device, p.outlet.name)])
                    a_label = f"{p.outlet.device}/{p.outlet.name}"
                else:
                    continue
                want.setdefault(a, (a_label, []))[1].append(pid)
        ports_of_cable: dict[Any, set[Id]] = defaultdict(set)
        for pid, cab in port_cable.items():
            if cab is not None:
                ports_of_cable[cab].add(pid)
        port_label = {v: f"{k[0]}/{k[1]}" for k, v in port_id.items()}
        replaced: set[int] = set()
        # feed cables first, then down the PDU chains (`wave`): a server's path through a
        # PDU is then complete when its own cable lands
        depth = _pdu_depths(self.s)
        wave_of = {("dcim.poweroutlet", outlet_id[(d.key, o.name)]): 1 + depth[d.key] for d in self.s.devices
                   for o in d.power_outlets}
        for (a_type, a_id), (a_label, plist) in sorted(want.items(), key=lambda kv: wave_of.get(kv[0], 0)):
            label = f"{a_label} -> {', '.join(port_label[p] for p in plist)}"
            cable = cable_of[a_type].get(a_id) if isinstance(a_id, int) else None
            if cable is not None and ports_of_cable.get(cable) == set(plist) and all(
                    port_cable.get(p) == cable for p in plist):
                self.plan.add(Change(kind.name, "keep", label, kind.endpoint, object_id=cable))
                continue
            stale = ({cable} if cable is not None else set()) | {
                port_cable[p] for p in plist if isinstance(p, int) and port_cable.get(p) is not None}
            payload = {"a_terminations": [{"object_type": a_type, "object_id": a_id}],
                       "b_terminations": [{"object_type": "dcim.powerport", "object_id": p} for p in plist],
                       "status": "connected"}
            self.plan.add(Change(kind.name, "replace" if stale else "create", label, kind.endpoint, payload,
                                 replaces=tuple(sorted(stale - replaced)),
                                 wave=wave_of.get((a_type, a_id), 0)))
            replaced |= stale

    # -- circuits and VMs ---------------------------------------------------------
    def _circuits(self) -> None:
        s = self.s
        if not s.uplinks:
            return
        provider = self.named(K.PROVIDER, (u.provider for u in s.uplinks))
        ctype = self.named(K.CIRCUIT_TYPE, [UPLINK_CIRCUIT_TYPE])[UPLINK_CIRCUIT_TYPE]
        cid = self.sync(K.CIRCUIT, [
            desired(K.CIRCUIT, {"cid": u.name, "provider": provider[u.provider], "type": ctype, "status": u.status,
                                "commit_rate": u.commit_kbps}, f"{u.provider} {u.name}", ON_CREATE)
            for u in s.uplinks], provider_id=_ids(provider.values()))
        circuit_id = {u.key: cid[(provider[u.provider], u.name)] for u in s.uplinks}
        self.sync(K.CIRCUIT_TERMINATION, [
            desired(K.CIRCUIT_TERMINATION, {
                "circuit": circuit_id[u.key], "term_side": "A", "termination_type": "dcim.site",
                "termination_id": self.site_id[u.site], "port_speed": u.port_kbps}, f"{u.provider} {u.name} A")
            for u in s.uplinks], circuit_id=_ids(circuit_id.values()))

    def _vms(self) -> None:
        vms = [(c, vm) for c in self.s.clusters for vm in c.vms]
        if not vms:
            return
        self.sync(K.VIRTUAL_MACHINE, [
            desired(K.VIRTUAL_MACHINE, {
                "name": vm.name, "cluster": self.cluster_id[c.key], "status": vm.status,
                "tenant": self.tenant_id[vm.tenant] if vm.tenant else None,
                "vcpus": vm.vcpus or None, "memory": vm.memory_mb or None,
                "disk": vm.disk_gb * VM_DISK_MB_PER_GB if vm.disk_gb else None,
                "custom_fields": {"bandwidth_mbps": vm.bandwidth_mbps or None}}, vm.name, ON_CREATE)
            for c, vm in vms], site_id=self.sites)


def plan_snapshot(client: NetBoxClient, snapshot: Snapshot, conventions: Plan) -> Plan:
    """The plan that writes `snapshot` into NetBox, after the `conventions` plan."""
    planner = _SnapshotPlanner(client, snapshot, conventions)
    try:
        return planner.run()
    finally:
        planner.pool.shutdown(wait=True, cancel_futures=True)


def _pdu_depths(snapshot: Snapshot) -> dict[str, int]:
    """Per device, the most PDUs between it and a feed (0: every inlet on a feed or none
    cabled; a loop of PDUs, which NetBox cannot hold anyway, counts as 0)."""
    upstream: dict[str, set[str]] = defaultdict(set)
    for d in snapshot.devices:
        for p in d.power_ports:
            if p.outlet is not None:
                upstream[d.key].add(p.outlet.device)
    depth: dict[str, int] = {}

    def of(device: str, path: frozenset[str]) -> int:
        if device not in depth:
            above = [of(u, path | {u}) + 1 for u in upstream.get(device, ()) if u not in path]
            depth[device] = max(above, default=0)
        return depth[device]

    return {d.key: of(d.key, frozenset({d.key})) for d in snapshot.devices}
