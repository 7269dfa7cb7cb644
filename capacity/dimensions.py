"""Per site, the used and total capacity of every dimension a forecast follows. Pure.

The figures are read off the capacity report (`capacity.report.build_report`), so a
forecast's "today" is the report's today, to the unit:

| kind             | used                                      | capacity                                 |
|------------------|-------------------------------------------|------------------------------------------|
| `space`          | units of racks open for co-location, less their placeable free units | those racks' units |
| `power`          | racks' load (normal operation, VA)        | racks' available VA (every feed)         |
| `power_failover` | racks' failover load (one side failed)    | racks' failover available VA             |
| `ups`, `genset`  | one source's failover load (its partner failed), VA | its VA capacity (rated x derating) |
| `ups_w`, `genset_w` | the same load in W (real power)        | its W capacity (rated W x derating)      |
| `bandwidth`      | allocated kbps                            | allocatable kbps                         |
| `vcpus`, `memory_gb`, `disk_gb` | clusters' used                 | clusters' capacity (overcommit, N+1)     |
| `outlets`        | PDU outlets in use on supplying feeds of open racks | those PDUs' outlets            |
| `cooling`        | one room's (or rack's) heat, W            | its cooling (the largest unit spare)     |

A site without a dimension (no cluster, no PDU) has no figure for it. A UPS or genset has
two figures because it has two ratings and either can run out first (the engine limits
it by the one nearer its limit, `limited_by`); each keeps one unit across the history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from capacity.engine import compute_capacity
from capacity.policy import Policy
from capacity.power import SUPPLYING_FEED_STATUSES
from capacity.report import build_report
from inventory.model import Snapshot

#: Dimension kinds in the order a report lists them, with their unit.
KINDS: dict[str, str] = {
    "space": "U", "power": "VA", "power_failover": "VA", "ups": "VA", "ups_w": "W", "genset": "VA", "genset_w": "W",
    "bandwidth": "kbps", "vcpus": "vCPU", "memory_gb": "GB", "disk_gb": "GB", "outlets": "outlets",
    "cooling": "W",
}


@dataclass(frozen=True)
class Figure:
    site: str  # site slug
    kind: str  # a key of KINDS
    used: float
    capacity: float
    object: str | None = None  # the UPS, genset, room or rack it is about

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.site, self.kind, self.object)

    @property
    def unit(self) -> str:
        return KINDS[self.kind]


def figures_of(report: dict[str, Any], snapshot: Snapshot) -> list[Figure]:
    """Every dimension's figure per site, from a capacity report of `snapshot`."""
    out: list[Figure] = []
    sites = [s["site"] for s in report["sites"]]
    racks_by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in report["racks"]:
        racks_by_site[r["site"]].append(r)
    outlets = _outlets(report, snapshot)
    for site in sites:
        racks = racks_by_site.get(site, [])
        open_racks = [r for r in racks if r["open_for_colocation"]]
        total_u = sum(r["u_height"] for r in open_racks)
        if total_u:
            out.append(Figure(site, "space", _r(total_u - sum(r["free_u"] for r in open_racks)), total_u))
        available = sum(r["available_va"] for r in racks)
        if available:
            out.append(Figure(site, "power", sum(r["load_va"] for r in racks), available))
        failover_available = sum(r["failover_available_va"] for r in racks)
        if failover_available:
            out.append(Figure(site, "power_failover", sum(r["failover_load_va"] for r in racks),
                              failover_available))
        for kind, section in (("ups", "ups"), ("genset", "gensets")):
            for s in (s for s in report[section] if s["site"] == site):
                if s["capacity_va"]:
                    out.append(Figure(site, kind, s["failover_load_va"], s["capacity_va"], s["name"]))
                if s.get("capacity_w"):
                    out.append(Figure(site, f"{kind}_w", s["failover_load_w"], s["capacity_w"], s["name"]))
        for b in report["bandwidth"]:
            if b["site"] == site and b["allocatable_kbps"]:
                out.append(Figure(site, "bandwidth", b["allocated_kbps"], b["allocatable_kbps"]))
        clusters = [c for c in report["clusters"] if c["site"] == site]
        for kind in ("vcpus", "memory_gb", "disk_gb"):
            capacity = _r(sum(c[f"{kind}_capacity"] for c in clusters))
            if capacity:
                out.append(Figure(site, kind, _r(sum(c[f"{kind}_used"] for c in clusters)), capacity))
        if outlets.get(site, (0, 0))[1]:
            used, total = outlets[site]
            out.append(Figure(site, "outlets", used, total))
        for c in report["cooling"]:
            if c["site"] == site and c["capacity_w"]:
                out.append(Figure(site, "cooling", c["heat_w"], c["capacity_w"], c["name"]))
    return out


def _outlets(report: dict[str, Any], snapshot: Snapshot) -> dict[str, tuple[int, int]]:
    """(used, total) PDU outlets per site, on the supplying feeds of open racks."""
    site_slug = {s.key: s.slug for s in snapshot.sites}
    outlets_of = {(site_slug.get(d.site, d.site), d.name or d.key): len(d.power_outlets) for d in snapshot.devices
                  if d.power_outlets}
    open_racks = {(r["site"], r["name"]) for r in report["racks"] if r["open_for_colocation"]}
    per_site: dict[str, tuple[int, int]] = {}
    for f in report["feeds"]:
        if f.get("plugs_from") != "pdu" or f["status"] not in SUPPLYING_FEED_STATUSES or (f["site"], f["rack"]) not in open_racks:
            continue
        total = sum(outlets_of.get((f["site"], p), 0) for p in f["pdus"])
        used, all_ = per_site.get(f["site"], (0, 0))
        per_site[f["site"]] = (used + max(total - f["free_outlets"], 0), all_ + total)
    return per_site


def _r(x: float) -> float:
    return round(x, 3)


def site_figures(snapshot: Snapshot, policy: Policy | None = None, sites: set[str] | None = None) -> list[Figure]:
    """Every dimension's figure of the snapshot, as its capacity report gives it."""
    return figures_of(build_report(snapshot, compute_capacity(snapshot, policy), sites), snapshot)
