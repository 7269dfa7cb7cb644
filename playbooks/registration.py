"""Step 8 in NetBox: plan exactly what registering a request changes, then apply that plan.

Register (a request's servers):
  tenant (the agency, tenant group `opd`) and contact (the person in charge, NIP in a
  custom field) assigned to it; manufacturer and device type; the device (name, serial,
  rack, position, face, status, tenant, role, custom fields domain / request_id /
  colocation_type / valid_until / bandwidth_mbps / handover_date); power ports cabled to
  the placement's feeds (or, when a feed already feeds a PDU, to a free outlet of that
  PDU: playbooks/plugs.py); inventory items for processor, RAM, motherboard, storage and
  PSU; a journal entry naming the request; the approval's rack reservation deleted (the
  device replaces it; step 5 made it: playbooks/reservations.py). A hosting request's
  virtual machine: playbooks/hosting.py. Withdrawal: playbooks/withdrawal.py.

Identity: the serial number. A device is found by serial, never by name; a serial held
by a device of another request is refused. A second apply finds everything in place
and makes 0 changes.

Race (docs/netbox.md): NetBox's free-units check is not safe under concurrency. After
creating a device, apply re-reads the rack; if its device overlaps another, the later
object id yields: the loser deletes what it created and reports the conflict, so
NetBox ends as if only the winner had applied.

Exactly once: every write is safe to repeat after any failure. A run never re-sends a
write; the next run re-reads NetBox by natural keys (inventory/netbox/kinds.py) and
writes only what is missing; two writers on one machine are kept apart by the request's
lock (playbooks/locks.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from inventory.errors import ColoError, InputError
from inventory.netbox import kinds as K
from inventory.netbox.conventions import PERSON_IN_CHARGE_ROLE, SERVER_ROLE, VM_TYPE
from inventory.netbox.compare import norm
from inventory.netbox.kinds import Ref
from inventory.netbox.reconcile import Change, Plan
from inventory.netbox.write_once import find_existing
from playbooks.hosting import HostingPlanner
from inventory.names import slugify
from playbooks.planning import apply_plan, contacts_with_nip, find_one, tenant_fields
from playbooks.plugs import PlugPlanner
from playbooks.request_model import Request, Server
from playbooks.reservations import request_reservations

__all__ = ["Planner", "plan_registration", "apply_plan", "verify_arrival", "registration_gaps"]

SPEC_ITEMS: tuple[tuple[str, str, str], ...] = (
    # (server field, inventory item name, inventory item role slug)
    ("processor", "Processor", "processor"),
    ("ram", "RAM", "memory"),
    ("motherboard", "Motherboard", "motherboard"),
    ("storage", "Storage", "storage"),
    ("psu", "PSU", "psu"),
)


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


class Planner(PlugPlanner, HostingPlanner):
    """Reads what NetBox has for one request and plans the changes to register it."""

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
        tenant = self.by_slug(K.TENANT, req.agency.tenant_slug(), tenant_fields(self.client, req))
        role = self.by_slug(K.CONTACT_ROLE, PERSON_IN_CHARGE_ROLE[0], {"name": PERSON_IN_CHARGE_ROLE[1]})
        contact = self.contact()
        self.assignment(tenant, contact, role)

        if cluster is not None:
            vm = self.virtual_machine(cluster, tenant)
            self.journal(VM_TYPE, vm, self.vm_name() or "", "hosting for ")
        if not req.servers:
            return self.plan

        device_role = self.by_slug(K.DEVICE_ROLE, SERVER_ROLE, None)
        if device_role is None:
            raise ColoError(f"NetBox has no device role {SERVER_ROLE!r}", "run `colo netbox bootstrap` first")
        item_roles = {slug: self.by_slug(K.INVENTORY_ITEM_ROLE, slug, None) for _, _, slug in SPEC_ITEMS}

        servers = {s.name: s for s in req.servers}
        assert req.placement is not None
        for sp in req.placement.servers:
            s = servers[sp.server]
            manufacturer = self.by_slug(K.MANUFACTURER, slugify(s.make), {"name": s.make})
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
        label = f"{pic.name} (NIP {pic.nip})"
        want = {"name": pic.name, "phone": pic.phone, "email": pic.email}
        for duplicate in rows[1:]:
            self.yield_contact(duplicate, rows[0]["id"])
        ref = f"contact:{pic.nip}"
        self.plan.object(K.CONTACT, label, want, rows[0] if rows else None, ref=ref,
                         on_create={"custom_fields": {"nip": pic.nip}})
        return int(rows[0]["id"]) if rows else Ref(ref)

    def yield_contact(self, duplicate: dict[str, Any], winner: int) -> None:
        """A later contact with the same NIP: its assignments move to the winner (or go,
        where the winner has the same one), then it is deleted."""
        fields = {"fields": "id,object_type,object_id,role"}
        assignments = K.CONTACT_ASSIGNMENT
        theirs = self.client.get_all(assignments.endpoint, {"contact_id": duplicate["id"], **fields})
        ours = self.client.get_all(assignments.endpoint, {"contact_id": winner, **fields})
        held = {(a.get("object_type"), a.get("object_id"), norm(a.get("role"))) for a in ours}
        label = f"{duplicate['name']} (NIP {self.req.person_in_charge.nip}, id {duplicate['id']})"
        for a in theirs:
            target = f"{label} -> {a.get('object_type')} {a.get('object_id')}"
            if (a.get("object_type"), a.get("object_id"), norm(a.get("role"))) in held:
                self.add(Change(assignments.name, "delete", f"{target} (the contact {winner} has it)",
                                assignments.endpoint, object_id=a["id"]))
            else:
                self.add(Change(assignments.name, "update", target, assignments.endpoint, {"contact": winner},
                                object_id=a["id"], diff={"contact": (duplicate["id"], winner)}))
        self.add(Change(K.CONTACT.name, "delete", f"{label}: a duplicate; the earlier id {winner} stands",
                        K.CONTACT.endpoint, object_id=duplicate["id"]))

    def assignment(self, tenant: int | Ref, contact: int | Ref, role: int | Ref | None) -> None:
        label = f"{self.req.person_in_charge.name} -> tenant {self.req.agency.tenant_slug()}"
        payload = {"object_type": "tenancy.tenant", "object_id": tenant, "contact": contact, "role": role}
        found = find_existing(self.client, K.CONTACT_ASSIGNMENT, payload) \
            if isinstance(tenant, int) and isinstance(contact, int) else []
        self.plan.object(K.CONTACT_ASSIGNMENT, label, {}, found[0] if found else None, on_create=payload)

    def device_type(self, manufacturer: int | Ref, s: Server) -> int | Ref:
        slug = slugify(s.model)
        if isinstance(manufacturer, int):
            hit = find_one(self.client, K.DEVICE_TYPE, {"manufacturer": manufacturer, "slug": slug},
                           f"device types {slug!r}")
            if hit is not None:
                self.add(Change(K.DEVICE_TYPE.name, "keep", f"{s.make} {s.model}", K.DEVICE_TYPE.endpoint,
                                object_id=hit["id"]))
                return int(hit["id"])
        ref = f"device type:{slugify(s.make)}/{slug}"
        if not any(c.ref == ref for c in self.plan.changes):
            self.plan.object(K.DEVICE_TYPE, f"{s.make} {s.model}", {}, None, ref=ref, on_create={
                "manufacturer": manufacturer, "model": s.model, "slug": slug, "u_height": s.u_height,
                "is_full_depth": s.full_depth})
        return Ref(ref)

    def device_fields(self, s: Server, sp: Any, dtype: int | Ref, tenant: int | Ref, role: int | Ref,
                      site: int) -> dict[str, Any]:
        req = self.req
        return {
            "name": s.name, "device_type": dtype, "role": role, "tenant": tenant, "site": site,
            "rack": int(sp.rack), "position": sp.position, "face": sp.face, "status": "active",
            "serial": s.serial,
            "custom_fields": {
                "domain": req.domain, "request_id": req.id,
                "colocation_type": "permanent" if req.permanent else "temporary",
                "valid_until": req.valid_until.isoformat() if req.valid_until else None,
                "bandwidth_mbps": s.bandwidth_mbps, "handover_date": self.handover.isoformat(),
            },
        }

    def device(self, s: Server, sp: Any, dtype: int | Ref, tenant: int | Ref, role: int | Ref) -> int | Ref:
        rack = self.client.get_json(f"dcim/racks/{int(sp.rack)}", {"fields": "id,name,site"})
        want = self.device_fields(s, sp, dtype, tenant, role, norm(rack["site"]))
        rows = self.client.get_all(K.SERVER.endpoint, {
            "serial": s.serial, "fields": "id,name,serial,device_type,role,tenant,site,rack,position,face,"
                                          "status,custom_fields"})
        rows = [r for r in rows if r.get("serial") == s.serial]
        label = f"{s.name} (S/N {s.serial}) in rack {rack['name']} U{sp.position:g} {sp.face}"
        if len(rows) > 1:
            raise ColoError(f"NetBox has {len(rows)} devices with serial {s.serial!r}; resolve that first")
        hit = rows[0] if rows else None
        if hit is not None:
            other = (hit.get("custom_fields") or {}).get("request_id")
            if other and other != self.req.id:
                raise InputError(f"serial {s.serial} is already registered as {hit['name']!r} "
                                 f"(device {hit['id']}) for {other}: one serial, one device")
            if norm(hit.get("status")) == "decommissioning":
                raise ColoError(f"{self.req.id}: server {s.name} (S/N {s.serial}, device {hit['id']}) is withdrawn "
                                "in NetBox (status decommissioning): apply does not register it again",
                                "a withdrawal of this request ran (colo withdraw apply); a server that comes "
                                "back is registered with a new request")
        ref = f"device:{s.serial}"
        self.plan.object(K.SERVER, label, want, hit, ref=ref)
        return int(hit["id"]) if hit is not None else Ref(ref)

    def inventory(self, device: int | Ref, s: Server, roles: dict[str, Any]) -> None:
        have: dict[str, dict[str, Any]] = {}
        if isinstance(device, int):
            rows = self.client.get_all(K.INVENTORY_ITEM.endpoint, {"device_id": device,
                                                                   "fields": "id,name,description,role"})
            have = {r["name"]: r for r in rows}
        for attr, name, role in SPEC_ITEMS:
            value = getattr(s, attr)
            if not value:
                continue
            create: dict[str, Any] = {"device": device, "name": name}
            if roles.get(role) is not None:
                create["role"] = roles[role]
            self.plan.object(K.INVENTORY_ITEM, f"{s.name} {name}: {value}", {"description": value[:200]},
                             have.get(name), on_create=create)

    def reservations(self) -> None:
        """The approval's rack reservations (recorded, or naming the request) are deleted."""
        res = self.req.reservation
        if res is None or res.released_at is not None:
            return
        held = {int(r["id"]) for r in request_reservations(self.client, self.req)}
        for rid in res.netbox_ids:
            rows = self.client.get_all(K.RESERVATION.endpoint, {"id": rid, "fields": "id"})
            held |= {rid for r in rows if r["id"] == rid}
        for rid in sorted(held):
            self.add(Change(K.RESERVATION.name, "delete", f"{rid} (the device replaces it)", K.RESERVATION.endpoint,
                            object_id=rid))


def plan_registration(req: Request, *, handover: date, client: Any) -> Plan:
    return Planner(client, req, handover).build()


def registration_gaps(*, client: Any) -> Callable[[Request], list[str]]:
    """What of a request `colo request apply` has not registered in NetBox (for step 8):
    a server whose serial no device has, a hosting with no VM naming the request, or one
    whose registration stopped before its journal entry (the last write of each)."""
    def gaps(req: Request) -> list[str]:
        nb = client
        marker = f"[{req.id}] registered"
        out: list[str] = []

        def finished(object_type: str, object_id: int) -> bool:
            rows = nb.get_all(K.JOURNAL_ENTRY.endpoint, {"assigned_object_type": object_type,
                                                         "assigned_object_id": object_id, "fields": "id,comments"})
            return any(marker in (r.get("comments") or "") for r in rows)

        for s in req.servers:
            if not s.serial:
                continue  # refused already: step 8 needs every serial
            rows = [r for r in nb.get_all(K.SERVER.endpoint, {"serial": s.serial, "fields": "id,serial"})
                    if r.get("serial") == s.serial]
            if not rows:
                out.append(f"no device has the serial {s.serial} of server {s.name}")
            elif not any(finished("dcim.device", r["id"]) for r in rows):
                out.append(f"the registration of server {s.name} (S/N {s.serial}) did not finish")
        if req.hosting is not None:
            name = req.hosting.vm_name or req.domain
            vms = [r for r in nb.get_all(K.VIRTUAL_MACHINE.endpoint, {
                "cf_request_id": req.id, "name": name, "fields": "id,name,custom_fields"})
                if (r.get("custom_fields") or {}).get("request_id") == req.id and r.get("name") == name]
            if not vms:
                out.append(f"no virtual machine {name} has the request id {req.id} (its hosting)")
            elif not any(finished(VM_TYPE, r["id"]) for r in vms):
                out.append(f"the registration of its hosting ({vms[0]['name']}) did not finish")
        return out
    return gaps


# --- yearly register review: the mark in NetBox (the review itself: playbooks/register_review.py)

def mark_reviewed(names: list[str], when: date, *, client: Any, all_active: bool = False,
                  role: str = SERVER_ROLE) -> list[str]:
    """Set `last_review_date` on the named servers (or every active one) in NetBox."""
    rows = client.get_all("dcim/devices", {"role": role, "fields": "id,name,serial,status,role"})
    rows = [r for r in rows if (norm(r.get("role")) == role or (r.get("role") or {}).get("slug") == role)]
    if all_active:
        chosen = [r for r in rows if norm(r.get("status")) == "active"]
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
