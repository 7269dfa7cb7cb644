"""What a fit query works on: the servers' needs, a placement in progress, and the
figures of the snapshot looked up once (`FitContext`). Pure.

The search (capacity/fit_search.py) and the dimension checks (capacity/fit_dimensions.py)
read the context; placing one server (capacity/fit_server.py) adds to a
`PlacementState`, never to the snapshot or its CapacityResult.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from capacity.fit_request import CapacityRequest, ServerRequest
from capacity.fit_result import ServerSpot
from capacity.outlets import compute_plugs
from capacity.policy import Policy
from capacity.results import CapacityResult, FeedPlugs, FeedPower, SourcePower
from capacity.sources import genset_multipliers
from capacity.space import RackOccupancy, SpaceIndex
from inventory.model import Snapshot


@dataclass
class ServerNeed:
    """A server with its derived numbers, in placement order."""

    order: int  # index in the request
    req: ServerRequest
    half: int  # half units
    whole: bool  # whole-unit height: placed on whole units only
    draw: int  # W: what the server draws and the heat it gives off
    dual: bool  # >= 2 PSUs: an A/B feed pair
    va: float = 0.0  # the draw in VA at the policy's power factor (feeds, UPS, genset)

    @property
    def psus(self) -> int:
        return self.req.psu_count

    @property
    def signature(self) -> tuple[Any, ...]:
        """What placement depends on: equal signatures place alike."""
        return (self.half, self.whole, self.req.full_depth, self.draw, self.psus, self.req.weight_kg)


def needs_of(request: CapacityRequest, power_factor: float = 1.0) -> list[ServerNeed]:
    """The request's servers in placement order: largest first packs better (the report
    lists them in request order)."""
    needs = [
        ServerNeed(order=i, req=s, half=int(round(s.u_height * 2)), whole=float(s.u_height).is_integer(),
                   draw=s.draw_w, dual=s.psu_count >= 2, va=s.draw_w / power_factor)
        for i, s in enumerate(request.servers)
    ]
    needs.sort(key=lambda n: (-n.half, not n.req.full_depth, -n.draw, n.order))
    return needs


class PlacementState:
    """A placement in progress: masks of touched racks and load increments."""

    def __init__(self) -> None:
        self.masks: dict[str, tuple[int, int]] = {}
        self.feed: dict[str, float] = defaultdict(float)
        self.feed_fo: dict[str, float] = defaultdict(float)
        self.ups: dict[str, float] = defaultdict(float)
        self.ups_fo: dict[str, float] = defaultdict(float)
        self.gen: dict[str, float] = defaultdict(float)
        self.gen_fo: dict[str, float] = defaultdict(float)
        self.leg: dict[tuple[str, str], float] = defaultdict(float)  # (feed, leg) -> VA added
        self.leg_fo: dict[tuple[str, str], float] = defaultdict(float)
        self.leg_plugs: dict[tuple[str, str], int] = {}  # (feed, leg) -> plugs taken there
        self.cool: dict[str, float] = defaultdict(float)  # cooling key -> W of heat added
        self.weight: dict[str, float] = defaultdict(float)
        self.plugs: dict[str, int] = defaultdict(int)  # feed key -> plugs taken
        self.racks: list[RackOccupancy] = []
        self.placed: list[ServerSpot] = []
        self.slack_half = 0
        self.route_ok: dict[tuple[Any, ...], bool] = {}
        self.spots: list[str] = []  # what each placed server needs and where it went


@dataclass
class FeedOption:
    """Feeds for one server, and the load and plugs they would add (capacity/fit_server.py)."""

    feeds: tuple[FeedPower, ...]
    feed_inc: dict[str, tuple[float, float]]  # feed key -> (normal, failover)
    plug_inc: dict[str, int]  # feed key -> plugs its PSUs take
    ups_inc: dict[str, tuple[float, float]]
    gen_inc: dict[str, tuple[float, float]]
    legs: dict[str, str | None] | None = None  # three-phase feed -> the leg chosen (capacity/fit_legs.py)


class FitContext:
    """What one query needs, looked up once."""

    def __init__(self, snapshot: Snapshot, policy: Policy, result: CapacityResult, index: SpaceIndex) -> None:
        self.snapshot = snapshot
        self.policy = policy
        self.result = result
        self.index = index
        self.h2 = int(round(policy.rack_headroom_u * 2))
        self.failover = policy.require_failover_safe
        self.site_names = {s.key: s.name for s in snapshot.sites}
        self.ups_genset = {u.key: u.genset for u in snapshot.ups}
        self.pf = policy.power_factor
        # what a genset carries per VA of a UPS's output: 1 / efficiency + its cooling factor
        self.genset_mult = genset_multipliers(snapshot, policy)
        # redundancy groups with at least two members (a group of one backs nobody up)
        declared = {u.key: u.redundancy_group for u in snapshot.ups}
        self._ups_group = multi_groups(result.ups_groups if result.ups_groups is not None else declared)
        self._genset_group = multi_groups({g.key: g.redundancy_group for g in snapshot.gensets})
        self._feeds_by_rack: dict[str, list[FeedPower]] | None = None
        self._rack_feed_cache: dict[str, list[FeedPower]] = {}
        self._feed_room: dict[tuple[str, bool], float] = {}
        self.rank_cache: dict[tuple[Any, ...], tuple[list[RackOccupancy], list[int]]] = {}
        # (need signature, checks, rack key) of racks that fail a need on their own
        # figures (space, weight, feeds): true whatever else the request has placed.
        self.fails: set[tuple[Any, ...]] = set()
        self.pool_cache: dict[tuple[Any, ...], LazyPool] = {}
        self.caps_cache: dict[tuple[Any, ...], dict[str, int]] = {}
        self.spill_cache: dict[tuple[Any, ...], list[RackOccupancy]] = {}
        self._routes: dict[tuple[str, bool], tuple[tuple[str | None, ...], ...]] = {}
        self.all_routes_cache: dict[tuple[int, bool, str], tuple[tuple[str | None, ...], ...]] = {}
        self.search_cut = False  # a search stopped at its budget
        self.hosting_cluster: str | None = None  # the cluster hosting was checked on
        self.source_inc_cache: dict[tuple[Any, ...], tuple[dict, dict]] = {}
        # a result built by hand may lack the plugs: count them from the snapshot
        self.plugs: dict[str, FeedPlugs] = result.plugs or compute_plugs(snapshot)
        self._plug_room: dict[tuple[str, int], bool] = {}
        self._sides: dict[str, tuple[float, float, int, int]] | None = None
        self._cooling: dict[str, list[tuple[str, float]]] | None = None

    def cooling_of(self, rack: str) -> list[tuple[str, float]]:
        """(cooling key, headroom W) of the rack's room and of the rack, where declared."""
        if self._cooling is None:
            self._cooling = {}
            cooling = self.result.cooling
            if cooling:
                for r in self.snapshot.racks:
                    found = [(k, cooling[k].headroom_w) for k in (f"room:{r.location}", f"rack:{r.key}")
                             if k in cooling]
                    if found:
                        self._cooling[r.key] = found
        return self._cooling.get(rack, [])

    def free_plugs(self, feed: str) -> int:
        fp = self.plugs.get(feed)
        return fp.free if fp is not None else 0

    def plugs_possible(self, rack: str, need: "ServerNeed") -> bool:
        """Could the rack's feeds plug in every PSU of the server, on their own figures?"""
        key = (rack, need.psus)
        ok = self._plug_room.get(key)
        if ok is None:
            feeds = self.rack_feeds(rack)
            if need.dual:
                a, b = (need.psus + 1) // 2, need.psus // 2  # PSU i on feed i % 2: A gets the odd one
                ok = (any(f.type == "primary" and self.free_plugs(f.key) >= a for f in feeds)
                      and any(f.type == "redundant" and self.free_plugs(f.key) >= b for f in feeds))
            else:
                ok = any(self.free_plugs(f.key) >= need.psus for f in feeds)
            self._plug_room[key] = ok
        return ok

    def rack_sides(self, rack: str) -> tuple[float, float, int, int]:
        """Of the rack's active primary and redundant feeds: their headroom (failover
        headroom when the policy wants it, each feed from 0 up) and their free plugs."""
        if self._sides is None:  # one pass over the feeds for every rack
            sides: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0, 0])
            plugs = self.plugs
            failover = self.failover
            for f in self.result.feeds.values():
                if f.rack is None or f.status != "active" or f.type not in ("primary", "redundant"):
                    continue
                acc = sides[f.rack]
                b = f.type == "redundant"
                room = min(f.headroom_va, f.failover_headroom_va) if failover else f.headroom_va
                if room > 0:
                    acc[b] += room
                fp = plugs.get(f.key)
                if fp is not None and fp.plugs > fp.committed:
                    acc[2 + b] += fp.plugs - fp.committed
            self._sides = {k: (v[0], v[1], int(v[2]), int(v[3])) for k, v in sides.items()}
        return self._sides.get(rack, (0.0, 0.0, 0, 0))

    def rack_plugs(self, rack: str) -> tuple[int, int]:
        """Free plugs on the rack's active (primary, redundant) feeds."""
        feeds = self.rack_feeds(rack)
        return (sum(self.free_plugs(f.key) for f in feeds if f.type == "primary"),
                sum(self.free_plugs(f.key) for f in feeds if f.type == "redundant"))

    def rack_feeds(self, rack: str) -> list[FeedPower]:
        """Active feeds of a rack, by name."""
        cached = self._rack_feed_cache.get(rack)
        if cached is not None:
            return cached
        rp = self.result.racks_power.get(rack)
        if rp is not None:
            feeds = [self.result.feeds[k] for k in rp.feeds if k in self.result.feeds]
        else:
            if self._feeds_by_rack is None:
                self._feeds_by_rack = defaultdict(list)
                for fp in self.result.feeds.values():
                    if fp.rack is not None:
                        self._feeds_by_rack[fp.rack].append(fp)
            feeds = list(self._feeds_by_rack.get(rack, []))
        feeds = sorted((f for f in feeds if f.status == "active"), key=lambda f: (f.name, f.key))
        self._rack_feed_cache[rack] = feeds
        return feeds

    def rooms(self, obj: Any) -> tuple[float, float]:
        """(headroom, failover headroom) in VA of a feed, UPS or genset. A UPS or genset
        also has a W rating: its W headroom counts as VA of load at the policy's power
        factor (what a request's servers are), and the tighter of the two binds."""
        if isinstance(obj, SourcePower):
            return (min(obj.headroom_va, obj.headroom_w / self.pf),
                    min(obj.failover_headroom_va, obj.failover_headroom_w / self.pf))
        return obj.headroom_va, obj.failover_headroom_va

    def metric(self, obj: Any) -> float:
        """The headroom a placement must keep: failover headroom when the policy wants it."""
        normal, failover = self.rooms(obj)
        return min(normal, failover) if self.failover else normal

    def feed_room(self, rack: str, dual: bool) -> float:
        """The most draw one server could add to this rack's feeds, ignoring UPS/genset
        and this request's other servers: a quick bound that skips hopeless racks."""
        key = (rack, dual)
        room = self._feed_room.get(key)
        if room is not None:
            return room
        none = float("-inf")
        prim = red = single = none
        for f in self._active_feeds(rack):
            m = min(f.headroom_va, f.failover_headroom_va) if self.failover else f.headroom_va
            single = max(single, m)
            if f.type == "primary":
                prim = max(prim, m)
            elif f.type == "redundant":
                red = max(red, m)
        if dual:
            # each feed of the pair takes the whole draw on failover, about half normally
            best = min(prim, red)
            room = best if self.failover or best == none else 2 * best
        else:
            room = single
        self._feed_room[key] = room
        return room

    def _active_feeds(self, rack: str) -> list[FeedPower]:
        """Active feeds of a rack, in no particular order (`rack_feeds` sorts them)."""
        rp = self.result.racks_power.get(rack)
        if rp is None:
            return self.rack_feeds(rack)
        pool = self.result.feeds
        return [f for k in rp.feeds if (f := pool.get(k)) is not None and f.status == "active"]

    def routes(self, rack: str, dual: bool) -> tuple[tuple[str | None, ...], ...]:
        """The UPS routes (the UPS of each feed of an option) a server could take in a rack."""
        key = (rack, dual)
        routes = self._routes.get(key)
        if routes is None:
            feeds = self._active_feeds(rack)
            if dual:
                prim = {self.ups_of(f) for f in feeds if f.type == "primary"}
                red = {self.ups_of(f) for f in feeds if f.type == "redundant"}
                routes = tuple((a, b) for a in prim for b in red)
            else:
                routes = tuple({(self.ups_of(f),) for f in feeds})
            self._routes[key] = routes
        return routes

    def ups_of(self, fp: FeedPower) -> str | None:
        return fp.ups if fp.ups is not None and fp.ups in self.result.ups else None

    def ups_group(self, ups: str) -> str | None:
        return self._ups_group.get(ups)

    def genset_group(self, genset: str) -> str | None:
        return self._genset_group.get(genset)

    def genset_of(self, ups: str) -> str | None:
        g = self.ups_genset.get(ups)
        return g if g is not None and g in self.result.gensets else None


def room_left(ctx: FitContext, headroom: float, failover_headroom: float, inc_n: float, inc_fo: float,
              st_n: float, st_fo: float) -> float:
    """Headroom left after the increment (failover headroom when the policy wants it)."""
    normal = headroom - st_n - inc_n
    if not ctx.failover:
        return normal
    return min(normal, failover_headroom - st_fo - inc_fo)


def multi_groups(group_of: dict[str, str | None]) -> dict[str, str]:
    """Member -> group, for the groups of two or more members."""
    members: dict[str, int] = defaultdict(int)
    for g in group_of.values():
        if g is not None:
            members[g] += 1
    return {k: g for k, g in group_of.items() if g is not None and members[g] > 1}


class LazyPool:
    """A filtered rack list built only as far as it is read (most reads stop early)."""

    def __init__(self, source: Iterable[RackOccupancy]) -> None:
        self._source = iter(source)
        self._items: list[RackOccupancy] = []
        self._done = False

    def __iter__(self) -> Iterator[RackOccupancy]:
        i = 0
        while True:
            if i < len(self._items):
                yield self._items[i]
                i += 1
            elif self._done:
                return
            else:
                nxt = next(self._source, None)
                if nxt is None:
                    self._done = True
                else:
                    self._items.append(nxt)
