"""What the bulk loader asks NetBox for (inventory/netbox/loader.py sends it).

- GraphQL: one request for every small collection (`SMALL_READS`), each with only the
  fields the snapshot needs; large collections (`BIG_READS`) in balanced pages when their
  export template cannot be used.
- Export templates (inventory/netbox/conventions.py `EXPORTS`): each large collection in
  ONE REST request rendered by a template, `values_list()` of the needed columns as JSON
  lines, no serializer, no per-field resolver (20x less server time than GraphQL).
  `colo netbox bootstrap` creates them; the loader uses one only when its code is
  exactly this version's.

docs/netbox-loader.md has the queries and what each costs on NetBox 4.7.
"""

from __future__ import annotations

from dataclasses import dataclass


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
