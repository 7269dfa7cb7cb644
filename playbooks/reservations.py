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

from inventory.errors import InputError, SourceError
from inventory.netbox import kinds as K
from inventory.netbox.write_once import create_once, delete, find_existing
from playbooks.commitments import reservation_description, reserved_units
from playbooks.planning import find_one, tenant_fields
from playbooks.request_model import Placement, Request


def reservation_descriptions(req: Request) -> set[str]:
    """The descriptions approval gives the request's reservations, one per server: request
    id, agency, server and domain (not the id alone: another data centre's folder, or a
    test's, may have a request with the same number)."""
    return {reservation_description(req, s.name)[:200] for s in req.servers}


def request_reservations(client: Any, req: Request) -> list[dict[str, Any]]:
    """NetBox's rack reservations of the request, found by their description."""
    mine = reservation_descriptions(req)
    rows = client.get_all(K.RESERVATION.endpoint, {"q": req.id, "fields": "id,rack,units,description"})
    return [r for r in rows if r.get("description") in mine]


def ensure_tenant(client: Any, req: Request) -> int:
    """The agency's tenant id, created in tenant group `opd` when missing."""
    slug = req.agency.tenant_slug()
    hit = find_one(client, K.TENANT, {"slug": slug}, f"tenants with slug {slug!r}")
    if hit is not None:
        return int(hit["id"])
    payload = {**tenant_fields(client, req), "slug": slug}
    return create_once(client, K.TENANT, K.TENANT.endpoint, payload, f"create tenant {slug}")[0]


def reserver(*, client: Any) -> Callable[[Request, Placement], list[int]]:
    """Creates the approval's rack reservations in NetBox; returns their ids.

    The placement's racks are NetBox rack ids (the snapshot was loaded from NetBox).
    NetBox refuses units reserved already, so two approvals cannot hold the same units.
    A reservation is found again by rack and description (which names the request and
    the server): one left by an earlier run whose answer was lost is used, not doubled.
    All or nothing: when a reservation cannot be made, every reservation of the request
    (re-read, so those whose answer was lost too) is deleted again.
    """
    def create(req: Request, placement: Placement) -> list[int]:
        user = client.current_user().get("id")
        tenant_id = ensure_tenant(client, req)
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
                found = find_existing(client, K.RESERVATION, payload)
                held = [r for r in found if sorted(r.get("units") or []) == units]
                if held:  # made by an earlier run whose answer was lost
                    ids.append(int(held[0]["id"]))
                    continue
                # one of an earlier placement of this server: it would hold the wrong units
                _delete_reservations(client, None, [int(r["id"]) for r in found])
                rid, _ = create_once(client, K.RESERVATION, K.RESERVATION.endpoint, payload,
                                     f"reserve units {units} of rack {sp.rack_name or sp.rack} for {req.id}")
                ids.append(rid)
        except Exception:
            _release_all(client, req, ids)
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
        delete(client, f"{K.RESERVATION.endpoint}/{rid}", f"delete reservation {rid}")
    return sorted(wanted)


def releaser(*, client: Any) -> Callable[[Request, list[int]], list[int]]:
    """Deletes a request's rack reservations: those recorded (`ids`) and any other whose
    description names it (one made by a run whose answer was lost)."""
    def release(req: Request, ids: list[int]) -> list[int]:
        return _delete_reservations(client, req, ids)
    return release
