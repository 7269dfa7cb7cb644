"""The power side of the device scan (capacity/scan.py): the PDUs, their chains, and the
consumers as units of (feed, draw) items. Pure.

PDU ports are numbered in the order found; a port's attributes are lists indexed by it
(`PduPorts`), which keeps the 200,000-device scan fast. A consumer's port cabled to a PDU
outlet attaches to the PDU input feeding that outlet; inputs are followed up chains of
PDUs to their feed (`link_pdus`). NetBox's own allocated draw of a feed is summed as
`PowerPort.get_power_draw()` does (docs/capacity-rules.md).

Three-phase legs: an outlet's `feed_leg` puts what is plugged into it on that leg of its
PDU's feed; a PDU chained from an outlet is wholly on that outlet's leg (the topmost leg
on the chain wins). A port on a legged outlet of a PDU on a three-phase feed attaches to
`leg_attachment(npp, input, leg)`, an index past the PDU ports, so consumers still group
by attachment in one dictionary and the leg costs nothing in the device pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from inventory.model import LEGS, AnyDevice, PowerFeed

_NO_OUTLETS: dict[str, int] = {}
_outlets_of = attrgetter("power_outlets")


@dataclass
class PduPorts:
    """The PDUs' power ports, in order (a port's index is its place in these lists), and
    their outlets: what each outlet hangs from and whether something is cabled to it."""

    dev: list[int] = field(default_factory=list)  # device index of the PDU
    name: list[str] = field(default_factory=list)
    alloc: list[int | None] = field(default_factory=list)
    max: list[int | None] = field(default_factory=list)
    feed: list[str | None] = field(default_factory=list)  # the feed the port is cabled to
    ref: list[tuple[str, str] | None] = field(default_factory=list)  # or the outlet it is cabled to
    # PDU device key -> outlet name -> outlet index; per outlet index, the PDU port feeding
    # it (-1: none) and whether a port is cabled to it
    outlet_maps: dict[str, dict[str, int]] = field(default_factory=dict)
    outlet_input: list[int] = field(default_factory=list)
    outlet_taken: bytearray = field(default_factory=bytearray)
    outlet_leg: dict[int, str] = field(default_factory=dict)  # outlet index -> its feed leg (set ones)
    # what a consumer's port on an outlet attaches to: outlet_input, with legged outlets of
    # three-phase feeds as leg attachments (set by `leg_attachments`)
    outlet_att: list[int] = field(default_factory=list)
    # filled by link_pdus
    up: list[bool] = field(default_factory=list)  # the port feeds outlets of its PDU (an input)
    parent: list[int] = field(default_factory=list)  # the port feeding the outlet it is cabled to
    children: dict[int, list[int]] = field(default_factory=dict)  # input -> inputs on its outlets
    orphans: list[tuple[str, str]] = field(default_factory=list)  # cabled outlets tied to no input
    root: list[str | None] = field(default_factory=list)  # the feed it hangs from (None: dangling)
    leg: list[str | None] = field(default_factory=list)  # the leg a chained PDU's port hangs from
    ref_outlet: list[int] = field(default_factory=list)  # the outlet index a port is cabled to (-1: none)

    def input_of(self, device: str, outlet: str) -> int:
        """The PDU port feeding an outlet (-1: tied to no input, or no such outlet)."""
        oi = self.outlet_maps.get(device, _NO_OUTLETS).get(outlet, -1)
        return self.outlet_input[oi] if oi >= 0 else -1


def find_pdus(devices: list[AnyDevice]) -> PduPorts:
    """The PDUs' ports and outlets, before the main pass (a pass reading one attribute:
    ~0.05 s at 200,000 devices), so that every outlet a consumer is cabled to resolves
    to its PDU input during the main pass, whatever the order of the devices."""
    pdus = PduPorts()
    outlet_input = pdus.outlet_input
    for di in [di for di, outlets in enumerate(map(_outlets_of, devices)) if outlets]:
        d = devices[di]
        base = len(pdus.dev)
        by_name: dict[str, int] = {}
        for k, p in enumerate(d.power_ports):
            by_name[p.name] = base + k
            pdus.dev.append(di)
            pdus.name.append(p.name)
            pdus.alloc.append(p.allocated_draw)
            pdus.max.append(p.maximum_draw)
            pdus.feed.append(p.feed)
            o = p.outlet
            pdus.ref.append(None if o is None else (o.device, o.name))
        get = by_name.get
        names: dict[str, int] = {}
        legs = pdus.outlet_leg
        for o in d.power_outlets:
            oi = names[o.name] = len(outlet_input)
            outlet_input.append(get(o.power_port, -1))  # type: ignore[arg-type]
            if o.feed_leg is not None:
                legs[oi] = o.feed_leg
        pdus.outlet_maps[d.key] = names
    pdus.outlet_taken = bytearray(len(outlet_input))
    return pdus


def link_pdus(pdus: PduPorts) -> None:
    """Which PDU ports are inputs, what each port is cabled to, and the feed every port
    hangs from (following chains of PDUs; None for a dangling chain or a loop)."""
    npp = len(pdus.dev)
    outlet_input, outlet_taken = pdus.outlet_input, pdus.outlet_taken
    pdus.up = up = [False] * npp
    for src in set(outlet_input):
        if src >= 0:
            up[src] = True
    pdus.parent = parent = [-1] * npp
    pdus.ref_outlet = [-1] * npp
    pdus.leg = [None] * npp
    via: dict[int, int] = {}  # port -> the legged outlet it is cabled to
    for i in range(npp):
        ref = pdus.ref[i]
        if ref is None:
            continue
        oi = pdus.ref_outlet[i] = pdus.outlet_maps[ref[0]].get(ref[1], -1)
        if oi >= 0:
            outlet_taken[oi] = 1
            if oi in pdus.outlet_leg:
                via[i] = oi
        src = outlet_input[oi] if oi >= 0 else -1
        parent[i] = src
        if src < 0:
            pdus.orphans.append(ref)
        elif up[i]:
            pdus.children.setdefault(src, []).append(i)

    pdus.root = root = list(pdus.feed)
    done = [ref is None for ref in pdus.ref]
    for i in range(npp):
        if done[i]:
            continue
        path: list[int] = []
        on_path: set[int] = set()
        j, value = i, None
        while True:
            if done[j]:
                value = root[j]
                break
            if j in on_path:
                break
            path.append(j)
            on_path.add(j)
            j = parent[j]
            if j < 0:
                break
        for k in path:
            root[k] = value
            done[k] = True
    for i in via:  # the topmost legged outlet above each chained port
        j, seen = i, set()
        while j >= 0 and j not in seen:
            seen.add(j)
            if j in via:
                pdus.leg[i] = pdus.outlet_leg[via[j]]
            j = parent[j]


def leg_attachment(npp: int, port: int, leg: str) -> int:
    """The attachment of a consumer on an outlet of `leg` fed by PDU port `port`."""
    return npp + 3 * port + LEGS.index(leg)


def split_attachment(npp: int, att: int) -> tuple[int, str | None]:
    """(PDU port, leg) of an attachment index (leg None: not a leg attachment)."""
    if att < npp:
        return att, None
    port, leg = divmod(att - npp, 3)
    return port, LEGS[leg]


def leg_attachments(pdus: PduPorts, three_phase: set[str]) -> None:
    """`outlet_att`: the attachment of each outlet, a leg attachment for a legged outlet
    of a PDU whose input hangs from a three-phase feed (and from no leg above it)."""
    pdus.outlet_att = att = pdus.outlet_input
    if not pdus.outlet_leg or not three_phase:
        return
    att = pdus.outlet_att = list(att)
    npp = len(pdus.dev)
    for oi, leg in pdus.outlet_leg.items():
        src = att[oi]
        if src >= 0 and pdus.root[src] in three_phase and pdus.leg[src] is None:
            att[oi] = leg_attachment(npp, src, leg)


def add_pdu_leaves(pdus: PduPorts, patterns: dict[tuple[Hashable, ...], list[Any]]) -> None:
    """PDU ports that feed no outlet are leaves of the PDU device itself: add them to the
    consumers' attachment patterns."""
    leaves: dict[int, tuple[list[Hashable], list[int], list[int]]] = {}
    for i in range(len(pdus.dev)):
        if pdus.up[i]:
            continue
        att: Hashable = pdus.feed[i]
        if att is None:
            if pdus.ref[i] is None:
                continue  # not cabled
            oi = pdus.ref_outlet[i]
            att = pdus.outlet_att[oi] if oi >= 0 else -1
        a = pdus.alloc[i]
        atts, ds, nbs = leaves.setdefault(pdus.dev[i], ([], [], []))
        atts.append(att)
        ds.append(a or pdus.max[i] or 0)
        nbs.append(a or 0)
    for di, (atts, ds, nbs) in leaves.items():
        key = tuple(atts)
        rec = patterns.get(key)
        if rec is None:
            patterns[key] = [ds, nbs, [di]]
            continue
        sums, nsums, devs = rec
        for k in range(len(ds)):
            sums[k] += ds[k]
            nsums[k] += nbs[k]
        devs.append(di)


@dataclass
class FeedUnits:
    """The consumers as units on feeds, and what NetBox and the findings need of them."""

    units: list[list[tuple[Hashable, int | float]]]
    unit_devices: list[list[int] | None]
    nb_allocated: dict[str, int]
    cabled_feeds: set[str]
    device_feeds: set[str]
    nb_leaf: list[int]  # NetBox allocated of the leaf ports on a PDU input's outlets
    load_leaf: list[int]  # this project's draw of the same
    lost_inputs: set[int]  # PDU inputs with cabled outlets and no feed upstream
    orphan_outlets: list[tuple[str, str]]  # cabled outlets tied to no input port
    # the power factor of each unit's devices when their type declares one (None: the policy's)
    unit_pf: list[float | None] = field(default_factory=list)
    # units touching a three-phase feed, with (feed, leg) for its items (capacity/legs.py):
    # leg "A"/"B"/"C", None for a device cabled straight to the feed (a balanced load), "?"
    # for an outlet with no feed_leg
    leg_units: list[list[tuple[Hashable, int | float]]] = field(default_factory=list)
    leg_unit_pf: list[float | None] = field(default_factory=list)
    three_phase: set[str] = field(default_factory=set)  # three-phase feeds


_NOT_LEGGED = False  # an item on a feed that is not three-phase (legs are None, "?" or A/B/C)


def feed_units(devices: list[AnyDevice], feeds: dict[str, PowerFeed], pdus: PduPorts,
               patterns: dict[tuple[Hashable, ...], list[Any]],
               pf_patterns: dict[float, dict[tuple[Hashable, ...], list[Any]]] | None = None) -> FeedUnits:
    """Every attachment pattern as a unit of (feed, draw) items, PDU inputs followed up
    to their feed; a unit on one side only of a rack fed on both keeps its devices (a
    single-corded finding). `pf_patterns`: the patterns of devices whose type declares a
    power factor, per power factor."""
    npp = len(pdus.dev)
    root = pdus.root
    power = FeedUnits(units=[], unit_devices=[], nb_allocated=dict.fromkeys(feeds, 0), cabled_feeds=set(),
                      device_feeds=set(), nb_leaf=[0] * npp, load_leaf=[0] * npp, lost_inputs=set(),
                      orphan_outlets=list(pdus.orphans))
    nb_leaf, load_leaf, nb_allocated = power.nb_leaf, power.load_leaf, power.nb_allocated
    single_sided = _single_sided_test(feeds)
    three = power.three_phase = {k for k, f in feeds.items() if f.phase == "three-phase"}
    port_leg = pdus.leg
    groups: list[tuple[float | None, dict[tuple[Hashable, ...], list[Any]]]] = [(None, patterns)]
    groups += sorted((pf_patterns or {}).items())
    for pf, pats in groups:
        for key, (sums, nsums, devs) in pats.items():
            items: list[tuple[Hashable, int | float]] = []
            legs: list[str | None] | None = None
            for att, draw, nb in zip(key, sums, nsums):
                leg = None
                if att.__class__ is int:
                    if att < 0:
                        continue  # an outlet tied to no input: reported below
                    if att >= npp:  # type: ignore[operator]
                        att, leg = split_attachment(npp, att)  # type: ignore[arg-type]
                    nb_leaf[att] += nb  # type: ignore[index]
                    load_leaf[att] += draw  # type: ignore[index]
                    f = root[att]  # type: ignore[index]
                    if f is None:
                        power.lost_inputs.add(att)  # type: ignore[arg-type]
                        continue
                    if three and leg is None and f in three:  # an outlet with no leg of its own
                        leg = port_leg[att] or "?"  # type: ignore[index]
                else:
                    f = att  # type: ignore[assignment]
                    nb_allocated[f] += nb
                    power.cabled_feeds.add(f)
                    power.device_feeds.add(f)  # a device (not a PDU input feeding outlets) on the feed
                if three:
                    if f in three:
                        if legs is None:
                            legs = [_NOT_LEGGED] * len(items)  # type: ignore[list-item]
                        legs.append(leg)
                    elif legs is not None:
                        legs.append(_NOT_LEGGED)  # type: ignore[arg-type]
                items.append((f, draw))
            if -1 in key:
                for di in devs:
                    for p in devices[di].power_ports:
                        o = p.outlet
                        if o is not None and pdus.input_of(o.device, o.name) < 0:
                            power.orphan_outlets.append((o.device, o.name))
            if items:
                power.units.append(items)
                power.unit_pf.append(pf)
                power.unit_devices.append(devs if single_sided([f for f, _ in items]) else None)
                if legs is not None:
                    power.leg_units.append([((f, leg) if leg is not _NOT_LEGGED else f, a)
                                            for (f, a), leg in zip(items, legs)])
                    power.leg_unit_pf.append(pf)
    return power


def _single_sided_test(feeds: dict[str, PowerFeed]) -> Callable[[list[str]], bool]:
    """Whether a consumer on these feeds is on one side only of a rack fed on both sides."""
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

    return single_sided


def no_draw_by_feed(devices: list[AnyDevice], no_draw: list[tuple[int, list[str]]], pdus: PduPorts
                     ) -> dict[str, set[int]]:
    """Which feeds carry a port without draw (rare: re-walk those devices only)."""
    out: dict[str, set[int]] = defaultdict(set)
    for di, missing_ports in no_draw:
        names = set(missing_ports)
        for p in devices[di].power_ports:
            if p.name not in names:
                continue
            f = p.feed
            if f is None and p.outlet is not None:
                src = pdus.input_of(p.outlet.device, p.outlet.name)
                f = pdus.root[src] if src >= 0 else None
            if f is not None:
                out[f].add(di)
    return dict(out)


def add_netbox_pdu_draw(pdus: PduPorts, power: FeedUnits) -> None:
    """NetBox's allocated draw of the PDU inputs cabled to feeds, onto those feeds."""
    nb_leaf = power.nb_leaf

    def nb_pdu(port: int, _seen: set[int] | None = None) -> int:
        # PowerPort.get_power_draw()['allocated'] line for line, seen-set included; the
        # leaf ports on its outlets are already summed in nb_leaf (they have no outlets,
        # so NetBox gives each `allocated_draw or 0` and never skips one)
        a = pdus.alloc[port]
        if a is not None or pdus.max[port] is not None:
            return a or 0
        base_seen = set(_seen) if _seen else set()
        base_seen.add(port)
        seen = set(base_seen)
        total = nb_leaf[port]
        for child in pdus.children.get(port, ()):
            if child in seen:
                continue
            seen.add(child)
            total += nb_pdu(child, seen)
        return total

    for i in range(len(pdus.dev)):
        f = pdus.feed[i]
        if f is not None:
            power.cabled_feeds.add(f)
            if pdus.up[i]:  # the PDU's other ports are leaves, counted with the patterns
                power.nb_allocated[f] += nb_pdu(i)


def add_fixed_pdu_draws(pdus: PduPorts, power: FeedUnits) -> None:
    """PDU inputs with an explicit draw above what hangs off them: the excess is a fixed
    draw of the PDU itself on its feed (consumers we know nothing of); it never moves."""
    memo: dict[int, int] = {}

    def contribution(port: int, visiting: set[int]) -> int:
        if port in memo:
            return memo[port]
        if port in visiting:
            return 0
        visiting.add(port)
        value = power.load_leaf[port] + sum(contribution(c, visiting)
                                            for c in pdus.children.get(port, ()))
        visiting.discard(port)
        explicit = pdus.alloc[port] or pdus.max[port]
        if explicit and explicit > value:
            f = pdus.root[port]
            if f is not None:
                power.units.append([(f, explicit - value)])
                power.unit_devices.append(None)
                power.unit_pf.append(None)
                if f in power.three_phase:  # a PDU's own draw: on its chain's leg, else balanced
                    power.leg_units.append([((f, pdus.leg[port]), explicit - value)])
                    power.leg_unit_pf.append(None)
            value = explicit
        memo[port] = value
        return value

    for i in range(len(pdus.dev)):
        if pdus.up[i] and (pdus.alloc[i] or pdus.max[i]):
            contribution(i, set())


def dangling_chains(devices: list[AnyDevice], pdus: PduPorts, power: FeedUnits) -> list[tuple[int, list[str]]]:
    """PDUs whose cabled outlets lead nowhere, with what of each leads to no feed."""
    lost: dict[int, list[str]] = defaultdict(list)
    for i in sorted(power.lost_inputs | {c for c in pdus.children if pdus.root[c] is None}):
        lost[pdus.dev[i]].append(f"input {pdus.name[i]}")
    if power.orphan_outlets:
        dev_index = {d.key: n for n, d in enumerate(devices)}
        for dk, oname in sorted(set(power.orphan_outlets)):
            lost[dev_index[dk]].append(f"outlet {oname} (tied to no input port)")
    return sorted(lost.items())


def free_outlets(outlet_input: list[int], taken: bytearray, ports: int) -> list[int]:
    """Per PDU port, the outlets tied to it with nothing cabled to them."""
    free = [0] * ports
    for oi, src in enumerate(outlet_input):
        if src >= 0 and not taken[oi]:
            free[src] += 1
    return free


def free_outlets_by_leg(pdus: PduPorts, free: list[int]) -> dict[int, dict[str, int]]:
    """Per PDU port, its free outlets per leg: a port hanging from a leg has all its free
    outlets there; otherwise each free outlet with a feed_leg counts on its leg."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for i, leg in enumerate(pdus.leg):
        if leg is not None and free[i]:
            out[i][leg] = free[i]
    taken, outlet_input = pdus.outlet_taken, pdus.outlet_input
    for oi, leg in pdus.outlet_leg.items():
        src = outlet_input[oi]
        if src >= 0 and not taken[oi] and pdus.leg[src] is None:
            counts = out[src]
            counts[leg] = counts.get(leg, 0) + 1
    return dict(out)
