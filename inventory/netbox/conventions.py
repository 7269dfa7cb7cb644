"""The data-model conventions (docs/netbox.md, "Conventions"), defined once: what
`colo netbox bootstrap` creates and every other module relies on.

- custom fields (`CUSTOM_FIELDS`) NetBox lacks for co-located servers, hosted
  applications, UPSs, gensets, virtualization hosts, power panels and persons in charge;
- roles, the agencies' tenant group, inventory item roles, the tag, circuit and cluster
  types, each by slug;
- the export templates the bulk loader reads the large collections through;
- the constants the writer, the loader and the playbooks share (role slugs, the VM disk
  unit, the generic UPS/genset device types).

Plain data: this module imports nothing of the project but the errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from inventory.errors import SourceError

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
    # engineering inputs (docs/capacity-rules.md); an uplink's port speed is NetBox's own
    # circuit termination port_speed
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

#: the roles and types the loader and the playbooks look for
SERVER_ROLE = "server"
UPS_ROLE = "ups"
GENSET_ROLE = "genset"
TENANT_GROUP = "opd"  # agencies (OPD)
UPLINK_CIRCUIT_TYPE = "internet-uplink"
MANAGED_TAG = "colo-managed"
TAG = [{"slug": MANAGED_TAG}]  # put on the objects colo creates
#: a hosting request's application is a virtual machine
VM_TYPE = "virtualization.virtualmachine"
# NetBox stores VM disk in MB (base unit 1000 unless DISK_BASE_UNIT says otherwise);
# the snapshot and request files count GB. The writer multiplies, the loader divides.
VM_DISK_MB_PER_GB = 1000
#: UPSs and gensets are devices of these generic 0U types (NetBox does not model them)
GENERIC_MANUFACTURER = "Generic"
UPS_TYPE = {"model": "UPS (colo)", "slug": "colo-ups"}
GENSET_TYPE = {"model": "Genset (colo)", "slug": "colo-genset"}

# slug, name, colour
DEVICE_ROLES = (
    (SERVER_ROLE, "Server (co-location)", "2196f3"),
    (UPS_ROLE, "UPS", "ff9800"),
    (GENSET_ROLE, "Genset", "795548"),
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
TENANT_GROUPS = ((TENANT_GROUP, "OPD", "Provincial government agencies (Organisasi Perangkat Daerah)"),)
INVENTORY_ITEM_ROLES = (
    ("processor", "Processor", "f44336"),
    ("memory", "Memory", "3f51b5"),
    ("motherboard", "Motherboard", "009688"),
    ("storage", "Storage", "607d8b"),
    ("psu", "PSU", "ffeb3b"),
)
TAGS = ((MANAGED_TAG, MANAGED_TAG, "00bcd4", "Written by the colo tool"),)
CIRCUIT_TYPES = ((UPLINK_CIRCUIT_TYPE, "Internet uplink"),)
CLUSTER_TYPES = (("virtualization", "Virtualization"),)
#: the person in charge's role on the agency's tenant (slug, name)
PERSON_IN_CHARGE_ROLE = ("person-in-charge", "Penanggung Jawab (person in charge)")


def convention_custom_fields(object_type: str) -> set[str]:
    """Names of the custom fields the conventions define for an object type (e.g. dcim.device)."""
    return {cf.name for cf in CUSTOM_FIELDS if object_type in cf.objects}


# NetBox renders an export template over a whole filtered queryset in one REST request
# (`GET /api/dcim/devices/?site_id=1&export=NAME`), with no serializer and no GraphQL
# resolver per field: 17,600 power ports cost 0.35 s of server time this way, 7.5 s
# through GraphQL. The templates are NetBox objects that `colo netbox bootstrap`
# creates (bootstrap.py); the loader uses one only when its code is
# exactly this version's, and reads through GraphQL otherwise (read-only tokens,
# a NetBox not bootstrapped, a template someone edited).
EXPORT_PREFIX = "colo-loader-v1-"


@dataclass(frozen=True)
class ExportTemplate:
    read: str  # the large read it replaces
    object_type: str
    fields: tuple[str, ...]  # JSON-safe model fields, `*_id` for foreign keys
    decimal: str | None = None  # a DecimalField (JSON has none): written as text before the array

    @property
    def name(self) -> str:
        return EXPORT_PREFIX + self.read.replace("_", "-")

    @property
    def code(self) -> str:
        names = ", ".join(repr(f) for f in ((self.decimal,) if self.decimal else ()) + self.fields)
        head = (f"{{#- colo-kaltim bulk loader ({self.name}): one line per object"
                f"{', ' + self.decimal + ' TAB' if self.decimal else ''} then a JSON array of "
                f"{', '.join(self.fields)}. Kept by `colo netbox bootstrap`; if edited, colo reads "
                "through GraphQL instead. -#}\n")
        loop = f"{{%- for r in queryset.prefetch_related(None).order_by().values_list({names}) -%}}\n"
        if self.decimal:
            body = "{{ '' if r[0] is none else r[0] }}\t{{ r[1:]|tojson }}\n"
        else:
            body = "{{ r|tojson }}\n"
        # no surrounding whitespace: NetBox's API strips it, and the loader compares exactly
        return head + loop + body + "{% endfor -%}"

    def parse(self, text: str) -> list[dict]:
        """Rows shaped like the GraphQL rows (`{"device": {"id": "7"}}`), for one assembler."""
        rows = []
        for line in text.split("\n"):
            if not line.strip():
                continue
            dec = None
            if self.decimal:
                dec, _, line = line.partition("\t")
            values = json.loads(line)
            if len(values) != len(self.fields):
                raise SourceError(f"NetBox export {self.name} answered rows of {len(values)} fields, "
                                  f"expected {len(self.fields)}", "run `colo netbox bootstrap`")
            row: dict[str, Any] = {}
            for f, v in zip(self.fields, values):
                if f == "id":
                    row["id"] = str(v)
                elif f.endswith("_id"):
                    row[f[:-3]] = None if v is None else {"id": str(v)}
                else:
                    row[f] = v
            if self.decimal:
                row[self.decimal] = dec or None
            rows.append(row)
        return rows


EXPORTS: dict[str, ExportTemplate] = {e.read: e for e in (
    ExportTemplate("devices", "dcim.device",
            ("id", "name", "serial", "asset_tag", "face", "status", "custom_field_data",
             "device_type_id", "role_id", "tenant_id", "rack_id", "site_id"), decimal="position"),
    ExportTemplate("power_ports", "dcim.powerport",
            ("id", "name", "allocated_draw", "maximum_draw", "device_id", "cable_id")),
    ExportTemplate("power_outlets", "dcim.poweroutlet",
            ("id", "name", "feed_leg", "device_id", "power_port_id", "cable_id")),
    ExportTemplate("power_feeds", "dcim.powerfeed",
            ("id", "name", "status", "type", "supply", "phase", "voltage", "amperage", "max_utilization",
             "available_power", "power_panel_id", "rack_id", "cable_id")),
)}


def export_template_objects() -> list[dict[str, Any]]:
    """The export templates the loader uses, as NetBox REST objects (for bootstrap)."""
    return [{"name": e.name, "object_types": [e.object_type], "template_code": e.code,
             "mime_type": "text/plain", "file_extension": "txt", "as_attachment": False,
             "description": "colo-kaltim: bulk read for the capacity loader (do not edit)"}
            for e in EXPORTS.values()]
