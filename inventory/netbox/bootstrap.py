"""`colo netbox bootstrap`: the data-model conventions (docs/netbox.md), created idempotently.

What NetBox already models is used as is; custom fields only add what it lacks:

- co-located servers (dcim.device): domain, request_id, colocation_type
  (selection: permanent/temporary), valid_until, bandwidth_mbps, handover_date,
  last_review_date; hosted applications (virtualization.virtualmachine): domain,
  request_id, bandwidth_mbps, handover_date;
- UPS and genset (devices with role `ups`/`genset`): rated_va, derating, efficiency,
  genset (object: the genset feeding a UPS), redundancy_group, other_loads_va; power
  panels (dcim.powerpanel) point at their UPS with `ups` (object);
- virtualization hosts (dcim.device): vcpus, memory_gb, disk_gb (the host's capacity);
- persons in charge (tenancy.contact): nip, which NetBox must keep unique (one person,
  one contact; NetBox checks it before saving, racing writers settle it themselves:
  inventory/netbox/write_once.py);
- device roles, rack roles, the tenant group `opd` for agencies, inventory item roles
  for the hardware specification, the tag `colo-managed`, circuit type
  `internet-uplink`, cluster type `virtualization`.

Also the bulk loader's export templates (its cheapest read, docs/netbox-loader.md).
The definitions are in inventory/netbox/conventions.py; this module plans them against
what NetBox holds and applies the plan (inventory/netbox/reconcile.py).

Objects are matched by slug (names for custom fields); only what the conventions
define is compared (types, object types, links); colours, labels and descriptions
are set on creation and left alone afterwards, so an administrator may restyle them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from inventory.errors import SourceError
from inventory.netbox import kinds as K
from inventory.netbox.client import NetBoxClient
from inventory.netbox.conventions import (
    CHOICE_SET,
    CIRCUIT_TYPES,
    CLUSTER_TYPES,
    CUSTOM_FIELDS,
    DEVICE_ROLES,
    EXPORTS,
    GROUP,
    INVENTORY_ITEM_ROLES,
    RACK_ROLES,
    TAGS,
    TENANT_GROUPS,
    export_template_objects,
)
from inventory.netbox.kinds import Kind
from inventory.netbox.compare import Contains
from inventory.netbox.reconcile import Desired, Echo, Plan, Report, desired, retry_on_concurrent_change, run


def _slug_kinds() -> list[tuple[Kind, list[Desired]]]:
    """Every slug-keyed convention with its objects."""
    def role(kind: Kind, slug: str, name: str, color: str) -> Desired:
        return desired(kind, {"slug": slug, "name": name, "color": color}, slug)

    return [
        (K.DEVICE_ROLE, [role(K.DEVICE_ROLE, s, n, c) for s, n, c in DEVICE_ROLES]),
        (K.RACK_ROLE, [role(K.RACK_ROLE, s, n, c) for s, n, c in RACK_ROLES]),
        (K.TENANT_GROUP, [desired(K.TENANT_GROUP, {"slug": s, "name": n, "description": d}, s)
                          for s, n, d in TENANT_GROUPS]),
        (K.INVENTORY_ITEM_ROLE, [role(K.INVENTORY_ITEM_ROLE, s, n, c) for s, n, c in INVENTORY_ITEM_ROLES]),
        (K.TAG, [desired(K.TAG, {"slug": s, "name": n, "color": c, "description": d}, s) for s, n, c, d in TAGS]),
        (K.CIRCUIT_TYPE, [desired(K.CIRCUIT_TYPE, {"slug": s, "name": n}, s) for s, n in CIRCUIT_TYPES]),
        (K.CLUSTER_TYPE, [desired(K.CLUSTER_TYPE, {"slug": s, "name": n}, s) for s, n in CLUSTER_TYPES]),
    ]


def _name_clashes(kind: str, objects: list[Desired], existing: list[dict[str, Any]]) -> list[str]:
    """A missing slug whose name is taken: creating it would fail, so say so up front."""
    by_slug = {e.get("slug") for e in existing}
    by_name = {str(e.get("name", "")).lower(): e for e in existing}
    out = []
    for d in objects:
        name = str(d.create_only.get("name", "")).lower()
        if d.key not in by_slug and name in by_name:
            other = by_name[name]
            out.append(f"{kind} named {other['name']!r} exists with slug {other.get('slug')!r}, "
                       f"expected slug {d.key!r}: rename its slug to {d.key!r} in NetBox")
    return out


def _type_of(custom_field: dict[str, Any]) -> Any:
    htype = custom_field.get("type")
    return htype["value"] if isinstance(htype, dict) else htype


def bootstrap(client: NetBoxClient, *, dry_run: bool = False, echo: Echo | None = None) -> Report:
    """Create the conventions NetBox lacks; returns what was (or, in a dry run, would be) done."""
    return retry_on_concurrent_change(lambda: run(plan_bootstrap(client), client, dry_run=dry_run, echo=echo), echo)


def plan_bootstrap(client: NetBoxClient) -> Plan:
    """Read what NetBox has of the conventions and plan the rest; a conflict a write
    would meet stops here, before anything is written."""
    kinds = _slug_kinds()
    reads: dict[str, dict[str, Any]] = {kind.endpoint: {"fields": "id,name,slug"} for kind, _ in kinds}
    reads[K.CHOICE_SET.endpoint] = {"fields": "id,name,extra_choices,base_choices"}
    reads[K.CUSTOM_FIELD.endpoint] = {"fields": "id,name,type,object_types,related_object_type,choice_set,unique"}
    reads[K.EXPORT_TEMPLATE.endpoint] = _export_template_read()
    with ThreadPoolExecutor(max_workers=4) as pool:  # ten small independent reads
        futures = {ep: pool.submit(client.get_all, ep, params) for ep, params in reads.items()}
        existing = {ep: fut.result() for ep, fut in futures.items()}
    custom_fields = existing[K.CUSTOM_FIELD.endpoint]

    problems: list[str] = []
    for kind, objects in kinds:
        problems += _name_clashes(kind.name, objects, existing[kind.endpoint])
    cf_by_name = {c["name"]: c for c in custom_fields}
    for cf in CUSTOM_FIELDS:
        have = cf_by_name.get(cf.name)
        if have is not None and _type_of(have) not in cf.types:
            problems.append(f"custom field {cf.name!r} exists as type {_type_of(have)!r}, expected "
                            f"{' or '.join(cf.types)}: NetBox cannot change a field's type; "
                            "rename or delete that field in NetBox")
    if problems:
        raise SourceError("NetBox conflicts with the colo conventions: " + "; ".join(problems),
                          "nothing was written")

    plan = Plan("bootstrap", bulk=True)
    for kind, objects in kinds:
        plan.reconcile(kind, objects, existing[kind.endpoint])
    choice_set = plan.reconcile(K.CHOICE_SET, [desired(K.CHOICE_SET, {
        "name": CHOICE_SET, "description": "Co-location type",
        "extra_choices": Contains([["permanent", "Permanent"], ["temporary", "Temporary"]])}, CHOICE_SET)],
        existing[K.CHOICE_SET.endpoint])[CHOICE_SET]

    wanted: list[Desired] = []
    for cf in CUSTOM_FIELDS:
        have = cf_by_name.get(cf.name)
        ctype = _type_of(have) if have is not None else cf.types[0]
        payload: dict[str, Any] = {"name": cf.name, "type": ctype, "label": cf.label, "description": cf.description,
                                   "group_name": GROUP, "object_types": Contains(list(cf.objects))}
        if ctype == "object":
            payload["related_object_type"] = cf.related
        if ctype in ("select", "multiselect"):
            payload["choice_set"] = choice_set
        if cf.unique:
            payload["unique"] = True
        wanted.append(desired(K.CUSTOM_FIELD, payload, f"{cf.name} ({', '.join(cf.objects)}, {ctype})"))
    plan.reconcile(K.CUSTOM_FIELD, wanted, custom_fields)
    _plan_export_templates(plan, existing[K.EXPORT_TEMPLATE.endpoint])
    return plan


def _export_template_read() -> dict[str, Any]:
    return {"name": [e.name for e in EXPORTS.values()],
            "fields": "id,name,object_types,template_code,mime_type,file_extension,as_attachment"}


def _plan_export_templates(plan: Plan, existing: list[dict[str, Any]]) -> None:
    plan.reconcile(K.EXPORT_TEMPLATE, [desired(K.EXPORT_TEMPLATE, obj, obj["name"])
                                       for obj in export_template_objects()], existing)


def ensure_export_templates(client: NetBoxClient) -> Report:
    """Create or update the loader's export templates alone, idempotently (bootstrap
    keeps them too); returns what was done."""
    plan = Plan("export templates", bulk=True)
    _plan_export_templates(plan, client.get_all(K.EXPORT_TEMPLATE.endpoint, _export_template_read()))
    return run(plan, client)
