"""The capacity report as plain data: the JSON contract other tools read.

Top-level keys: `racks`, `feeds`, `legs`, `ups`, `gensets`, `cooling`, `uplinks`,
`bandwidth`, `clusters`, `sites`, `findings`. Rows name objects by their names (site slug, rack name, panel name),
never by snapshot keys, so a report from NetBox equals the report of the file it was
loaded from. Metadata (source, time) is added by the caller under `meta`.

Keys are only ever added, never renamed (other tools read them). Plugs
(capacity/outlets.py): a rack's `free_outlets_a` / `free_outlets_b` count the plugs left
on its active primary / redundant feeds (free PDU outlets, or 1 for a feed with nothing
cabled to it), commitments deducted; `committed_outlets` and `committed_va` are what
approved, not installed requests hold on its feeds.

Engineering figures (issue 12) sit beside the NetBox-exact ones: `load_w` (W) beside
`load_va` (VA = W / power factor); `legs` per three-phase feed; UPS and genset rows in
both units; `cooling` per room and rack; a site's `available_va` is what it has with one
side of every rack failed (`installed_va` counts A and B).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from typing import Any

from capacity.legs import imbalance_pct, most_loaded
from capacity.power import SUPPLYING_FEED_STATUSES
from capacity.results import CapacityResult
from inventory.model import Snapshot
from inventory.names import natural_key

def build_report(snapshot: Snapshot, result: CapacityResult, sites: set[str] | None = None) -> dict[str, Any]:
    """Assemble every section; `sites` (site keys) restricts the rows."""
    site_of = {s.key: s for s in snapshot.sites}
    wanted = sites if sites is not None else set(site_of)
    racks = {r.key: r for r in snapshot.racks}
    locations = {loc.key: loc.name for loc in snapshot.locations}
    tenants = {t.key: t.name for t in snapshot.tenants}
    ups_names = {u.key: u.name for u in snapshot.ups}
    feed_names = {f.key: f.name for f in snapshot.power_feeds}

    def slug(site_key: str) -> str:
        return site_of[site_key].slug

    def plugs(feed_key: str) -> tuple[int, int]:
        """(free, committed) plugs of a feed; none known for a result built without them."""
        fp = result.plugs.get(feed_key)
        return (fp.free, fp.committed) if fp is not None else (0, 0)

    rack_rows = []
    for key, rack in racks.items():
        if rack.site not in wanted:
            continue
        sp = result.space[key]
        pw = result.racks_power[key]
        feeds = [result.feeds[f] for f in pw.feeds if f in result.feeds]
        supplying = [f for f in feeds if f.status in SUPPLYING_FEED_STATUSES]
        free_a = sum(plugs(f.key)[0] for f in supplying if f.type == "primary")
        free_b = sum(plugs(f.key)[0] for f in supplying if f.type == "redundant")
        rack_rows.append({
            "site": slug(rack.site),
            "location": locations.get(rack.location) if rack.location else None,
            "name": rack.name,
            "status": rack.status,
            "role": rack.role,
            "tenant": tenants.get(rack.tenant) if rack.tenant else None,
            "u_height": rack.u_height,
            "utilization_pct": sp.utilization_pct,
            "used_u": sp.used_u,
            "reserved_u": sp.reserved_u,
            "free_u": sp.free_u,
            "free_u_front": sp.free_u_front,
            "free_u_rear": sp.free_u_rear,
            "largest_free_block_u": sp.largest_free_block_u,
            "weight_kg": sp.weight_kg,
            "max_weight_kg": sp.max_weight_kg,
            "open_for_colocation": sp.open_for_colocation,
            "closed_reason": sp.closed_reason,
            "power_utilization_pct": pw.power_utilization_pct,
            "available_va": pw.available_va,
            "allocated_va": pw.allocated_va,
            "load_va": pw.load_va,
            "load_w": pw.load_w,
            "usable_one_side_failed_va": pw.usable_one_side_failed_va,
            "failover_load_va": pw.failover_load_va,
            "failover_available_va": pw.failover_available_va,
            "failover_headroom_va": pw.failover_headroom_va,
            "failover_safe": pw.failover_safe,
            "feeds": sorted((feed_names[f] for f in pw.feeds), key=natural_key),
            "committed_va": sum(f.committed_va for f in feeds),
            "free_outlets": free_a + free_b,
            "free_outlets_a": free_a,
            "free_outlets_b": free_b,
            "committed_outlets": sum(plugs(f.key)[1] for f in feeds),
            "cooling_kw": rack.cooling_kw,
        })
    rack_rows.sort(key=lambda r: (r["site"], natural_key(r["location"] or ""), natural_key(r["name"])))

    feed_rows = []
    leg_rows = []
    for fp in result.feeds.values():
        if fp.site not in wanted:
            continue
        worst = most_loaded(fp.legs)
        fplugs = result.plugs.get(fp.key)
        for leg in fp.legs:
            leg_rows.append({
                "site": slug(fp.site), "feed": fp.name, "panel": fp.panel, "rack": fp.rack_name, "leg": leg.leg,
                "available_va": round(leg.available_va), "load_va": round(leg.load_va),
                "failover_load_va": round(leg.failover_load_va), "headroom_va": round(leg.headroom_va),
                "failover_headroom_va": round(leg.failover_headroom_va),
                "free_outlets": fplugs.free_on_leg(leg.leg) if fplugs is not None and fplugs.by_leg else None,
            })
        feed_rows.append({
            "site": slug(fp.site),
            "name": fp.name,
            "panel": fp.panel,
            "rack": fp.rack_name,
            "status": fp.status,
            "type": fp.type,
            "phase": fp.phase,
            "ups": ups_names.get(fp.ups) if fp.ups else None,
            "available_va": fp.available_va,
            "allocated_va": fp.allocated_va,
            "load_va": fp.load_va,
            "committed_va": fp.committed_va,
            "failover_load_va": fp.failover_load_va,
            "headroom_va": fp.headroom_va,
            "failover_headroom_va": fp.failover_headroom_va,
            "load_w": fp.load_w,
            "failover_load_w": fp.failover_load_w,
            "most_loaded_leg": worst.leg if worst is not None else None,
            "most_loaded_leg_va": round(worst.load_va) if worst is not None else None,
            "leg_imbalance_pct": imbalance_pct([leg.load_va for leg in fp.legs]) if fp.legs else None,
            "plugs_from": result.plugs[fp.key].kind if fp.key in result.plugs else None,
            "pdus": list(result.plugs[fp.key].pdus) if fp.key in result.plugs else [],
            "free_outlets": plugs(fp.key)[0],
            "committed_outlets": plugs(fp.key)[1],
        })
    feed_rows.sort(key=lambda f: (f["site"], natural_key(f["panel"]), natural_key(f["name"])))
    leg_rows.sort(key=lambda f: (f["site"], natural_key(f["panel"]), natural_key(f["feed"]), f["leg"]))

    def source_rows(items: dict) -> list[dict[str, Any]]:
        rows = []
        for sp in items.values():
            if sp.site not in wanted:
                continue
            row = asdict(sp)
            row.pop("key")
            row["site"] = slug(sp.site)
            rows.append(row)
        return sorted(rows, key=lambda r: (r["site"], natural_key(r["name"])))

    uplink_rows = sorted(
        ({"site": slug(u.site), "name": u.name, "provider": u.provider, "commit_kbps": u.commit_kbps,
          "port_kbps": u.port_kbps, "allocatable_kbps": u.allocatable_kbps, "active": u.active}
         for u in result.uplinks.values() if u.site in wanted),
        key=lambda r: (r["site"], natural_key(r["name"])),
    )
    cooling_rows = []
    for c in result.cooling.values():
        if c.site not in wanted:
            continue
        row = asdict(c)
        row.pop("key")
        row["site"] = slug(c.site)
        row["racks"] = sorted((racks[k].name for k in c.racks), key=natural_key)
        cooling_rows.append(row)
    cooling_rows.sort(key=lambda r: (r["site"], r["kind"] != "room", natural_key(r["name"])))
    bandwidth_rows = []
    for site_key, bw in result.bandwidth.items():
        if site_key not in wanted:
            continue
        row = asdict(bw)
        row["site"] = slug(site_key)
        bandwidth_rows.append(row)
    bandwidth_rows.sort(key=lambda r: r["site"])

    cluster_rows = source_rows(result.clusters)

    finding_rows = sorted(
        ({"kind": f.kind, "severity": f.severity, "object": f.object, "message": f.message,
          "site": slug(f.site) if f.site in site_of else f.site}
         for f in result.findings if f.site is None or f.site in wanted),
        key=lambda f: (f["severity"] != "error", f["kind"], natural_key(f["object"])),
    )

    return {
        "sites": _site_summaries(snapshot, wanted, rack_rows, feed_rows, bandwidth_rows, cluster_rows,
                                 cooling_rows),
        "racks": rack_rows,
        "feeds": feed_rows,
        "legs": leg_rows,
        "ups": source_rows(result.ups),
        "gensets": source_rows(result.gensets),
        "cooling": cooling_rows,
        "uplinks": uplink_rows,
        "bandwidth": bandwidth_rows,
        "clusters": cluster_rows,
        "findings": finding_rows,
    }


def _site_summaries(snapshot: Snapshot, wanted: set[str], racks: list[dict], feeds: list[dict],
                    bandwidth: list[dict], clusters: list[dict], cooling: list[dict]) -> list[dict[str, Any]]:
    """Per site totals: the one-line answer to "how much is left where". Power: what the
    racks have with one side failed (`available_va`; A and B are the same load's two
    paths, never two supplies to add), beside what is installed on both (`installed_va`)."""
    by_site: dict[str, dict[str, Any]] = {}
    for site in snapshot.sites:
        if site.key not in wanted:
            continue
        by_site[site.slug] = {
            "site": site.slug, "name": site.name, "racks": 0, "racks_open": 0,
            "total_u": 0, "free_u": 0.0, "largest_free_block_u": 0.0,
            "available_va": 0, "load_va": 0, "racks_failover_unsafe": 0, "free_outlets": 0,
            "installed_va": 0, "load_w": 0, "cooling_capacity_w": None, "heat_w": None,
        }
    for r in racks:
        s = by_site[r["site"]]
        s["racks"] += 1
        s["total_u"] += r["u_height"]
        if r["open_for_colocation"]:
            s["racks_open"] += 1
            s["free_u"] += r["free_u"]
            s["largest_free_block_u"] = max(s["largest_free_block_u"], r["largest_free_block_u"])
            s["free_outlets"] += r["free_outlets"]
        s["available_va"] += r["usable_one_side_failed_va"]
        s["installed_va"] += r["available_va"]
        s["load_va"] += r["load_va"]
        s["load_w"] += r["load_w"]
        s["racks_failover_unsafe"] += 0 if r["failover_safe"] else 1
    grouped: dict[str, list[dict]] = defaultdict(list)
    for c in clusters:
        grouped[c["site"]].append(c)
    for c in cooling:
        if c["kind"] == "room":
            s = by_site[c["site"]]
            s["cooling_capacity_w"] = (s["cooling_capacity_w"] or 0) + c["capacity_w"]
            s["heat_w"] = (s["heat_w"] or 0) + c["heat_w"]
    for slug_, s in by_site.items():
        bw = next((b for b in bandwidth if b["site"] == slug_), None)
        s["bandwidth_free_kbps"] = bw["free_kbps"] if bw else None
        s["bandwidth_failover_free_kbps"] = bw["failover_free_kbps"] if bw else None
        cl = grouped.get(slug_, [])
        s["vcpus_free"] = sum(c["vcpus_free"] for c in cl) if cl else None
        s["memory_gb_free"] = sum(c["memory_gb_free"] for c in cl) if cl else None
        s["disk_gb_free"] = sum(c["disk_gb_free"] for c in cl) if cl else None
    return sorted(by_site.values(), key=lambda s: s["site"])
