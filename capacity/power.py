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

import gc
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from capacity.policy import Policy
from capacity.results import FeedPower, Finding, RackPower, SourcePower
from inventory.model import Device, DeviceType, PowerFeed, Snapshot

#: Feed statuses that count as available supply. A planned, offline or failed feed is
#: reported with its own figures, but contributes nothing to its rack's available VA.
SUPPLYING_FEED_STATUSES = frozenset({"active"})

#: Device roles (slugs) that never need a draw figure: passive or power-distribution kit.
PASSIVE_ROLES = frozenset({
    "pdu", "power-distribution", "patch-panel", "patch-panels", "cable-management",
    "cable-manager", "blank", "blanking-panel", "shelf", "ups", "genset", "ats",
})

#: Rack statuses for which no power-safety findings are raised (nothing is live there).
QUIET_RACK_STATUSES = frozenset({"planned"})

_NO_OUTLETS: dict[str, int] = {}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around a hot loop.

    These passes allocate hundreds of thousands of small lists and tuples (none in a
    reference cycle) over a heap of millions of snapshot objects; every full collection
    the allocations trigger walks that whole heap (measured: 1 to 2 s each on a 200,000
    device snapshot). Reference counting still frees everything at once; the collector
    is restored to its previous state on the way out.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


def needs_power(device: Device, dtype: DeviceType | None) -> bool:
    """Whether a device is expected to carry draw data (see docs/capacity-rules.md).

    Not expected: power distribution (any device with power outlets, i.e. a PDU), types
    excluded from utilization (patch panels, blanks, cable managers: NetBox's own flag for
    passive kit) and devices whose role is in PASSIVE_ROLES.
    """
    return not device.power_outlets and kind_needs_power(dtype, device.role)


def kind_needs_power(dtype: DeviceType | None, role: str) -> bool:
    """`needs_power` for a device without power outlets, by its type and role."""
    if dtype is not None and dtype.exclude_from_utilization:
        return False
    return role.lower() not in PASSIVE_ROLES


# ---------------------------------------------------------------------------
# the generic "load and failover load of groups"
# ---------------------------------------------------------------------------

Number = int | float
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
        by_group: dict[Hashable, list[tuple[Hashable, Number]]] = {}
        for s, a in unit:
            load[s] += a
            g, _, m = info[s]
            if m:
                by_group.setdefault(g, []).append((s, a))
        for g, items in by_group.items():
            unit_sides = {side_of[s] for s, _ in items}
            if len(unit_sides) == 1:
                single.append((ui, g, next(iter(unit_sides))))
                continue
            for x in unit_sides:
                moved: Number = 0
                survivors = []
                for s, a in items:
                    if side_of[s] == x:
                        moved += a
                    else:
                        survivors.append(s)
                if not moved:
                    continue
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
# one pass over the devices
# ---------------------------------------------------------------------------

#: The device custom field holding a server's allocated bandwidth, in Mbps.
BANDWIDTH_FIELD = "bandwidth_mbps"

#: Device statuses whose bandwidth allocation counts as used: the ones that are or will
#: be on the network (the same set as VMs in capacity/compute.py).
COUNTED_DEVICE_STATUSES = frozenset({"active", "planned", "staged"})


def bandwidth_value(value: Any) -> float | None:
    """A `bandwidth_mbps` custom-field value as a number >= 0; None when absent or bad."""
    cls = value.__class__
    if cls is int or cls is float:  # the common case, without the conversions
        return float(value) if 0 <= value < float("inf") else None
    if value is None or value == "" or cls is bool:
        return None
    try:
        num = float(value)
    except (TypeError, ValueError):
        return None
    if num != num or num < 0 or num == float("inf"):
        return None
    return num


@dataclass
class DeviceScan:
    """Everything power, bandwidth and the data-quality findings need from the devices,
    gathered in one pass over them and their power ports (the expensive part at 200,000
    devices). Build it once with `scan_devices` and hand it to `compute_power`,
    `compute_bandwidth` and `data_quality_findings`; each builds its own when not given.
    """

    devices: list[Device]
    # --- power (this project's load) ---
    units: list[list[tuple[Hashable, Number]]]  # feed-level consumers, see group_failover
    unit_devices: list[list[int] | None]  # devices behind a unit (kept for single-sided ones)
    no_draw_by_feed: dict[str, set[int]]  # feed -> devices with a port without draw on it
    # --- power (NetBox) ---
    nb_allocated: dict[str, int]  # feed -> NetBox's allocated draw of its ports
    # --- findings ---
    no_draw: list[tuple[int, list[str]]]  # device, its leaf ports without draw ([]: no port)
    uncabled: list[int]  # active racked devices needing power with no port cabled
    power_devices_by_rack: dict[str, int]  # rack -> devices in it that need power
    cabled_feeds: set[str]
    dangling: list[tuple[int, list[str]]]  # PDU device, what of it leads to no feed
    overlaps: list[tuple[int, int, list[tuple[int, int]]]]  # dev, dev, [(half unit, face)]
    outside: list[int]  # racked devices reaching outside their rack's units
    # --- bandwidth ---
    bandwidth_mbps_by_site: dict[str, float] = field(default_factory=dict)
    invalid_bandwidth: list[int] = field(default_factory=list)


def scan_devices(snapshot: Snapshot) -> DeviceScan:
    """One pass over the PDUs, one over every device: see DeviceScan.

    Ports get this project's draw (allocated, else maximum; 0 allocated counts as not
    given) and are walked up PDU outlets to their feed. Consumers with the same cabling
    (the same feeds, port by port) are summed into one unit: the failover arithmetic is
    linear in the draws, so the figures are those of adding devices one by one, except
    for how a remainder of 1 VA of an uneven split is placed.
    """
    with gc_paused():
        return _scan_devices(snapshot)


def _scan_devices(snapshot: Snapshot) -> DeviceScan:
    devices = snapshot.devices
    feeds = {f.key: f for f in snapshot.power_feeds}

    # --- pass 0: PDUs (devices with power outlets) and their ports --------------------
    pdu_dev: list[int] = []
    pdu_name: list[str] = []
    pdu_alloc: list[int | None] = []
    pdu_max: list[int | None] = []
    pdu_feed: list[str | None] = []
    pdu_ref: list[tuple[str, str] | None] = []
    # PDU device key -> outlet name -> index of the PDU port feeding it (-1: none)
    outlet_maps: dict[str, dict[str, int]] = {}
    for di, d in [(di, d) for di, d in enumerate(devices) if d.power_outlets]:
        outlets = d.power_outlets
        base = len(pdu_dev)
        by_name: dict[str, int] = {}
        for k, p in enumerate(d.power_ports):
            by_name[p.name] = base + k
            pdu_dev.append(di)
            pdu_name.append(p.name)
            pdu_alloc.append(p.allocated_draw)
            pdu_max.append(p.maximum_draw)
            pdu_feed.append(p.feed)
            o = p.outlet
            pdu_ref.append(None if o is None else (o.device, o.name))
        get = by_name.get
        outlet_maps[d.key] = {o.name: get(o.power_port, -1)  # type: ignore[arg-type]
                              for o in outlets}
    npp = len(pdu_dev)
    pdu_up = [False] * npp  # the port feeds outlets of its PDU
    for m in outlet_maps.values():
        for src in set(m.values()):
            if src >= 0:
                pdu_up[src] = True
    pdu_parent = [-1] * npp
    pdu_children: dict[int, list[int]] = {}  # PDU input -> PDU inputs on its outlets
    pdu_orphans: list[tuple[str, str]] = []  # cabled outlets tied to no input port
    for i in range(npp):
        ref = pdu_ref[i]
        if ref is None:
            continue
        src = outlet_maps[ref[0]].get(ref[1], -1)
        pdu_parent[i] = src
        if src < 0:
            pdu_orphans.append(ref)
        elif pdu_up[i]:
            pdu_children.setdefault(src, []).append(i)

    # the feed each PDU port hangs from (None: dangling, or a loop of PDUs)
    pdu_root: list[str | None] = list(pdu_feed)
    done = [ref is None for ref in pdu_ref]
    for i in range(npp):
        if done[i]:
            continue
        path: list[int] = []
        on_path: set[int] = set()
        j, value = i, None
        while True:
            if done[j]:
                value = pdu_root[j]
                break
            if j in on_path:
                break
            path.append(j)
            on_path.add(j)
            j = pdu_parent[j]
            if j < 0:
                break
        for k in path:
            pdu_root[k] = value
            done[k] = True

    nb_leaf = [0] * npp  # NetBox allocated of the leaf ports on a PDU input's outlets
    load_leaf = [0] * npp  # this project's draw of the same
    nb_allocated: dict[str, int] = dict.fromkeys(feeds, 0)
    cabled_feeds: set[str] = set()
    no_draw_by_feed: dict[str, set[int]] = defaultdict(set)
    # Consumers are gathered by where their ports attach: a feed key (cabled directly)
    # or the index of the PDU input feeding the outlet (int; -1: an outlet tied to no
    # input). attachments -> [draws, NetBox allocated draws, device indices]
    patterns: dict[tuple[Hashable, ...], list[Any]] = {}

    def attach(di: int, atts: list[Hashable], ds: list[int], nbs: list[int]) -> None:
        key = tuple(atts)
        rec = patterns.get(key)
        if rec is None:
            patterns[key] = [ds, nbs, [di]]
            return
        sums, nsums, devs = rec
        for k in range(len(ds)):
            sums[k] += ds[k]
            nsums[k] += nbs[k]
        devs.append(di)

    # PDU ports that feed no outlet are leaves of the PDU device itself
    pdu_leaves: dict[int, tuple[list[Hashable], list[int], list[int]]] = {}
    for i in range(npp):
        if pdu_up[i]:
            continue
        att: Hashable = pdu_feed[i]
        if att is None:
            att = pdu_parent[i]
            if att == -1 and pdu_ref[i] is None:
                continue  # not cabled
        a = pdu_alloc[i]
        atts, ds, nbs = pdu_leaves.setdefault(pdu_dev[i], ([], [], []))
        atts.append(att)
        ds.append(a or pdu_max[i] or 0)
        nbs.append(a or 0)
    for di, (atts, ds, nbs) in pdu_leaves.items():
        attach(di, atts, ds, nbs)

    # --- pass 1: every device --------------------------------------------------------
    tinfo: dict[str, tuple[int, bool]] = {
        t.key: (int(t.u_height * 2), t.is_full_depth) for t in snapshot.device_types}
    no_type = (0, False)
    ones = [(1 << n) - 1 for n in range(max((t[0] for t in tinfo.values()), default=0) + 1)]
    rack_index: dict[str, int] = {}
    for n, r in enumerate(snapshot.racks):
        rack_index[r.key] = n
    occ_front = [0] * len(rack_index)
    occ_rear = [0] * len(rack_index)
    conflicts: set[int] = set()
    types = {t.key: t for t in snapshot.device_types}
    needs_by_kind: dict[tuple[str, str], bool] = {}
    power_devices_by_rack: dict[str, int] = defaultdict(int)
    no_draw: list[tuple[int, list[str]]] = []
    uncabled: list[int] = []
    bw_by_site: dict[str, float] = defaultdict(float)
    invalid_bw: list[int] = []
    maps_get = outlet_maps.get
    patterns_get = patterns.get

    for di, d in enumerate(devices):
        u2, full = tinfo.get(d.device_type, no_type)
        rack = d.rack
        cf = d.custom_fields
        if cf:
            raw = cf.get(BANDWIDTH_FIELD)
            if raw is not None and raw != "":
                v = bandwidth_value(raw)
                if v is None:
                    invalid_bw.append(di)
                elif v and d.status in COUNTED_DEVICE_STATUSES:
                    bw_by_site[d.site] += v
        if rack is not None and u2:
            pos = d.position
            if pos is not None and d.parent is None:
                ri = rack_index[rack]
                mask = ones[u2] << int(pos * 2)
                if full:
                    if (occ_front[ri] | occ_rear[ri]) & mask:
                        conflicts.add(ri)
                    occ_front[ri] |= mask
                    occ_rear[ri] |= mask
                elif d.face == "rear":
                    if occ_rear[ri] & mask:
                        conflicts.add(ri)
                    occ_rear[ri] |= mask
                else:
                    if occ_front[ri] & mask:
                        conflicts.add(ri)
                    occ_front[ri] |= mask
        if d.power_outlets:
            continue  # a PDU: its ports were done in pass 0
        ports = d.power_ports
        kind = (d.device_type, d.role)
        needs = needs_by_kind.get(kind)
        if needs is None:
            needs = needs_by_kind[kind] = kind_needs_power(types.get(kind[0]), kind[1])
        if needs and rack is not None:
            power_devices_by_rack[rack] += 1
        if not ports:
            if needs and rack is not None and d.parent is None:
                no_draw.append((di, []))
            continue
        atts: list[Hashable] = []
        ds: list[int] = []
        nbs: list[int] = []
        missing: list[str] | None = None
        for p in ports:
            a = p.allocated_draw
            draw = a or p.maximum_draw
            if not draw:
                draw = 0
                if needs:
                    if missing is None:
                        missing = []
                    missing.append(p.name)
            att = p.feed
            if att is None:
                o = p.outlet
                if o is None:
                    continue
                att = maps_get(o.device, _NO_OUTLETS).get(o.name, -1)
            atts.append(att)
            ds.append(draw)
            nbs.append(a or 0)
        if missing is not None:
            no_draw.append((di, missing))
        if not atts:
            if needs and rack is not None and d.status == "active":
                uncabled.append(di)
            continue
        key = tuple(atts)
        rec = patterns_get(key)
        if rec is None:
            patterns[key] = [ds, nbs, [di]]
        else:
            sums, nsums, devs = rec
            if len(ds) == 2:
                sums[0] += ds[0]
                sums[1] += ds[1]
                nsums[0] += nbs[0]
                nsums[1] += nbs[1]
            else:
                for k in range(len(ds)):
                    sums[k] += ds[k]
                    nsums[k] += nbs[k]
            devs.append(di)

    # --- from attachments to feeds ------------------------------------------------------
    # feeds on racks with both sides: a consumer on one side only of such a rack is a
    # finding (single-corded)
    rack_sides: dict[str, set[str]] = defaultdict(set)
    for f in feeds.values():
        if f.rack is not None:
            rack_sides[f.rack].add(f.type)
    ab_group = {k: (f.rack if f.rack is not None and len(rack_sides[f.rack]) > 1 else None)
                for k, f in feeds.items()}
    feed_side = {k: f.type for k, f in feeds.items()}

    def single_sided(fkeys: list[str]) -> bool:
        if len(fkeys) == 1:
            return ab_group[fkeys[0]] is not None
        if len(fkeys) == 2:
            g1, g2 = ab_group[fkeys[0]], ab_group[fkeys[1]]
            if g1 == g2:
                return g1 is not None and feed_side[fkeys[0]] == feed_side[fkeys[1]]
            return g1 is not None or g2 is not None
        seen: dict[Hashable, set[str]] = {}
        for f in fkeys:
            g = ab_group[f]
            if g is not None:
                seen.setdefault(g, set()).add(feed_side[f])
        return any(len(v) == 1 for v in seen.values())

    units: list[list[tuple[Hashable, Number]]] = []
    unit_devices: list[list[int] | None] = []
    orphan_outlets: list[tuple[str, str]] = list(pdu_orphans)
    lost_inputs: set[int] = set()  # PDU inputs with cabled outlets and no feed upstream
    for key, (sums, nsums, devs) in patterns.items():
        items: list[tuple[Hashable, Number]] = []
        for att, draw, nb in zip(key, sums, nsums):
            if att.__class__ is int:
                if att < 0:
                    continue  # an outlet tied to no input: reported below
                nb_leaf[att] += nb  # type: ignore[index]
                load_leaf[att] += draw  # type: ignore[index]
                f = pdu_root[att]  # type: ignore[index]
                if f is None:
                    lost_inputs.add(att)  # type: ignore[arg-type]
                    continue
            else:
                f = att  # type: ignore[assignment]
                nb_allocated[f] += nb
                cabled_feeds.add(f)
            items.append((f, draw))
        if -1 in key:
            for di in devs:
                for p in devices[di].power_ports:
                    o = p.outlet
                    if o is not None and maps_get(o.device, _NO_OUTLETS).get(o.name, -1) < 0:
                        orphan_outlets.append((o.device, o.name))
        if items:
            units.append(items)
            unit_devices.append(devs if single_sided([f for f, _ in items]) else None)
    if no_draw:
        # which feeds carry a port without draw (rare: re-walk those devices only)
        for di, missing_ports in no_draw:
            names = set(missing_ports)
            for p in devices[di].power_ports:
                if p.name not in names:
                    continue
                f = p.feed
                if f is None and p.outlet is not None:
                    src = maps_get(p.outlet.device, _NO_OUTLETS).get(p.outlet.name, -1)
                    f = pdu_root[src] if src >= 0 else None
                if f is not None:
                    no_draw_by_feed[f].add(di)

    # --- NetBox's allocated draw of the PDU inputs cabled to feeds ---------------------
    def nb_pdu(port: int, _seen: set[int] | None = None) -> int:
        # PowerPort.get_power_draw()['allocated'] line for line, seen-set included; the
        # leaf ports on its outlets are already summed in nb_leaf (they have no outlets,
        # so NetBox gives each `allocated_draw or 0` and never skips one)
        a = pdu_alloc[port]
        if a is not None or pdu_max[port] is not None:
            return a or 0
        base_seen = set(_seen) if _seen else set()
        base_seen.add(port)
        seen = set(base_seen)
        total = nb_leaf[port]
        for child in pdu_children.get(port, ()):
            if child in seen:
                continue
            seen.add(child)
            total += nb_pdu(child, seen)
        return total

    for i in range(npp):
        f = pdu_feed[i]
        if f is not None:
            cabled_feeds.add(f)
            if pdu_up[i]:  # the PDU's other ports are leaves, counted with the patterns
                nb_allocated[f] += nb_pdu(i)

    # PDU inputs with an explicit draw above what hangs off them: the excess is a fixed
    # draw of the PDU itself on its feed (consumers we know nothing of); it never moves.
    memo: dict[int, int] = {}

    def contribution(port: int, visiting: set[int]) -> int:
        if port in memo:
            return memo[port]
        if port in visiting:
            return 0
        visiting.add(port)
        value = load_leaf[port] + sum(contribution(c, visiting)
                                      for c in pdu_children.get(port, ()))
        visiting.discard(port)
        explicit = pdu_alloc[port] or pdu_max[port]
        if explicit and explicit > value:
            f = pdu_root[port]
            if f is not None:
                units.append([(f, explicit - value)])
                unit_devices.append(None)
            value = explicit
        memo[port] = value
        return value

    for i in range(npp):
        if pdu_up[i] and (pdu_alloc[i] or pdu_max[i]):
            contribution(i, set())

    # --- PDUs whose cabled outlets lead nowhere -----------------------------------------
    lost: dict[int, list[str]] = defaultdict(list)
    for i in sorted(lost_inputs | {c for c in pdu_children if pdu_root[c] is None}):
        lost[pdu_dev[i]].append(f"input {pdu_name[i]}")
    if orphan_outlets:
        dev_index = {d.key: n for n, d in enumerate(devices)}
        for dk, oname in sorted(set(orphan_outlets)):
            lost[dev_index[dk]].append(f"outlet {oname} (tied to no input port)")
    dangling = sorted(lost.items())

    # --- overlaps and devices outside their rack: only the racks where it happened ------
    racks = snapshot.racks
    recheck = set(conflicts)
    for ri, r in enumerate(racks):
        occ = occ_front[ri] | occ_rear[ri]
        if occ and (occ >> ((r.starting_unit + r.u_height) * 2)
                    or occ & ((1 << (r.starting_unit * 2)) - 1)):
            recheck.add(ri)
    overlaps: list[tuple[int, int, list[tuple[int, int]]]] = []
    outside: list[int] = []
    if recheck:
        owner: dict[tuple[int, int, int], int] = {}
        pairs: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for di, d in enumerate(devices):
            rack = d.rack
            if rack is None or d.position is None or d.parent is not None:
                continue
            ri = rack_index[rack]
            if ri not in recheck:
                continue
            u2, full = tinfo.get(d.device_type, no_type)
            if not u2:
                continue
            lo = int(d.position * 2)
            r = racks[ri]
            if lo < r.starting_unit * 2 or lo + u2 > (r.starting_unit + r.u_height) * 2:
                outside.append(di)
            if ri not in conflicts:
                continue
            faces = (0, 1) if full else ((1,) if d.face == "rear" else (0,))
            for face in faces:
                for slot in range(lo, lo + u2):
                    other = owner.setdefault((ri, slot, face), di)
                    if other != di:
                        pairs.setdefault((other, di), []).append((slot, face))
        overlaps = [(a, b, where) for (a, b), where in pairs.items()]

    return DeviceScan(
        devices=devices, units=units, unit_devices=unit_devices,
        no_draw_by_feed=dict(no_draw_by_feed), nb_allocated=nb_allocated, no_draw=no_draw,
        uncabled=uncabled, power_devices_by_rack=dict(power_devices_by_rack),
        cabled_feeds=cabled_feeds, dangling=dangling, overlaps=overlaps, outside=outside,
        bandwidth_mbps_by_site=dict(bw_by_site), invalid_bandwidth=invalid_bw,
    )


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

    # single-corded devices on racks with both sides
    for ui, g, side in fl.single_sided:
        devs = unit_devices[ui]
        if not devs:
            continue
        rack = racks.get(g) if isinstance(g, str) else None
        rack_name = rack.name if rack else str(g)
        other = "redundant" if side == "primary" else "primary"
        message = (f"fed only from the {side} side of rack {rack_name}: it goes down when "
                   f"that side fails (no port on a {other} feed)")
        for di in devs:
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
