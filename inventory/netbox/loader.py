"""The bulk loader: one NetBox site (or all) into a `Snapshot`, in a handful of requests.

Reads (docs/netbox-loader.md has the queries and what each costs on NetBox 4.7):

1. concurrently: the sites (REST, to resolve the slugs or names asked for) and the
   loader's export templates (REST), to see whether NetBox holds them as this version
   wrote them;
2. concurrently, by a few threads:
   - one GraphQL request holding every small collection (locations, tenants, racks,
     device types and roles, panels, reservations, device bays, circuits, clusters and
     their hosts, VMs), each with only the fields the snapshot needs;
   - each large collection (devices, power ports, power outlets, power feeds) in ONE
     REST request rendered by an export template: `values_list()` of the needed columns
     as JSON lines, no serializer, no per-field resolver (20x less server time than
     GraphQL);
   - or, for a large collection whose template is missing or edited: a REST request
     with no rows that answers the count and, in its `previous` link, the page size the
     server grants (MAX_PAGE_SIZE), then GraphQL pages of that size, balanced, scalar
     fields and related ids only.

`available_power` of feeds comes from the export or GraphQL (REST lacks it). Cabling is
taken from the cable id of every power port, outlet and feed alone; no cable or
termination is read: NetBox lets a power cable join ports on one end only to outlets or
only to feeds on the other (powerport <-> poweroutlet | powerfeed), so the ports on a
cable are exactly the link peers of the outlet or feed on it, as NetBox's own
`link_peers` and `get_downstream_powerports()` have them.

Never one request per rack, device or port. Keys are NetBox ids (as strings) for
everything whose name may repeat (racks, devices, panels, feeds, locations, device
types, clusters, circuits, VMs, UPS, gensets); slugs for sites, tenants and tenant
groups (unique in NetBox, and what request files name). Names are NetBox's own.

UPS and gensets are devices with role `ups`/`genset` and the capacity custom fields of
DESIGN §3; they become `UPS`/`Genset` entries (and also devices when they sit in a
rack, so that rack space stays exact). Power panels name their UPS in the custom
field `ups`; cluster hosts carry `vcpus`, `memory_gb`, `disk_gb`.
"""
from __future__ import annotations

import logging
import math
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, TextIO
from urllib.parse import parse_qs, urlsplit

from pydantic import ValidationError

from inventory.errors import InputError, NetBoxHTTPError, SourceError
from inventory.model import (
    UPS,
    Cluster,
    ClusterHost,
    Device,
    DeviceType,
    Genset,
    HostCapacity,
    Location,
    OutletRef,
    PowerFeed,
    PowerOutlet,
    PowerPanel,
    PowerPort,
    Rack,
    RackReservation,
    Site,
    Snapshot,
    Tenant,
    TenantGroup,
    Uplink,
    VirtualMachine,
)
from inventory.netbox.client import NetBoxClient
from inventory.netbox.conventions import (
    EXPORTS,
    GENSET_ROLE,
    UPLINK_CIRCUIT_TYPE,
    UPS_ROLE,
    VM_DISK_MB_PER_GB,
    ExportTemplate,
)

__all__ = ["load_snapshot", "LoadStats"]

log = logging.getLogger(__name__)

#: custom fields the loader turns into UPS/genset/cluster-host attributes (not kept on devices)
SOURCE_FIELDS = ("rated_va", "derating", "efficiency", "genset", "redundancy_group", "other_loads_va")
HOST_FIELDS = ("vcpus", "memory_gb", "disk_gb")
#: the page size asked for; the server's MAX_PAGE_SIZE may grant less (detected)
DEFAULT_PAGE_SIZE = 5000
#: concurrent requests: the sandbox serves with 4 gunicorn workers
DEFAULT_WORKERS = 4

_KG = {"kg": 1.0, "g": 0.001, "lb": 0.45359237, "oz": 0.028349523125}


# --------------------------------------------------------------------------- statistics
@dataclass
class ReadStat:
    name: str
    requests: int = 0
    objects: int = 0
    seconds: float = 0.0  # summed over the read's requests (concurrent ones overlap)


@dataclass
class LoadStats:
    """What a load cost: per read, requests, objects and seconds; in total, wall time."""

    reads: dict[str, ReadStat] = field(default_factory=dict)
    wall_seconds: float = 0.0
    requests: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    read_by: dict[str, str] = field(default_factory=dict)  # large read -> "export template" | "GraphQL"
    warnings: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, objects: int, seconds: float) -> None:
        with self._lock:
            st = self.reads.setdefault(name, ReadStat(name))
            st.requests += 1
            st.objects += objects
            st.seconds += seconds

    def lines(self) -> list[str]:
        out = [f"{s.name:<16} {s.objects:>7} objects {s.requests:>3} requests {s.seconds:7.2f} s"
               for s in sorted(self.reads.values(), key=lambda s: -s.seconds)]
        paths = ", ".join(f"{k} by {v}" for k, v in self.read_by.items())
        out.append(f"total: {self.requests} HTTP requests, {self.wall_seconds:.2f} s wall time ({paths})")
        return out


# --------------------------------------------------------------------------- GraphQL
# Field names as NetBox 4.7's schema spells them (auto_camel_case is off: snake_case).
# Every related object costs server time per row: only ids, and only where needed.
@dataclass(frozen=True)
class _Big:
    """A large collection: GraphQL list field, selection, site filter, REST endpoint for the count."""

    name: str
    field: str
    selection: str
    site_filter: str  # a GraphQL filter with {ids} for the site ids
    rest: str


BIG_READS = (
    _Big("devices", "device_list",
         "id name serial asset_tag position face status custom_field_data "
         "device_type { id } role { id } tenant { id } rack { id } site { id }",
         "{site: {id: {in_list: {ids}}}}", "dcim/devices"),
    _Big("power_ports", "power_port_list",
         "id name allocated_draw maximum_draw device { id } cable { id }",
         "{site: {id: {in_list: {ids}}}}", "dcim/power-ports"),
    _Big("power_outlets", "power_outlet_list",
         "id name feed_leg device { id } power_port { id } cable { id }",
         "{site: {id: {in_list: {ids}}}}", "dcim/power-outlets"),
    _Big("power_feeds", "power_feed_list",
         "id name status type supply phase voltage amperage max_utilization available_power "
         "power_panel { id } rack { id } cable { id }",
         "{power_panel: {site: {id: {in_list: {ids}}}}}", "dcim/power-feeds"),
)

BIG_REST = {b.name: b.rest for b in BIG_READS}

# Small collections, all in one GraphQL request: (name, list field, selection, site filter or None)
SMALL_READS: tuple[tuple[str, str, str, str | None], ...] = (
    ("locations", "location_list", "id name description site { id }", "{site: {id: {in_list: {ids}}}}"),
    ("tenant_groups", "tenant_group_list", "id name slug", None),
    ("tenants", "tenant_list", "id name slug description group { id }", None),
    ("racks", "rack_list",
     "id name u_height starting_unit desc_units status facility_id max_weight weight weight_unit "
     "site { id } location { id } role { slug } tenant { id }", "{site: {id: {in_list: {ids}}}}"),
    ("device_types", "device_type_list",
     "id model slug u_height is_full_depth exclude_from_utilization subdevice_role weight weight_unit "
     "manufacturer { name }", None),
    ("device_roles", "device_role_list", "id slug", None),
    ("power_panels", "power_panel_list", "id name custom_field_data site { id } location { id }",
     "{site: {id: {in_list: {ids}}}}"),
    ("reservations", "rack_reservation_list", "id units description rack { id } tenant { id }",
     "{rack: {site: {id: {in_list: {ids}}}}}"),
    ("device_bays", "device_bay_list", "id device { id } installed_device { id }",
     "{site: {id: {in_list: {ids}}}, installed_device: {id: {is_null: false}}}"),  # occupied bays only
    ("circuit_terminations", "circuit_termination_list",
     "id term_side circuit { id cid status commit_rate type { slug } provider { name } } "
     "termination { __typename ... on SiteType { id } ... on LocationType { site { id } } }",
     "{site: {id: {in_list: {ids}}}}"),
    ("clusters", "cluster_list",
     "id name type { slug } devices { id } "
     "scope { __typename ... on SiteType { id } ... on LocationType { site { id } } }",
     "{site: {id: {in_list: {ids}}}}"),
    ("vms", "virtual_machine_list",
     "id name status vcpus memory disk custom_field_data cluster { id } tenant { id }",
     "{site: {id: {in_list: {ids}}}}"),
)


#: filters that apply whatever the sites (without a site filter, GraphQL takes them alone)
_ALWAYS = {"device_bays": "{installed_device: {id: {is_null: false}}}"}


def _filters(template: str | None, site_ids: list[int] | None, name: str = "") -> str:
    """The `filters:` argument of a list field for the loaded sites ("" for all sites)."""
    if template is None:
        return ""
    if site_ids is None:
        return f"filters: {_ALWAYS[name]}, " if name in _ALWAYS else ""
    ids = "[" + ", ".join(f'"{i}"' for i in site_ids) + "]"
    return "filters: " + template.replace("{ids}", ids) + ", "


# --------------------------------------------------------------------------- progress
class _Progress:
    """A one-line progress bar on stderr, only on a terminal."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(enabled and hasattr(self.stream, "isatty") and self.stream.isatty())
        self.total = 0
        self.done = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.total += n
            self._draw()

    def step(self) -> None:
        with self._lock:
            self.done += 1
            self._draw()

    def _draw(self) -> None:
        if not self.enabled or not self.total:
            return
        width = 30
        filled = int(width * min(self.done, self.total) / self.total)
        self.stream.write(f"\rReading NetBox [{'#' * filled}{'.' * (width - filled)}] "
                          f"{self.done}/{self.total} requests")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.total:
            self.stream.write("\r" + " " * 72 + "\r")
            self.stream.flush()


# --------------------------------------------------------------------------- reading
class _Reader:
    """Counts, pages and concurrency of one load."""

    def __init__(self, client: NetBoxClient, site_ids: list[int] | None, page_size: int,
                 workers: int, progress: _Progress, stats: LoadStats) -> None:
        self.client = client
        self.site_ids = site_ids
        self.single_site: str | None = None  # the site id when only one site is read
        self.page_size = page_size
        self.workers = max(1, workers)
        self.progress = progress
        self.stats = stats

    def timed(self, name: str, fn: Callable[[], Any], objects: Callable[[Any], int]) -> Any:
        t0 = time.perf_counter()
        out = fn()
        self.stats.add(name, objects(out), time.perf_counter() - t0)
        self.progress.step()
        return out

    def count(self, big: _Big) -> tuple[int, int]:
        """(count, granted page size) of a large read, filtered by the loaded sites."""
        params: dict[str, Any] = {}
        if self.site_ids is not None:
            params["site_id"] = self.site_ids
        return self.probe(big.rest, params)

    def probe(self, path: str, params: dict[str, Any]) -> tuple[int, int]:
        """(count, granted page size): a page far past the end answers both, with no rows."""
        params = {**params, "fields": "id", "limit": self.page_size, "offset": 10 ** 9}
        body = self.timed("counts", lambda: self.client.get_json(path, params), lambda b: 0)
        if not isinstance(body, dict) or "count" not in body:
            raise SourceError(f"NetBox answered GET /api/{path}/ without a count",
                              "is NETBOX_URL a NetBox?")
        granted = self.page_size
        link = body.get("previous") or ""
        if link:
            limit = parse_qs(urlsplit(link).query).get("limit")
            if limit and limit[0].isdigit() and int(limit[0]) > 0:
                granted = min(granted, int(limit[0]))
        return int(body["count"]), granted

    def usable_exports(self) -> set[str]:
        """The large reads whose export template NetBox holds exactly as this version wrote it."""
        try:
            got = self.client.get_all("extras/export-templates", {
                "name": [e.name for e in EXPORTS.values()],
                "fields": "name,object_types,template_code,environment_params"}, page_size=100)
        except NetBoxHTTPError as exc:
            if not 400 <= exc.status < 500:  # NetBox failing: that is an error
                raise
            # e.g. a token without permission to view export templates: the slower way still works
            self.stats.warnings.append(f"export templates not readable ({exc}); reading through GraphQL")
            got = []
        finally:
            self.progress.step()
        ok = set()
        by_name = {t.get("name"): t for t in got}
        for e in EXPORTS.values():
            t = by_name.get(e.name)
            if (t is not None and t.get("template_code") == e.code and not t.get("environment_params")
                    and e.object_type in (t.get("object_types") or [])):
                ok.add(e.read)
        return ok

    def export(self, e: ExportTemplate) -> list[dict] | None:
        """All rows of a large read in one request; None if NetBox has no such template (any more)."""
        params: dict[str, Any] = {"export": e.name}
        if self.site_ids is not None:
            params["site_id"] = self.site_ids

        def fetch() -> list[dict] | None:
            url = self.client.url(BIG_REST[e.read])
            response = self.client.http.get(url, params=params)
            if response.status_code == 404:
                return None
            if response.status_code >= 400:
                raise SourceError(f"NetBox failed on the export {e.name} of {urlsplit(url).path} "
                                  f"(HTTP {response.status_code})", "try again; see NetBox's log")
            return e.parse(response.text)

        return self.timed(e.read, fetch, lambda rows: len(rows or []))

    def graphql(self, name: str, query: str, rows_in: Callable[[dict], int]) -> dict[str, Any]:
        return self.timed(name, lambda: self.client.graphql(query), rows_in)

    def big_page(self, big: _Big, offset: int, limit: int) -> list[dict]:
        selection = big.selection
        if self.single_site is not None:  # every row is in that site: save a field per row
            selection = selection.replace(" site { id }", "")
        q = (f"query {{ {big.field}({_filters(big.site_filter, self.site_ids)}"
             f"pagination: {{offset: {offset}, limit: {limit}}}) {{ {selection} }} }}")
        data = self.graphql(big.name, q, lambda d: len(d.get(big.field) or []))
        rows = data.get(big.field)
        if rows is None:
            raise SourceError(f"NetBox GraphQL answered without {big.field}")
        return rows

    def small(self, limit: int) -> dict[str, list[dict]]:
        parts = []
        for name, fld, sel, flt in SMALL_READS:
            # no aliases: NetBox allows only 10 (GRAPHQL_MAX_ALIASES); every list field appears once
            parts.append(f"{fld}({_filters(flt, self.site_ids, name)}"
                         f"pagination: {{limit: {limit}}}) {{ {sel} }}")
        data = self.graphql("small lists", "query { " + " ".join(parts) + " }",
                            lambda d: sum(len(v or []) for v in d.values()))
        return {name: data.get(fld) or [] for name, fld, *_ in SMALL_READS}

    def small_rest(self, name: str, granted: int, have: int) -> list[dict]:
        """The rest of a small collection larger than one page (rare: thousands of racks)."""
        spec = next(s for s in SMALL_READS if s[0] == name)
        _, fld, sel, flt = spec
        rows: list[dict] = []
        offset = have
        while True:
            q = (f"query {{ {fld}({_filters(flt, self.site_ids, name)}"
                 f"pagination: {{offset: {offset}, limit: {granted}}}) {{ {sel} }} }}")
            self.progress.add(1)
            got = self.graphql(name, q, lambda d: len(d.get(fld) or [])).get(fld) or []
            rows.extend(got)
            offset += len(got)
            if len(got) < granted:
                return rows


def _dedupe(rows: list[dict]) -> list[dict]:
    """Objects created or deleted while paging shift offsets: one row per id."""
    seen: set[Any] = set()
    out = []
    for r in rows:
        ident = r.get("id")
        if ident in seen:
            continue
        seen.add(ident)
        out.append(r)
    return out


# --------------------------------------------------------------------------- helpers
def _id(obj: Any) -> str | None:
    """The id of a nested object ({id: ...}) or a bare id, as a string key."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        v = obj.get("id")
        return None if v is None else str(v)
    return str(obj)


def _slug(obj: Any) -> str | None:
    return obj.get("slug") if isinstance(obj, dict) else None


def _num(v: Any) -> float | None:
    """A number from NetBox (GraphQL sends decimals as strings); None when absent or bad."""
    if v is None or v == "" or isinstance(v, bool):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _kg(weight: Any, unit: Any) -> float | None:
    w = _num(weight)
    if w is None:
        return None
    return round(w * _KG.get(str(unit or "kg").lower(), 1.0), 3)


def _scope_site(obj: Any) -> str | None:
    """The site id of a scope/termination union: a site, or a location in a site."""
    if not isinstance(obj, dict):
        return None
    if obj.get("__typename") == "SiteType":
        return _id(obj)
    if obj.get("__typename") == "LocationType":
        return _id(obj.get("site"))
    return None


# --------------------------------------------------------------------------- the load
def load_snapshot(client: NetBoxClient, sites: list[str] | None = None, progress: bool = False, *,
                  page_size: int = DEFAULT_PAGE_SIZE, workers: int = DEFAULT_WORKERS,
                  stats: LoadStats | None = None, stream: TextIO | None = None,
                  use_export_templates: bool = True) -> Snapshot:
    """Read `sites` (slugs or names; None or empty = every site) into a Snapshot.

    `progress` draws a bar on `stream` (stderr) when it is a terminal. `stats`, if
    given, receives what each read cost. Problems in the data that the snapshot cannot
    hold (a UPS without a rated capacity, a link to an object outside the loaded sites)
    are left out and listed in `stats.warnings` (and logged as warnings).
    """
    t_start = time.perf_counter()
    stats = stats if stats is not None else LoadStats()
    requests_before = client.requests_made
    bar = _Progress(progress, stream)
    try:
        snapshot = _load(client, sites, bar, stats, page_size, workers, use_export_templates)
    finally:
        bar.close()
        stats.wall_seconds = time.perf_counter() - t_start
        stats.requests = client.requests_made - requests_before
    for w in stats.warnings:
        log.warning("%s", w)
    for line in stats.lines():
        log.info("%s", line)
    return snapshot


def _select_sites(all_sites: list[dict], wanted: list[str] | None) -> list[dict]:
    if not wanted:
        return all_sites
    chosen: dict[Any, dict] = {}
    for w in wanted:
        low = w.strip().lower()
        hits = [s for s in all_sites if low in (str(s.get("slug", "")).lower(), str(s.get("name", "")).lower())]
        if not hits:
            known = ", ".join(sorted(str(s.get("slug")) for s in all_sites)) or "none"
            raise InputError(f"NetBox has no site {w!r} (known sites: {known})")
        for s in hits:
            chosen[s["id"]] = s
    return list(chosen.values())


def _load(client: NetBoxClient, wanted: list[str] | None, bar: _Progress, stats: LoadStats,
          page_size: int, workers: int, use_exports: bool) -> Snapshot:
    reader = _Reader(client, None, page_size, workers, bar, stats)
    with ThreadPoolExecutor(max_workers=reader.workers) as pool:
        bar.add(3 if use_exports else 1)
        exports_fut = pool.submit(reader.usable_exports) if use_exports else None
        # the page size NetBox grants (MAX_PAGE_SIZE), for the small lists read in one page;
        # with GraphQL pages the counts of the large reads answer it
        cap_fut = pool.submit(reader.probe, "dcim/sites", {}) if use_exports else None
        site_rows = reader.timed("sites", lambda: client.get_all(
            "dcim/sites", {"fields": "id,name,slug,description"}, page_size=page_size), len)
        chosen = _select_sites(site_rows, wanted)
        reader.site_ids = None if not wanted else sorted(int(s["id"]) for s in chosen)
        if len(chosen) == 1:
            reader.single_site = str(chosen[0]["id"])
        usable = exports_fut.result() if exports_fut is not None else set()
        stats.read_by = {b.name: "export template" if b.name in usable else "GraphQL" for b in BIG_READS}

        rows: dict[str, list[dict]] = {}
        bar.add(1 + len(usable))
        small_fut = pool.submit(reader.small, page_size)
        export_futs = {name: pool.submit(reader.export, EXPORTS[name]) for name in sorted(usable)}
        paged = [b for b in BIG_READS if b.name not in usable]
        for name, fut in export_futs.items():
            got = fut.result()
            if got is None:  # the template vanished since the check: read through GraphQL
                paged.append(next(b for b in BIG_READS if b.name == name))
                stats.read_by[name] = "GraphQL"
            else:
                rows[name] = got
        granted = cap_fut.result()[1] if cap_fut is not None else page_size
        stats.page_size = granted
        if paged:
            rows.update(_paged_reads(reader, pool, paged))
            granted = min(granted, stats.page_size)
        rows.update(small_fut.result())
    for name, *_ in SMALL_READS:  # a small list that filled a whole page may go on
        if len(rows[name]) >= granted:
            rows[name] = _dedupe(rows[name] + reader.small_rest(name, granted, len(rows[name])))
    for big in BIG_READS:  # the same order whichever way they were read: NetBox's creation order
        rows[big.name].sort(key=lambda r: int(r["id"]))
    if reader.single_site is not None:
        for d in rows["devices"]:
            if not d.get("site"):
                d["site"] = {"id": reader.single_site}
    return _assemble(chosen, rows, stats)


def _paged_reads(reader: _Reader, pool: ThreadPoolExecutor, reads: list[_Big]) -> dict[str, list[dict]]:
    """Large reads through GraphQL: counts, then balanced pages of the granted size, concurrently."""
    bar, stats = reader.progress, reader.stats
    bar.add(len(reads))
    count_futs = {b.name: pool.submit(reader.count, b) for b in reads}
    counts: dict[str, int] = {}
    granted = reader.page_size
    for name, fut in count_futs.items():
        counts[name], g = fut.result()
        granted = min(granted, g)
    stats.page_size = granted
    # balanced pages, the largest collections first so the small ones fill the end
    pages: list[tuple[int, _Big, int, int]] = []
    for big in reads:
        n = counts[big.name]
        k = max(1, math.ceil(n / granted))
        size = max(1, math.ceil(n / k))
        pages += [(n, big, off, size) for off in range(0, max(n, 1), size)]
    pages.sort(key=lambda p: (-p[0], p[2]))
    bar.add(len(pages))
    futs: dict[str, list[tuple[int, int, Future]]] = defaultdict(list)
    for _, big, off, size in pages:
        futs[big.name].append((off, size, pool.submit(reader.big_page, big, off, size)))
    rows: dict[str, list[dict]] = {}
    for big in reads:
        got: list[dict] = []
        for off, size, fut in futs[big.name]:
            part = fut.result()
            got.extend(part)
            # a page shorter than asked, before the end: read the rest of its range
            pos, end = off + len(part), min(off + size, counts[big.name])
            while part and pos < end:
                bar.add(1)
                part = reader.big_page(big, pos, end - pos)
                got.extend(part)
                pos += len(part)
        rows[big.name] = _dedupe(got)
    return rows


# --------------------------------------------------------------------------- assembling
def _assemble(site_rows: list[dict], rows: dict[str, list[dict]], stats: LoadStats) -> Snapshot:
    warn = stats.warnings.append
    site_key = {str(s["id"]): s["slug"] for s in site_rows}
    sites = [Site(key=s["slug"], name=s["name"], slug=s["slug"], description=s.get("description") or "")
             for s in site_rows]

    locations = [Location(key=str(r["id"]), name=r["name"], site=site_key[_id(r["site"])],
                          description=r.get("description") or "")
                 for r in rows["locations"] if _id(r["site"]) in site_key]
    location_keys = {loc.key for loc in locations}

    group_slug = {str(g["id"]): g["slug"] for g in rows["tenant_groups"]}
    groups = [TenantGroup(key=g["slug"], name=g["name"]) for g in rows["tenant_groups"]]
    tenant_slug = {str(t["id"]): t["slug"] for t in rows["tenants"]}
    tenants = [Tenant(key=t["slug"], name=t["name"], slug=t["slug"], group=group_slug.get(_id(t.get("group"))),
                      description=t.get("description") or "") for t in rows["tenants"]]

    def tenant(obj: Any) -> str | None:
        return tenant_slug.get(_id(obj) or "")

    racks: list[Rack] = []
    for r in rows["racks"]:
        site = site_key.get(_id(r["site"]) or "")
        if site is None:
            continue
        loc = _id(r.get("location"))
        racks.append(Rack(
            key=str(r["id"]), name=r["name"], site=site, location=loc if loc in location_keys else None,
            u_height=int(r.get("u_height") or 42), starting_unit=int(r.get("starting_unit") or 1),
            desc_units=bool(r.get("desc_units")), status=r.get("status") or "active",
            role=_slug(r.get("role")), tenant=tenant(r.get("tenant")),
            max_weight_kg=_kg(r.get("max_weight"), r.get("weight_unit")),
            weight_kg=_kg(r.get("weight"), r.get("weight_unit")),
            facility_id=r.get("facility_id") or None, netbox_id=int(r["id"])))
    rack_keys = {r.key for r in racks}

    # --- cabling: the ports on a cable are the link peers of the outlet or feed on it
    source_of_cable: dict[str, tuple[str, str]] = {}
    for kind in ("power_outlets", "power_feeds"):
        for obj in rows[kind]:
            cable = _id(obj.get("cable"))
            if cable is None:
                continue
            if cable in source_of_cable:  # NetBox allows it; the snapshot gives a port one peer
                warn(f"cable {cable} joins several outlets or feeds on one end; the ports on it are "
                     f"counted on {source_of_cable[cable][1]} only")
                continue
            source_of_cable[cable] = (kind, str(obj["id"]))
    outlets_by_id = {str(o["id"]): o for o in rows["power_outlets"]}
    port_name = {str(p["id"]): p["name"] for p in rows["power_ports"]}

    ports_of: dict[str, list[PowerPort]] = defaultdict(list)
    for p in rows["power_ports"]:
        feed = outlet = None
        cable = _id(p.get("cable"))
        src = source_of_cable.get(cable) if cable is not None else None
        if cable is not None and src is None:
            warn(f"power port {p['name']} (NetBox id {p['id']}): its cable {cable} leads to no loaded "
                 "feed or outlet (another site?); not followed")
        if src is not None:
            kind, ident = src
            if kind == "power_feeds":
                feed = ident
            else:
                o = outlets_by_id[ident]
                outlet = OutletRef(device=_id(o["device"]) or "", name=o["name"])
        maximum = p.get("maximum_draw")
        ports_of[_id(p["device"]) or ""].append(PowerPort(
            name=p["name"], allocated_draw=p.get("allocated_draw"),
            maximum_draw=maximum if maximum else None,  # NetBox allows 0; the model means "unknown"
            feed=feed, outlet=outlet))
    outlets_of: dict[str, list[PowerOutlet]] = defaultdict(list)
    for o in rows["power_outlets"]:
        leg = o.get("feed_leg")
        outlets_of[_id(o["device"]) or ""].append(PowerOutlet(
            name=o["name"], power_port=port_name.get(_id(o.get("power_port")) or ""),
            feed_leg=leg.upper() if isinstance(leg, str) and leg else None))

    # --- devices, UPS and gensets
    role_slug = {str(r["id"]): r["slug"] for r in rows["device_roles"]}
    cluster_of_host = {str(h["id"]): str(c["id"]) for c in rows["clusters"] for h in c.get("devices") or []}
    parent_of = {_id(b.get("installed_device")): _id(b.get("device")) for b in rows["device_bays"]}
    devices: list[Device] = []
    ups: list[UPS] = []
    gensets: list[Genset] = []
    used_types: set[str] = set()
    host_capacity: dict[str, tuple[str, HostCapacity]] = {}
    for d in rows["devices"]:
        key = str(d["id"])
        site = site_key.get(_id(d["site"]) or "")
        if site is None:
            continue
        role = role_slug.get(_id(d.get("role")) or "", "")
        cf = {k: v for k, v in (d.get("custom_field_data") or {}).items() if v is not None and v != ""}
        rack = _id(d.get("rack"))
        rack = rack if rack in rack_keys else None
        name = d.get("name") or ""
        if role in (UPS_ROLE, GENSET_ROLE):
            made = _power_source(key, name, site, role, cf, warn)
            if isinstance(made, UPS):
                ups.append(made)
            elif isinstance(made, Genset):
                gensets.append(made)
            if rack is None:  # an unracked UPS/genset takes no rack space: not a device here
                continue
            cf = {k: v for k, v in cf.items() if k not in SOURCE_FIELDS}
        cluster = cluster_of_host.get(key)
        if cluster is not None:
            host_capacity[key] = (cluster, _host_capacity(cf, name or key, warn))
            cf = {k: v for k, v in cf.items() if k not in HOST_FIELDS}
        position = _num(d.get("position")) if rack is not None else None
        face = (d.get("face") or None) if rack is not None else None
        if position is not None and face is None:
            warn(f"device {name or key}: position U{position:g} without a face; taken as unpositioned")
            position = None
        dtype = _id(d["device_type"]) or ""
        used_types.add(dtype)
        try:
            devices.append(Device(
                key=key, name=name, device_type=dtype, site=site, rack=rack, position=position, face=face,
                status=d.get("status") or "active", role=role or "unknown", tenant=tenant(d.get("tenant")),
                serial=d.get("serial") or "", asset_tag=d.get("asset_tag") or None,
                parent=parent_of.get(key), power_ports=ports_of.get(key, []),
                power_outlets=outlets_of.get(key, []), custom_fields=cf, netbox_id=int(d["id"])))
        except ValidationError as exc:
            warn(f"device {name or key} (NetBox id {key}) left out: {exc.errors()[0]['msg']}")
    device_keys = {d.key for d in devices}

    type_rows = {str(t["id"]): t for t in rows["device_types"]}
    device_types = []
    for tid in sorted(used_types, key=lambda x: (len(x), x)):
        t = type_rows.get(tid)
        if t is None:
            raise SourceError(f"NetBox device type {tid} is used by devices but was not listed")
        sub = t.get("subdevice_role")
        device_types.append(DeviceType(
            key=tid, manufacturer=(t.get("manufacturer") or {}).get("name") or "?", model=t["model"],
            slug=t.get("slug") or "", u_height=_num(t.get("u_height")) or 0.0,
            is_full_depth=bool(t.get("is_full_depth")),
            exclude_from_utilization=bool(t.get("exclude_from_utilization")),
            weight_kg=_kg(t.get("weight"), t.get("weight_unit")),
            subdevice_role=sub if sub in ("parent", "child") else None))

    # --- panels and feeds
    ups_keys = {u.key for u in ups}
    genset_keys = {g.key for g in gensets}
    for u in ups:
        if u.genset is not None and u.genset not in genset_keys:
            warn(f"UPS {u.name}: custom field genset points at {u.genset}, not a loaded genset; link dropped")
            u.genset = None
    panels = []
    for p in rows["power_panels"]:
        site = site_key.get(_id(p["site"]) or "")
        if site is None:
            continue
        link = _id((p.get("custom_field_data") or {}).get("ups"))
        if link is not None and link not in ups_keys:
            warn(f"power panel {p['name']}: custom field ups points at {link}, not a loaded UPS; link dropped")
            link = None
        loc = _id(p.get("location"))
        panels.append(PowerPanel(key=str(p["id"]), name=p["name"], site=site,
                                 location=loc if loc in location_keys else None, ups=link))
    panel_keys = {p.key for p in panels}

    feeds = []
    for f in rows["power_feeds"]:
        panel = _id(f.get("power_panel"))
        if panel not in panel_keys:
            continue
        rack = _id(f.get("rack"))
        feed = PowerFeed(
            key=str(f["id"]), name=f["name"], panel=panel, rack=rack if rack in rack_keys else None,
            status=f.get("status") or "active", type=f.get("type") or "primary",
            supply=f.get("supply") or "ac", phase=f.get("phase") or "single-phase",
            voltage=int(f.get("voltage") or 0), amperage=int(f.get("amperage") or 1),
            max_utilization=int(f.get("max_utilization") or 80), netbox_id=int(f["id"]))
        stored = f.get("available_power")
        if stored is not None and int(stored) != _available(feed):
            warn(f"power feed {feed.name}: NetBox's stored available_power {stored} differs from "
                 f"{_available(feed)} computed from its voltage, amperage and utilization")
        feeds.append(feed)
    feed_keys = {f.key for f in feeds}

    # references to objects outside the load (another site, a skipped object) are dropped
    for d in devices:
        if d.parent is not None and d.parent not in device_keys:
            d.parent = None
        for p in d.power_ports:
            if p.outlet is not None and p.outlet.device not in device_keys:
                warn(f"device {d.name or d.key} port {p.name}: cabled to an outlet of a device outside "
                     "the loaded sites; not followed")
                p.outlet = None
            if p.feed is not None and p.feed not in feed_keys:
                warn(f"device {d.name or d.key} port {p.name}: cabled to a feed outside the loaded sites; "
                     "not followed")
                p.feed = None

    reservations = []
    for r in rows["reservations"]:
        rack = _id(r.get("rack"))
        units = sorted({int(u) for u in r.get("units") or []})
        if rack not in rack_keys or not units:
            continue
        reservations.append(RackReservation(key=str(r["id"]), rack=rack, units=units,
                                            tenant=tenant(r.get("tenant")),
                                            description=r.get("description") or "", netbox_id=int(r["id"])))

    # --- uplinks: circuits of the uplink type with a termination at a loaded site
    uplinks: dict[str, Uplink] = {}
    for t in sorted(rows["circuit_terminations"], key=lambda t: t.get("term_side") or ""):
        site = site_key.get(_scope_site(t.get("termination")) or "")
        c = t.get("circuit") or {}
        cid = _id(c)
        if site is None or cid is None or cid in uplinks or _slug(c.get("type")) != UPLINK_CIRCUIT_TYPE:
            continue
        if not c.get("commit_rate"):
            warn(f"uplink {c.get('cid')}: no commit rate in NetBox; not counted")
            continue
        uplinks[cid] = Uplink(key=cid, name=c["cid"], site=site, provider=(c.get("provider") or {}).get("name") or "?",
                              commit_kbps=int(c["commit_rate"]), status=c.get("status") or "active")

    # --- clusters: hosts by device.cluster, VMs by vm.cluster
    clusters: dict[str, Cluster] = {}
    for c in rows["clusters"]:
        site = site_key.get(_scope_site(c.get("scope")) or "")
        if site is None:
            continue
        clusters[str(c["id"])] = Cluster(key=str(c["id"]), name=c["name"], site=site,
                                         type=_slug(c.get("type")) or "virtualization")
    for dev_key, (cluster, cap) in host_capacity.items():
        if cluster in clusters and dev_key in device_keys:
            clusters[cluster].hosts.append(ClusterHost(device=dev_key, capacity=cap))
    for vm in rows["vms"]:
        cluster = _id(vm.get("cluster"))
        if cluster not in clusters:
            continue
        clusters[cluster].vms.append(VirtualMachine(
            key=str(vm["id"]), name=vm["name"], status=vm.get("status") or "active",
            tenant=tenant(vm.get("tenant")), vcpus=_num(vm.get("vcpus")) or 0.0,
            memory_mb=int(vm.get("memory") or 0),
            disk_gb=round((vm.get("disk") or 0) / VM_DISK_MB_PER_GB),
            bandwidth_mbps=_vm_bandwidth(vm, warn),
            request_id=str((vm.get("custom_field_data") or {}).get("request_id") or "") or None))

    try:
        return Snapshot(
            source="netbox", taken_at=datetime.now(timezone.utc), sites=sites, locations=locations,
            tenant_groups=groups, tenants=tenants, racks=racks, device_types=device_types,
            devices=devices, reservations=reservations, power_panels=panels, power_feeds=feeds,
            ups=ups, gensets=gensets, uplinks=list(uplinks.values()), clusters=list(clusters.values()))
    except ValidationError as exc:  # a NetBox state the model cannot hold: name it
        raise SourceError(f"NetBox data does not fit the snapshot model: {exc.errors()[0]['msg']}",
                          "please report it with the object named") from None


def _available(feed: PowerFeed) -> int:
    """NetBox's PowerFeed.save(): round(|V| x A x util/100), x 1.732 for three-phase."""
    kva = abs(feed.voltage) * feed.amperage * (feed.max_utilization / 100)
    return round(kva * 1.732) if feed.phase == "three-phase" else round(kva)


def _power_source(key: str, name: str, site: str, role: str, cf: dict[str, Any],
                  warn: Callable[[str], None]) -> UPS | Genset | None:
    label = f"{'UPS' if role == UPS_ROLE else 'genset'} {name or key}"
    rated = _num(cf.get("rated_va"))
    if rated is None or rated < 1:
        warn(f"{label}: custom field rated_va is missing or not a positive number; not counted")
        return None

    def fraction(field_name: str) -> float | None:
        v = _num(cf.get(field_name))
        if v is not None and not 0 < v <= 1:
            warn(f"{label}: {field_name} {v:g} is not in (0, 1]; the policy default is used")
            return None
        return v

    group = str(cf["redundancy_group"]) if cf.get("redundancy_group") else None
    if role == UPS_ROLE:
        return UPS(key=key, name=name or key, site=site, rated_va=int(rated), derating=fraction("derating"),
                   efficiency=fraction("efficiency"), genset=_id(cf.get("genset")), redundancy_group=group)
    other = _num(cf.get("other_loads_va")) or 0
    return Genset(key=key, name=name or key, site=site, rated_va=int(rated), derating=fraction("derating"),
                  other_loads_va=max(0, int(other)), redundancy_group=group)


def _vm_bandwidth(vm: dict[str, Any], warn: Callable[[str], None]) -> float:
    """A VM's `bandwidth_mbps` custom field (hosting registered at step 8); 0 when unset."""
    raw = (vm.get("custom_field_data") or {}).get("bandwidth_mbps")
    if raw is None or raw == "":
        return 0.0
    v = _num(raw)
    if v is None or v < 0:
        warn(f"virtual machine {vm.get('name')}: custom field bandwidth_mbps is {raw!r}; counted as 0")
        return 0.0
    return v


def _host_capacity(cf: dict[str, Any], label: str, warn: Callable[[str], None]) -> HostCapacity:
    values: dict[str, float] = {}
    for f in HOST_FIELDS:
        v = _num(cf.get(f))
        if v is None or v < 0:
            warn(f"cluster host {label}: custom field {f} is {cf.get(f)!r}; its capacity counts as 0")
            v = 0.0
        values[f] = v
    return HostCapacity(vcpus=int(values["vcpus"]), memory_gb=values["memory_gb"], disk_gb=values["disk_gb"])
