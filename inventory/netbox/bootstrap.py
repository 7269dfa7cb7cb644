"""`colo netbox bootstrap`: the data-model conventions of DESIGN §3, created idempotently.

What NetBox already models is used as is; custom fields only add what it lacks:

- co-located servers (dcim.device): domain, request_id, colocation_type
  (selection: permanent/temporary), valid_until, bandwidth_mbps, handover_date,
  last_review_date; hosted applications (virtualization.virtualmachine): domain,
  request_id, bandwidth_mbps, handover_date;
- UPS and genset (devices with role `ups`/`genset`): rated_va, rated_w, derating,
  efficiency, recharge_pct, genset (object: the genset feeding a UPS), redundancy_group,
  other_loads_va, cooling_factor; power panels (dcim.powerpanel) point at their UPS with
  `ups` (object);
- virtualization hosts (dcim.device): vcpus, memory_gb, disk_gb, cores, threads (the
  host's capacity); clusters (virtualization.cluster): datastore_gb, replication_factor;
- device types (dcim.devicetype): power_factor; rooms (dcim.location): cooling_kw,
  cooling_units; racks (dcim.rack): cooling_kw;
- persons in charge (tenancy.contact): nip, which NetBox must keep unique (one person,
  one contact; NetBox checks it before saving, racing writers settle it themselves:
  playbooks/identity.py);
- device roles, rack roles, the tenant group `opd` for agencies, inventory item roles
  for the hardware specification, the tag `colo-managed`, circuit type
  `internet-uplink`, cluster type `virtualization`.

Objects are matched by slug (names for custom fields); only what the conventions
define is compared (types, object types, links); colours, labels and descriptions
are set on creation and left alone afterwards, so an administrator may restyle them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from inventory.errors import SourceError
from inventory.netbox.client import NetBoxClient
from inventory.netbox.writer import Contains, Desired, Echo, Reconciler, Report, retry_on_concurrent_change

GROUP = "colo"
CHOICE_SET = "colo-colocation-type"


@dataclass(frozen=True)
class CF:
    """A custom field definition. `types`: the accepted NetBox types (first = created)."""

    name: str
    label: str
    types: tuple[str, ...]
    objects: tuple[str, ...]
    description: str
    related: str | None = None
    choice_set: str | None = None
    #: NetBox's "must be unique": checked by a read before each save (no database
    #: constraint), so it refuses a second object made later, not one racing the first
    unique: bool = False


DEVICE = ("dcim.device",)
# hosting requests are registered as virtual machines, which carry the same request fields
DEVICE_AND_VM = ("dcim.device", "virtualization.virtualmachine")
CUSTOM_FIELDS: tuple[CF, ...] = (
    CF("domain", "Domain name", ("text",), DEVICE_AND_VM, "Domain name served by this co-located server"),
    CF("request_id", "Request ID", ("text",), DEVICE_AND_VM, "Co-location request that placed this server"),
    CF("colocation_type", "Co-location type", ("select", "text"), DEVICE,
       "Permanent or temporary co-location", choice_set=CHOICE_SET),
    CF("valid_until", "Valid until", ("date",), DEVICE, "End of a temporary co-location"),
    CF("bandwidth_mbps", "Bandwidth (Mbps)", ("decimal", "integer"), DEVICE_AND_VM,
       "Internet bandwidth allocated to this server, in Mbps"),
    CF("handover_date", "Handover date", ("date",), DEVICE_AND_VM,
       "Date the server was handed over to the data centre"),
    CF("last_review_date", "Last review date", ("date",), DEVICE, "Date of the last yearly asset register review"),
    CF("ups", "UPS", ("object",), ("dcim.powerpanel",), "The UPS (a device with role ups) feeding this panel",
       related="dcim.device"),
    CF("rated_va", "Rated capacity (VA)", ("integer",), DEVICE, "UPS/genset nameplate capacity in VA"),
    CF("derating", "Derating", ("decimal",), DEVICE, "Usable fraction of the rated capacity (0-1)"),
    CF("efficiency", "Efficiency", ("decimal",), DEVICE, "UPS efficiency (0-1): its losses load the genset"),
    CF("genset", "Genset", ("object",), DEVICE, "The genset (a device with role genset) backing this UPS",
       related="dcim.device"),
    CF("redundancy_group", "Redundancy group", ("text",), DEVICE, "UPSs/gensets sharing a group back each other up"),
    CF("other_loads_va", "Other loads (VA)", ("integer",), DEVICE,
       "Declared genset loads besides the UPSs (cooling, lighting), in VA"),
    CF("vcpus", "Host vCPUs", ("integer", "decimal"), DEVICE, "Virtualization host capacity: vCPUs"),
    CF("memory_gb", "Host memory (GB)", ("decimal", "integer"), DEVICE, "Virtualization host capacity: memory in GB"),
    CF("disk_gb", "Host disk (GB)", ("decimal", "integer"), DEVICE, "Virtualization host capacity: disk in GB"),
    CF("nip", "NIP", ("text",), ("tenancy.contact",), "Civil servant ID (NIP) of the person in charge",
       unique=True),
    # engineering inputs (issue 12); an uplink's port speed is NetBox's own termination port_speed
    CF("rated_w", "Rated real power (W)", ("integer",), DEVICE, "UPS/genset nameplate real power in W"),
    CF("recharge_pct", "Battery recharge (%)", ("decimal",), DEVICE,
       "UPS battery recharge load on its genset, % of the UPS rating"),
    CF("cooling_factor", "Cooling factor", ("decimal",), DEVICE,
       "Genset: W of cooling (mechanical) load per W of IT load behind its UPSs"),
    CF("cores", "Host physical cores", ("integer",), DEVICE, "Virtualization host capacity: physical cores"),
    CF("threads", "Host threads", ("integer",), DEVICE, "Virtualization host capacity: logical processors"),
    CF("power_factor", "Power factor", ("decimal",), ("dcim.devicetype",), "PSU power factor (W / VA), 0-1"),
    CF("cooling_kw", "Cooling (kW)", ("decimal",), ("dcim.location", "dcim.rack"),
       "Heat the room's or rack's cooling removes, in kW"),
    CF("cooling_units", "Cooling units", ("integer",), ("dcim.location",),
       "Equal cooling units (CRAC) in the room; N+1 keeps one spare"),
    CF("datastore_gb", "Datastore (GB)", ("decimal",), ("virtualization.cluster",),
       "Raw shared storage of the cluster, in GB"),
    CF("replication_factor", "Replication factor", ("decimal",), ("virtualization.cluster",),
       "Copies the datastore keeps of every block (usable = raw / factor)"),
)

# slug, name, colour
DEVICE_ROLES = (
    ("server", "Server (co-location)", "2196f3"),
    ("ups", "UPS", "ff9800"),
    ("genset", "Genset", "795548"),
    ("pdu", "PDU", "ffc107"),
    ("patch-panel", "Patch panel", "9e9e9e"),
    ("network", "Network", "4caf50"),
    ("hypervisor", "Hypervisor", "673ab7"),
)
RACK_ROLES = (
    ("colocation", "Co-location", "2196f3"),
    ("internal", "Internal", "9e9e9e"),
    ("network", "Network", "4caf50"),
)
TENANT_GROUPS = (("opd", "OPD", "Provincial government agencies (Organisasi Perangkat Daerah)"),)
INVENTORY_ITEM_ROLES = (
    ("processor", "Processor", "f44336"),
    ("memory", "Memory", "3f51b5"),
    ("motherboard", "Motherboard", "009688"),
    ("storage", "Storage", "607d8b"),
    ("psu", "PSU", "ffeb3b"),
)
TAGS = (("colo-managed", "colo-managed", "00bcd4", "Written by the colo tool"),)
CIRCUIT_TYPES = (("internet-uplink", "Internet uplink"),)
CLUSTER_TYPES = (("virtualization", "Virtualization"),)


def _slug_kinds() -> list[tuple[str, str, list[Desired]]]:
    """(kind, endpoint, desired) for every slug-keyed convention."""
    def role(slug: str, name: str, color: str, extra: dict[str, Any] | None = None) -> Desired:
        return Desired(slug, slug, {"slug": slug, **(extra or {})}, {"name": name, "color": color})

    return [
        ("device role", "dcim/device-roles", [role(s, n, c) for s, n, c in DEVICE_ROLES]),
        ("rack role", "dcim/rack-roles", [role(s, n, c) for s, n, c in RACK_ROLES]),
        ("tenant group", "tenancy/tenant-groups",
         [Desired(s, s, {"slug": s}, {"name": n, "description": d}) for s, n, d in TENANT_GROUPS]),
        ("inventory item role", "dcim/inventory-item-roles", [role(s, n, c) for s, n, c in INVENTORY_ITEM_ROLES]),
        ("tag", "extras/tags",
         [Desired(s, s, {"slug": s}, {"name": n, "color": c, "description": d}) for s, n, c, d in TAGS]),
        ("circuit type", "circuits/circuit-types",
         [Desired(s, s, {"slug": s}, {"name": n}) for s, n in CIRCUIT_TYPES]),
        ("cluster type", "virtualization/cluster-types",
         [Desired(s, s, {"slug": s}, {"name": n}) for s, n in CLUSTER_TYPES]),
    ]


def _name_clashes(kind: str, desired: list[Desired], existing: list[dict[str, Any]]) -> list[str]:
    """A missing slug whose name is taken: creating it would fail, so say so up front."""
    by_slug = {e.get("slug") for e in existing}
    by_name = {str(e.get("name", "")).lower(): e for e in existing}
    out = []
    for d in desired:
        name = str(d.create_only.get("name", "")).lower()
        if d.key not in by_slug and name in by_name:
            other = by_name[name]
            out.append(f"{kind} named {other['name']!r} exists with slug {other.get('slug')!r}, "
                       f"expected slug {d.key!r}: rename its slug to {d.key!r} in NetBox")
    return out


def bootstrap(client: NetBoxClient, *, dry_run: bool = False, echo: Echo | None = None) -> Report:
    """Create the conventions NetBox lacks; returns what was (or would be) done."""
    def attempt() -> Report:
        report = Report(dry_run=dry_run)
        rec = Reconciler(client, report, dry_run=dry_run, echo=echo)
        ensure_conventions(client, rec)
        # the bulk loader's export templates: its cheapest read (docs/netbox-loader.md)
        from inventory.netbox.loader import ensure_export_templates

        ensure_export_templates(client, rec)
        return report

    return retry_on_concurrent_change(attempt, echo, dry_run)


def ensure_conventions(client: NetBoxClient, rec: Reconciler) -> None:
    """Plan every convention first (so conflicts stop before any write), then apply."""
    kinds = _slug_kinds()
    reads = {endpoint: "id,name,slug" for _, endpoint, _ in kinds}
    reads["extras/custom-field-choice-sets"] = "id,name,extra_choices,base_choices"
    reads["extras/custom-fields"] = "id,name,type,object_types,related_object_type,choice_set,unique"
    with ThreadPoolExecutor(max_workers=4) as pool:  # nine small independent reads
        futures = {ep: pool.submit(client.get_all, ep, {"fields": f}) for ep, f in reads.items()}
        existing = {ep: fut.result() for ep, fut in futures.items()}
    choice_sets = existing["extras/custom-field-choice-sets"]
    custom_fields = existing["extras/custom-fields"]

    problems: list[str] = []
    for kind, endpoint, desired in kinds:
        problems += _name_clashes(kind, desired, existing[endpoint])
    cf_by_name = {c["name"]: c for c in custom_fields}
    for cf in CUSTOM_FIELDS:
        have = cf_by_name.get(cf.name)
        if have is None:
            continue
        htype = have["type"]["value"] if isinstance(have.get("type"), dict) else have.get("type")
        if htype not in cf.types:
            problems.append(f"custom field {cf.name!r} exists as type {htype!r}, expected "
                            f"{' or '.join(cf.types)}: NetBox cannot change a field's type; "
                            "rename or delete that field in NetBox")
    if problems:
        raise SourceError("NetBox conflicts with the colo conventions: " + "; ".join(problems),
                          "nothing was written")

    for kind, endpoint, desired in kinds:
        rec.sync(kind, endpoint, desired, existing[endpoint], lambda e: e.get("slug"))

    cs_ids = rec.sync("custom field choice set", "extras/custom-field-choice-sets", [Desired(
        CHOICE_SET, CHOICE_SET,
        {"extra_choices": Contains([["permanent", "Permanent"], ["temporary", "Temporary"]])},
        {"name": CHOICE_SET, "description": "Co-location type"})],
        choice_sets, lambda e: e.get("name"))

    desired_cfs: list[Desired] = []
    for cf in CUSTOM_FIELDS:
        have = cf_by_name.get(cf.name)
        htype = None
        if have is not None:
            htype = have["type"]["value"] if isinstance(have.get("type"), dict) else have.get("type")
        ctype = htype or cf.types[0]
        wanted: dict[str, Any] = {"object_types": Contains(list(cf.objects))}
        if ctype == "object":
            wanted["related_object_type"] = cf.related
        if ctype in ("select", "multiselect"):
            wanted["choice_set"] = cs_ids[CHOICE_SET]
        if cf.unique:
            wanted["unique"] = True
        desired_cfs.append(Desired(
            cf.name, f"{cf.name} ({', '.join(cf.objects)}, {ctype})", wanted,
            {"name": cf.name, "type": ctype, "label": cf.label, "description": cf.description,
             "group_name": GROUP}))
    rec.sync("custom field", "extras/custom-fields", desired_cfs, custom_fields, lambda e: e.get("name"))


def convention_custom_fields(object_type: str) -> set[str]:
    """Names of the custom fields the conventions define for an object type (e.g. dcim.device)."""
    return {cf.name for cf in CUSTOM_FIELDS if object_type in cf.objects}

