"""The per-site summary of the HTML capacity report: one row per dimension with its
figures and utilization bars (space, power against what one side gives and on A/B
failover, the worst three-phase leg, each UPS and genset in VA and W, each room's cooling,
bandwidth with the largest uplink down, hosting). reports/capacity_html.py renders them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reports.render import Formatter

if TYPE_CHECKING:  # the report's input contract lives with the page that validates it
    from reports.capacity_html import CapacityReport, FeedRow, RackRow


def level(pct: float | None) -> str:
    if pct is None:
        return "none"
    return "ok" if pct < 70 else "warn" if pct < 90 else "crit"


def pct(used: float | None, capacity: float | None) -> float | None:
    if used is None or not capacity:
        return None
    return round(100.0 * used / capacity, 1)


def bar(label: str, used: float | None, capacity: float | None, unit: str, F: Formatter,
        note: str = "", failover_pct: float | None = None, scale: float = 1.0) -> dict[str, Any]:
    """One summary row: figures (divided by `scale`, e.g. kbps -> Mbps) and bar widths."""
    share = pct(used, capacity)
    free = None if used is None or capacity is None else capacity - used

    def show(x: float | None) -> str:
        return F.num(None if x is None else round(x / scale, 1))

    return {
        "label": label, "unit": unit, "pct": share, "level": level(share),
        "used": show(used), "capacity": show(capacity), "free": show(free),
        "note": note, "failover_pct": failover_pct, "failover_level": level(failover_pct),
        "width": min(share or 0.0, 100.0),
        "failover_width": min(failover_pct or 0.0, 100.0),
    }


def site_summary(site: str, racks: list[RackRow], feeds: list[FeedRow], rep: CapacityReport,
                 F: Formatter, L: Any) -> list[dict[str, Any]]:
    rows = []
    total_u = sum(r.u_height for r in racks)
    used_u = sum(r.u_height * r.utilization_pct / 100.0 for r in racks)
    open_racks = [r for r in racks if r.open_for_colocation]
    free_u = sum(r.free_u for r in open_racks)
    block = max((r.largest_free_block_u for r in open_racks), default=0)
    rows.append(bar(L.cr_space, used_u if racks else None, total_u or None, L.cr_units, F,
                    note=f"{F.num(free_u)} U {L.cr_space_note} {F.num(block)} U"))

    installed = sum(r.available_va for r in racks)
    load = sum(r.load_va for r in racks)
    if all(r.usable_one_side_failed_va is not None for r in racks):
        # A and B are two paths for one load: what is left with one side down is the supply
        usable = sum(r.usable_one_side_failed_va or 0 for r in racks)
        rows.append(bar(L.cr_power_usable, load if racks else None, usable or None, "VA", F,
                        note=f"{L.cr_power_usable_note}: {F.num(installed)} VA"))
    else:  # a report of an earlier version
        rows.append(bar(L.cr_power_normal, load if racks else None, installed or None, "VA", F))

    worst = max(feeds, key=lambda f: (f.failover_load_va / f.available_va) if f.available_va else 0.0,
                default=None)
    unsafe = sum(1 for r in racks if not r.failover_safe)
    note = f"{unsafe} {L.cr_racks_unsafe}"
    if worst is not None:
        note = f"{L.cr_power_failover_note}: {worst.name} ({worst.rack or worst.panel}); " + note
        rows.append(bar(L.cr_power_failover, worst.failover_load_va, worst.available_va or None, "VA", F,
                        note=note))
    else:
        rows.append(bar(L.cr_power_failover, None, None, "VA", F, note=note))

    legs = [g for g in rep.legs if g.site == site]
    if legs:
        worst = max(legs, key=lambda g: (g.failover_load_va / g.available_va) if g.available_va else 0.0)
        imbalance = max((f.leg_imbalance_pct or 0.0 for f in feeds if f.name == worst.feed), default=0.0)
        rows.append(bar(L.cr_legs, worst.load_va, worst.available_va or None, "VA", F,
                        note=f"{L.cr_legs_note}: {worst.feed} {worst.leg}; {F.num(imbalance, 1)}%",
                        failover_pct=pct(worst.failover_load_va, worst.available_va)))

    for kind, items in ((L.cr_ups, rep.ups), (L.cr_genset, rep.gensets)):
        mine = [s for s in items if s.site == site]
        for s in mine:
            fo = pct(s.failover_load_va, s.capacity_va)
            note = f"{L.cr_failover}: {F.num(s.failover_load_va)} VA ({F.num(fo, 1)}%)"
            if s.capacity_w and s.load_w is not None and s.failover_load_w is not None:
                fo_w = pct(s.failover_load_w, s.capacity_w)
                note += (f"; {F.num(s.load_w)} / {F.num(s.capacity_w)} W, {L.cr_failover} {F.num(fo_w, 1)}%; "
                         f"{L.cr_binds}: {s.limited_by}")
                fo = max(fo or 0.0, fo_w or 0.0)
            rows.append(bar(f"{kind} {s.name}", s.load_va, s.capacity_va, "VA", F, note=note, failover_pct=fo))
        if not mine:
            rows.append(bar(kind, None, None, "VA", F, note=L.cr_no_data))

    for c in (c for c in rep.cooling if c.site == site and c.kind == "room"):
        rows.append(bar(f"{L.cr_cooling} {c.name}", c.heat_w, c.capacity_w or None, "W", F,
                        note=f"{L.cr_cooling_note}: {F.num(c.installed_kw)} kW, {F.num(c.units)} unit"))

    bw = next((b for b in rep.bandwidth if b.site == site), None)
    if bw is not None:
        note = f"{L.cr_uplinks}: {F.num(bw.commit_kbps / 1000)} Mbps commit"
        if bw.failover_allocatable_kbps is not None:
            note += f"; {L.cr_bandwidth_failover_note}: {F.num(bw.failover_allocatable_kbps / 1000)} Mbps"
        rows.append(bar(L.cr_bandwidth, bw.allocated_kbps, bw.allocatable_kbps, "Mbps", F, scale=1000.0,
                        note=note, failover_pct=pct(bw.allocated_kbps, bw.failover_allocatable_kbps)))
    else:
        commit = sum(u.commit_kbps for u in rep.uplinks if u.site == site)
        rows.append(bar(L.cr_bandwidth, None, commit or None, "Mbps", F, scale=1000.0,
                        note=L.cr_no_data))

    clusters = [c for c in rep.clusters if c.site == site]
    if clusters:
        for label, field, unit in ((L.cr_hosting_vcpus, "vcpus", "vCPU"),
                                   (L.cr_hosting_memory, "memory_gb", "GB"),
                                   (L.cr_hosting_disk, "disk_gb", "GB")):
            used = sum(getattr(c, f"{field}_used") for c in clusters)
            cap = sum(getattr(c, f"{field}_capacity") for c in clusters)
            note = ", ".join(c.name for c in clusters)
            if field != "disk_gb" and all(c.vm_max_vcpus is not None for c in clusters):
                most = max(getattr(c, "vm_max_vcpus" if field == "vcpus" else "vm_max_memory_gb") or 0.0
                           for c in clusters)
                note += f"; {L.cr_vm_max}: {F.num(most)} {unit}"
            rows.append(bar(label, used, cap or None, unit, F, note=note))
    else:
        rows.append(bar(L.cr_hosting_vcpus, None, None, "vCPU", F, note=L.cr_no_data))
    return rows
