"""The capacity report as one self-contained HTML page a planner can open offline.

`render_capacity_html(report, snapshot_elevations=..., generated_at=..., source=...)`
takes the capacity report dict (the JSON contract of `colo capacity report`, see
capacity/report.py) and the rack elevations (`build_elevations(snapshot)`), and returns
HTML with inline CSS and inline SVG only: no script, no font, no image, no URL.

Sections: a summary per site and per dimension (space, power against what one side gives
and on A/B failover, three-phase legs, each UPS and genset in VA and W, cooling per room,
bandwidth with the largest uplink down, hosting) with utilization bars; rack elevations front and
rear (units coloured by tenant, reserved units hatched, free units white, a warning on
racks that are not failover safe); the detailed tables; the findings; when and from where
the data came.

Racks are matched to their elevations by `rack_ref(site, location, name)`, the same
names the report rows carry, so a report read back from JSON still finds its elevations.
"""

from __future__ import annotations

import colorsys
from collections import defaultdict
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inventory.errors import InputError
from inventory.model import Snapshot
from reports import dates, forecast_render
from reports.capacity_summary import level, site_summary
from reports.i18n import format_number, labels
from reports.render import Formatter, _describe, environment

UNIT_PX = 14  # height of one rack unit in the elevation drawings
RACK_PX = 150  # width of the rack's mounting area
GUTTER_PX = 24  # unit numbers on the left
MARGIN_PX = 6

NO_TENANT_FILL = "#8c9bab"
RESERVED_FILL = "url(#hatch)"

# Distinct, print-friendly tenant colours; more tenants get golden-angle hues.
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7",
           "#9c755f", "#e15759", "#86bcb6", "#d37295", "#a0cbe8", "#ffbe7d", "#8cd17d",
           "#b6992d", "#499894", "#fabfd2", "#d4a6c8", "#79706e", "#f1ce63")


# --------------------------------------------------------------------------- input contract
class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")


class RackRow(_Row):
    site: str
    name: str
    u_height: int = Field(ge=1)
    utilization_pct: float
    free_u: float
    largest_free_block_u: float
    power_utilization_pct: float
    available_va: int
    load_va: int
    failover_load_va: int
    location: str | None = None
    status: str | None = None
    role: str | None = None
    tenant: str | None = None
    reserved_u: float | None = None
    open_for_colocation: bool = True
    closed_reason: str | None = None
    failover_safe: bool = True
    failover_available_va: int | None = None
    failover_headroom_va: int | None = None
    feeds: list[str] = Field(default_factory=list)
    committed_va: int | None = None
    free_outlets_a: int | None = None  # plugs left on the primary / redundant feeds
    free_outlets_b: int | None = None
    load_w: int | None = None
    usable_one_side_failed_va: int | None = None


class FeedRow(_Row):
    name: str
    panel: str
    rack: str | None
    available_va: int
    load_va: int
    failover_load_va: int
    site: str | None = None
    type: str | None = None
    ups: str | None = None
    free_outlets: int | None = None
    load_w: int | None = None
    leg_imbalance_pct: float | None = None


class LegRow(_Row):
    feed: str
    leg: str
    available_va: int
    load_va: int
    failover_load_va: int
    site: str | None = None
    rack: str | None = None
    free_outlets: int | None = None


class SourceRow(_Row):
    name: str
    capacity_va: int
    load_va: int
    failover_load_va: int
    utilization_pct: float
    site: str | None = None
    capacity_w: int | None = None
    load_w: int | None = None
    failover_load_w: int | None = None
    limited_by: str | None = None
    recharge_w: int | None = None
    cooling_w: int | None = None
    other_w: int | None = None


class CoolingRow(_Row):
    kind: str
    name: str
    installed_kw: float
    units: int | None
    capacity_w: float
    heat_w: int
    utilization_pct: float
    site: str | None = None


class UplinkRow(_Row):
    name: str
    commit_kbps: int
    site: str | None = None
    provider: str | None = None
    port_kbps: int | None = None


class BandwidthRow(_Row):
    site: str
    commit_kbps: int
    allocatable_kbps: int
    allocated_kbps: int
    free_kbps: int
    failover_allocatable_kbps: int | None = None
    failover_free_kbps: int | None = None


class ClusterRow(_Row):
    name: str
    vcpus_capacity: float
    vcpus_used: float
    vcpus_free: float
    memory_gb_capacity: float
    memory_gb_used: float
    memory_gb_free: float
    disk_gb_capacity: float
    disk_gb_used: float
    disk_gb_free: float
    site: str | None = None
    hosts: int | None = None
    vm_max_vcpus: float | None = None
    vm_max_memory_gb: float | None = None
    datastore_gb: float | None = None
    replication_factor: float | None = None


class FindingRow(_Row):
    severity: str
    object: str
    message: str
    kind: str | None = None
    site: str | None = None


class CapacityReport(BaseModel):
    model_config = ConfigDict(extra="allow")

    racks: list[RackRow]
    feeds: list[FeedRow]
    ups: list[SourceRow]
    gensets: list[SourceRow]
    uplinks: list[UplinkRow]
    clusters: list[ClusterRow]
    findings: list[FindingRow]
    bandwidth: list[BandwidthRow] = Field(default_factory=list)
    sites: list[dict[str, Any]] = Field(default_factory=list)
    legs: list[LegRow] = Field(default_factory=list)
    cooling: list[CoolingRow] = Field(default_factory=list)


class ElevationItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    position: float = Field(ge=0.5)
    u_height: float = Field(gt=0)
    label: str = ""
    tenant: str | None = None
    kind: Literal["device", "reserved"] = "device"


class Elevation(BaseModel):
    model_config = ConfigDict(extra="allow")

    front: list[ElevationItem] = Field(default_factory=list)
    rear: list[ElevationItem] = Field(default_factory=list)
    u_height: int | None = None
    starting_unit: int = 1
    desc_units: bool = False


# --------------------------------------------------------------------------- elevations
def rack_ref(site: str, location: str | None, name: str) -> str:
    """The name a rack goes by in the HTML (`data-rack`): "site/location/name"."""
    return "/".join(p for p in (site, location, name) if p)


def build_elevations(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """Unit occupancy per rack face, from a snapshot: the drawing's input.

    A racked device occupies its face, or both faces when its type is full depth; child
    devices (in a parent's bay), 0U and unpositioned devices occupy no unit. A
    reservation occupies both faces; consecutive reserved units become one block.
    """
    sites = {s.key: s.slug for s in snapshot.sites}
    locations = {loc.key: loc.name for loc in snapshot.locations}
    tenants = {t.key: t.name for t in snapshot.tenants}
    types = {t.key: t for t in snapshot.device_types}
    out: dict[str, dict[str, Any]] = {}
    ref_of: dict[str, str] = {}
    for r in snapshot.racks:
        ref = rack_ref(sites.get(r.site, r.site), locations.get(r.location) if r.location else None, r.name)
        ref_of[r.key] = ref
        out[ref] = {"u_height": r.u_height, "starting_unit": r.starting_unit,
                    "desc_units": r.desc_units, "front": [], "rear": []}
    for res in snapshot.reservations:
        if res.rack not in ref_of:
            continue
        for start, height in _runs(sorted(set(res.units))):
            item = {"position": float(start), "u_height": float(height),
                    "label": res.description or "", "tenant": tenants.get(res.tenant) if res.tenant else None,
                    "kind": "reserved"}
            out[ref_of[res.rack]]["front"].append(dict(item))
            out[ref_of[res.rack]]["rear"].append(dict(item))
    for d in snapshot.devices:
        if d.rack is None or d.position is None or d.parent is not None or d.rack not in ref_of:
            continue
        dt = types.get(d.device_type)
        if dt is None or dt.u_height <= 0:
            continue
        faces = ("front", "rear") if dt.is_full_depth else (d.face or "front",)
        for face in faces:
            out[ref_of[d.rack]][face].append({
                "position": d.position, "u_height": dt.u_height, "label": d.name or d.key,
                "tenant": tenants.get(d.tenant) if d.tenant else None, "kind": "device",
                "status": d.status, "model": f"{dt.manufacturer} {dt.model}",
            })
    for faces in out.values():
        for face in ("front", "rear"):
            faces[face].sort(key=lambda i: (i["kind"] != "reserved", i["position"]))
    return out


def _runs(units: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for u in units:
        if runs and runs[-1][0] + runs[-1][1] == u:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((u, 1))
    return runs


# --------------------------------------------------------------------------- rendering
def tenant_colours(names: set[str]) -> dict[str, str]:
    """A stable colour per tenant (sorted names take the palette in order)."""
    out: dict[str, str] = {}
    for i, name in enumerate(sorted(names, key=str.lower)):
        if i < len(PALETTE):
            out[name] = PALETTE[i]
        else:
            r, g, b = colorsys.hls_to_rgb(((i * 0.618033988749895) % 1.0), 0.62, 0.55)
            out[name] = f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
    return out


def _clip_label(text: str, height_px: float) -> str:
    limit = 24 if height_px >= 12 else 18
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _face_view(items: list[ElevationItem], u_height: int, start: int, desc: bool,
               colours: dict[str, str]) -> dict[str, Any]:
    top = MARGIN_PX
    height = u_height * UNIT_PX
    rects = []
    for it in items:
        offset = (it.position - start) if desc else (u_height - (it.position - start) - it.u_height)
        y0 = max(offset, 0.0)
        y1 = min(offset + it.u_height, float(u_height))
        if y1 <= y0:  # wholly outside the rack's units: drawn nowhere, listed in findings
            continue
        y, h = top + y0 * UNIT_PX, (y1 - y0) * UNIT_PX
        if it.kind == "reserved":
            fill = RESERVED_FILL
        else:
            fill = colours.get(it.tenant, NO_TENANT_FILL) if it.tenant else NO_TENANT_FILL
        title = it.label or ""
        if it.tenant:
            title = f"{title} — {it.tenant}" if title else it.tenant
        units = f"U{format_number(it.position, 'en')} ({format_number(it.u_height, 'en')}U)"
        rects.append({
            "y": round(y, 2), "h": round(h, 2), "fill": fill, "kind": it.kind,
            "label": _clip_label(it.label, h) if h >= 9 else "",
            "font": min(10.0, max(7.0, h - 3)), "title": f"{units} {title}".strip(),
            "tenant": it.tenant or "",
        })
    unit_labels = []
    for n in range(u_height):
        number = start + n
        row = n if desc else u_height - 1 - n
        unit_labels.append({"y": top + row * UNIT_PX + UNIT_PX / 2 + 3.5, "text": str(number)})
    return {"rects": rects, "units": unit_labels,
            "lines": [top + i * UNIT_PX for i in range(1, u_height)],
            "height": height + 2 * MARGIN_PX, "rack_h": height}


def render_capacity_html(report: dict[str, Any], *, snapshot_elevations: dict[str, Any],
                         generated_at: datetime | str, source: str, lang: str = "id",
                         forecast: dict[str, Any] | None = None, heatmap: bool = False) -> str:
    """The capacity report as one self-contained HTML page (see the module docstring);
    with `forecast` (`playbooks.forecasting.Forecast.to_dict()`) its runway table and
    charts, with `heatmap` a heat map of the racks (reports/forecast_render.py)."""
    dates.check_lang(lang)
    if not isinstance(report, dict):
        raise InputError("capacity report: expected a mapping with racks, feeds, ups, gensets, "
                         "uplinks, clusters and findings")
    try:
        rep = CapacityReport.model_validate(report)
    except ValidationError as exc:
        raise InputError(f"capacity report: {_describe(exc)}") from None
    try:
        elevations = {str(k): Elevation.model_validate(v) for k, v in (snapshot_elevations or {}).items()}
    except ValidationError as exc:
        raise InputError(f"rack elevations: {_describe(exc)}") from None

    F = Formatter(lang)
    L = labels(lang)

    tenants: set[str] = {r.tenant for r in rep.racks if r.tenant}
    for el in elevations.values():
        tenants |= {i.tenant for i in el.front + el.rear if i.tenant}
    colours = tenant_colours(tenants)

    site_names = {s.get("site"): s.get("name") for s in rep.sites if isinstance(s, dict)}
    site_order: list[str] = []
    for row in [*rep.racks, *rep.ups, *rep.gensets, *rep.uplinks, *rep.bandwidth, *rep.clusters]:
        if row.site and row.site not in site_order:
            site_order.append(row.site)
    for s in site_names:
        if s and s not in site_order:
            site_order.append(s)

    rack_site = {r.name: r.site for r in rep.racks}
    feeds_by_site: dict[str, list[FeedRow]] = defaultdict(list)
    for f in rep.feeds:
        feeds_by_site[f.site or rack_site.get(f.rack or "", "")].append(f)

    sites = []
    for site in site_order:
        racks = [r for r in rep.racks if r.site == site]
        sites.append({
            "slug": site,
            "name": site_names.get(site) or site,
            "summary": site_summary(site, racks, feeds_by_site.get(site, []), rep, F, L),
            "groups": _rack_groups(racks, elevations, colours, L),
        })

    charts: dict[str, Any] = {"runway": None, "heatmaps": []}
    if forecast is not None or heatmap:
        if forecast is not None:
            charts["runway"] = {"data": forecast, "rows": forecast_render.forecast_rows(forecast, lang),
                                "charts": forecast_render.runway_charts(forecast, lang)}
        if heatmap:
            charts["heatmaps"] = forecast_render.rack_heatmaps([r.model_dump() for r in rep.racks], lang)

    used_tenants = sorted(colours.items(), key=lambda kv: kv[0].lower())
    template = environment().get_template("capacity_report.html")
    return template.render(
        rep=rep, sites=sites, lang=lang, L=L, F=F, colours=used_tenants,
        generated=F.datetime(generated_at) if isinstance(generated_at, (datetime, str)) else str(generated_at),
        source=source, unit_px=UNIT_PX, rack_px=RACK_PX, gutter_px=GUTTER_PX, margin_px=MARGIN_PX,
        level=level, no_tenant_fill=NO_TENANT_FILL,
        runway=charts["runway"], heatmaps=charts["heatmaps"],
        errors=sum(1 for f in rep.findings if f.severity == "error"),
        warnings=sum(1 for f in rep.findings if f.severity != "error"),
    )


def _rack_groups(racks: list[RackRow], elevations: dict[str, Elevation], colours: dict[str, str],
                 L: Any) -> list[dict[str, Any]]:
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for r in racks:
        ref = rack_ref(r.site, r.location, r.name)
        el = elevations.get(ref) or elevations.get(rack_ref(r.site, None, r.name))
        view: dict[str, Any] = {"ref": ref, "row": r, "faces": None}
        if el is not None:
            u = el.u_height or r.u_height
            view["faces"] = [
                {"face": "front", "title": L.cr_front,
                 **_face_view(el.front, u, el.starting_unit, el.desc_units, colours)},
                {"face": "rear", "title": L.cr_rear,
                 **_face_view(el.rear, u, el.starting_unit, el.desc_units, colours)},
            ]
        groups.setdefault(r.location, []).append(view)
    return [{"location": loc, "racks": views} for loc, views in groups.items()]
