"""Step 8 and withdrawal in NetBox: plan exactly what will change, then apply that plan.

Register (a request's servers):
  tenant (the agency, tenant group `opd`) and contact (the person in charge, NIP in a
  custom field) assigned to it; manufacturer and device type; the device (name, serial,
  rack, position, face, status, tenant, role, custom fields domain / request_id /
  colocation_type / valid_until / bandwidth_mbps / handover_date); power ports cabled to
  the placement's feeds (or, when a feed already feeds a PDU, to a free outlet of that
  PDU); inventory items for processor, RAM, motherboard, storage and PSU; a journal
  entry naming the request; the approval's rack reservation deleted (the device
  replaces it; step 5 made it: playbooks/reservations.py).

Identity: the serial number. A device is found by serial, never by name; a serial held
by a device of another request is refused. A second apply finds everything in place
and makes 0 changes.

Race (NETBOX-NOTES.md): NetBox's free-units check is not safe under concurrency. After
creating a device, apply re-reads the rack; if its device overlaps another, the later
object id yields: the loser deletes what it created and reports the conflict, so
NetBox ends as if only the winner had applied.

Hosting (a request's hosting needs): a virtual machine on the cluster the capacity check
chose, named `hosting.vm_name` or the domain, with the tenant, vCPUs, memory, disk and
the custom fields domain / request_id / bandwidth_mbps / handover_date, and a journal
entry. Identity: the name on its cluster; one held by another request is refused.

Withdraw: the device leaves its rack position (rack and position cleared, so its units
and power are free in the next report), status `decommissioning`, its cables are
removed, and a journal entry records the withdrawal and its reasons. Apply never puts
a decommissioning device of the request back.

Exactly once: every write is safe to repeat after any failure. A run never re-sends a
write; the next run re-reads NetBox by natural keys (playbooks/identity.py) and writes
only what is missing; two writers on one machine are kept apart by the request's lock
(playbooks/locks.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from inventory.errors import ColoError, InputError, NetBoxHTTPError
from inventory.netbox.writer import VM_DISK_MB_PER_GB
from playbooks.identity import contacts_with_nip, create_once, request_reservations
from playbooks.request_model import Request, Server

VM_TYPE = "virtualization.virtualmachine"
PERSON_IN_CHARGE_ROLE = ("person-in-charge", "Penanggung Jawab (person in charge)")
TENANT_GROUP = "opd"
SERVER_ROLE = "server"
SPEC_ITEMS: tuple[tuple[str, str, str], ...] = (
    # (server field, inventory item name, inventory item role slug)
    ("processor", "Processor", "processor"),
    ("ram", "RAM", "memory"),
    ("motherboard", "Motherboard", "motherboard"),
    ("storage", "Storage", "storage"),
    ("psu", "PSU", "psu"),
)


def _client(config_path: Any = None) -> Any:
    from inventory.netbox.client import NetBoxClient
    from inventory.netbox.settings import settings_from_env_and_file

    client = NetBoxClient(settings_from_env_and_file(config_path))
    client.check()
    return client


def _slug(text: str) -> str:
    return "-".join(filter(None, re.sub(r"[^a-z0-9]+", "-", text.lower()).split("-")))[:100] or "x"


def _id(value: Any) -> int | None:
    if isinstance(value, dict):
        return value.get("id")
    return value


def _one(rows: list[dict[str, Any]], what: str, **equal: Any) -> dict[str, Any] | None:
    """The row whose fields equal `equal` (a check in case a filter was ignored)."""
    hits = [r for r in rows if all(_plain(r.get(k)) == v for k, v in equal.items())]
    if len(hits) > 1:
        raise ColoError(f"NetBox has {len(hits)} {what}; expected one")
    return hits[0] if hits else None


def _differences(want: dict[str, Any], hit: dict[str, Any]
                 ) -> tuple[dict[str, tuple[Any, Any]], dict[str, Any]]:
    """What differs between the fields we want and an object NetBox has (custom fields as
    `cf.NAME`), and the PATCH payload that sets only those."""
    diff: dict[str, tuple[Any, Any]] = {}
    for k, v in want.items():
        if k == "custom_fields":
            have_cf = hit.get("custom_fields") or {}
            for ck, cv in v.items():
                hv = _plain(have_cf.get(ck))  # a select field reads as {value, label}
                if ck == "bandwidth_mbps" and hv is not None and cv is not None:
                    same = float(hv) == float(cv)
                else:
                    same = hv == cv
                if not same:
                    diff[f"cf.{ck}"] = (hv, cv)
            continue
        hv = _plain(hit.get(k))
        if k == "position" and hv is not None:
            hv = float(hv)
        if isinstance(v, Ref) or hv != v:
            diff[k] = (hv, v)
    payload = {k: v for k, v in want.items() if k in diff}
    if any(k.startswith("cf.") for k in diff):
        payload["custom_fields"] = {k[3:]: want["custom_fields"][k[3:]] for k in diff if k.startswith("cf.")}
    return diff, payload


def _journal_change(client: Any, object_type: str, obj: Any, name: str, marker: str, text: str,
                    kind: str) -> "Change":
    """A journal entry carrying `marker` on a device or VM; kept when the object (an id;
    a Ref is an object this plan creates) has one already."""
    label = f"{name} {marker}"
    if isinstance(obj, int):
        rows = client.get_all("extras/journal-entries", {
            "assigned_object_type": object_type, "assigned_object_id": obj, "fields": "id,comments"})
        if any(marker in (r.get("comments") or "") for r in rows):
            return Change("journal entry", "keep", label)
    return Change("journal entry", "create", label, "extras/journal-entries", {
        "assigned_object_type": object_type, "assigned_object_id": obj, "kind": kind, "comments": text})


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        if "value" in v:  # a choice: {value, label}
            return v["value"]
        if "id" in v:
            return v["id"]
    return v


# --- the plan --------------------------------------------------------------------------------

@dataclass
class Ref:
    """An object the plan creates earlier, resolved to its id at apply time."""

    name: str


@dataclass
class Change:
    kind: str
    action: str  # create | update | delete | keep
    label: str
    endpoint: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    object_id: int | None = None
    ref: str | None = None  # the name later changes use to point at this object
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    #: a device found in place whose registration a run did not finish (its journal entry
    #: is missing): apply checks its rack for an overlap as after creating it
    recheck: bool = False

    def line(self) -> str:
        sign = {"create": "+", "update": "~", "delete": "-", "keep": "="}[self.action]
        text = f"{sign} {self.kind} {self.label}"
        if self.diff:
            text += ": " + ", ".join(f"{k} {_show(a)} -> {_show(b)}" for k, (a, b) in self.diff.items())
        return text


def _show(v: Any) -> str:
    if isinstance(v, Ref):
        return f"(new {v.name})"
    return "null" if v is None else str(v)


@dataclass
class Plan:
    request_id: str
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action != "keep"]

    def text(self, verbose: bool = False) -> str:
        shown = self.changes if verbose else self.pending
        lines = [c.line() for c in shown]
        counts = {a: sum(1 for c in self.changes if c.action == a) for a in ("create", "update", "delete", "keep")}
        lines.append(f"{self.request_id}: {counts['create']} to create, {counts['update']} to update, "
                     f"{counts['delete']} to delete, {counts['keep']} unchanged")
        return "\n".join(lines)


def verify_arrival(req: Request, arrived: dict[str, dict[str, str]]) -> list[str]:
    """Differences between what was requested and what arrived (`arrived[server][field]`)."""
    servers = {s.name: s for s in req.servers}
    out: list[str] = []
    for name, fields in arrived.items():
        if name not in servers:
            raise InputError(f"--arrived {name}.…: the request has no server {name!r}")
        server = servers[name]
        for key, value in fields.items():
            if key not in Server.model_fields or key in ("name",):
                raise InputError(f"--arrived {name}.{key}: unknown field (e.g. ram, processor, model)")
            want = getattr(server, key)
            if str(want if want is not None else "").strip().lower() != value.strip().lower():
                out.append(f"{name} {key}: requested {want if want is not None else '-'}, arrived {value}")
    return out


class Planner:
    """Reads what NetBox has for one request and plans the changes to register it."""

    def __init__(self, client: Any, req: Request, handover: date) -> None:
        self.client = client
        self.req = req
        self.handover = handover
        self.plan = Plan(req.id)

    def add(self, change: Change) -> Change:
        self.plan.changes.append(change)
        return change

    def by_slug(self, endpoint: str, slug: str, kind: str, create: dict[str, Any] | None) -> int | Ref | None:
        rows = self.client.get_all(endpoint, {"slug": slug, "fields": "id,name,slug"})
        hit = _one(rows, f"{kind}s with slug {slug!r}", slug=slug)
        if hit is not None:
            self.add(Change(kind, "keep", slug, endpoint, object_id=hit["id"]))
            return hit["id"]
        if create is None:
            return None
        ref = f"{kind}:{slug}"
        self.add(Change(kind, "create", slug, endpoint, {"slug": slug, **create}, ref=ref))
        return Ref(ref)

    def build(self) -> Plan:
        req = self.req
        if req.servers and (req.placement is None or not req.placement.servers):
            raise InputError(f"{req.id}: no placement recorded (steps 3 and 5 decide where it goes)")
        cluster = self.hosting_cluster()
        missing = [s.name for s in req.servers if not s.serial]
        if missing:
            raise InputError(f"{req.id}: server(s) {', '.join(missing)} have no serial number; record them "
                             f"at step 7/8 with --serial NAME=SN")
        for sp in req.placement.servers if req.placement else []:
            if not sp.rack.isdigit() or any(not f.isdigit() for f in sp.feeds):
                raise InputError(f"{req.id}: the placement names racks/feeds of a file snapshot "
                                 f"({sp.rack_name or sp.rack}); run steps 3 and 5 against NetBox")

        # tenant and contact
        group = self.client.get_all("tenancy/tenant-groups", {"slug": TENANT_GROUP, "fields": "id,slug"})
        group_id = (_one(group, "tenant groups", slug=TENANT_GROUP) or {}).get("id")
        tenant_create = {"name": req.agency.unit_name[:100], "description": req.agency.address[:200]}
        if group_id:
            tenant_create["group"] = group_id
        tenant = self.by_slug("tenancy/tenants", req.agency.tenant_slug(), "tenant", tenant_create)
        role = self.by_slug("tenancy/contact-roles", PERSON_IN_CHARGE_ROLE[0], "contact role",
                            {"name": PERSON_IN_CHARGE_ROLE[1]})
        contact = self.contact()
        self.assignment(tenant, contact, role)

        if cluster is not None:
            vm = self.virtual_machine(cluster, tenant)
            self.journal(VM_TYPE, vm, self.vm_name() or "", "hosting for ")
        if not req.servers:
            return self.plan

        device_role = self.by_slug("dcim/device-roles", SERVER_ROLE, "device role", None)
        if device_role is None:
            raise ColoError(f"NetBox has no device role {SERVER_ROLE!r}", "run `colo netbox bootstrap` first")
        item_roles = {slug: self.by_slug("dcim/inventory-item-roles", slug, "inventory item role", None)
                      for _, _, slug in SPEC_ITEMS}

        servers = {s.name: s for s in req.servers}
        assert req.placement is not None
        for sp in req.placement.servers:
            s = servers[sp.server]
            manufacturer = self.by_slug("dcim/manufacturers", _slug(s.make), "manufacturer", {"name": s.make})
            dtype = self.device_type(manufacturer, s)
            device = self.device(s, sp, dtype, tenant, device_role)
            found = self.plan.changes[-1]
            self.power(device, s, sp)
            self.inventory(device, s, item_roles)
            self.journal("dcim.device", device, s.name)
            found.recheck = isinstance(device, int) and self.plan.changes[-1].action == "create"
        self.reservations()
        return self.plan

    # -- pieces ---------------------------------------------------------------------------
    def contact(self) -> int | Ref:
        """The person in charge, by NIP. Two contacts with one NIP (two writers raced):
        the earlier id is the contact; the later yields (its assignments move over)."""
        pic = self.req.person_in_charge
        rows = contacts_with_nip(self.client, pic.nip, "id,name,phone,email,custom_fields")
        want = {"name": pic.name, "phone": pic.phone, "email": pic.email}
        if rows:
            hit = rows[0]
            diff = {k: (hit.get(k), v) for k, v in want.items() if (hit.get(k) or "") != v}
            for duplicate in rows[1:]:
                self.yield_contact(duplicate, hit["id"])
            self.add(Change("contact", "update" if diff else "keep", f"{pic.name} (NIP {pic.nip})",
                            f"tenancy/contacts/{hit['id']}", {k: v for k, (_, v) in diff.items()},
                            object_id=hit["id"], diff=diff))
            return hit["id"]
        ref = f"contact:{pic.nip}"
        self.add(Change("contact", "create", f"{pic.name} (NIP {pic.nip})", "tenancy/contacts",
                        {**want, "custom_fields": {"nip": pic.nip}}, ref=ref))
        return Ref(ref)

    def yield_contact(self, duplicate: dict[str, Any], winner: int) -> None:
        """A later contact with the same NIP: its assignments move to the winner (or go,
        where the winner has the same one), then it is deleted."""
        fields = {"fields": "id,object_type,object_id,role"}
        theirs = self.client.get_all("tenancy/contact-assignments", {"contact_id": duplicate["id"], **fields})
        ours = self.client.get_all("tenancy/contact-assignments", {"contact_id": winner, **fields})
        held = {(a.get("object_type"), a.get("object_id"), _id(a.get("role"))) for a in ours}
        label = f"{duplicate['name']} (NIP {self.req.person_in_charge.nip}, id {duplicate['id']})"
        for a in theirs:
            endpoint = f"tenancy/contact-assignments/{a['id']}"
            if (a.get("object_type"), a.get("object_id"), _id(a.get("role"))) in held:
                self.add(Change("contact assignment", "delete", f"{label} -> {a.get('object_type')} "
                                f"{a.get('object_id')} (the contact {winner} has it)", endpoint, object_id=a["id"]))
            else:
                self.add(Change("contact assignment", "update", f"{label} -> {a.get('object_type')} "
                                f"{a.get('object_id')}", endpoint, {"contact": winner}, object_id=a["id"],
                                diff={"contact": (duplicate["id"], winner)}))
        self.add(Change("contact", "delete", f"{label}: a duplicate; the earlier id {winner} stands",
                        f"tenancy/contacts/{duplicate['id']}", object_id=duplicate["id"]))

    def assignment(self, tenant: Any, contact: Any, role: Any) -> None:
        label = f"{self.req.person_in_charge.name} -> tenant {self.req.agency.tenant_slug()}"
        if isinstance(tenant, int) and isinstance(contact, int):
            rows = self.client.get_all("tenancy/contact-assignments", {
                "object_type": "tenancy.tenant", "object_id": tenant, "contact_id": contact,
                "fields": "id,object_type,object_id,contact,role"})
            rows = [r for r in rows if r.get("object_id") == tenant and _id(r.get("contact")) == contact]
            if rows:
                self.add(Change("contact assignment", "keep", label, object_id=rows[0]["id"]))
                return
        self.add(Change("contact assignment", "create", label, "tenancy/contact-assignments", {
            "object_type": "tenancy.tenant", "object_id": tenant, "contact": contact, "role": role}))

    def device_type(self, manufacturer: Any, s: Server) -> int | Ref:
        slug = _slug(s.model)
        if isinstance(manufacturer, int):
            rows = self.client.get_all("dcim/device-types", {
                "manufacturer_id": manufacturer, "slug": slug, "fields": "id,model,slug,manufacturer"})
            hit = _one(rows, f"device types {slug!r}", slug=slug)
            if hit is not None:
                self.add(Change("device type", "keep", f"{s.make} {s.model}", object_id=hit["id"]))
                return hit["id"]
        ref = f"device type:{_slug(s.make)}/{slug}"
        if any(c.ref == ref for c in self.plan.changes):
            return Ref(ref)
        self.add(Change("device type", "create", f"{s.make} {s.model}", "dcim/device-types", {
            "manufacturer": manufacturer, "model": s.model, "slug": slug, "u_height": s.u_height,
            "is_full_depth": s.full_depth}, ref=ref))
        return Ref(ref)

    def device_fields(self, s: Server, sp: Any, dtype: Any, tenant: Any, role: Any) -> dict[str, Any]:
        req = self.req
        return {
            "name": s.name, "device_type": dtype, "role": role, "tenant": tenant,
            "site": None,  # filled from the rack
            "rack": int(sp.rack), "position": sp.position, "face": sp.face, "status": "active",
            "serial": s.serial,
            "custom_fields": {
                "domain": req.domain, "request_id": req.id,
                "colocation_type": "permanent" if req.permanent else "temporary",
                "valid_until": req.valid_until.isoformat() if req.valid_until else None,
                "bandwidth_mbps": s.bandwidth_mbps, "handover_date": self.handover.isoformat(),
            },
        }

    def device(self, s: Server, sp: Any, dtype: Any, tenant: Any, role: Any) -> int | Ref:
        rack = self.client.get_json(f"dcim/racks/{int(sp.rack)}", {"fields": "id,name,site"})
        want = self.device_fields(s, sp, dtype, tenant, role)
        want["site"] = _id(rack["site"])
        rows = self.client.get_all("dcim/devices", {
            "serial": s.serial, "fields": "id,name,serial,device_type,role,tenant,site,rack,position,face,"
                                          "status,custom_fields"})
        rows = [r for r in rows if r.get("serial") == s.serial]
        label = f"{s.name} (S/N {s.serial}) in rack {rack['name']} U{sp.position:g} {sp.face}"
        if len(rows) > 1:
            raise ColoError(f"NetBox has {len(rows)} devices with serial {s.serial!r}; resolve that first")
        if rows:
            hit = rows[0]
            other = (hit.get("custom_fields") or {}).get("request_id")
            if other and other != self.req.id:
                raise InputError(f"serial {s.serial} is already registered as {hit['name']!r} "
                                 f"(device {hit['id']}) for {other}: one serial, one device")
            if _plain(hit.get("status")) == "decommissioning":
                raise ColoError(f"{self.req.id}: server {s.name} (S/N {s.serial}, device {hit['id']}) is withdrawn "
                                "in NetBox (status decommissioning): apply does not register it again",
                                "a withdrawal of this request ran (colo withdraw apply); a server that comes "
                                "back is registered with a new request")
            diff, payload = _differences(want, hit)
            self.add(Change("device", "update" if diff else "keep", label, f"dcim/devices/{hit['id']}",
                            payload, object_id=hit["id"], diff=diff))
            return hit["id"]
        ref = f"device:{s.serial}"
        self.add(Change("device", "create", label, "dcim/devices", want, ref=ref))
        return Ref(ref)

    def power(self, device: Any, s: Server, sp: Any) -> None:
        from capacity.outlets import psu_feeds  # PSU i on feeds[i % len(feeds)], as step 3 counted

        n = s.psu_count
        alloc = _split(s.allocated_draw_w, n)
        maxi = _split(s.maximum_draw_w, n)
        have: dict[str, dict[str, Any]] = {}
        if isinstance(device, int):
            rows = self.client.get_all("dcim/power-ports", {
                "device_id": device, "fields": "id,name,allocated_draw,maximum_draw,cable,link_peers,link_peers_type"})
            have = {r["name"]: r for r in rows}
        plug_feeds = psu_feeds(n, [int(f) for f in sp.feeds])
        for i in range(n):
            name = f"PSU{i + 1}"
            want = {"allocated_draw": alloc[i], "maximum_draw": maxi[i]}
            label = f"{s.name} {name} ({alloc[i] or '-'}/{maxi[i]} W)"
            port: Any
            if name in have:
                r = have[name]
                diff = {k: (r.get(k), v) for k, v in want.items() if r.get(k) != v}
                self.add(Change("power port", "update" if diff else "keep", label,
                                f"dcim/power-ports/{r['id']}", {k: v for k, (_, v) in diff.items()},
                                object_id=r["id"], diff=diff))
                port = r["id"]
                cabled = r.get("cable") is not None
            else:
                ref = f"port:{s.serial}:{name}"
                self.add(Change("power port", "create", label, "dcim/power-ports",
                                {"device": device, "name": name, "type": "iec-60320-c14", **want}, ref=ref))
                port = Ref(ref)
                cabled = False
            if not plug_feeds:
                continue
            if cabled:
                self.add(Change("cable", "keep", f"{s.name} {name}", object_id=_id(have[name].get("cable"))))
                continue
            peer_type, peer_id, peer_label = self.power_peer(plug_feeds[i], f"{s.name} {name}")
            self.add(Change("cable", "create", f"{s.name} {name} -> {peer_label}", "dcim/cables", {
                "a_terminations": [{"object_type": "dcim.powerport", "object_id": port}],
                "b_terminations": [{"object_type": peer_type, "object_id": peer_id}],
                "status": "connected", "label": self.req.id}))

    def power_peer(self, feed_id: int, psu: str) -> tuple[str, int, str]:
        """The plug step 3 counted on (capacity/outlets.py): the feed itself when nothing is
        cabled to it; else a free outlet tied to the input of a PDU on the feed, or of a PDU
        chained behind one of its outlets. A device cabled straight to the feed is no PDU
        and leaves no plug. Plugs this plan already gives to other PSUs are taken."""
        planned = {(t.get("object_type"), t.get("object_id")) for c in self.plan.changes if c.kind == "cable"
                   for t in c.payload.get("b_terminations", [])}
        feed = self.client.get_json(f"dcim/power-feeds/{feed_id}", {"fields": "id,name,cable,link_peers"})
        again = "run step 3 again: its capacity check counts the plugs left"
        if feed.get("cable") is None:
            if ("dcim.powerfeed", feed_id) in planned:
                raise ColoError(f"feed {feed['name']} has one plug, given to another PSU of this request: "
                                f"none is left for {psu}", again)
            return "dcim.powerfeed", feed_id, f"feed {feed['name']}"

        def ports(peers: Any) -> list[dict[str, Any]]:
            return [p for p in peers or [] if isinstance(p, dict) and isinstance(p.get("device"), dict)]

        frontier, seen = ports(feed.get("link_peers")), set()
        pdus: list[str] = []
        free: list[tuple[str, dict[str, Any]]] = []  # (PDU name, outlet), PDU by PDU
        while frontier:  # one read per level of PDUs
            seen |= {p["id"] for p in frontier}
            outlets = self.client.get_all("dcim/power-outlets", {
                "device_id": sorted({p["device"]["id"] for p in frontier}),
                "fields": "id,name,cable,power_port,link_peers"})
            tied: dict[int | None, list[dict[str, Any]]] = {}
            for o in outlets:
                tied.setdefault(_id(o.get("power_port")), []).append(o)
            chained: list[dict[str, Any]] = []
            for p in frontier:
                mine = tied.get(p["id"])
                if not mine:
                    continue  # outlets tied to no input count on no feed: never offered
                pdu = p["device"].get("name") or f"device {p['device']['id']}"
                pdus.append(pdu)
                mine.sort(key=lambda o: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", o["name"])])
                for o in mine:
                    if o.get("cable") is not None:
                        chained += [q for q in ports(o.get("link_peers")) if q["id"] not in seen]
                    elif ("dcim.poweroutlet", o["id"]) not in planned:
                        free.append((pdu, o))
            frontier = chained
        if free:
            pdu, outlet = free[0]
            return "dcim.poweroutlet", outlet["id"], f"PDU {pdu} outlet {outlet['name']}"
        if pdus:
            raise ColoError(f"PDU {', '.join(pdus)} on feed {feed['name']} has no free outlet for {psu}", again)
        held = ", ".join(sorted({p["device"].get("name") or f"device {p['device']['id']}"
                                 for p in ports(feed.get("link_peers"))})) or "another object"
        raise ColoError(f"feed {feed['name']} is cabled straight to {held}, not to a PDU: no plug is left "
                        f"for {psu}", again)

    def inventory(self, device: Any, s: Server, roles: dict[str, Any]) -> None:
        have: dict[str, dict[str, Any]] = {}
        if isinstance(device, int):
            rows = self.client.get_all("dcim/inventory-items", {"device_id": device,
                                                                "fields": "id,name,description,role"})
            have = {r["name"]: r for r in rows}
        for attr, name, role in SPEC_ITEMS:
            value = getattr(s, attr)
            if not value:
                continue
            label = f"{s.name} {name}: {value}"
            if name in have:
                r = have[name]
                diff = {"description": (r.get("description"), value)} if r.get("description") != value else {}
                self.add(Change("inventory item", "update" if diff else "keep", label,
                                f"dcim/inventory-items/{r['id']}", {"description": value} if diff else {},
                                object_id=r["id"], diff=diff))
                continue
            payload = {"device": device, "name": name, "description": value[:200]}
            if roles.get(role) is not None:
                payload["role"] = roles[role]
            self.add(Change("inventory item", "create", label, "dcim/inventory-items", payload))

    def journal(self, object_type: str, obj: Any, name: str, what: str = "") -> None:
        """The `[REQ-…] registered` journal entry on the new device or VM (`what`: "hosting
        for " for a VM)."""
        req = self.req
        marker = f"[{req.id}] registered"
        text = (f"{marker}: {what}{req.agency.unit_name}, domain {req.domain}, person in charge "
                f"{req.person_in_charge.name} (NIP {req.person_in_charge.nip}); handed over {self.handover}.")
        self.add(_journal_change(self.client, object_type, obj, name, marker, text, "info"))

    # -- hosting: the application's virtual machine on the cluster the check chose ----------
    def hosting_cluster(self) -> str | None:
        """The cluster a hosting request goes on, as step 3 recorded it (None: no hosting)."""
        req = self.req
        if req.hosting is None:
            return None
        cluster = (req.placement.cluster if req.placement else None) or req.hosting.cluster
        if cluster is None:
            raise InputError(f"{req.id}: no cluster recorded for the hosting (steps 3 and 5 choose it)")
        if self.vm_name() is None:
            raise InputError(f"{req.id}: the domain {req.domain} is longer than a NetBox virtual machine "
                             "name (64 characters); set hosting.vm_name in the request file")
        return cluster

    def cluster_row(self, cluster: str) -> dict[str, Any]:
        """The NetBox cluster by id, else by its name (the capacity check names it)."""
        if cluster.isdigit():
            rows = self.client.get_all("virtualization/clusters", {"id": int(cluster), "fields": "id,name"})
        else:
            rows = self.client.get_all("virtualization/clusters", {"name": cluster, "fields": "id,name"})
            rows = [r for r in rows if r["name"] == cluster]
        if not rows:
            raise InputError(f"{self.req.id}: NetBox has no cluster {cluster!r}; "
                             "run steps 3 and 5 against NetBox, or set hosting.cluster")
        if len(rows) > 1:
            raise InputError(f"{self.req.id}: NetBox has {len(rows)} clusters named {cluster!r}; "
                             "set hosting.cluster to the NetBox id of the one to use")
        return rows[0]

    def vm_name(self) -> str | None:
        h = self.req.hosting
        name = (h.vm_name if h is not None else None) or self.req.domain
        return name if len(name) <= 64 else None

    def virtual_machine(self, cluster_name: str, tenant: Any) -> int | Ref:
        """Found by name on its cluster; one whose request_id names another request is refused."""
        req, h = self.req, self.req.hosting
        assert h is not None
        name = self.vm_name()
        assert name is not None
        fields = self.client.get_all("extras/custom-fields", {"name": "request_id", "fields": "id,name,object_types"})
        if not any(VM_TYPE in (f.get("object_types") or []) for f in fields if f.get("name") == "request_id"):
            raise ColoError("NetBox's custom field request_id does not apply to virtual machines",
                            "run `colo netbox bootstrap` (it adds them)")
        cluster = self.cluster_row(cluster_name)
        cluster_id = int(cluster["id"])
        want: dict[str, Any] = {
            "name": name, "cluster": cluster_id, "tenant": tenant, "status": "active",
            "vcpus": h.vcpus, "memory": int(round(h.memory_gb * 1024)),
            "disk": int(round(h.disk_gb * VM_DISK_MB_PER_GB)),
            "custom_fields": {"domain": req.domain, "request_id": req.id,
                              "bandwidth_mbps": h.bandwidth_mbps or None,
                              "handover_date": self.handover.isoformat()},
        }
        rows = self.client.get_all("virtualization/virtual-machines", {
            "cluster_id": cluster_id, "name": name,
            "fields": "id,name,cluster,tenant,status,vcpus,memory,disk,custom_fields"})
        rows = [r for r in rows if r["name"] == name]
        label = (f"{name} on cluster {cluster['name']}: {h.vcpus} vCPU, {h.memory_gb:g} GB RAM, "
                 f"{h.disk_gb:g} GB disk")
        if not rows:
            self.add(Change("virtual machine", "create", label, "virtualization/virtual-machines", want,
                            ref="vm"))
            return Ref("vm")
        hit = rows[0]
        other = (hit.get("custom_fields") or {}).get("request_id")
        if other != req.id:
            raise InputError(f"cluster {cluster['name']} already has a virtual machine {name!r} "
                             f"(id {hit['id']}, {'request ' + other if other else 'no request'}); "
                             "set hosting.vm_name in the request file to another name")
        diff, payload = _differences(want, hit)
        self.add(Change("virtual machine", "update" if diff else "keep", label,
                        f"virtualization/virtual-machines/{hit['id']}", payload, object_id=hit["id"], diff=diff))
        return int(hit["id"])

    def reservations(self) -> None:
        """The approval's rack reservations (recorded, or naming the request) are deleted."""
        res = self.req.reservation
        if res is None or res.released_at is not None:
            return
        held = {int(r["id"]) for r in request_reservations(self.client, self.req)}
        for rid in res.netbox_ids:
            rows = self.client.get_all("dcim/rack-reservations", {"id": rid, "fields": "id"})
            held |= {rid for r in rows if r["id"] == rid}
        for rid in sorted(held):
            self.add(Change("rack reservation", "delete", f"{rid} (the device replaces it)",
                            f"dcim/rack-reservations/{rid}", object_id=rid))


def _split(total: int | None, n: int) -> list[int | None]:
    """A draw split over n PSUs so the ports sum to the server's draw (capacity/power.py
    adds leaf ports up)."""
    if total is None:
        return [None] * n
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def plan_registration(req: Request, *, handover: date, client: Any = None, config_path: Any = None) -> Plan:
    client = client or _client(config_path)
    return Planner(client, req, handover).build()


def apply_plan(plan: Plan, *, client: Any = None, config_path: Any = None,
               echo: Callable[[str], None] = lambda s: None) -> int:
    """Apply the changes in order; returns how many were made. Refs resolve to new ids.

    Nothing is ever re-sent: a write NetBox refuses or whose answer is lost stops the run
    (after saying how far it got), and the next run plans again from what NetBox holds.
    A create NetBox refuses because another writer just made the same object uses that
    object (playbooks/identity.py)."""
    client = client or _client(config_path)
    ids: dict[str, int] = {}

    def resolve(value: Any) -> Any:
        if isinstance(value, Ref):
            return ids[value.name]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    made = 0
    pending = len(plan.pending)
    try:
        for change in plan.changes:
            if change.action == "keep":
                if change.recheck and change.object_id is not None:
                    _check_race(client, change.object_id, change, echo)
                continue
            made += _apply_one(client, change, resolve(change.payload), ids, echo)
    except ColoError:
        if pending:
            echo(f"{plan.request_id}: stopped after {made} of {pending} change(s)")
        raise
    return made


def _apply_one(client: Any, change: Change, payload: Any, ids: dict[str, int],
               echo: Callable[[str], None]) -> int:
    """One change; returns 1 when NetBox was changed by it, 0 when another writer had."""
    what = f"{change.action} {change.kind} {change.label}"
    made = 1
    if change.action == "create":
        object_id, made_it = create_once(client, change.kind, change.endpoint, payload, what, echo)
        made = int(made_it)
        if change.ref:
            ids[change.ref] = object_id
        if change.kind == "device" and made_it:
            _check_race(client, object_id, change, echo)
    elif change.action == "update":
        client.write("patch", change.endpoint, payload, what)
        if change.kind == "device" and change.recheck and change.object_id is not None:
            _check_race(client, change.object_id, change, echo)
    elif change.action == "delete":
        try:
            client.write("delete", change.endpoint, None, what)
        except NetBoxHTTPError as exc:
            if exc.status != 404:  # already gone is fine
                raise
    if made:
        echo(change.line())
    return made


def _check_race(client: Any, device_id: int, change: Change, echo: Callable[[str], None]) -> None:
    """Re-read the rack after creating a device: on an overlap, the later object id yields."""
    me = client.get_json(f"dcim/devices/{device_id}", {"fields": "id,name,rack,position,face,device_type"})
    rack = _id(me.get("rack"))
    if rack is None or me.get("position") is None:
        return
    rows = client.get_all("dcim/devices", {"rack_id": rack, "fields": "id,name,position,face,device_type"})
    types: dict[int, dict[str, Any]] = {}

    def extent(d: dict[str, Any]) -> tuple[float, float, set[str]] | None:
        if d.get("position") is None:
            return None
        tid = _id(d["device_type"])
        if tid not in types:
            types[tid] = client.get_json(f"dcim/device-types/{tid}", {"fields": "id,u_height,is_full_depth"})
        t = types[tid]
        height = float(t.get("u_height") or 0)
        if height <= 0:
            return None
        face = _plain(d.get("face"))
        faces = {"front", "rear"} if t.get("is_full_depth") else {face}
        start = float(d["position"])
        return start, start + height, faces

    mine = extent(me)
    if mine is None:
        return
    for other in rows:
        if other["id"] == device_id:
            continue
        theirs = extent(other)
        if theirs is None:
            continue
        if theirs[0] < mine[1] and mine[0] < theirs[1] and theirs[2] & mine[2]:
            if other["id"] < device_id:
                client.write("delete", f"dcim/devices/{device_id}", None, f"withdraw losing device {device_id}")
                raise ColoError(
                    f"device {me['name']} overlapped {other['name']} (id {other['id']}), created at the same "
                    "time by another operator; the earlier object wins, so this one was removed",
                    "run step 3 again for a new placement")
            echo(f"note: {other['name']} (id {other['id']}) overlaps {me['name']}; it is newer and yields")


def registration_gaps(config_path: Any = None, *, client: Any = None) -> Callable[[Request], list[str]]:
    """What of a request `colo request apply` has not registered in NetBox (for step 8):
    a server whose serial no device has, a hosting with no VM naming the request, or one
    whose registration stopped before its journal entry (the last write of each)."""
    def gaps(req: Request) -> list[str]:
        nb = client or _client(config_path)
        marker = f"[{req.id}] registered"
        out: list[str] = []

        def finished(object_type: str, object_id: int) -> bool:
            rows = nb.get_all("extras/journal-entries", {"assigned_object_type": object_type,
                                                         "assigned_object_id": object_id, "fields": "id,comments"})
            return any(marker in (r.get("comments") or "") for r in rows)

        for s in req.servers:
            if not s.serial:
                continue  # refused already: step 8 needs every serial
            rows = [r for r in nb.get_all("dcim/devices", {"serial": s.serial, "fields": "id,serial"})
                    if r.get("serial") == s.serial]
            if not rows:
                out.append(f"no device has the serial {s.serial} of server {s.name}")
            elif not any(finished("dcim.device", r["id"]) for r in rows):
                out.append(f"the registration of server {s.name} (S/N {s.serial}) did not finish")
        if req.hosting is not None:
            name = req.hosting.vm_name or req.domain
            vms = [r for r in nb.get_all("virtualization/virtual-machines", {
                "cf_request_id": req.id, "name": name, "fields": "id,name,custom_fields"})
                if (r.get("custom_fields") or {}).get("request_id") == req.id and r.get("name") == name]
            if not vms:
                out.append(f"no virtual machine {name} has the request id {req.id} (its hosting)")
            elif not any(finished(VM_TYPE, r["id"]) for r in vms):
                out.append(f"the registration of its hosting ({vms[0]['name']}) did not finish")
        return out
    return gaps


# --- withdrawal ---------------------------------------------------------------------------

def plan_withdrawal(req: Request, servers: list[str], reasons: str, *, client: Any = None,
                    config_path: Any = None) -> Plan:
    """Decommission the request's servers: cables removed, rack position freed, status
    decommissioning, a journal entry with the reasons. Withdrawing the whole request (no
    servers named) also decommissions its hosting's virtual machine."""
    client = client or _client(config_path)
    plan = Plan(req.id)
    if req.hosting is not None and not servers:
        _withdraw_vm(client, plan, req, reasons)
    wanted = {s.name: s for s in req.servers if not servers or s.name in servers}
    for name in servers:
        if name not in wanted:
            raise InputError(f"{req.id} has no server {name!r}")
    for s in wanted.values():
        if not s.serial:
            raise InputError(f"{req.id}: server {s.name} has no serial: it was never registered")
        rows = client.get_all("dcim/devices", {"serial": s.serial,
                                               "fields": "id,name,serial,rack,position,face,status"})
        rows = [r for r in rows if r.get("serial") == s.serial]
        if not rows:
            raise InputError(f"no NetBox device has serial {s.serial} ({s.name})")
        d = rows[0]
        # the device first: once it is decommissioning, an apply running meanwhile (another
        # machine's copy of the request) refuses it instead of cabling it again
        want = {"status": "decommissioning", "rack": None, "position": None, "face": None}
        have = {"status": _plain(d.get("status")), "rack": _id(d.get("rack")),
                "position": d.get("position"), "face": _plain(d.get("face")) or None}
        diff = {k: (have[k], v) for k, v in want.items() if have[k] != v}
        plan.changes.append(Change("device", "update" if diff else "keep", f"{d['name']} (S/N {s.serial})",
                                   f"dcim/devices/{d['id']}", {k: v for k, (_, v) in diff.items()},
                                   object_id=d["id"], diff=diff))
        ports = client.get_all("dcim/power-ports", {"device_id": d["id"], "fields": "id,name,cable"})
        for p in ports:
            if p.get("cable") is not None:
                cid = _id(p["cable"])
                plan.changes.append(Change("cable", "delete", f"{d['name']} {p['name']} (cable {cid})",
                                           f"dcim/cables/{cid}", object_id=cid))
        marker = f"[{req.id}] withdrawn"
        plan.changes.append(_journal_change(client, "dcim.device", d["id"], d["name"], marker,
                                            f"{marker}: {reasons}", "warning"))
    return plan


def _withdraw_vm(client: Any, plan: Plan, req: Request, reasons: str) -> None:
    """The request's VM (found by its request_id custom field): status decommissioning, so
    it no longer counts on its cluster or its site's bandwidth, and a journal entry."""
    rows = client.get_all("virtualization/virtual-machines", {
        "cf_request_id": req.id, "fields": "id,name,status,custom_fields"})
    rows = [r for r in rows if (r.get("custom_fields") or {}).get("request_id") == req.id]
    if not rows:
        raise InputError(f"no NetBox virtual machine has request_id {req.id}: its hosting was never "
                         "registered (colo request apply)")
    for vm in rows:
        have = _plain(vm.get("status"))
        diff = {"status": (have, "decommissioning")} if have != "decommissioning" else {}
        plan.changes.append(Change("virtual machine", "update" if diff else "keep", vm["name"],
                                   f"virtualization/virtual-machines/{vm['id']}",
                                   {"status": "decommissioning"} if diff else {},
                                   object_id=vm["id"], diff=diff))
        marker = f"[{req.id}] withdrawn"
        plan.changes.append(_journal_change(client, VM_TYPE, vm["id"], vm["name"], marker,
                                            f"{marker}: {reasons}", "warning"))


# --- yearly register review: the mark in NetBox (the review itself: playbooks/register_review.py)

def mark_reviewed(names: list[str], when: date, *, all_active: bool = False, client: Any = None,
                  config_path: Any = None, role: str = SERVER_ROLE) -> list[str]:
    """Set `last_review_date` on the named servers (or every active one) in NetBox."""
    client = client or _client(config_path)
    rows = client.get_all("dcim/devices", {"role": role, "fields": "id,name,serial,status,role"})
    rows = [r for r in rows if (_plain(r.get("role")) == role or (r.get("role") or {}).get("slug") == role)]
    if all_active:
        chosen = [r for r in rows if _plain(r.get("status")) == "active"]
    else:
        index = {r["name"]: r for r in rows} | {r["serial"]: r for r in rows if r.get("serial")}
        unknown = [n for n in names if n not in index]
        if unknown:
            raise InputError(f"no server (role {role}) named or with serial: {', '.join(unknown)}")
        chosen = [index[n] for n in names]
    if chosen:
        client.write("patch", "dcim/devices", [
            {"id": r["id"], "custom_fields": {"last_review_date": when.isoformat()}} for r in chosen
        ], f"mark {len(chosen)} server(s) reviewed")
    return [r["name"] for r in chosen]
