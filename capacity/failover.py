"""The generic failover arithmetic: load of supplies in groups, and their load when one
side of their group fails (`group_failover`), one level up (`remap_units`), and in both
W and VA (`failover_w_va`). Pure. Used for feeds, three-phase legs, UPSs and gensets
(capacity/power.py, capacity/legs.py, capacity/sources.py); the rules are in
docs/capacity-rules.md, "Failover".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

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


def remap_units(units: Sequence[Unit], supply_of: Mapping[Hashable, Hashable | None],
                factor: Mapping[Hashable, float] | None) -> list[list[tuple[Hashable, Number]]]:
    """Units one level up (feeds -> UPS, UPS -> gensets): each item's supply replaced by
    its parent supply (items with none dropped), the draw multiplied by the old supply's
    factor when given (1 / UPS efficiency, plus the genset's cooling factor). Units with
    the same parents, item by item, are summed into one: the failover arithmetic is
    linear in the draws."""
    merged: dict[tuple[Hashable, ...], list[Number]] = {}
    for unit in units:
        ups: list[Hashable] = []
        amounts: list[Number] = []
        for s, a in unit:
            up = supply_of.get(s)
            if up is not None:
                ups.append(up)
                amounts.append(a * factor[s] if factor is not None else a)
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


# ---------------------------------------------------------------------------
# watts and volt-amperes
# ---------------------------------------------------------------------------


def va_units(units: Sequence[Unit], unit_pf: Sequence[float | None], default_pf: float
             ) -> list[list[tuple[Hashable, Number]]] | None:
    """The units in VA (each draw / its power factor), or None when every unit has the
    default power factor: then every VA figure is the W figure / `default_pf`, because the
    failover arithmetic is linear in the draws (`scaled`)."""
    if all(pf is None for pf in unit_pf):
        return None
    assert len(units) == len(unit_pf)
    out = []
    for unit, pf in zip(units, unit_pf):
        inv = 1 / (pf if pf is not None else default_pf)
        out.append([(s, a * inv) for s, a in unit])
    return out


def scaled(loads: GroupLoads, factor: float) -> GroupLoads:
    """Every figure of `loads` multiplied by `factor` (W -> VA at one power factor)."""
    return GroupLoads(
        load={k: v * factor for k, v in loads.load.items()},
        failover_load={k: v * factor for k, v in loads.failover_load.items()},
        gains={k: v * factor for k, v in loads.gains.items()},
        single_sided=loads.single_sided, sides=loads.sides)


def failover_w_va(units_w: Sequence[Unit], units_va: Sequence[Unit] | None, default_pf: float,
                  side_of: Mapping[Hashable, Hashable], group_of: Mapping[Hashable, Hashable | None]
                  ) -> tuple[GroupLoads, GroupLoads]:
    """`group_failover` in W, and in VA: from the VA units when given (some power factors
    differ), else the W figures / `default_pf`."""
    w = group_failover(units_w, side_of, group_of)
    if units_va is None:
        return w, scaled(w, 1 / default_pf)
    return w, group_failover(units_va, side_of, group_of)
