"""Step 5 in NetBox: the approval's rack reservations, made once and released again.

An approval (with NetBox as the capacity source) turns each placed server's units into a
NetBox rack reservation for the agency's tenant (created in tenant group `opd` when
missing), described by request id, agency, server and domain. That description is how
a reservation is found again: a step 5 run again after a lost answer uses the one
NetBox made, and every release (installation, rejection, cancellation, a failed
approval) deletes the recorded ones and any other that names the request.
"""

from __future__ import annotations

from typing import Any, Callable

from inventory.errors import InputError, NetBoxHTTPError, SourceError
from playbooks.identity import create_once, find_existing, request_reservations
from playbooks.registration import TENANT_GROUP, _client, _one
from playbooks.request_model import Placement, Request


def ensure_tenant(client: Any, req: Request, *, dry_run: bool = False) -> tuple[int | None, str]:
    """The agency's tenant id (created in tenant group `opd` when missing), and what was done."""
    slug = req.agency.tenant_slug()
    rows = client.get_all("tenancy/tenants", {"slug": slug, "fields": "id,name,slug"})
    hit = _one(rows, f"tenants with slug {slug!r}", slug=slug)
    if hit is not None:
        return hit["id"], "keep"
    if dry_run:
        return None, "create"
    payload: dict[str, Any] = {"name": req.agency.unit_name[:100], "slug": slug,
                               "description": f"{req.agency.address}"[:200]}
    groups = client.get_all("tenancy/tenant-groups", {"slug": TENANT_GROUP, "fields": "id,slug"})
    group = _one(groups, "tenant groups", slug=TENANT_GROUP)
    if group is not None:
        payload["group"] = group["id"]
    tenant_id, created = create_once(client, "tenant", "tenancy/tenants", payload, f"create tenant {slug}")
    return tenant_id, "create" if created else "keep"


def reserver(config_path: Any = None, *, client: Any = None) -> Callable[[Request, Placement], list[int]]:
    """Creates the approval's rack reservations in NetBox; returns their ids.

    The placement's racks are NetBox rack ids (the snapshot was loaded from NetBox).
    NetBox refuses units reserved already, so two approvals cannot hold the same units.
    A reservation is found again by rack and description (which names the request and
    the server): one left by an earlier run whose answer was lost is used, not doubled.
    All or nothing: when a reservation cannot be made, every reservation of the request
    (re-read, so those whose answer was lost too) is deleted again.
    """
    def create(req: Request, placement: Placement) -> list[int]:
        from playbooks.commitments import reservation_description, reserved_units

        nb = client or _client(config_path)
        user = nb.current_user().get("id")
        tenant_id, _ = ensure_tenant(nb, req)
        servers = {s.name: s for s in req.servers}
        ids: list[int] = []
        try:
            for sp in placement.servers:
                if not sp.rack.isdigit():
                    raise InputError(f"{req.id}: rack {sp.rack!r} is not a NetBox rack id; run step 3 "
                                     "against NetBox (--source netbox)")
                units = reserved_units(sp.position, servers[sp.server].u_height)
                payload = {"rack": int(sp.rack), "units": units, "user": user, "tenant": tenant_id,
                           "description": reservation_description(req, sp.server)[:200]}
                found = find_existing(nb, "rack reservation", "dcim/rack-reservations", payload)
                held = [r for r in found if sorted(r.get("units") or []) == units]
                if held:  # made by an earlier run whose answer was lost
                    ids.append(int(held[0]["id"]))
                    continue
                # one of an earlier placement of this server: it would hold the wrong units
                _delete_reservations(nb, None, [int(r["id"]) for r in found])
                rid, _ = create_once(nb, "rack reservation", "dcim/rack-reservations", payload,
                                     f"reserve units {units} of rack {sp.rack_name or sp.rack} for {req.id}")
                ids.append(rid)
        except Exception:
            _release_all(nb, req, ids)
            raise
        return ids
    return create


def _release_all(client: Any, req: Request, ids: list[int]) -> None:
    """Best effort after a failed approval: the request's reservations, re-read by their
    description. When NetBox cannot be reached now either, running step 5 again uses them."""
    try:
        _delete_reservations(client, req, ids)
    except SourceError:
        pass


def _delete_reservations(client: Any, req: Request | None, ids: list[int]) -> list[int]:
    """Delete the reservations `ids` and any other whose description names the request
    `req` (when given); returns the ids deleted. Already gone is released."""
    wanted = {*ids, *(int(r["id"]) for r in (request_reservations(client, req) if req else []))}
    for rid in sorted(wanted):
        try:
            client.write("delete", f"dcim/rack-reservations/{rid}", None, f"delete reservation {rid}")
        except NetBoxHTTPError as exc:
            if exc.status != 404:
                raise
    return sorted(wanted)


def releaser(config_path: Any = None, *, client: Any = None) -> Callable[[Request, list[int]], list[int]]:
    """Deletes a request's rack reservations: those recorded (`ids`) and any other whose
    description names it (one made by a run whose answer was lost)."""
    def release(req: Request, ids: list[int]) -> list[int]:
        return _delete_reservations(client or _client(config_path), req, ids)
    return release
