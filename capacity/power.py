"""Power per feed and per rack (NetBox-exact and this project's load with A/B failover),
UPS and genset load with failover. Pure: a snapshot in, figures out.

Two views of the same cabling are computed side by side:

* **NetBox's** (`available_va`, `allocated_va`, `power_utilization_pct`): the exact
  formulas of `PowerFeed.save()`, `PowerPort.get_power_draw()` and
  `Rack.get_power_utilization()` in NetBox 4.7, so the figures match its UI.
* **This project's load** (`load_va`, `failover_load_va`): every leaf port's draw
  (allocated, else maximum) walked up through PDUs to the feed, plus approved
  commitments, and what each surviving feed/UPS/genset carries when one side fails.

The rules and every decision are written down in docs/capacity-rules.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from capacity.policy import Policy
from capacity.results import FeedPower, Finding, RackPower, SourcePower
from capacity.scan import DeviceScan, Number, gc_paused, scan_devices
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
# the generic "load and failover load of groups"
# ---------------------------------------------------------------------------

Unit = Sequence[tuple[Hashable, Number]]


@dataclass
class GroupLoads:
    load: dict[Hashable, Number]
    failover_load: dict[Hashable, Number]
    # (group, failed side, supply) -> draw the supply gains when that side fails
    gains: dict[tuple[Hashable, Hashable, Hashable], Number]
    # (unit index, group, its only side): units fed from one side of a multi-side group
    single_sided: list[tuple[int, Hashable, Hashable]]
    sides: dict[Hashable, set[Hashable]]  # group -> sides present


def split_evenly(amount: Number, n: int) -> list[Number]:
    """`amount` in `n` even shares; integers stay integers (remainder to the first)."""
    if isinstance(amount, int):
        q, r = divmod(amount, n)
        return [q + 1] * r + [q] * (n - r)
    return [amount / n] * n


def group_failover(units: Iterable[Unit], side_of: Mapping[Hashable, Hashable],
                   group_of: Mapping[Hashable, Hashable | None]) -> GroupLoads:
    """Load of every supply, and its load when another side of its group fails.

    A unit is one consumer (a device, a commitment) as a list of (supply, draw) items,
    one per leaf port. Supplies belong to groups (a rack, a UPS redundancy group) and
    each has a side (a feed's type, a UPS's own key). When side X of a group fails, every
    unit with items on X and on another side of that group moves the draw of its X items
    onto its surviving items in the group, split evenly per item; a unit on X only goes
    dark. A supply's failover load is its load plus the most it gains over the failures
    of the other sides of its group (its own load when it is alone in its group).

    Every supply named in `side_of` is reported; a supply missing from `group_of` (or
    mapped to None) is a group of its own.
    """
    sides: dict[Hashable, set[Hashable]] = defaultdict(set)
    group: dict[Hashable, Hashable] = {}
    group_get = group_of.get
    for s, side in side_of.items():
        g = group_get(s)
        if g is None:
            g = ("__alone__", s)
        group[s] = g
        sides[g].add(side)
    multi = {g for g, ss in sides.items() if len(ss) > 1}
    # supply -> (group, side, whether the group has several sides)
    info = {s: (g, side_of[s], g in multi) for s, g in group.items()}

    load: dict[Hashable, Number] = dict.fromkeys(side_of, 0)
    gain: dict[tuple[Hashable, Hashable, Hashable], Number] = {}  # (group, failed, supply)
    single: list[tuple[int, Hashable, Hashable]] = []
    gain_get = gain.get

    for ui, unit in enumerate(units):
        n = len(unit)
        if n == 1:
            s, a = unit[0]
            load[s] += a
            g, x, m = info[s]
            if m:
                single.append((ui, g, x))
            continue
        if n == 2:  # the common dual-corded case, without the bookkeeping
            (s1, a1), (s2, a2) = unit
            load[s1] += a1
            load[s2] += a2
            g1, x1, m1 = info[s1]
            g2, x2, m2 = info[s2]
            if g1 == g2:
                if m1:
                    if x1 == x2:
                        single.append((ui, g1, x1))
                    else:
                        if a2:
                            k = (g1, x2, s1)
                            gain[k] = gain_get(k, 0) + a2
                        if a1:
                            k = (g1, x1, s2)
                            gain[k] = gain_get(k, 0) + a1
                continue
            if m1:
                single.append((ui, g1, x1))
            if m2:
                single.append((ui, g2, x2))
            continue
        # the general case: per group of the unit, what each side carries moves evenly
        # onto the unit's items on the other sides of that group
        by_group: dict[Hashable, list[tuple[Hashable, Number, Hashable]]] = {}
        for s, a in unit:
            load[s] += a
            g, x, m = info[s]
            if m:
                items = by_group.get(g)
                if items is None:
                    by_group[g] = [(s, a, x)]
                else:
                    items.append((s, a, x))
        for g, items in by_group.items():
            moved_by_side: dict[Hashable, Number] = {}
            for _, a, x in items:
                moved_by_side[x] = moved_by_side.get(x, 0) + a
            if len(moved_by_side) == 1:
                single.append((ui, g, items[0][2]))
                continue
            for x, moved in moved_by_side.items():
                if not moved:
                    continue
                survivors = [s for s, _, sx in items if sx != x]
                for s, share in zip(survivors, split_evenly(moved, len(survivors))):
                    k = (g, x, s)
                    gain[k] = gain_get(k, 0) + share

    # a gain is only ever recorded for a supply on another side than the failed one
    best: dict[Hashable, Number] = {}
    for (_, _, s), v in gain.items():
        if v > best.get(s, 0):
            best[s] = v
    failover = dict(load)
    for s, v in best.items():
        failover[s] += v
    return GroupLoads(load=load, failover_load=failover, gains=gain,
                      single_sided=single, sides=dict(sides))


# ---------------------------------------------------------------------------

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
    ups_by_key = {u.key: u for u in snapshot.ups}
    gensets = {g.key: g for g in snapshot.gensets}
    devices = scan.devices

    units = list(scan.units)
    unit_devices = list(scan.unit_devices)

    # --- commitments ---------------------------------------------------------------
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
                message=f"committed draw of {cm.draw_va} VA names no feed (and no rack with "
                        "an active feed), so it is counted on no feed, UPS or genset",
                site=cm.site or (racks[cm.rack].site if cm.rack else None)))
            continue
        items = list(zip(targets, split_evenly(cm.draw_va, len(targets))))
        for f, share in items:
            committed[f] += share  # type: ignore[assignment]
        units.append(items)  # type: ignore[arg-type]
        unit_devices.append(None)

    # --- feeds: load and A/B failover within each rack -------------------------------
    fl = group_failover(units, {k: f.type for k, f in feeds.items()},
                        {k: f.rack for k, f in feeds.items()})
    nb_allocated = scan.nb_allocated
    no_draw_by_feed = scan.no_draw_by_feed
    fl_load, fl_fo = fl.load, fl.failover_load
    feed_results: dict[str, FeedPower] = {}
    # per rack: [NetBox available, NetBox allocated, load, supplying available,
    #            worst (headroom, -failover load, feed), failover safe]
    per_rack: dict[str, list[Any]] = {}
    for k, f in feeds.items():
        panel = panels[f.panel]
        available = feed_available_va(f)
        supplies = f.status in SUPPLYING_FEED_STATUSES
        load = int(fl_load[k])
        fo = int(fl_fo[k])
        alloc = nb_allocated.get(k, 0)
        rk = f.rack
        rack = racks[rk] if rk is not None else None
        feed_results[k] = FeedPower(
            key=k, name=f.name, panel=panel.name, site=panel.site, rack=rk,
            rack_name=rack.name if rack is not None else None, status=f.status, type=f.type,
            phase=f.phase, available_va=available, allocated_va=alloc, load_va=load,
            committed_va=committed[k], failover_load_va=fo, headroom_va=available - load,
            failover_headroom_va=available - fo, ups=panel.ups,
            devices_without_draw=len(no_draw_by_feed.get(k, ())),
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
            acc = per_rack[rk] = [0, 0, 0, 0, None, True]
        acc[0] += available
        acc[1] += alloc
        acc[2] += load
        supply = available if supplies else 0
        acc[3] += supply
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

    # --- racks ----------------------------------------------------------------------
    rack_results: dict[str, RackPower] = {}
    for rk, r in racks.items():
        acc = per_rack.get(rk)
        if acc is None:
            rack_results[rk] = RackPower(
                key=rk, available_va=0, allocated_va=0, load_va=0, failover_load_va=0,
                failover_available_va=0, failover_headroom_va=0, power_utilization_pct=0.0,
                feeds=[], failover_safe=True)
            continue
        nb_available, alloc, load, supply_total, worst, safe = acc
        pct = round(alloc / nb_available * 100, 1) if nb_available else 0.0
        if worst is None:
            w_load = w_avail = 0
        else:
            w_load = -worst[1]
            w_avail = worst[0] + w_load
        fkeys = feeds_by_rack[rk]
        rack_results[rk] = RackPower(
            key=rk, available_va=supply_total, allocated_va=alloc, load_va=load,
            failover_load_va=w_load, failover_available_va=w_avail,
            failover_headroom_va=w_avail - w_load, power_utilization_pct=pct,
            feeds=list(fkeys), failover_safe=safe,
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

    # --- UPS and gensets ------------------------------------------------------------
    ups_results: dict[str, SourcePower] = {}
    genset_results: dict[str, SourcePower] = {}
    ups_of_feed = {k: panels[f.panel].ups for k, f in feeds.items()}
    ups_units = _remap_units(units, ups_of_feed, None)
    ul = group_failover(ups_units, {k: k for k in ups_by_key},
                        {k: u.redundancy_group for k, u in ups_by_key.items()})
    for k, u in ups_by_key.items():
        derating = u.derating if u.derating is not None else policy.ups_derating
        ups_results[k] = _source(k, u.name, u.site, "ups", u.rated_va, derating,
                                 ul.load[k], ul.failover_load[k], u.redundancy_group, findings)

    eff = {k: (u.efficiency if u.efficiency is not None else policy.ups_efficiency)
           for k, u in ups_by_key.items()}
    genset_of_ups = {k: u.genset for k, u in ups_by_key.items()}
    g_units = _remap_units(ups_units, genset_of_ups, eff)
    for k, g in gensets.items():
        if g.other_loads_va:
            g_units.append([(k, float(g.other_loads_va))])  # declared, never moved
    gl = group_failover(g_units, {k: k for k in gensets},
                        {k: g.redundancy_group for k, g in gensets.items()})
    # A UPS failure moves draw between the UPSs of its group. Seen from the gensets, what
    # the failed UPS drew is gone and what its partners gained is added: partners on the
    # same genset leave it unchanged (the load moves within it), partners elsewhere move
    # load from one genset to another.
    ups_gain: dict[Hashable, float] = defaultdict(float)
    by_failure: dict[tuple[Hashable, Hashable], dict[Hashable, float]] = {}
    for (ug, failed, uk), a in ul.gains.items():
        net = by_failure.get((ug, failed))
        if net is None:
            net = by_failure[(ug, failed)] = defaultdict(float)
            gk = genset_of_ups[failed]  # type: ignore[index]
            if gk is not None:
                net[gk] -= ul.load[failed] / eff[failed]  # type: ignore[index]
        gk = genset_of_ups[uk]  # type: ignore[index]
        if gk is not None:
            net[gk] += a / eff[uk]  # type: ignore[index]
    for net in by_failure.values():
        for gk, v in net.items():
            ups_gain[gk] = max(ups_gain[gk], v)
    for k, g in gensets.items():
        derating = g.derating if g.derating is not None else policy.genset_derating
        fo = max(gl.failover_load[k], gl.load[k] + ups_gain.get(k, 0.0))
        genset_results[k] = _source(k, g.name, g.site, "genset", g.rated_va, derating,
                                    gl.load[k], fo, g.redundancy_group, findings)

    return PowerResult(feeds=feed_results, racks=rack_results, ups=ups_results,
                       gensets=genset_results, findings=findings)


def _remap_units(units: Sequence[Unit], supply_of: Mapping[Hashable, Hashable | None],
                 factor: Mapping[Hashable, float] | None) -> list[list[tuple[Hashable, Number]]]:
    """Units one level up (feeds -> UPS, UPS -> gensets): each item's supply replaced by
    its parent supply (items with none dropped), the draw divided by the old supply's
    factor when given (UPS efficiency). Units with the same parents, item by item, are
    summed into one: the failover arithmetic is linear in the draws."""
    merged: dict[tuple[Hashable, ...], list[Number]] = {}
    for unit in units:
        ups: list[Hashable] = []
        amounts: list[Number] = []
        for s, a in unit:
            up = supply_of.get(s)
            if up is not None:
                ups.append(up)
                amounts.append(a / factor[s] if factor is not None else a)
        if not ups:
            continue
        key = tuple(ups)
        sums = merged.get(key)
        if sums is None:
            merged[key] = amounts
        else:
            for k, v in enumerate(amounts):
                sums[k] += v
    return [list(zip(key, sums)) for key, sums in merged.items()]


def _source(key: str, name: str, site: str, kind: str, rated: int, derating: float,
            load: Number, failover: Number, group: str | None,
            findings: list[Finding]) -> SourcePower:
    capacity = round(rated * derating)
    load_i = round(load)
    fo_i = round(failover)
    pct = round(load / capacity * 100, 1) if capacity else 0.0
    label = "UPS" if kind == "ups" else "genset"
    if load_i > capacity:
        findings.append(Finding(
            kind="overload", severity="error", object=f"{label} {name}",
            message=f"load {load_i} VA exceeds its capacity {capacity} VA "
                    f"({rated} VA rated x {derating})", site=site))
    elif fo_i > capacity:
        findings.append(Finding(
            kind="failover_unsafe", severity="warning", object=f"{label} {name}",
            message=f"after a partner fails it carries {fo_i} VA against its capacity "
                    f"{capacity} VA", site=site))
    return SourcePower(
        key=key, name=name, site=site, kind=kind, rated_va=rated, capacity_va=capacity,
        load_va=load_i, failover_load_va=fo_i, headroom_va=capacity - load_i,
        failover_headroom_va=capacity - fo_i, utilization_pct=pct, redundancy_group=group,
    )
