"""Power per feed and per rack (NetBox-exact and this project's load with A/B failover),
then the legs, the redundancy topology, UPS and gensets. Pure: a snapshot in, figures out.

Two views of the same cabling are computed side by side:

* **NetBox's** (`available_va`, `allocated_va`, `power_utilization_pct`): the exact
  formulas of `PowerFeed.save()`, `PowerPort.get_power_draw()` and
  `Rack.get_power_utilization()` in NetBox 4.7, so the figures match its UI.
* **This project's load** (`load_w`, `load_va`, `failover_load_va`): every leaf port's
  draw (allocated, else maximum) walked up through PDUs to the feed, plus approved
  commitments, and what each surviving feed/UPS/genset carries when one side fails; in W
  and in VA (W / power factor). Legs: capacity/legs.py; UPS and gensets:
  capacity/sources.py; topology findings: capacity/topology.py.

The rules and every decision are written down in docs/capacity-rules.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from capacity.failover import group_failover, split_evenly, va_units  # noqa: F401  (this module's API too)
from capacity.legs import compute_legs
from capacity.policy import Policy
from capacity.results import FeedPower, Finding, RackPower, SourcePower
from capacity.scan import DeviceScan, gc_paused, scan_devices
from capacity.sources import compute_sources
from capacity.topology import analyse_topology
from inventory.model import PowerFeed, Snapshot

#: Feed statuses that count as available supply. A planned, offline or failed feed is
#: reported with its own figures, but contributes nothing to its rack's available VA.
SUPPLYING_FEED_STATUSES = frozenset({"active"})

#: Rack statuses for which no power-safety findings are raised (nothing is live there).
QUIET_RACK_STATUSES = frozenset({"planned"})


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------


@dataclass
class PowerResult:
    feeds: dict[str, FeedPower]
    racks: dict[str, RackPower]  # every rack of the snapshot, zeros when it has no feeds
    ups: dict[str, SourcePower]
    gensets: dict[str, SourcePower]
    findings: list[Finding] = field(default_factory=list)
    ups_groups: dict[str, str | None] = field(default_factory=dict)  # effective (capacity/topology.py)


# ---------------------------------------------------------------------------
# NetBox-exact formulas
# ---------------------------------------------------------------------------


def feed_available_va(feed: PowerFeed) -> int:
    """NetBox's `PowerFeed.available_power`, same operations in the same order."""
    kva = abs(feed.voltage) * feed.amperage * (feed.max_utilization / 100)
    if feed.phase == "three-phase":
        return round(kva * 1.732)
    return round(kva)


def is_supplying(feed: PowerFeed) -> bool:
    return feed.status in SUPPLYING_FEED_STATUSES


# ---------------------------------------------------------------------------
# compute_power
# ---------------------------------------------------------------------------


def compute_power(snapshot: Snapshot, policy: Policy,
                  scan: DeviceScan | None = None) -> PowerResult:
    """Every feed, rack, UPS and genset figure, normal and after one side fails.

    `scan` (from `scan_devices`) may be passed when the caller shares it with
    `compute_bandwidth` and `data_quality_findings`; it is built here otherwise.
    """
    with gc_paused():
        return _compute_power(snapshot, policy,
                              scan if scan is not None else scan_devices(snapshot))


def _compute_power(snapshot: Snapshot, policy: Policy, scan: DeviceScan) -> PowerResult:
    findings: list[Finding] = []
    feeds = {f.key: f for f in snapshot.power_feeds}
    panels = {p.key: p for p in snapshot.power_panels}
    racks = {r.key: r for r in snapshot.racks}
    devices = scan.devices
    pf = policy.power_factor

    units = list(scan.units)
    unit_devices = list(scan.unit_devices)
    unit_pf = list(scan.unit_pf)
    leg_units, leg_unit_pf = list(scan.leg_units), list(scan.leg_unit_pf)
    three_phase = {k for k, f in feeds.items() if f.phase == "three-phase"}

    # --- commitments (their draw in W, at the policy's power factor) -----------------
    committed: dict[str, int] = dict.fromkeys(feeds, 0)
    feeds_by_rack: dict[str, list[str]] = defaultdict(list)
    for f in snapshot.power_feeds:
        if f.rack is not None:
            feeds_by_rack[f.rack].append(f.key)
    for cm in snapshot.commitments:
        if cm.draw_va <= 0:
            continue
        targets = list(cm.feeds)
        if not targets and cm.rack is not None:
            targets = [k for k in feeds_by_rack.get(cm.rack, []) if is_supplying(feeds[k])]
        if not targets:
            findings.append(Finding(
                kind="commitment_unplaced", severity="warning",
                object=f"request {cm.request_id}",
                message=f"committed draw of {cm.draw_va} W names no feed (and no rack with "
                        "an active feed), so it is counted on no feed, UPS or genset",
                site=cm.site or (racks[cm.rack].site if cm.rack else None)))
            continue
        items = list(zip(targets, split_evenly(cm.draw_va, len(targets))))
        for f, share in items:
            committed[f] += share  # type: ignore[assignment]
        units.append(items)  # type: ignore[arg-type]
        unit_devices.append(None)
        unit_pf.append(None)
        if three_phase and not three_phase.isdisjoint(targets):  # its leg is not known: spread evenly
            leg_units.append([((f, None) if f in three_phase else f, a) for f, a in items])
            leg_unit_pf.append(None)

    # --- feeds: load (W and VA) and A/B failover within each rack --------------------
    units_va = va_units(units, unit_pf, pf)
    fl = group_failover(units, {k: f.type for k, f in feeds.items()}, {k: f.rack for k, f in feeds.items()})
    if units_va is None:  # one power factor: VA = W / pf
        va_load, va_fo, va_scale = fl.load, fl.failover_load, 1 / pf
    else:
        fl_va = group_failover(units_va, {k: f.type for k, f in feeds.items()},
                               {k: f.rack for k, f in feeds.items()})
        va_load, va_fo, va_scale = fl_va.load, fl_va.failover_load, 1.0
    nb_allocated = scan.nb_allocated
    no_draw_by_feed = scan.no_draw_by_feed
    feed_results: dict[str, FeedPower] = {}
    # per rack: [NetBox available, NetBox allocated, load VA (unrounded), supplying available,
    #            worst (headroom, -failover load, feed), failover safe, load W,
    #            supplying available on the primary side, on the redundant side]
    per_rack: dict[str, list[Any]] = {}
    for k, f in feeds.items():
        panel = panels[f.panel]
        available = feed_available_va(f)
        supplies = f.status in SUPPLYING_FEED_STATUSES
        load_va = va_load[k] * va_scale
        load = round(load_va)
        fo = round(va_fo[k] * va_scale)
        alloc = nb_allocated.get(k, 0)
        rk = f.rack
        rack = racks[rk] if rk is not None else None
        feed_results[k] = FeedPower(
            key=k, name=f.name, panel=panel.name, site=panel.site, rack=rk,
            rack_name=rack.name if rack is not None else None, status=f.status, type=f.type,
            phase=f.phase, available_va=available, allocated_va=alloc, load_va=load,
            committed_va=round(committed[k] / pf), failover_load_va=fo, headroom_va=available - load,
            failover_headroom_va=available - fo, ups=panel.ups,
            devices_without_draw=len(no_draw_by_feed.get(k, ())),
            load_w=round(fl.load[k]), failover_load_w=round(fl.failover_load[k]),
        )
        if supplies and load > available:
            findings.append(Finding(
                kind="overload", severity="error", object=f"feed {f.name}",
                message=f"load {load} VA exceeds the feed's available {available} VA",
                site=panel.site))
        if rk is None:
            continue
        acc = per_rack.get(rk)
        if acc is None:
            acc = per_rack[rk] = [0, 0, 0, 0, None, True, 0, 0, 0]
        acc[0] += available
        acc[1] += alloc
        acc[2] += load_va
        supply = available if supplies else 0
        acc[3] += supply
        acc[6] += feed_results[k].load_w
        acc[7 if f.type == "primary" else 8] += supply
        # the worst surviving feed: least headroom after the other side fails (a feed
        # that does not supply counts only when something is cabled to it)
        if supply or fo:
            if fo > supply:
                acc[5] = False
            cand = (supply - fo, -fo, k)
            if acc[4] is None or cand < acc[4]:
                acc[4] = cand

    # single-corded devices on racks with both sides, in device order
    single_corded: list[tuple[int, str]] = []
    for ui, g, side in fl.single_sided:
        devs = unit_devices[ui]
        if not devs:
            continue
        rack = racks.get(g) if isinstance(g, str) else None
        rack_name = rack.name if rack else str(g)
        other = "redundant" if side == "primary" else "primary"
        message = (f"fed only from the {side} side of rack {rack_name}: it goes down when "
                   f"that side fails (no port on a {other} feed)")
        single_corded.extend((di, message) for di in devs)
    for di, message in sorted(single_corded):
        d = devices[di]
        findings.append(Finding(kind="single_corded", severity="warning",
                                object=f"device {d.name or d.key}", message=message,
                                site=d.site))

    rack_results = _racks(racks, feeds, feeds_by_rack, per_rack, feed_results, findings)
    compute_legs(feeds, racks, feed_results, leg_units, leg_unit_pf, policy, QUIET_RACK_STATUSES, findings)
    # a three-phase leg past its third of the feed with the other side failed trips that
    # leg's breaker even when the feed as a whole has room: the rack is not failover-safe
    for rp in rack_results.values():
        if any(leg.failover_headroom_va < 0 for k in rp.feeds for leg in feed_results[k].legs):
            rp.failover_safe = False

    # --- UPS and gensets ------------------------------------------------------------
    topology = analyse_topology(snapshot)
    findings += topology.findings
    ups_results, genset_results = compute_sources(snapshot, policy, units, units_va, topology.ups_group,
                                                  findings)
    return PowerResult(feeds=feed_results, racks=rack_results, ups=ups_results,
                       gensets=genset_results, findings=findings, ups_groups=topology.ups_group)


def _racks(racks: dict[str, Any], feeds: dict[str, PowerFeed], feeds_by_rack: dict[str, list[str]],
           per_rack: dict[str, list[Any]], feed_results: dict[str, FeedPower],
           findings: list[Finding]) -> dict[str, RackPower]:
    """Every rack's power figures from its feeds' (`per_rack`), and the rack findings."""
    rack_results: dict[str, RackPower] = {}
    for rk, r in racks.items():
        acc = per_rack.get(rk)
        if acc is None:
            rack_results[rk] = RackPower(
                key=rk, available_va=0, allocated_va=0, load_va=0, failover_load_va=0,
                failover_available_va=0, failover_headroom_va=0, power_utilization_pct=0.0,
                feeds=[], failover_safe=True)
            continue
        nb_available, alloc, load, supply_total, worst, safe, load_w, side_a, side_b = acc
        pct = round(alloc / nb_available * 100, 1) if nb_available else 0.0
        if worst is None:
            w_load = w_avail = 0
        else:
            w_load = -worst[1]
            w_avail = worst[0] + w_load
        fkeys = feeds_by_rack[rk]
        # with feeds on both sides, the larger side failing leaves the other
        usable = min(side_a, side_b) if side_a and side_b else supply_total
        rack_results[rk] = RackPower(
            key=rk, available_va=supply_total, allocated_va=alloc, load_va=round(load),
            failover_load_va=w_load, failover_available_va=w_avail,
            failover_headroom_va=w_avail - w_load, power_utilization_pct=pct,
            feeds=list(fkeys), failover_safe=safe, load_w=load_w, usable_one_side_failed_va=usable,
        )
        if r.status in QUIET_RACK_STATUSES:
            continue
        for k in fkeys:
            f = feeds[k]
            if f.status not in SUPPLYING_FEED_STATUSES and feed_results[k].load_va > 0:
                findings.append(Finding(
                    kind="inactive_feed_load", severity="warning", object=f"feed {f.name}",
                    message=f"feed is {f.status} but {feed_results[k].load_va} VA is cabled "
                            f"to it (rack {r.name}): that draw has no supply on this side",
                    site=r.site))
        if not safe and worst is not None:
            findings.append(Finding(
                kind="failover_unsafe", severity="warning", object=f"rack {r.name}",
                message=f"when the other side fails, feed {feeds[worst[2]].name} carries "
                        f"{w_load} VA against {w_avail} VA available",
                site=r.site))
    return rack_results
