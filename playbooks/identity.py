"""Every object registration writes, found again by its natural key: writes happen once.

A write can fail in two ways that matter here: NetBox refuses it (nothing happened), or
its answer is lost (`WriteOutcomeUnknown`: it may have happened). Neither is ever
re-sent blindly. A run stops; the next run plans from what NetBox holds, found by the
keys below, and writes only what is missing. And when NetBox refuses a create because
another writer created the same object a moment ago (HTTP 400 "already exists", or a 500
from a database constraint under a race), the object is re-read and used, not failed on.

Natural keys (the payload of the create carries them):

| kind | key |
|---|---|
| tenant, contact role, manufacturer | slug |
| device type | manufacturer + slug |
| contact | NIP (custom field `nip`) |
| contact assignment | tenant + contact + role |
| device | serial (and the request id custom field) |
| power port, inventory item | device + name |
| cable | the power port it connects |
| journal entry | object + marker text (`[REQ-…] registered` / `withdrawn`) |
| virtual machine | cluster + name |
| rack reservation | rack + description (request id, agency, server, domain) |

NetBox itself enforces none of these for contacts (custom fields are checked, if at all,
by a read before the insert) nor for journal entries, so two writers racing can both
create one. The project's rule (DESIGN §5) settles it: the later object id yields.
After creating one, the writer re-reads; when an earlier one exists it deletes its own
and uses the earlier (`yield_to_earlier`).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from inventory.errors import ColoError, NetBoxHTTPError
from playbooks.request_model import Request

#: statuses with which NetBox refuses a create that collides with an existing object:
#: 400 from validation, 500 from a database constraint when the other insert raced it
COLLISION_STATUSES = frozenset({400, 409, 500})
MARKER = re.compile(r"^\[REQ-\d{4}-\d+\] [a-z]+")
#: kinds whose objects belong to one request: when another writer created one meanwhile,
#: that writer is registering the same request right now, and this one stops
OWNED_BY_REQUEST = frozenset({"device", "virtual machine"})


class ConcurrentWriter(ColoError):
    """Another writer is registering the same request at the same time."""


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _lowest(rows: list[dict[str, Any]]) -> int | None:
    return min((int(r["id"]) for r in rows), default=None)


def contacts_with_nip(client: Any, nip: str, fields: str = "id,name,custom_fields") -> list[dict[str, Any]]:
    """Every contact whose custom field nip is `nip`, earliest (lowest id) first."""
    rows = client.get_all("tenancy/contacts", {"cf_nip": nip, "fields": fields})
    return sorted((r for r in rows if (r.get("custom_fields") or {}).get("nip") == nip), key=lambda r: r["id"])


def journal_marker(comments: str) -> str:
    m = MARKER.match(comments or "")
    return m.group(0) if m else (comments or "")


def reservation_descriptions(req: Request) -> set[str]:
    """The descriptions approval gives the request's reservations, one per server: request
    id, agency, server and domain (not the id alone: another data centre's folder, or a
    test's, may have a request with the same number)."""
    from playbooks.commitments import reservation_description

    return {reservation_description(req, s.name)[:200] for s in req.servers}


def request_reservations(client: Any, req: Request) -> list[dict[str, Any]]:
    """NetBox's rack reservations of the request, found by their description."""
    mine = reservation_descriptions(req)
    rows = client.get_all("dcim/rack-reservations", {"q": req.id, "fields": "id,rack,units,description"})
    return [r for r in rows if r.get("description") in mine]


def find_existing(client: Any, kind: str, endpoint: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects NetBox holds with the natural key of `payload` (a create's, Refs
    resolved), earliest first. Empty when there is none (or the kind has no key here)."""
    p = payload
    rows: list[dict[str, Any]]
    if kind == "contact":
        return contacts_with_nip(client, p["custom_fields"]["nip"])
    if kind == "cable":
        port = p["a_terminations"][0]["object_id"]
        cable = _id(client.get_json(f"dcim/power-ports/{port}", {"fields": "id,cable"}).get("cable"))
        return [{"id": cable}] if cable is not None else []
    if kind == "journal entry":
        marker = journal_marker(p["comments"])
        rows = client.get_all(endpoint, {"assigned_object_type": p["assigned_object_type"],
                                         "assigned_object_id": p["assigned_object_id"], "fields": "id,comments"})
        rows = [r for r in rows if journal_marker(r.get("comments") or "") == marker]
    elif kind == "contact assignment":
        rows = client.get_all(endpoint, {"object_type": p["object_type"], "object_id": p["object_id"],
                                         "contact_id": p["contact"], "fields": "id,object_id,contact,role"})
        rows = [r for r in rows if r.get("object_id") == p["object_id"] and _id(r.get("contact")) == p["contact"]
                and _id(r.get("role")) == p.get("role")]
    elif kind == "device":
        if not p.get("serial"):
            return []  # no serial, no identity (devices apply creates always have one)
        rows = client.get_all(endpoint, {"serial": p["serial"], "fields": "id,serial,custom_fields"})
        rid = (p.get("custom_fields") or {}).get("request_id")
        rows = [r for r in rows if r.get("serial") == p["serial"]
                and (r.get("custom_fields") or {}).get("request_id") == rid]
    elif kind in ("power port", "inventory item"):
        rows = client.get_all(endpoint, {"device_id": p["device"], "name": p["name"], "fields": "id,name,device"})
        rows = [r for r in rows if r.get("name") == p["name"] and _id(r.get("device")) == p["device"]]
    elif kind == "virtual machine":
        rows = client.get_all(endpoint, {"cluster_id": p["cluster"], "name": p["name"], "fields": "id,name,cluster"})
        rows = [r for r in rows if r.get("name") == p["name"] and _id(r.get("cluster")) == p["cluster"]]
    elif kind == "device type":
        rows = client.get_all(endpoint, {"manufacturer_id": p["manufacturer"], "slug": p["slug"],
                                         "fields": "id,slug,manufacturer"})
        rows = [r for r in rows if r.get("slug") == p["slug"] and _id(r.get("manufacturer")) == p["manufacturer"]]
    elif kind == "rack reservation":
        rows = client.get_all(endpoint, {"rack_id": p["rack"], "fields": "id,rack,units,description"})
        rows = [r for r in rows if r.get("description") == p["description"]]
    elif "slug" in p:
        rows = client.get_all(endpoint, {"slug": p["slug"], "fields": "id,slug"})
        rows = [r for r in rows if r.get("slug") == p["slug"]]
    else:
        return []
    return sorted(rows, key=lambda r: r["id"])


def create_once(client: Any, kind: str, endpoint: str, payload: dict[str, Any], what: str,
                echo: Callable[[str], None] = lambda s: None) -> tuple[int, bool]:
    """POST `payload`; returns (id, True) when created, (id, False) when NetBox refused it
    because another writer had just created the same object, which is then used.

    Raises `ConcurrentWriter` when that object belongs to the request (a device or VM:
    another `colo request apply` of it is running), and re-raises the refusal when
    re-reading finds nothing."""
    try:
        row = client.write("post", endpoint, payload, what)
    except NetBoxHTTPError as exc:
        if exc.status not in COLLISION_STATUSES:
            raise
        found = find_existing(client, kind, endpoint, payload)
        if not found:
            raise
        if kind in OWNED_BY_REQUEST:
            raise ConcurrentWriter(
                f"{kind} {found[0].get('name') or payload.get('name')} (id {found[0]['id']}) was created by another "
                f"writer while this run was about to ({what}): another `colo request apply` of the same request "
                "is running, probably on another machine; this run stopped there",
                "run the same command again once the other one has finished: it finds everything in place "
                "and makes only what is missing") from None
        echo(f"= {what.split(' ', 1)[-1]}: created meanwhile by another writer (id {found[0]['id']}); used")
        return int(found[0]["id"]), False
    created = int(row["id"])
    return yield_to_earlier(client, kind, endpoint, payload, created, echo), True


def yield_to_earlier(client: Any, kind: str, endpoint: str, payload: dict[str, Any], created: int,
                     echo: Callable[[str], None] = lambda s: None) -> int:
    """For kinds NetBox lets exist twice (contacts by NIP, journal entries by marker):
    re-read after creating; when an earlier one exists, delete ours and use that one."""
    if kind not in ("contact", "journal entry"):
        return created
    earliest = _lowest(find_existing(client, kind, endpoint, payload))
    if earliest is None or earliest >= created:
        return created
    try:
        client.write("delete", f"{endpoint.rstrip('/')}/{created}", None, f"delete duplicate {kind} {created}")
    except NetBoxHTTPError as exc:
        if exc.status != 404:  # gone already: someone else settled it the same way
            raise
    echo(f"note: another writer created the same {kind} first (id {earliest}); "
         f"ours ({created}) was removed and that one is used")
    return earliest
