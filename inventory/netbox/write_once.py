"""One write at a time, exactly once whatever fails: the engine's rules for registration,
withdrawal and step 5 (docs/workflow.md, "Exactly once, whatever fails"; docs/reliability.md).

A write can fail in two ways that matter: NetBox refuses it (nothing happened), or its
answer is lost (`WriteOutcomeUnknown`: it may have happened). Neither is re-sent: the
run stops, and the next run plans from what NetBox holds, found by the natural keys of
inventory/netbox/kinds.py, and writes only what is missing. Three more rules:

- re-read on refusal: when NetBox refuses a create because another writer created the
  same object a moment ago (HTTP 400 "already exists", or a 500 from a database
  constraint under a race), the object is found again by its key and used;
- later id yields: for kinds NetBox lets exist twice (contacts by NIP, journal entries
  by marker), the writer re-reads after creating; when an earlier one exists it deletes
  its own and uses the earlier;
- race check: NetBox's free-units check is not safe under concurrency (docs/netbox.md);
  after creating a device, its rack is re-read, and on an overlap the later id yields.
"""

from __future__ import annotations

from typing import Any, Callable

from inventory.errors import ColoError, NetBoxHTTPError
from inventory.netbox.compare import Row, norm
from inventory.netbox.kinds import WRITE_ONCE, Kind

Echo = Callable[[str], None]  # where notes go (a line each)

#: statuses with which NetBox refuses a create that collides with an existing object:
#: 400 from validation, 500 from a database constraint when the other insert raced it
COLLISION_STATUSES = frozenset({400, 409, 500})


class ConcurrentWriter(ColoError):
    """Another writer is registering the same request at the same time."""


def silent(_: str) -> None:
    """An `Echo` that says nothing."""


def kind_named(kind: Kind | str, endpoint: str = "") -> Kind:
    """The one-at-a-time kind of that name (a kind without rules when none is declared)."""
    if isinstance(kind, Kind):
        return kind
    return WRITE_ONCE.get(kind) or Kind(kind, endpoint)


def find_existing(client: Any, kind: Kind | str, payload: Row) -> list[dict[str, Any]]:
    """The objects NetBox holds with the natural key of `payload` (a create's, Refs
    resolved), earliest first. Empty when there is none (or the kind has no key)."""
    kind = kind_named(kind)
    if kind.finder is not None:
        return kind.finder(client, payload)
    query = kind.query(payload)
    if query is None:
        return []
    want = kind.key(payload)
    rows = [r for r in client.get_all(kind.endpoint, query) if kind.key(r) == want]
    return sorted(rows, key=lambda r: int(r["id"]))


def create_once(client: Any, kind: Kind | str, endpoint: str, payload: dict[str, Any], what: str,
                echo: Echo = silent) -> tuple[int, bool]:
    """POST `payload`; returns (id, True) when created, (id, False) when NetBox refused it
    because another writer had just created the same object, which is then used.

    Raises `ConcurrentWriter` when that object belongs to the request (a device or VM:
    another `colo request apply` of it is running), and re-raises the refusal when
    re-reading finds nothing."""
    kind = kind_named(kind, endpoint)
    try:
        row = client.write("post", endpoint, payload, what)
    except NetBoxHTTPError as exc:
        if exc.status not in COLLISION_STATUSES:
            raise
        found = find_existing(client, kind, payload)
        if not found:
            raise
        if kind.owned:
            raise ConcurrentWriter(
                f"{kind.name} {found[0].get('name') or payload.get('name')} (id {found[0]['id']}) was created by "
                f"another writer while this run was about to ({what}): another `colo request apply` of the same "
                "request is running, probably on another machine; this run stopped there",
                "run the same command again once the other one has finished: it finds everything in place "
                "and makes only what is missing") from None
        echo(f"= {what.split(' ', 1)[-1]}: created meanwhile by another writer (id {found[0]['id']}); used")
        return int(found[0]["id"]), False
    created = int(row["id"])
    return yield_to_earlier(client, kind, endpoint, payload, created, echo), True


def yield_to_earlier(client: Any, kind: Kind | str, endpoint: str, payload: Row, created: int,
                     echo: Echo = silent) -> int:
    """For kinds NetBox lets exist twice (contacts by NIP, journal entries by marker):
    re-read after creating; when an earlier one exists, delete ours and use that one."""
    kind = kind_named(kind, endpoint)
    if not kind.yields:
        return created
    earliest = min((int(r["id"]) for r in find_existing(client, kind, payload)), default=None)
    if earliest is None or earliest >= created:
        return created
    delete(client, f"{endpoint.rstrip('/')}/{created}", f"delete duplicate {kind.name} {created}")
    echo(f"note: another writer created the same {kind.name} first (id {earliest}); "
         f"ours ({created}) was removed and that one is used")
    return earliest


def delete(client: Any, path: str, what: str) -> None:
    """DELETE one object; one already gone is fine (someone settled it the same way)."""
    try:
        client.write("delete", path, None, what)
    except NetBoxHTTPError as exc:
        if exc.status != 404:
            raise


def check_race(client: Any, device_id: int, echo: Echo = silent) -> None:
    """Re-read the rack after creating a device: on an overlap, the later object id yields."""
    me = client.get_json(f"dcim/devices/{device_id}", {"fields": "id,name,rack,position,face,device_type"})
    rack = norm(me.get("rack"))
    if rack is None or me.get("position") is None:
        return
    rows = client.get_all("dcim/devices", {"rack_id": rack, "fields": "id,name,position,face,device_type"})
    types: dict[int, dict[str, Any]] = {}

    def extent(d: dict[str, Any]) -> tuple[float, float, set[str]] | None:
        if d.get("position") is None:
            return None
        tid = norm(d["device_type"])
        if tid not in types:
            types[tid] = client.get_json(f"dcim/device-types/{tid}", {"fields": "id,u_height,is_full_depth"})
        t = types[tid]
        height = float(t.get("u_height") or 0)
        if height <= 0:
            return None
        faces = {"front", "rear"} if t.get("is_full_depth") else {norm(d.get("face"))}
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
