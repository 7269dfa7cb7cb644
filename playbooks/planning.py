"""What registration (step 8), hosting and withdrawal share when they plan a request's
changes in NetBox and apply them: the request's planner, its journal entries, finding
an object by its natural key, and `apply_plan`.

Plans are the engine's (inventory/netbox/reconcile.py): data, printed by
`colo request plan` / `colo withdraw plan`, written by `colo request apply` /
`colo withdraw apply` one change at a time under the exactly-once rules
(inventory/netbox/write_once.py): nothing is ever re-sent; a stopped run says how far
it got, and the next run plans again from what NetBox holds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from inventory.errors import ColoError
from inventory.netbox import kinds as K
from inventory.netbox.conventions import TENANT_GROUP
from inventory.netbox.kinds import Kind, Ref
from inventory.netbox.reconcile import Change, Outcome, Plan, apply
from inventory.netbox.write_once import Echo, find_existing, silent
from playbooks.request_model import Request

def find_one(client: Any, kind: Kind, payload: dict[str, Any], what: str) -> dict[str, Any] | None:
    """The one object with `payload`'s natural key, None when NetBox has none."""
    rows = find_existing(client, kind, payload)
    if len(rows) > 1:
        raise ColoError(f"NetBox has {len(rows)} {what}; expected one")
    return rows[0] if rows else None


def tenant_fields(client: Any, req: Request) -> dict[str, Any]:
    """What the agency's tenant is created with: its name, address and the agencies'
    tenant group (`opd`, when bootstrap made it)."""
    fields: dict[str, Any] = {"name": req.agency.unit_name[:100], "description": req.agency.address[:200]}
    group = find_one(client, K.TENANT_GROUP, {"slug": TENANT_GROUP}, "tenant groups")
    if group is not None:
        fields["group"] = group["id"]
    return fields


def contacts_with_nip(client: Any, nip: str, fields: str = "id,name,custom_fields") -> list[dict[str, Any]]:
    """Every contact whose custom field nip is `nip`, earliest (lowest id) first."""
    rows = client.get_all(K.CONTACT.endpoint, {"cf_nip": nip, "fields": fields})
    return sorted((r for r in rows if K.CONTACT.key(r) == nip), key=lambda r: r["id"])


def journal_change(client: Any, object_type: str, obj: int | Ref, name: str, marker: str, text: str,
                   kind: str) -> Change:
    """A journal entry starting with `marker` on a device or VM; kept when the object (an
    id; a Ref is an object the plan creates) has one already."""
    label = f"{name} {marker}"
    payload = {"assigned_object_type": object_type, "assigned_object_id": obj, "kind": kind, "comments": text}
    if isinstance(obj, int) and find_existing(client, K.JOURNAL_ENTRY, payload):
        return Change(K.JOURNAL_ENTRY.name, "keep", label, K.JOURNAL_ENTRY.endpoint)
    return Change(K.JOURNAL_ENTRY.name, "create", label, K.JOURNAL_ENTRY.endpoint, payload)


class RequestPlanner:
    """Reads what NetBox holds of one request and plans the changes (`self.plan`)."""

    def __init__(self, client: Any, req: Request, handover: date) -> None:
        self.client = client
        self.req = req
        self.handover = handover
        self.plan = Plan(req.id)

    def add(self, change: Change) -> Change:
        return self.plan.add(change)

    def by_slug(self, kind: Kind, slug: str, create: dict[str, Any] | None) -> int | Ref | None:
        """The object of a slug-keyed kind: kept when NetBox has it, else created with
        `create` (None: not created, the caller says what is missing)."""
        hit = find_one(self.client, kind, {"slug": slug}, f"{kind.name}s with slug {slug!r}")
        if hit is not None:
            self.add(Change(kind.name, "keep", slug, kind.endpoint, object_id=hit["id"]))
            return int(hit["id"])
        if create is None:
            return None
        ref = f"{kind.name}:{slug}"
        self.plan.object(kind, slug, {}, None, ref=ref, on_create={"slug": slug, **create})
        return Ref(ref)

    def journal(self, object_type: str, obj: int | Ref, name: str, what: str = "") -> None:
        """The `[REQ-…] registered` journal entry on the new device or VM (`what`: "hosting
        for " for a VM)."""
        req = self.req
        marker = f"[{req.id}] registered"
        text = (f"{marker}: {what}{req.agency.unit_name}, domain {req.domain}, person in charge "
                f"{req.person_in_charge.name} (NIP {req.person_in_charge.nip}); handed over {self.handover}.")
        self.add(journal_change(self.client, object_type, obj, name, marker, text, "info"))


def apply_plan(plan: Plan, *, client: Any, echo: Echo = silent) -> int:
    """Apply the changes in order; returns how many were made. A change another writer
    had made meanwhile is used and not counted; a run that stops says how far it got."""
    outcome = Outcome()
    pending = len(plan.pending)
    try:
        apply(plan, client, echo=echo, on_change=lambda c: echo(c.line()), outcome=outcome)
    except ColoError:
        if pending:
            echo(f"{plan.subject}: stopped after {outcome.made} of {pending} change(s)")
        raise
    return outcome.made
