"""Exact bounds for the placement search of capacity/fit_search.py. Pure.

Placement candidates are ranked by the key (racks used, empty racks used, slack) and then
by the rank of their anchor rack (the rack the first server goes into). The search visits
anchors in the order of a lower bound on the key any candidate from that anchor can reach,
and stops when the next anchor's bound (with its rank) is above the k-th best candidate
found: no anchor left can then enter the top k. So the best placement, and the first j of
the k shown, do not depend on how many are shown (`policy.max_placements`).

The bound of an anchor, component by component (each a necessary minimum):
* racks: 1 + the fewest other racks of its site whose capacities add up to the servers
  the anchor cannot take. A rack's capacity is an upper bound on how many of the
  request's servers it could take on its own figures: the most servers whose cheapest
  choice still fits its free units (and free runs), feed headroom per side, plugs per
  side and weight;
* empty racks: 1 when the anchor holds no counted device, else 0;
* slack: the first server's tightest free block in the anchor minus its height (later
  servers only add slack).
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Sequence
from itertools import accumulate
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def _prefix(costs: Sequence[float]) -> list[float]:
    """Sums of the 0, 1, 2, ... cheapest costs."""
    return [0.0, *accumulate(sorted(costs))]


def _most(prefix: list[float], budget: float) -> int:
    """How many of the cheapest items fit in the budget."""
    return max(bisect.bisect_right(prefix, budget + 1e-9) - 1, 0)


class RackCaps:
    """Upper bounds on how many of one request's servers a rack could take.

    `needs` carry half, whole, va (the draw in VA), draw (W), dual, psus and req
    (full_depth, weight_kg), as capacity.fit_context.ServerNeed does. Only the checks in `checks` limit the count.
    """

    def __init__(self, needs: Sequence[Any], checks: frozenset[str], failover: bool) -> None:
        self.n = len(needs)
        self.checks = checks
        self.all_full = all(n.req.full_depth for n in needs)
        self.all_dual = all(n.dual for n in needs)
        self.whole = all(n.whole for n in needs)
        self.min_half = min(n.half for n in needs)
        # space: faces taken (2 per full-depth half unit), half units free on both faces
        self.faces = _prefix([n.half * (2 if n.req.full_depth else 1) for n in needs])
        self.halves = _prefix([n.half for n in needs])
        # power: what a server takes of both sides together, and of each side (A/B servers)
        if failover:  # the surviving side carries a dual server's whole draw
            self.draw_total = _prefix([n.va * (2 if n.dual else 1) for n in needs])
            self.draw_side = _prefix([n.va for n in needs])
        else:  # the smaller share of a split in whole W, in VA
            self.draw_total = _prefix([n.va for n in needs])
            self.draw_side = _prefix([(n.draw // 2) * n.va / n.draw if n.draw else 0.0 for n in needs])
        # plugs: PSU i on feed i % 2, so side A takes the odd PSU
        self.plugs_total = _prefix([n.psus for n in needs])
        self.plugs_a = _prefix([(n.psus + 1) // 2 for n in needs])
        self.plugs_b = _prefix([n.psus // 2 for n in needs])
        self.weight = _prefix([n.req.weight_kg or 0.0 for n in needs])

    def cap(self, free_half: dict[str, int] | None, runs: dict[tuple[str, bool], tuple[int, ...]] | None,
            sides: tuple[float, float, int, int], weight_room_kg: float | None) -> int:
        """`sides`: headroom of the rack's active primary and redundant feeds (failover
        headroom when the policy wants it, each feed from 0 up), then their free plugs;
        `weight_room_kg` what the rack may still carry (None: no limit known)."""
        most = self.n
        checks = self.checks
        room_a, room_b, plugs_a, plugs_b = sides
        if "outlets" in checks:
            most = min(most, _most(self.plugs_total, plugs_a + plugs_b))
            if self.all_dual:
                most = min(most, _most(self.plugs_a, plugs_a), _most(self.plugs_b, plugs_b))
        if "power" in checks:
            most = min(most, _most(self.draw_total, room_a + room_b))
            if self.all_dual:
                most = min(most, _most(self.draw_side, min(room_a, room_b)))
        if "weight" in checks and weight_room_kg is not None:
            most = min(most, _most(self.weight, weight_room_kg))
        if "space" in checks and free_half is not None and most > 0:
            most = min(most, _most(self.faces, free_half["front"] + free_half["rear"]))
            if self.all_full:
                most = min(most, _most(self.halves, free_half["both"]))
            if runs is not None:  # every server needs a free run of its own height
                fit = 0
                for m in (("both",) if self.all_full else ("front", "rear")):
                    for length in runs[(m, self.whole)]:
                        fit += length // self.min_half
                        if fit >= most:
                            return most
                most = min(most, fit)
        return most


class FewestRacks:
    """The fewest racks of a set whose capacities add up to a number of servers."""

    def __init__(self, caps: dict[str, int]) -> None:
        order = sorted(caps, key=lambda k: -caps[k])
        self._index = {k: i for i, k in enumerate(order)}
        self._caps = caps
        self._prefix = [0, *accumulate(caps[k] for k in order)]  # sums of the largest 0, 1, 2, ...

    def needed(self, servers: int, besides: str) -> int | None:
        """Racks other than `besides` needed for `servers`; None when they cannot be enough."""
        if servers <= 0:
            return 0
        prefix = self._prefix
        m = bisect.bisect_left(prefix, servers)
        if m >= len(prefix):
            return None
        i = self._index.get(besides)
        if i is None or i >= m:
            return m
        # `besides` is among the m largest: take the next one instead
        j = bisect.bisect_left(prefix, servers + self._caps[besides])
        return j - 1 if j < len(prefix) else None


class TopK(Generic[T]):
    """The k best distinct candidates seen, by key; a candidate seen again keeps its best key."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._best: dict[Hashable, tuple[Any, ...]] = {}  # signature -> best key seen
        self._top: list[tuple[tuple[Any, ...], Hashable]] = []  # (key, signature), sorted, at most k
        self._items: dict[Hashable, T] = {}

    def add(self, key: tuple[Any, ...], signature: Hashable, item: T) -> None:
        known = self._best.get(signature)
        if known is not None and known <= key:
            return
        self._best[signature] = key
        if known is not None:
            self._top = [e for e in self._top if e[1] != signature]
        if len(self._top) < self.k or key < self._top[-1][0]:
            bisect.insort(self._top, (key, signature))
            del self._top[self.k:]
            self._items[signature] = item

    def kth(self) -> tuple[Any, ...] | None:
        """The k-th best key, once k candidates are known."""
        return self._top[-1][0] if len(self._top) >= self.k else None

    def items(self) -> list[T]:
        return [self._items[s] for _, s in self._top]
