"""What the bulk loader asks NetBox for (inventory/netbox/loader.py sends it).

- GraphQL: one request for every small collection (`SMALL_READS`), each with only the
  fields the snapshot needs; large collections (`BIG_READS`) in balanced pages when their
  export template cannot be used.
- Export templates (`EXPORTS`): each large collection in ONE REST request rendered by a
  template, `values_list()` of the needed columns as JSON lines, no serializer, no
  per-field resolver (20x less server time than GraphQL). `colo netbox bootstrap`
  creates them; the loader uses one only when its code is exactly this version's.

docs/netbox-loader.md has the queries and what each costs on NetBox 4.7.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from inventory.errors import SourceError


# --------------------------------------------------------------------------- GraphQL
# Field names as NetBox 4.7's schema spells them (auto_camel_case is off: snake_case).
# Every related object costs server time per row: only ids, and only where needed.
@dataclass(frozen=True)
class BigRead:
    """A large collection: GraphQL list field, selection, site filter, REST endpoint for the count."""

    name: str
    field: str
    selection: str
    site_filter: str  # a GraphQL filter with {ids} for the site ids
    rest: str


BIG_READS = (
    BigRead("devices", "device_list",
            "id name serial asset_tag position face status custom_field_data "
            "device_type { id } role { id } tenant { id } rack { id } site { id }",
            "{site: {id: {in_list: {ids}}}}", "dcim/devices"),
    BigRead("power_ports", "power_port_list",
            "id name allocated_draw maximum_draw device { id } cable { id }",
            "{site: {id: {in_list: {ids}}}}", "dcim/power-ports"),
    BigRead("power_outlets", "power_outlet_list",
            "id name feed_leg device { id } power_port { id } cable { id }",
            "{site: {id: {in_list: {ids}}}}", "dcim/power-outlets"),
    BigRead("power_feeds", "power_feed_list",
            "id name status type supply phase voltage amperage max_utilization available_power "
            "power_panel { id } rack { id } cable { id }",
            "{power_panel: {site: {id: {in_list: {ids}}}}}", "dcim/power-feeds"),
)

BIG_REST = {b.name: b.rest for b in BIG_READS}

# Small collections, all in one GraphQL request: (name, list field, selection, site filter or None)
SMALL_READS: tuple[tuple[str, str, str, str | None], ...] = (
    ("locations", "location_list", "id name description custom_field_data site { id }",
     "{site: {id: {in_list: {ids}}}}"),
    ("tenant_groups", "tenant_group_list", "id name slug", None),
    ("tenants", "tenant_list", "id name slug description group { id }", None),
    ("racks", "rack_list",
     "id name u_height starting_unit desc_units status facility_id max_weight weight weight_unit "
     "custom_field_data site { id } location { id } role { slug } tenant { id }", "{site: {id: {in_list: {ids}}}}"),
    ("device_types", "device_type_list",
     "id model slug u_height is_full_depth exclude_from_utilization subdevice_role weight weight_unit "
     "custom_field_data manufacturer { name }", None),
    ("device_roles", "device_role_list", "id slug", None),
    ("power_panels", "power_panel_list", "id name custom_field_data site { id } location { id }",
     "{site: {id: {in_list: {ids}}}}"),
    ("reservations", "rack_reservation_list", "id units description rack { id } tenant { id }",
     "{rack: {site: {id: {in_list: {ids}}}}}"),
    ("device_bays", "device_bay_list", "id device { id } installed_device { id }",
     "{site: {id: {in_list: {ids}}}, installed_device: {id: {is_null: false}}}"),  # occupied bays only
    ("circuit_terminations", "circuit_termination_list",
     "id term_side port_speed circuit { id cid status commit_rate type { slug } provider { name } } "
     "termination { __typename ... on SiteType { id } ... on LocationType { site { id } } }",
     "{site: {id: {in_list: {ids}}}}"),
    ("clusters", "cluster_list",
     "id name custom_field_data type { slug } devices { id } "
     "scope { __typename ... on SiteType { id } ... on LocationType { site { id } } }",
     "{site: {id: {in_list: {ids}}}}"),
    ("vms", "virtual_machine_list",
     "id name status vcpus memory disk custom_field_data cluster { id } tenant { id }",
     "{site: {id: {in_list: {ids}}}}"),
)


#: filters that apply whatever the sites (without a site filter, GraphQL takes them alone)
_ALWAYS = {"device_bays": "{installed_device: {id: {is_null: false}}}"}


def graphql_filters(template: str | None, site_ids: list[int] | None, name: str = "") -> str:
    """The `filters:` argument of a list field for the loaded sites ("" for all sites)."""
    if template is None:
        return ""
    if site_ids is None:
        return f"filters: {_ALWAYS[name]}, " if name in _ALWAYS else ""
    ids = "[" + ", ".join(f'"{i}"' for i in site_ids) + "]"
    return "filters: " + template.replace("{ids}", ids) + ", "


# --------------------------------------------------------------------------- export templates
# NetBox renders an export template over a whole filtered queryset in one REST request
# (`GET /api/dcim/devices/?site_id=1&export=NAME`), with no serializer and no GraphQL
# resolver per field: 17,600 power ports cost 0.35 s of server time this way, 7.5 s
# through GraphQL. The templates are NetBox objects that `colo netbox bootstrap`
# creates (`ensure_export_templates`); the loader uses one only when its code is
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
