"""Will a request fit? Per-dimension verdicts and ranked placements of its servers.

Pure: takes a snapshot, the request, the policy and the CapacityResult of that snapshot;
never reads NetBox. A placement is simulated on copies of the rack masks and on
increments to the loads of the result, so two servers of one request never share units
or headroom, and nothing of the snapshot or the result changes.

Checks, in the order a planner would name the cause ("layers"):
  space   free, unreserved half units on the faces the server needs (both when full
          depth), whole-unit servers on whole units, policy headroom kept per face
  weight  rack's known device weight + server weight <= max_weight_kg (when both known)
  power   a server with >= 2 PSUs takes a primary + a redundant active feed of the rack,
          draw/2 on each normally and the whole draw on each on failover; a single-PSU
          server takes one feed. Each feed: load + share <= available and (policy
          require_failover_safe) failover load + draw <= available
  outlets every PSU gets a plug on its feed (PSU i on feed i % 2): a free outlet of a PDU
          on the feed, or the feed itself when nothing is cabled to it (capacity/outlets.py)
  ups     the UPSs behind those feeds keep load and failover load within rated x derating
  genset  the gensets behind those UPSs likewise, loads divided by the UPS efficiency
Load increments follow capacity/power.py's failover model, so a placement's "after"
figures are what the engine reports once the servers are installed.
Bandwidth is per site; hosting compute per cluster. Rules and decisions:
docs/capacity-space-and-fit.md.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from capacity.bounds import FewestRacks, RackCaps, TopK
from capacity.limits import (
    HOSTING_DISK_GB_MAX, HOSTING_MEMORY_GB_MAX, HOSTING_VCPUS_MAX, SERVER_BANDWIDTH_MBPS_MAX,
    SERVER_DRAW_W_MAX, SERVER_PSU_COUNT_MAX, SERVER_WEIGHT_KG_MAX,
)
from capacity.outlets import compute_plugs, plugs_needed
from capacity.policy import Policy
from capacity.results import CapacityResult, FeedPlugs, FeedPower
from capacity.scan import gc_paused
from capacity.space import RackOccupancy, SpaceIndex, aligned_runs, natural_key, space_index_for
from inventory.errors import InputError
from inventory.files import read_structured, validate_file
from inventory.model import RACK_U_HEIGHT_MAX, Snapshot, check_half_units

Verdict = Literal["fits", "does not fit", "not requested"]


# --------------------------------------------------------------------------- request


class _Req(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ServerRequest(_Req):
    """One server to place. Draw in watts (treated as VA, as NetBox does)."""

    name: str = Field(min_length=1)
    u_height: float = Field(gt=0, le=RACK_U_HEIGHT_MAX)
    full_depth: bool = True
    psu_count: int = Field(2, ge=1, le=SERVER_PSU_COUNT_MAX)
    allocated_draw_w: int | None = Field(None, ge=0, le=SERVER_DRAW_W_MAX)
    maximum_draw_w: int | None = Field(None, ge=0, le=SERVER_DRAW_W_MAX)
    bandwidth_mbps: float = Field(0, ge=0, le=SERVER_BANDWIDTH_MBPS_MAX)
    weight_kg: float | None = Field(None, ge=0, le=SERVER_WEIGHT_KG_MAX)

    @field_validator("u_height")
    @classmethod
    def _half_units(cls, v: float) -> float:
        return check_half_units(v, "u_height")  # type: ignore[return-value]

    @model_validator(mode="after")
    def _some_draw(self) -> "ServerRequest":
        if not self.allocated_draw_w and not self.maximum_draw_w:
            raise ValueError(
                "give allocated_draw_w or maximum_draw_w (watts): without a draw the power, "
                "UPS and genset checks mean nothing"
            )
        if self.allocated_draw_w and self.maximum_draw_w and self.allocated_draw_w > self.maximum_draw_w:
            raise ValueError(f"allocated_draw_w ({self.allocated_draw_w}) exceeds maximum_draw_w "
                             f"({self.maximum_draw_w})")
        return self

    @property
    def draw_w(self) -> int:
        """allocated draw, or the maximum draw when no allocated draw is given."""
        return self.allocated_draw_w or self.maximum_draw_w or 0

    @property
    def draw_source(self) -> str:
        return "allocated" if self.allocated_draw_w else "maximum"


class HostingRequest(_Req):
    """Virtual machines to host on a cluster: vCPUs, RAM and disk."""

    vcpus: float = Field(0, ge=0, le=HOSTING_VCPUS_MAX)
    memory_gb: float = Field(0, ge=0, le=HOSTING_MEMORY_GB_MAX)
    disk_gb: float = Field(0, ge=0, le=HOSTING_DISK_GB_MAX)
    cluster: str | None = None

    @model_validator(mode="after")
    def _something(self) -> "HostingRequest":
        if not (self.vcpus or self.memory_gb or self.disk_gb):
            raise ValueError("hosting needs vcpus, memory_gb or disk_gb above 0")
        return self


class CapacityRequest(_Req):
    request_id: str | None = None
    tenant: str | None = None
    site: str | None = None
    servers: list[ServerRequest] = Field(default_factory=list)
    hosting: HostingRequest | None = None

    @model_validator(mode="after")
    def _needs_something(self) -> "CapacityRequest":
        if not self.servers and self.hosting is None:
            raise ValueError("a request needs servers, hosting or both")
        seen: set[str] = set()
        for s in self.servers:
            if s.name in seen:
                raise ValueError(f"server name {s.name!r} appears twice; names must be unique")
            seen.add(s.name)
        return self


def load_request(path: Path | str) -> CapacityRequest:
    """Read a request from YAML or JSON; errors name the file, the path and the field."""
    path = Path(path)
    return validate_file(CapacityRequest, read_structured(path), path)


# --------------------------------------------------------------------------- report


@dataclass
class DimensionCheck:
    dimension: str
    unit: str
    before: float | None
    requested: float | None
    after: float | None
    verdict: Verdict
    reason: str


@dataclass
class ServerPlacement:
    server: str
    site: str  # site key
    site_name: str
    rack: str  # rack key
    rack_name: str
    position: float | None  # lowest unit the server occupies
    face: str | None
    u_height: float
    full_depth: bool
    feed_a: str | None  # feed keys
    feed_b: str | None  # None for a single-PSU server
    feed_a_name: str | None
    feed_b_name: str | None
    draw_va: int  # the server's whole draw
    feed_a_draw_va: int | None  # its share on each feed in normal operation
    feed_b_draw_va: int | None
    draw_source: str  # "allocated" | "maximum"

    @property
    def units(self) -> str:
        """`U10`, `U10-U11` for whole units; `U3.5 (0.5U)` when halves are involved."""
        if self.position is None:
            return "-"
        if float(self.position).is_integer() and float(self.u_height).is_integer():
            top = self.position + self.u_height - 1
            return f"U{_num(self.position)}" + (f"-U{_num(top)}" if top > self.position else "")
        return f"U{_num(self.position)} ({_num(self.u_height)}U)"


@dataclass
class Placement:
    """One candidate for the whole request: a spot for every server, and its rank."""

    servers: list[ServerPlacement]
    site: str
    site_name: str
    racks: list[str]  # rack names used, in order of first use
    racks_used: int
    empty_racks_used: int  # racks without a counted device before this request
    slack_u: float  # spare units left in the free blocks the servers went into
    score: float  # lower is tighter; ranks like (racks_used, empty_racks_used, slack_u)


@dataclass
class FitReport:
    request_id: str | None
    tenant: str | None
    site: str | None
    fits: bool
    dimensions: list[DimensionCheck]
    placements: list[Placement]
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cluster: str | None = None  # key of the cluster the hosting dimensions were checked on

    def dimension(self, name: str) -> DimensionCheck:
        return next(d for d in self.dimensions if d.dimension == name)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for p, placement in zip(data["placements"], self.placements):
            for s, sp in zip(p["servers"], placement.servers):
                s["units"] = sp.units
        return data


# --------------------------------------------------------------------------- helpers


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _natural(text: str) -> tuple[Any, ...]:
    return natural_key(text)


def _match(value: str, *candidates: str | None) -> bool:
    v = value.lower()
    return any(c is not None and c.lower() == v for c in candidates)


@dataclass
class _Need:
    """A server with its derived numbers, in placement order."""

    order: int  # index in the request
    req: ServerRequest
    half: int  # half units
    whole: bool  # whole-unit height: placed on whole units only
    draw: int
    dual: bool  # >= 2 PSUs: an A/B feed pair

    @property
    def psus(self) -> int:
        return self.req.psu_count

    @property
    def signature(self) -> tuple[Any, ...]:
        """What placement depends on: equal signatures place alike."""
        return (self.half, self.whole, self.req.full_depth, self.draw, self.psus, self.req.weight_kg)


class _State:
    """A placement in progress: masks of touched racks and load increments."""

    def __init__(self) -> None:
        self.masks: dict[str, tuple[int, int]] = {}
        self.feed: dict[str, float] = defaultdict(float)
        self.feed_fo: dict[str, float] = defaultdict(float)
        self.ups: dict[str, float] = defaultdict(float)
        self.ups_fo: dict[str, float] = defaultdict(float)
        self.gen: dict[str, float] = defaultdict(float)
        self.gen_fo: dict[str, float] = defaultdict(float)
        self.weight: dict[str, float] = defaultdict(float)
        self.plugs: dict[str, int] = defaultdict(int)  # feed key -> plugs taken
        self.racks: list[RackOccupancy] = []
        self.placed: list[ServerPlacement] = []
        self.slack_half = 0
        self.route_ok: dict[tuple[Any, ...], bool] = {}
        self.spots: list[str] = []  # what each placed server needs and where it went


@dataclass
class _Option:
    feeds: tuple[FeedPower, ...]
    feed_inc: dict[str, tuple[float, float]]  # feed key -> (normal, failover)
    plug_inc: dict[str, int]  # feed key -> plugs its PSUs take
    ups_inc: dict[str, tuple[float, float]]
    gen_inc: dict[str, tuple[float, float]]


class _Ctx:
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
        self.ups_eff = {
            u.key: (u.efficiency if u.efficiency is not None else policy.ups_efficiency) for u in snapshot.ups
        }
        # redundancy groups with at least two members (a group of one backs nobody up)
        self._ups_group = _multi_groups({u.key: u.redundancy_group for u in snapshot.ups})
        self._genset_group = _multi_groups({g.key: g.redundancy_group for g in snapshot.gensets})
        self._feeds_by_rack: dict[str, list[FeedPower]] | None = None
        self._rack_feed_cache: dict[str, list[FeedPower]] = {}
        self._feed_room: dict[tuple[str, bool], float] = {}
        self.rank_cache: dict[tuple[Any, ...], tuple[list[RackOccupancy], list[int]]] = {}
        # (need signature, checks, rack key) of racks that fail a need on their own
        # figures (space, weight, feeds): true whatever else the request has placed.
        self.fails: set[tuple[Any, ...]] = set()
        self.pool_cache: dict[tuple[Any, ...], _LazyPool] = {}
        self.caps_cache: dict[tuple[Any, ...], dict[str, int]] = {}
        self.spill_cache: dict[tuple[Any, ...], list[RackOccupancy]] = {}
        self._routes: dict[tuple[str, bool], tuple[tuple[str | None, ...], ...]] = {}
        self._all_routes: dict[tuple[int, bool, str], tuple[tuple[str | None, ...], ...]] = {}
        self.search_cut = False  # a search stopped at its budget
        self.hosting_cluster: str | None = None  # the cluster hosting was checked on
        self._source_inc: dict[tuple[Any, ...], tuple[dict, dict]] = {}
        # a result built by hand may lack the plugs: count them from the snapshot
        self.plugs: dict[str, FeedPlugs] = result.plugs or compute_plugs(snapshot)
        self._plug_room: dict[tuple[str, int], bool] = {}
        self._sides: dict[str, tuple[float, float, int, int]] | None = None

    def free_plugs(self, feed: str) -> int:
        fp = self.plugs.get(feed)
        return fp.free if fp is not None else 0

    def plugs_possible(self, rack: str, need: "_Need") -> bool:
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

    def metric(self, obj: Any) -> float:
        """The headroom a placement must keep: failover headroom when the policy wants it."""
        return min(obj.headroom_va, obj.failover_headroom_va) if self.failover else obj.headroom_va

    def feed_room(self, rack: str, dual: bool) -> float:
        """The most draw one server could add to this rack's feeds, ignoring UPS/genset
        and this request's other servers: a quick bound that skips hopeless racks."""
        key = (rack, dual)
        room = self._feed_room.get(key)
        if room is not None:
            return room
        none = float("-inf")
        prim = red = single = none
        rp = self.result.racks_power.get(rack)
        if rp is not None:
            pool = self.result.feeds
            feeds = [f for k in rp.feeds if (f := pool.get(k)) is not None and f.status == "active"]
        else:
            feeds = self.rack_feeds(rack)
        for f in feeds:
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

    def ups_of(self, fp: FeedPower) -> str | None:
        return fp.ups if fp.ups is not None and fp.ups in self.result.ups else None

    def ups_group(self, ups: str) -> str | None:
        return self._ups_group.get(ups)

    def genset_group(self, genset: str) -> str | None:
        return self._genset_group.get(genset)

    def genset_of(self, ups: str) -> str | None:
        g = self.ups_genset.get(ups)
        return g if g is not None and g in self.result.gensets else None


def _multi_groups(group_of: dict[str, str | None]) -> dict[str, str]:
    members: dict[str, int] = defaultdict(int)
    for g in group_of.values():
        if g is not None:
            members[g] += 1
    return {k: g for k, g in group_of.items() if g is not None and members[g] > 1}


# --------------------------------------------------------------------------- one server


def _masks(st: _State, occ: RackOccupancy) -> tuple[int, int]:
    return st.masks.get(occ.key, (occ.front, occ.rear))


def _best_block(ctx: _Ctx, st: _State, need: _Need, occ: RackOccupancy) -> tuple[str, int, int] | None:
    """(face, start half index, usable run length) of the tightest free block, or None.

    Best fit: the smallest block that takes the server, then the lowest unit, front
    before rear. The policy headroom stays free on every face the server occupies.
    """
    front, rear = _masks(st, occ)
    options = [("both", "front")] if need.req.full_depth else [("front", "front"), ("rear", "rear")]
    best: tuple[int, int, int, str] | None = None
    for rank, (mode, face) in enumerate(options):
        faces = ("front", "rear") if mode == "both" else (mode,)
        if any(occ.free_mask(f, front, rear).bit_count() - need.half < ctx.h2 for f in faces):  # type: ignore[arg-type]
            continue
        for start, length in aligned_runs(occ.free_mask(mode, front, rear), need.whole):  # type: ignore[arg-type]
            if length >= need.half:
                cand = (length, start, rank, face)
                if best is None or cand < best:
                    best = cand
    if best is None:
        return None
    return best[3], best[1], best[0]


def _options(ctx: _Ctx, need: _Need, occ: RackOccupancy) -> list[_Option]:
    """Feed choices for a server in a rack with the load increments each brings."""
    feeds = ctx.rack_feeds(occ.key)
    choices: list[tuple[FeedPower, ...]]
    if need.dual:
        primaries = [f for f in feeds if f.type == "primary"]
        redundants = [f for f in feeds if f.type == "redundant"]
        choices = [(a, b) for a in primaries for b in redundants]
    else:
        choices = [(f,) for f in feeds]
    return [_increments(ctx, need.draw, chosen, need.psus) for chosen in choices]


def _increments(ctx: _Ctx, draw: int, chosen: tuple[FeedPower, ...], psus: int) -> _Option:
    """Load increments of a server on these feeds, as capacity/power.py would count them.

    The draw is split evenly over the server's feeds in whole VA (remainder to the first,
    as power.split_evenly). Failover (power.group_failover): when one side of a group
    fails, the server's draw on that side moves to its items on the surviving sides of
    the same group; a source's failover load is its load plus the most it gains.
    Feeds group by rack with the feed type as side, UPSs and gensets by redundancy group.
    """
    n = len(chosen)
    q, r = divmod(draw, n)
    shares = [float(q + 1)] * r + [float(q)] * (n - r)
    items = [(f.key, s) for f, s in zip(chosen, shares)]
    side = {f.key: f.type for f in chosen}
    feed_inc = _group_inc(items, lambda k: side[k], lambda k: "rack")
    ups_route = tuple(ctx.ups_of(f) for f in chosen)
    cache_key = (draw, ups_route)
    cached = ctx._source_inc.get(cache_key)
    if cached is None:
        cached = ctx._source_inc[cache_key] = _source_increments(ctx, list(zip(ups_route, shares)))
    return _Option(chosen, feed_inc, plugs_needed(psus, [f.key for f in chosen]), cached[0], cached[1])


def _source_increments(ctx: _Ctx, route: list[tuple[str | None, float]]) -> tuple[dict, dict]:
    """UPS and genset increments of a server whose feeds hang off these UPSs (shares)."""
    ups_items = [(u, s) for u, s in route if u is not None]
    ups_inc = _group_inc(ups_items, lambda u: u, ctx.ups_group)
    # gensets: UPS items a level up, divided by the UPS efficiency
    gen_items = [(g, s / ctx.ups_eff[u], u) for u, s in ups_items if (g := ctx.genset_of(u)) is not None]
    gen_inc = _group_inc([(g, v) for g, v, _ in gen_items], lambda g: g, ctx.genset_group)
    # A UPS failure moves draw between UPSs of its group; seen from the gensets (as in
    # power.compute_power) the surviving UPS's genset gains it. Bound that gain.
    for g, (normal, fo) in list(gen_inc.items()):
        extra = 0.0
        for x, sx in ups_items:
            gx = ctx.ups_group(x)
            survivors = [(u, s) for u, s in ups_items if u != x and gx is not None and ctx.ups_group(u) == gx]
            if not survivors:
                continue
            net = sum(sx / len(survivors) / ctx.ups_eff[u] for u, _ in survivors if ctx.genset_of(u) == g)
            if ctx.genset_of(x) == g:
                net -= sx / ctx.ups_eff[x]
            extra = max(extra, net)
        gen_inc[g] = (normal, max(fo, normal + extra))
    return ups_inc, gen_inc


def _group_inc(items: list[tuple[str, float]], side_of: Any, group_of: Any) -> dict[str, tuple[float, float]]:
    """(normal, failover) increment per supply for one consumer's items."""
    normal: dict[str, float] = defaultdict(float)
    for k, v in items:
        normal[k] += v
    out: dict[str, tuple[float, float]] = {}
    for k in normal:
        g = group_of(k)
        gain = 0.0
        if g is not None:
            in_group = [(j, v) for j, v in items if group_of(j) == g]
            for x in {side_of(j) for j, _ in in_group} - {side_of(k)}:
                moved = sum(v for j, v in in_group if side_of(j) == x)
                survivors = [j for j, _ in in_group if side_of(j) != x]
                gain = max(gain, moved * survivors.count(k) / len(survivors))
        out[k] = (normal[k], normal[k] + gain)
    return out


def _room(ctx: _Ctx, headroom: int, failover_headroom: int, inc_n: float, inc_fo: float,
          st_n: float, st_fo: float) -> float:
    """Headroom left after the increment (failover headroom when the policy wants it)."""
    normal = headroom - st_n - inc_n
    if not ctx.failover:
        return normal
    return min(normal, failover_headroom - st_fo - inc_fo)


def _option_rooms(ctx: _Ctx, st: _State, opt: _Option) -> dict[str, float]:
    """Per layer, the least headroom left on what the option touches (inf if nothing)."""
    rooms = {"power": float("inf"), "outlets": float("inf"), "ups": float("inf"), "genset": float("inf")}
    for k, n_plugs in opt.plug_inc.items():
        rooms["outlets"] = min(rooms["outlets"], ctx.free_plugs(k) - st.plugs.get(k, 0) - n_plugs)
    for k, (n, fo) in opt.feed_inc.items():
        fp = ctx.result.feeds[k]
        rooms["power"] = min(rooms["power"], _room(ctx, fp.headroom_va, fp.failover_headroom_va, n, fo,
                                                   st.feed.get(k, 0.0), st.feed_fo.get(k, 0.0)))
    for k, (n, fo) in opt.ups_inc.items():
        sp = ctx.result.ups[k]
        rooms["ups"] = min(rooms["ups"], _room(ctx, sp.headroom_va, sp.failover_headroom_va, n, fo,
                                               st.ups.get(k, 0.0), st.ups_fo.get(k, 0.0)))
    for k, (n, fo) in opt.gen_inc.items():
        sp = ctx.result.gensets[k]
        rooms["genset"] = min(rooms["genset"], _room(ctx, sp.headroom_va, sp.failover_headroom_va, n, fo,
                                                     st.gen.get(k, 0.0), st.gen_fo.get(k, 0.0)))
    return rooms


def _try_server(ctx: _Ctx, st: _State, need: _Need, occ: RackOccupancy,
                checks: frozenset[str]) -> tuple[ServerPlacement | None, str | None]:
    """Place one server in one rack under the enabled checks; (placement, None) or (None, failing layer)."""
    if "power" in checks and need.draw > ctx.feed_room(occ.key, need.dual) + 1e-9:
        return None, "power"
    if "outlets" in checks and not ctx.plugs_possible(occ.key, need):
        return None, "outlets"
    block = None
    if "space" in checks:
        block = _best_block(ctx, st, need, occ)
        if block is None:
            return None, "space"
    w = need.req.weight_kg
    if "weight" in checks and w is not None and occ.max_weight_kg is not None:
        if (occ.weight_kg or 0.0) + st.weight.get(occ.key, 0.0) + w > occ.max_weight_kg + 1e-9:
            return None, "weight"
    chosen: _Option | None = None
    power_checks = [layer for layer in ("power", "outlets", "ups", "genset") if layer in checks]
    if power_checks:
        options = _options(ctx, need, occ)
        if not options:
            return None, "power"
        best_key: tuple[float, ...] | None = None
        passed = 0  # how many of power_checks, in order, the best option passes
        for opt in options:
            rooms = _option_rooms(ctx, st, opt)
            ok = 0
            while ok < len(power_checks) and rooms[power_checks[ok]] >= -1e-9:
                ok += 1
            passed = max(passed, ok)
            if ok < len(power_checks):
                continue
            # the feed choice keeping the most room on the tightest feed
            key = (-rooms["power"], -rooms["ups"], -rooms["genset"])
            if best_key is None or key < best_key:
                best_key, chosen = key, opt
        if chosen is None:
            return None, power_checks[passed]

    # commit to the state
    face = position = None
    if block is not None:
        face, start, length = block
        position = occ.unit_of(start)
        bits = ((1 << need.half) - 1) << start
        front, rear = _masks(st, occ)
        if need.req.full_depth or face == "front":
            front |= bits
        if need.req.full_depth or face == "rear":
            rear |= bits
        st.masks[occ.key] = (front, rear)
        st.slack_half += length - need.half
    if w is not None:
        st.weight[occ.key] += w
    if chosen is not None:
        for k, (n, fo) in chosen.feed_inc.items():
            st.feed[k] += n
            st.feed_fo[k] += fo
        for k, n_plugs in chosen.plug_inc.items():
            st.plugs[k] += n_plugs
        for k, (n, fo) in chosen.ups_inc.items():
            st.ups[k] += n
            st.ups_fo[k] += fo
        for k, (n, fo) in chosen.gen_inc.items():
            st.gen[k] += n
            st.gen_fo[k] += fo
    if occ not in st.racks:
        st.racks.append(occ)
    feeds = chosen.feeds if chosen is not None else ()
    sp = ServerPlacement(
        server=need.req.name,
        site=occ.site,
        site_name=ctx.site_names.get(occ.site, occ.site),
        rack=occ.key,
        rack_name=occ.name,
        position=position,
        face=face,
        u_height=need.req.u_height,
        full_depth=need.req.full_depth,
        feed_a=feeds[0].key if feeds else None,
        feed_b=feeds[1].key if len(feeds) > 1 else None,
        feed_a_name=feeds[0].name if feeds else None,
        feed_b_name=feeds[1].name if len(feeds) > 1 else None,
        draw_va=need.draw,
        feed_a_draw_va=int(chosen.feed_inc[feeds[0].key][0]) if chosen is not None and feeds else None,
        feed_b_draw_va=int(chosen.feed_inc[feeds[1].key][0]) if chosen is not None and len(feeds) > 1 else None,
        draw_source=need.req.draw_source,
    )
    st.placed.append(sp)
    st.spots.append(repr((need.signature, sp.rack, sp.position, sp.face, sp.feed_a, sp.feed_b)))
    return sp, None


# --------------------------------------------------------------------------- search


@dataclass
class _Attempt:
    state: _State
    anchor_rank: int

    def signature(self) -> tuple[str, ...]:
        """The spots taken, whatever server took them: two alike servers swapped are the
        same candidate."""
        return tuple(sorted(self.state.spots))


def _eligible(ctx: _Ctx, sites: set[str], tenant: str | None) -> tuple[list[RackOccupancy], dict[str, int]]:
    """Racks a request may use, and how many were left out for which reason."""
    out: list[RackOccupancy] = []
    skipped: dict[str, int] = defaultdict(int)
    only_tenant = ctx.policy.dedicated_racks_for_tenant_only
    for occ in ctx.index.racks.values():
        if occ.site not in sites:
            continue
        if not occ.open_for_colocation:
            skipped["closed for co-location"] += 1
            continue
        if only_tenant and occ.tenant is not None and occ.tenant != tenant:
            skipped["dedicated to another tenant"] += 1
            continue
        out.append(occ)
    return out, skipped


def _rank_racks(ctx: _Ctx, racks: list[RackOccupancy], needs: list[_Need], tenant: str | None,
                space: bool) -> list[RackOccupancy]:
    """Racks in the order placement tries them.

    With the space check: racks that can take the first (largest) server, the tenant's
    own dedicated racks first, then racks that may hold the whole request, racks in use
    before empty ones, the tightest free block for the first server, then by name.
    """
    return _ranked(ctx, racks, needs, tenant, space)[0]


def _ranked(ctx: _Ctx, racks: list[RackOccupancy], needs: list[_Need], tenant: str | None,
            space: bool) -> tuple[list[RackOccupancy], list[int]]:
    """The racks in trying order, and the slack (half units) of the first server's
    tightest block in each, in that order (none without the space check)."""
    cache_key = (id(racks), space, needs[0].half, needs[0].whole, needs[0].req.full_depth, tenant)
    cached = ctx.rank_cache.get(cache_key)
    if cached is None:
        cached = ctx.rank_cache[cache_key] = _rank(ctx, racks, needs, tenant, space)
    return cached


def _rank(ctx: _Ctx, racks: list[RackOccupancy], needs: list[_Need], tenant: str | None,
          space: bool) -> tuple[list[RackOccupancy], list[int]]:
    if not space:
        return sorted(racks, key=lambda o: o.sort_key), []
    first = needs[0]
    half, whole = first.half, first.whole
    modes = (("both", whole),) if first.req.full_depth else (("front", whole), ("rear", whole))
    total_full = sum(n.half for n in needs if n.req.full_depth)
    total_any = sum(n.half for n in needs) + total_full
    h2 = ctx.h2
    bisect_left = bisect.bisect_left
    keyed = []
    for i, occ in enumerate(racks):
        runs = occ.run_lengths
        slack = None
        for mode in modes:
            lengths = runs[mode]  # type: ignore[index]
            j = bisect_left(lengths, half)
            if j < len(lengths):
                s = lengths[j] - half
                if slack is None or s < slack:
                    slack = s
        if slack is None:
            continue
        fh = occ.free_half
        holds_all = fh["both"] - h2 >= total_full and fh["front"] + fh["rear"] - 2 * h2 >= total_any  # type: ignore[index]
        keyed.append((tenant is None or occ.tenant != tenant, not holds_all, not occ.in_use, slack,
                      occ.sort_key, i))
    keyed.sort()
    return [racks[t[-1]] for t in keyed], [t[3] for t in keyed]


def _routes(ctx: _Ctx, rack: str, dual: bool) -> tuple[tuple[str | None, ...], ...]:
    """The UPS routes (the UPS of each feed of an option) a server could take in a rack."""
    key = (rack, dual)
    routes = ctx._routes.get(key)
    if routes is None:
        rp = ctx.result.racks_power.get(rack)
        if rp is not None:
            pool = ctx.result.feeds
            feeds = [f for k in rp.feeds if (f := pool.get(k)) is not None and f.status == "active"]
        else:
            feeds = ctx.rack_feeds(rack)
        if dual:
            prim = {ctx.ups_of(f) for f in feeds if f.type == "primary"}
            red = {ctx.ups_of(f) for f in feeds if f.type == "redundant"}
            routes = tuple((a, b) for a in prim for b in red)
        else:
            routes = tuple({(ctx.ups_of(f),) for f in feeds})
        ctx._routes[key] = routes
    return routes


def _all_routes(ctx: _Ctx, racks: list[RackOccupancy], dual: bool, site: str
                ) -> tuple[tuple[str | None, ...], ...]:
    """Every UPS route a server could take in the racks of one site."""
    key = (id(racks), dual, site)
    routes = ctx._all_routes.get(key)
    if routes is None:
        seen: dict[tuple[str | None, ...], None] = {}
        for occ in racks:
            if occ.site != site:
                continue
            for r in _routes(ctx, occ.key, dual):
                seen[r] = None
        routes = ctx._all_routes[key] = tuple(seen)
    return routes


def _route_ok(ctx: _Ctx, st: _State, need: _Need, route: tuple[str | None, ...], checks: frozenset[str]) -> bool:
    """Can the UPSs/gensets of this route take the server, given what the request placed?"""
    key = (need.draw, route, checks)
    ok = st.route_ok.get(key)
    if ok is None:
        n = len(route)
        q, r = divmod(need.draw, n)
        shares = [float(q + 1)] * r + [float(q)] * (n - r)
        ck = (need.draw, route)
        cached = ctx._source_inc.get(ck)
        if cached is None:
            cached = ctx._source_inc[ck] = _source_increments(ctx, list(zip(route, shares)))
        ups_inc, gen_inc = cached
        ok = True
        if "ups" in checks:
            ok = all(_room(ctx, ctx.result.ups[k].headroom_va, ctx.result.ups[k].failover_headroom_va, a, b,
                           st.ups.get(k, 0.0), st.ups_fo.get(k, 0.0)) >= -1e-9 for k, (a, b) in ups_inc.items())
        if ok and "genset" in checks:
            ok = all(_room(ctx, ctx.result.gensets[k].headroom_va, ctx.result.gensets[k].failover_headroom_va,
                           a, b, st.gen.get(k, 0.0), st.gen_fo.get(k, 0.0)) >= -1e-9
                     for k, (a, b) in gen_inc.items())
        st.route_ok[key] = ok
    return ok


def _site_has_route(ctx: _Ctx, st: _State, need: _Need, checks: frozenset[str],
                    racks: list[RackOccupancy], site: str) -> bool:
    return any(_route_ok(ctx, st, need, r, checks) for r in _all_routes(ctx, racks, need.dual, site))


def _route_of(ctx: _Ctx, sp: ServerPlacement) -> tuple[str | None, ...]:
    return tuple(ctx.ups_of(ctx.result.feeds[k]) for k in (sp.feed_a, sp.feed_b) if k is not None)


#: Most single-server tries one search makes; bounds pathological requests (a later
#: server that fits nowhere once the first is placed) to well under a second.
SEARCH_BUDGET = 20_000


def _search(ctx: _Ctx, needs: list[_Need], racks: list[RackOccupancy], checks: frozenset[str],
            tenant: str | None, limit: int) -> list[_Attempt]:
    """The `limit` best distinct placements of all servers, best first.

    Each candidate starts from a different anchor rack that takes the first server;
    the others go to the anchor, then racks already used, then the other racks that
    could take them on their own figures (those that could take the most of the request
    first), all within the anchor's site (a request is placed in one site). Candidates rank by
    (racks used, empty racks used, slack), then anchor order. Anchors are visited in the
    order of a lower bound on that key (capacity/bounds.py) until none left can beat the
    `limit`-th best: the first j candidates are the same whatever `limit` >= j.
    """
    order, slacks = _ranked(ctx, racks, needs, tenant, "space" in checks)
    caps = _caps(ctx, needs, racks, checks)
    spill = _spill_order(ctx, order, racks, caps) if len(needs) > 1 else []
    top: TopK[_Attempt] = TopK(limit)
    first = needs[0]
    power_on = "power" in checks
    budget = SEARCH_BUDGET
    looked = 25 * SEARCH_BUDGET  # racks looked at for later servers, tried or skipped
    sources_on = "ups" in checks or "genset" in checks
    empty = _State()  # route verdicts before anything is placed, shared by all anchors
    spill_failed = False  # a later server found no rack once: check its sources first
    # (site, UPS route of the first server) after which the second server has no route
    dead_routes: set[tuple[str, tuple[str | None, ...]]] = set()
    route_misses = 0  # anchors whose UPSs/gensets could not take the first server
    # A later server that no rack could take on its own figures fails every anchor.
    later = {n.signature: n for n in needs[1:]}
    if any(not any(_could_take(ctx, n, o, checks) for o in racks) for n in later.values()):
        return []
    for bound, rank, anchor in _anchors(needs, order, racks, slacks, caps):
        kth = top.kth()
        if kth is not None and (bound, rank) > kth:
            break  # no anchor left can enter the top `limit`
        if power_on and first.draw > ctx.feed_room(anchor.key, first.dual) + 1e-9:
            continue  # cheap bound first: most racks of a full site stop here
        if (first.signature, checks, anchor.key) in ctx.fails:
            continue
        if sources_on:
            routes = _routes(ctx, anchor.key, first.dual)
            if not any(_route_ok(ctx, empty, first, r, checks) for r in routes):
                route_misses += 1
                if route_misses == 20:  # probably full everywhere: look at every route once
                    every = {r for occ in order for r in _routes(ctx, occ.key, first.dual)}
                    if not any(_route_ok(ctx, empty, first, r, checks) for r in every):
                        break  # no UPS/genset anywhere can take the first server
                continue  # its UPSs/gensets cannot take the first server
            if routes and all((anchor.site, r) in dead_routes for r in routes):
                continue  # whichever route the first server takes, the second finds none
        st = _State()
        budget -= 1
        if not _try(ctx, st, first, anchor, checks):
            continue
        ok = True
        for need in needs[1:]:
            placed = False
            if spill_failed and sources_on and not _site_has_route(ctx, st, need, checks, racks, anchor.site):
                ok = False  # no UPS/genset left for it after the servers placed so far
                if len(st.placed) == 1:
                    dead_routes.add((anchor.site, _route_of(ctx, st.placed[0])))
                break
            for occ in _candidates(ctx, st, need, checks, spill, anchor):
                looked -= 1
                if looked <= 0:
                    break
                if sources_on and not any(_route_ok(ctx, st, need, r, checks)
                                          for r in _routes(ctx, occ.key, need.dual)):
                    continue
                budget -= 1
                if _try(ctx, st, need, occ, checks):
                    placed = True
                    break
                if budget <= 0:
                    break
            if not placed:
                spill_failed = True
                ok = False
                if (sources_on and len(st.placed) == 1
                        and not _site_has_route(ctx, st, need, checks, racks, anchor.site)):
                    dead_routes.add((anchor.site, _route_of(ctx, st.placed[0])))
                break
        if ok:
            attempt = _Attempt(st, rank)
            top.add((_score_key(attempt), rank), attempt.signature(), attempt)
        if budget <= 0 or looked <= 0:
            ctx.search_cut = True
            break
    return top.items()


def _caps(ctx: _Ctx, needs: list[_Need], racks: list[RackOccupancy], checks: frozenset[str]
          ) -> dict[str, int] | None:
    """Per rack, the most of the request's servers it could take on its own figures
    (capacity/bounds.py); None for a one-server request."""
    if len(needs) < 2:
        return None
    key = (id(racks), checks)
    caps = ctx.caps_cache.get(key)
    if caps is None:
        bound = RackCaps(needs, checks, ctx.failover)
        sides = ctx.rack_sides
        caps = ctx.caps_cache[key] = {
            occ.key: bound.cap(occ.free_half, occ.run_lengths, sides(occ.key),
                               None if occ.max_weight_kg is None else occ.max_weight_kg - (occ.weight_kg or 0.0))
            for occ in racks}
    return caps


def _spill_order(ctx: _Ctx, order: list[RackOccupancy], racks: list[RackOccupancy],
                 caps: dict[str, int] | None) -> list[RackOccupancy]:
    """Every rack in the order later servers try them: the racks that could take the most
    of the request first (fewest racks used), then the anchors' order, then by name."""
    key = (id(order), id(racks), id(caps))
    spill = ctx.spill_cache.get(key)
    if spill is None:
        ranked = {o.key for o in order}
        spill = order + sorted((o for o in racks if o.key not in ranked), key=lambda o: o.sort_key)
        if caps is not None:
            position = {o.key: i for i, o in enumerate(spill)}
            spill.sort(key=lambda o: (-caps[o.key], position[o.key]))
        ctx.spill_cache[key] = spill
    return spill


def _anchors(needs: list[_Need], order: list[RackOccupancy], racks: list[RackOccupancy],
             slacks: list[int], caps: dict[str, int] | None
             ) -> list[tuple[tuple[int, int, int], int, RackOccupancy]]:
    """(lower bound of the candidate key, rank, rack) of every anchor that could lead to a
    placement, in visiting order (capacity/bounds.py)."""
    fewest: dict[str, FewestRacks] = {}
    if caps is not None:
        by_site: dict[str, dict[str, int]] = defaultdict(dict)
        for o in racks:
            by_site[o.site][o.key] = caps[o.key]
        fewest = {site: FewestRacks(site_caps) for site, site_caps in by_site.items()}
    out = []
    for rank, occ in enumerate(order):
        racks = 1
        if caps is not None:
            more = fewest[occ.site].needed(len(needs) - caps[occ.key], occ.key)
            if more is None:
                continue  # the racks of its site cannot hold the rest
            racks += more
        out.append(((racks, 0 if occ.in_use else 1, slacks[rank] if slacks else 0), rank, occ))
    out.sort(key=lambda t: (t[0], t[1]))
    return out


def _try(ctx: _Ctx, st: _State, need: _Need, occ: RackOccupancy, checks: frozenset[str]) -> bool:
    """_try_server, remembering racks that fail on their own figures."""
    untouched = occ not in st.racks
    placed, layer = _try_server(ctx, st, need, occ, checks)
    if placed is None and untouched and layer in ("space", "weight", "power", "outlets"):
        ctx.fails.add((need.signature, checks, occ.key))
    return placed is not None


def _candidates(ctx: _Ctx, st: _State, need: _Need, checks: frozenset[str], spill: list[RackOccupancy],
                anchor: RackOccupancy) -> Iterable[RackOccupancy]:
    """Racks to try for a later server: those already used, then every rack of the
    anchor's site that could take it on its own figures, in spill order."""
    yield from list(st.racks)
    used = {o.key for o in st.racks}
    sig = need.signature
    fails = ctx.fails
    for occ in _pool(ctx, need, checks, spill, anchor.site):
        if occ.key not in used and (sig, checks, occ.key) not in fails:
            yield occ


class _LazyPool:
    """A filtered rack list built only as far as it is read (most reads stop early)."""

    def __init__(self, source: Iterable[RackOccupancy]) -> None:
        self._source = iter(source)
        self._items: list[RackOccupancy] = []
        self._done = False

    def __iter__(self) -> Iterable[RackOccupancy]:  # type: ignore[override]
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


def _pool(ctx: _Ctx, need: _Need, checks: frozenset[str], spill: list[RackOccupancy], site: str) -> _LazyPool:
    """Racks of a site that could take a server on their own figures, in spill order."""
    key = (id(spill), site, need.signature, checks)
    pool = ctx.pool_cache.get(key)
    if pool is None:
        pool = ctx.pool_cache[key] = _LazyPool(
            o for o in spill if o.site == site and _could_take(ctx, need, o, checks))
    return pool


def _could_take(ctx: _Ctx, need: _Need, occ: RackOccupancy, checks: frozenset[str]) -> bool:
    """Could the rack take the server on its own figures (before this request)?"""
    if "power" in checks and need.draw > ctx.feed_room(occ.key, need.dual) + 1e-9:
        return False
    if "outlets" in checks and not ctx.plugs_possible(occ.key, need):
        return False
    if "space" in checks:
        modes = ("both",) if need.req.full_depth else ("front", "rear")
        runs = occ.run_lengths or {}
        if not any((lengths := runs.get((m, need.whole))) and lengths[-1] >= need.half for m in modes):
            return False
    return True


def _score_key(a: _Attempt) -> tuple[int, int, int]:
    st = a.state
    return (len(st.racks), sum(1 for o in st.racks if not o.in_use), st.slack_half)


def _to_placement(ctx: _Ctx, a: _Attempt, needs: list[_Need]) -> Placement:
    st = a.state
    racks_used, empty, slack_half = _score_key(a)
    by_name = {p.server: p for p in st.placed}
    servers = [by_name[n.req.name] for n in sorted(needs, key=lambda n: n.order)]
    slack_u = slack_half / 2
    site = st.racks[0].site
    return Placement(
        servers=servers,
        site=site,
        site_name=ctx.site_names.get(site, site),
        racks=[o.name for o in st.racks],
        racks_used=racks_used,
        empty_racks_used=empty,
        slack_u=slack_u,
        score=slack_u + 1000 * empty + 100000 * (racks_used - 1),
    )


# --------------------------------------------------------------------------- dimensions


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _space_dim(ctx: _Ctx, needs: list[_Need], st: _State | None, eligible: list[RackOccupancy],
               verdict: Verdict) -> DimensionCheck:
    requested = sum(n.req.u_height for n in needs)

    def free_u(occ: RackOccupancy, front: int, rear: int) -> float:
        return max(occ.free_mask("both", front, rear).bit_count() - ctx.h2, 0) / 2

    if st is not None:
        before = sum(free_u(o, o.front, o.rear) for o in st.racks)
        after = sum(free_u(o, *_masks(st, o)) for o in st.racks)
        names = ", ".join(o.name for o in st.racks)
        reason = f"free units on both faces of rack{'s' if len(st.racks) > 1 else ''} {names}"
        return DimensionCheck("space", "U", before, requested, after, verdict, reason)
    before = sum(free_u(o, o.front, o.rear) for o in eligible)
    largest = _largest_offer(ctx, needs[0], eligible)
    kind = "full-depth" if needs[0].req.full_depth else "half-depth"
    if largest is None:
        reason = "no rack open to this request"
    else:
        size, occ = largest
        reason = (f"no contiguous {_num(needs[0].req.u_height)} U free for the {kind} server "
                  f"{needs[0].req.name!r}" if size < needs[0].half
                  else "not enough free units for all servers")
        reason += f"; largest usable block {_num(size / 2)} U in rack {occ.name}" if occ else ""
    return DimensionCheck("space", "U", before, requested, before - requested, verdict,
                          reason + " (free units on both faces of the open racks)")


def _largest_offer(ctx: _Ctx, need: _Need, racks: list[RackOccupancy]) -> tuple[int, RackOccupancy | None] | None:
    if not racks:
        return None
    modes = ("both",) if need.req.full_depth else ("front", "rear")
    best: tuple[int, RackOccupancy | None] = (0, None)
    for occ in racks:
        assert occ.run_lengths is not None and occ.free_half is not None
        for mode in modes:
            lengths = occ.run_lengths[(mode, need.whole)]
            faces = ("front", "rear") if mode == "both" else (mode,)
            cap = min(occ.free_half[f] for f in faces) - ctx.h2
            size = min(lengths[-1] if lengths else 0, max(cap, 0))
            if size > best[0]:
                best = (size, occ)
    return best


def _weight_dim(ctx: _Ctx, needs: list[_Need], st: _State | None, eligible: list[RackOccupancy],
                verdict: Verdict) -> DimensionCheck:
    weights = [n.req.weight_kg for n in needs if n.req.weight_kg is not None]
    if not weights:
        return DimensionCheck("weight", "kg", None, None, None, "not requested",
                              "no server gives weight_kg")
    requested = sum(weights)
    if st is not None:
        known = [o for o in st.racks if o.max_weight_kg is not None]
        if not known:
            return DimensionCheck("weight", "kg", None, requested, None, verdict,
                                  "racks used have no max weight on record: not checked")
        before = sum(o.max_weight_kg - (o.weight_kg or 0.0) for o in known)  # type: ignore[operator]
        after = before - sum(st.weight.get(o.key, 0.0) for o in known)
        unknown = sum(o.devices_without_weight for o in known)
        reason = "max weight less known device weight of " + ", ".join(o.name for o in known)
        if unknown:
            reason += f" ({unknown} device(s) there have no weight on record)"
        return DimensionCheck("weight", "kg", _round(before), requested, _round(after), verdict, reason)
    known = [o for o in eligible if o.max_weight_kg is not None]
    best = max(known, key=lambda o: o.max_weight_kg - (o.weight_kg or 0.0), default=None)  # type: ignore[operator]
    if best is None:
        return DimensionCheck("weight", "kg", None, requested, None, verdict, "no max weight on record")
    before = best.max_weight_kg - (best.weight_kg or 0.0)  # type: ignore[operator]
    return DimensionCheck("weight", "kg", _round(before), requested, _round(before - requested), verdict,
                          f"the most weight an open rack can still take is {_cell(before)} kg "
                          f"(rack {best.name}, max weight less the known weight of its devices)")


PLUGS = "free PDU outlets, or the feed itself when nothing is cabled to it"


def _outlets_dim(ctx: _Ctx, needs: list[_Need], st: _State | None, eligible: list[RackOccupancy],
                 verdict: Verdict) -> DimensionCheck:
    """Plugs for every PSU: those left on the racks the placement uses, or the best offer."""
    requested = sum(n.psus for n in needs)

    def sides(occ: RackOccupancy) -> str:
        a, b = ctx.rack_plugs(occ.key)
        return f"{occ.name} A {a}, B {b}"

    if st is not None:
        before = sum(sum(ctx.rack_plugs(o.key)) for o in st.racks)
        after = before - sum(st.plugs.values())
        return DimensionCheck("outlets", "plugs", before, requested, after, verdict,
                              f"plugs ({PLUGS}) on the feeds of " + "; ".join(sides(o) for o in st.racks))
    first = needs[0]
    best: tuple[tuple[int, int], RackOccupancy] | None = None
    straight: list[str] = []  # open racks whose every feed is cabled to a device, not a PDU
    for occ in eligible:
        feeds = ctx.rack_feeds(occ.key)
        if feeds and all(ctx.plugs[f.key].kind == "device" for f in feeds if f.key in ctx.plugs):
            straight.append(occ.name)
        a, b = ctx.rack_plugs(occ.key)
        value = (min(a, b), a + b) if first.dual else (a + b, 0)
        if best is None or value > best[0]:
            best = (value, occ)
    before = sum(ctx.rack_plugs(best[1].key)) if best is not None else None
    reason = (f"every PSU needs a plug ({PLUGS}), on an A and a B feed for a server with 2 or more PSUs"
              if first.dual else f"every PSU needs a plug ({PLUGS})")
    if best is not None:
        reason += f"; the most an open rack offers: {sides(best[1])}"
    if straight:
        shown = ", ".join(sorted(straight, key=_natural)[:5]) + (", ..." if len(straight) > 5 else "")
        reason += (f"; {len(straight)} open rack(s) have their feeds cabled straight to devices, "
                   f"with no PDU ({shown})")
    return DimensionCheck("outlets", "plugs", before, requested,
                          None if before is None else before - requested, verdict, reason)


def _draw_reason(needs: list[_Need]) -> str:
    parts = [f"{n.req.name} {n.draw} W {n.req.draw_source}"
             + (" (no allocated draw given)" if n.req.draw_source == "maximum" else "")
             for n in sorted(needs, key=lambda n: n.order)]
    return "draw: " + ", ".join(parts)


def _power_like_dim(ctx: _Ctx, layer: str, needs: list[_Need], st: _State | None,
                    eligible: list[RackOccupancy], verdict: Verdict) -> DimensionCheck:
    """power (feeds), ups or genset: the tightest headroom among what the placement uses."""
    total = sum(n.draw for n in needs)
    kind = "failover headroom" if ctx.failover else "headroom"
    if layer == "power":
        pool: dict[str, Any] = ctx.result.feeds
        label = "feed"
        requested = float(total)
    elif layer == "ups":
        pool, label = ctx.result.ups, "UPS"
        requested = float(total)
    else:
        pool, label = ctx.result.gensets, "genset"
        requested = None  # set below from the efficiencies

    metric = ctx.metric

    if st is not None:
        inc_n, inc_fo = {"power": (st.feed, st.feed_fo), "ups": (st.ups, st.ups_fo),
                         "genset": (st.gen, st.gen_fo)}[layer]
        touched = [k for k in inc_n if k in pool]
        if layer == "genset":
            requested = sum(inc_n[k] for k in touched) if touched else float(total)
        if not touched:
            why = ("no server draws" if total == 0 else
                   f"the feeds used have no {label} on record: not checked")
            return DimensionCheck(layer, "VA", None, _round(requested), None, verdict, why)
        before = min(metric(pool[k]) for k in touched)
        after = min(_room(ctx, pool[k].headroom_va, pool[k].failover_headroom_va, 0, 0, inc_n[k], inc_fo[k])
                    for k in touched)
        tight = min(touched, key=lambda k: (_room(ctx, pool[k].headroom_va, pool[k].failover_headroom_va,
                                                 0, 0, inc_n[k], inc_fo[k]), k))
        reason = f"{kind} of the tightest {label} used ({pool[tight].name})"
        if layer == "power":
            reason = _draw_reason(needs) + "; " + reason
        return DimensionCheck(layer, "VA", _round(before), _round(requested), _round(after), verdict, reason)

    # no placement: the best any open rack offers (one server's worth of feeds/sources)
    best: tuple[float, str, float] | None = None
    first = needs[0]
    if layer == "power":
        top: tuple[float, RackOccupancy] | None = None
        for occ in eligible:
            room = ctx.feed_room(occ.key, first.dual)
            if room != float("-inf") and (top is None or room > top[0]):
                top = (room, occ)
        if top is not None:
            feeds = ctx.rack_feeds(top[1].key)
            if first.dual:
                pairs = [(a, b) for a in feeds if a.type == "primary" for b in feeds if b.type == "redundant"]
                a, b = max(pairs, key=lambda p: min(metric(p[0]), metric(p[1])))
                best = (min(metric(a), metric(b)), f"{a.name}, {b.name}", 1.0)
            else:
                f = max(feeds, key=metric)
                best = (metric(f), f.name, 1.0)
    else:
        routes: dict[tuple[str | None, ...], None] = {}
        for occ in eligible:
            for r in _routes(ctx, occ.key, first.dual):
                routes[r] = None
        for route in routes:
            ups = tuple(dict.fromkeys(u for u in route if u is not None))
            keys = ups if layer == "ups" else tuple(dict.fromkeys(
                g for u in ups if (g := ctx.genset_of(u)) is not None))
            if not keys:
                continue
            value = min(metric(pool[k]) for k in keys)
            if best is None or value > best[0]:
                ratio = 1.0
                if layer == "genset" and first.draw:
                    n = len(route)
                    q, r = divmod(first.draw, n)
                    shares = [float(q + 1)] * r + [float(q)] * (n - r)
                    _, gen_inc = _source_increments(ctx, list(zip(route, shares)))
                    ratio = sum(v for v, _ in gen_inc.values()) / first.draw
                best = (value, ", ".join(pool[k].name for k in keys), ratio)
    if best is None:
        why = ("no open rack has an A/B feed pair (a primary and a redundant active feed)"
               if layer == "power" and first.dual else f"no open rack reaches a {label}")
        return DimensionCheck(layer, "VA", None, _round(requested if requested is not None else total),
                              None, verdict, why)
    before, names, ratio = best
    if layer == "genset":
        requested = total * ratio  # the UPS losses of the best route
    assert requested is not None
    if len(needs) == 1:
        where = {"power": "both feeds of an A/B pair" if first.dual else "one feed",
                 "ups": "the UPSs behind its feeds", "genset": "the genset"}[layer]
        reason = (f"needs {_cell(requested)} VA of {kind} on {where}; the best an open rack "
                  f"offers is {_cell(before)} VA ({label} {names})")
    else:
        reason = (f"the {len(needs)} servers need {_cell(requested)} VA in all and cannot all be "
                  f"given {kind}; the best an open rack offers is {_cell(before)} VA ({label} {names})")
    if layer == "power":
        reason = _draw_reason(needs) + "; " + reason
    return DimensionCheck(layer, "VA", _round(before), _round(requested), _round(before - requested), verdict,
                          reason)


def _bandwidth_dim(ctx: _Ctx, needs: list[_Need], sites: set[str], placed_site: str | None
                   ) -> tuple[DimensionCheck, set[str]]:
    """Bandwidth check, and the sites where it fits (all of `sites` when not requested)."""
    requested = sum(n.req.bandwidth_mbps for n in needs)
    if requested <= 0:
        return DimensionCheck("bandwidth", "Mbps", None, None, None, "not requested",
                              "no server asks for bandwidth"), set(sites)
    free = {s: ctx.result.bandwidth[s].free_kbps / 1000 for s in sites if s in ctx.result.bandwidth}
    ok = {s for s, f in free.items() if f >= requested - 1e-9}
    site = placed_site if placed_site in free else max(free, key=lambda s: (free[s], s), default=None)
    if site is None:
        return DimensionCheck("bandwidth", "Mbps", None, requested, None, "does not fit",
                              "no uplink on record in the site(s) in scope"), ok
    before = free[site]
    verdict: Verdict = "fits" if site in ok else "does not fit"
    reason = f"free uplink bandwidth of site {ctx.site_names.get(site, site)} after oversubscription"
    return DimensionCheck("bandwidth", "Mbps", _round(before), requested, _round(before - requested),
                          verdict, reason), ok


def _hosting_dims(ctx: _Ctx, request: CapacityRequest, sites: set[str]) -> list[DimensionCheck]:
    h = request.hosting
    names = [("vcpu", "vCPU", "vcpus"), ("memory", "GB", "memory_gb"), ("disk", "GB", "disk_gb")]
    if h is None:
        return [DimensionCheck(d, u, None, None, None, "not requested", "no hosting requested") for d, u, _ in names]
    clusters = {c.key: c for c in ctx.snapshot.clusters}
    if h.cluster is not None:
        keys = [c.key for c in ctx.snapshot.clusters if _match(h.cluster, c.key, c.name)]
        if not keys:
            known = ", ".join(sorted(c.name for c in ctx.snapshot.clusters)) or "none"
            raise InputError(f"request: unknown cluster {h.cluster!r} (known clusters: {known})")
        candidates = keys
    else:
        candidates = sorted((c.key for c in ctx.snapshot.clusters if c.site in sites),
                            key=lambda k: _natural(clusters[k].name))
    candidates = [k for k in candidates if k in ctx.result.clusters]
    if not candidates:
        return [DimensionCheck(d, u, None, getattr(h, f) or None, None,
                               "does not fit" if getattr(h, f) else "not requested",
                               "no virtualization cluster in the site(s) in scope")
                for d, u, f in names]

    def one_host(k: str) -> dict[str, float]:
        """What one VM may have on the cluster: no more vCPUs than its largest serving host
        has (overcommit shares a host's CPUs between VMs, it does not make a VM bigger than
        its host), no more memory than that host's after the memory overcommit; disk is
        the cluster's shared storage."""
        c = ctx.result.clusters[k]
        return {"vcpus": c.largest_host_vcpus, "memory_gb": c.largest_host_memory_gb * ctx.policy.memory_overcommit,
                "disk_gb": float("inf")}

    def room(k: str) -> dict[str, float]:
        c = ctx.result.clusters[k]
        host = one_host(k)
        free = {"vcpus": c.vcpus_free, "memory_gb": c.memory_gb_free, "disk_gb": c.disk_gb_free}
        return {f: min(free[f], host[f]) for f in free}

    def fits_all(k: str) -> bool:
        r = room(k)
        return all(r[f] >= getattr(h, f) - 1e-9 for _, _, f in names)

    chosen = next((k for k in candidates if fits_all(k)), None)
    if chosen is None:
        chosen = max(candidates, key=lambda k: (ctx.result.clusters[k].vcpus_free, k))
    ctx.hosting_cluster = chosen
    c = ctx.result.clusters[chosen]
    free = {"vcpus": c.vcpus_free, "memory_gb": c.memory_gb_free, "disk_gb": c.disk_gb_free}
    host = one_host(chosen)
    n1 = " with the largest host kept spare (N+1)" if ctx.policy.compute_n_plus_one else ""
    out = []
    for d, u, f in names:
        want = getattr(h, f)
        if not want:
            out.append(DimensionCheck(d, u, _round(free[f]), None, None, "not requested", f"none asked of cluster {c.name}"))
            continue
        before = free[f]
        reason = f"free on cluster {c.name} after overcommit{n1}"
        if want > host[f] + 1e-9:  # the host limit decides: show it
            before = host[f]
            largest = (f"{_cell(host[f])} {u}" if f == "vcpus" else
                       f"{_cell(c.largest_host_memory_gb)} GB x memory overcommit {ctx.policy.memory_overcommit:g}")
            reason = (f"one VM runs on one host: the largest serving host of cluster {c.name} takes at most "
                      f"{largest}; {_cell(free[f])} {u} {reason}")
        v: Verdict = "fits" if before >= want - 1e-9 else "does not fit"
        out.append(DimensionCheck(d, u, _round(before), want, _round(before - want), v, reason))
    return out


# --------------------------------------------------------------------------- check_fit


def _resolve_sites(snapshot: Snapshot, site: str | None) -> set[str]:
    if site is None:
        return {s.key for s in snapshot.sites}
    keys = {s.key for s in snapshot.sites if _match(site, s.key, s.slug, s.name)}
    if not keys:
        known = ", ".join(sorted(s.slug for s in snapshot.sites)) or "none"
        raise InputError(f"request: unknown site {site!r} (known sites: {known})")
    return keys


def _resolve_tenant(snapshot: Snapshot, tenant: str | None) -> str | None:
    if tenant is None:
        return None
    for t in snapshot.tenants:
        if _match(tenant, t.key, t.slug, t.name):
            return t.key
    import difflib

    pool = [t.slug for t in snapshot.tenants]
    close = difflib.get_close_matches(tenant, pool, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(f"request: unknown tenant {tenant!r}{hint}")


def _needs(request: CapacityRequest) -> list[_Need]:
    needs = [
        _Need(order=i, req=s, half=int(round(s.u_height * 2)), whole=float(s.u_height).is_integer(),
              draw=s.draw_w, dual=s.psu_count >= 2)
        for i, s in enumerate(request.servers)
    ]
    # Largest first packs better; the report lists servers in request order.
    needs.sort(key=lambda n: (-n.half, not n.req.full_depth, -n.draw, n.order))
    return needs


def check_fit(snapshot: Snapshot, request: CapacityRequest, policy: Policy | None,
              result: CapacityResult, sites: set[str] | None = None) -> FitReport:
    """Per-dimension verdicts and the `policy.max_placements` best placements.

    `sites` (site keys) narrows the sites the request may use (`capacity check --site`).
    """
    # the search allocates many small tuples over a snapshot of millions of objects: a
    # full collection of that heap costs more than the search (see capacity.scan.gc_paused)
    with gc_paused():
        return _check_fit(snapshot, request, policy, result, sites)


def _check_fit(snapshot: Snapshot, request: CapacityRequest, policy: Policy | None,
               result: CapacityResult, only_sites: set[str] | None) -> FitReport:
    policy = policy or Policy()
    index = space_index_for(snapshot, policy, result.space)
    ctx = _Ctx(snapshot, policy, result, index)
    sites = _resolve_sites(snapshot, request.site)
    if only_sites is not None:
        if request.site is not None and not sites & only_sites:
            names = ", ".join(sorted(s.slug for s in snapshot.sites if s.key in only_sites))
            raise InputError(f"request: site {request.site!r} is not among the sites asked for ({names})")
        sites &= only_sites
    tenant = _resolve_tenant(snapshot, request.tenant)
    needs = _needs(request)
    dims: list[DimensionCheck] = []
    reasons: list[str] = []
    notes: list[str] = []
    placements: list[Placement] = []

    if needs:
        eligible, skipped = _eligible(ctx, sites, tenant)
        if skipped:
            notes.append("racks not offered: " + ", ".join(f"{n} {why}" for why, n in sorted(skipped.items())))
        bw_dim, bw_sites = _bandwidth_dim(ctx, needs, sites, None)
        layers = ["space", "weight", "power", "outlets", "ups", "genset"]
        if not any(n.req.weight_kg is not None for n in needs):
            layers.remove("weight")
        checks = frozenset(layers)
        joint_racks = [o for o in eligible if o.site in bw_sites]
        found = _search(ctx, needs, joint_racks, checks, tenant, policy.max_placements)
        layer_dims: dict[str, DimensionCheck] = {}
        if found:
            st = found[0].state
            placements = [_to_placement(ctx, a, needs) for a in found]
            for sp in placements[0].servers:
                if sp.feed_b is None and sp.feed_a is not None:
                    notes.append(f"{sp.server} has one PSU: it goes down when feed {sp.feed_a_name} fails")
            for layer in layers:
                layer_dims[layer] = _layer_dim(ctx, layer, needs, st, eligible, "fits")
            bw_dim, _ = _bandwidth_dim(ctx, needs, sites, st.racks[0].site)
        elif not eligible:
            why = "no rack is open to this request" + (f" ({notes[0]})" if notes else "")
            for layer in layers:
                layer_dims[layer] = _layer_dim(ctx, layer, needs, None, eligible, "does not fit")
                layer_dims[layer].reason = why
                layer_dims[layer].before = layer_dims[layer].after = None
        else:
            failing: str | None = None
            last_state: _State | None = None
            passed: list[str] = []
            for i, layer in enumerate(layers):
                attempt = _search(ctx, needs, eligible, frozenset(layers[: i + 1]), tenant, 1)
                if not attempt:
                    failing = layer
                    break
                passed.append(layer)
                last_state = attempt[0].state
            # the checks that pass together, figures from the placement that passes them all
            for layer in passed:
                layer_dims[layer] = _layer_dim(ctx, layer, needs, last_state, eligible, "fits")
            if failing is not None:
                idx = layers.index(failing)
                layer_dims[failing] = _layer_dim(ctx, failing, needs, None, eligible, "does not fit")
                for layer in layers[idx + 1:]:
                    alone = _search(ctx, needs, eligible, frozenset([layer]), tenant, 1)
                    if alone:
                        d = _layer_dim(ctx, layer, needs, alone[0].state, eligible, "fits")
                        d.reason += " (on its own, not combined with the checks above)"
                    else:
                        d = _layer_dim(ctx, layer, needs, None, eligible, "does not fit")
                    layer_dims[layer] = d
            elif bw_dim.verdict == "fits":
                # Each check passes where bandwidth is short, none where it is enough.
                bw_dim.verdict = "does not fit"
                bw_dim.reason = ("racks with space and power are only in sites without enough "
                                 "bandwidth; " + bw_dim.reason)
        for name in ("space", "weight", "power", "outlets", "ups", "genset"):
            if name in layer_dims:
                dims.append(layer_dims[name])
            elif name == "weight":
                dims.append(_weight_dim(ctx, needs, None, eligible, "not requested"))
        dims.append(bw_dim)
    else:
        for d, u in (("space", "U"), ("weight", "kg"), ("power", "VA"), ("outlets", "plugs"), ("ups", "VA"),
                     ("genset", "VA"), ("bandwidth", "Mbps")):
            dims.append(DimensionCheck(d, u, None, None, None, "not requested", "no servers in the request"))

    if ctx.search_cut:
        what = "a better placement" if placements else "a placement"
        notes.append(f"the placement search stopped after {SEARCH_BUDGET:,} tries: {what} may "
                     "exist that it did not reach; try the servers in smaller requests")
    dims.extend(_hosting_dims(ctx, request, sites))
    grouped: dict[str, list[str]] = {}
    for d in dims:
        if d.verdict == "does not fit":
            grouped.setdefault(d.reason, []).append(d.dimension)
    reasons = [f"{', '.join(names)}: {why}" for why, names in grouped.items()]
    fits = not reasons and (not needs or bool(placements))
    return FitReport(
        request_id=request.request_id,
        tenant=request.tenant,
        site=request.site,
        fits=fits,
        dimensions=dims,
        placements=placements,
        reasons=reasons,
        notes=notes,
        cluster=ctx.hosting_cluster,
    )


def _layer_dim(ctx: _Ctx, layer: str, needs: list[_Need], st: _State | None,
               eligible: list[RackOccupancy], verdict: Verdict) -> DimensionCheck:
    if layer == "space":
        return _space_dim(ctx, needs, st, eligible, verdict)
    if layer == "weight":
        return _weight_dim(ctx, needs, st, eligible, verdict)
    if layer == "outlets":
        return _outlets_dim(ctx, needs, st, eligible, verdict)
    return _power_like_dim(ctx, layer, needs, st, eligible, verdict)


# --------------------------------------------------------------------------- text


def _cell(x: float | None) -> str:
    if x is None:
        return "-"
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.1f}"


def format_fit_report(report: FitReport) -> str:
    """Plain text: the verdict, a table of dimensions, then the ranked placements."""
    lines: list[str] = []
    head = "Request" + (f" {report.request_id}" if report.request_id else "")
    if report.tenant:
        head += f" for {report.tenant}"
    if report.site:
        head += f" at {report.site}"
    lines.append(f"{head}: {'FITS' if report.fits else 'DOES NOT FIT'}")
    lines.append("")
    header = ("dimension", "unit", "before", "requested", "after", "verdict", "reason")
    rows = [header] + [
        (d.dimension, d.unit, _cell(d.before), _cell(d.requested), _cell(d.after), d.verdict, d.reason)
        for d in report.dimensions
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    right = {2, 3, 4}
    for r in rows:
        cells = [r[i].rjust(widths[i]) if i in right else r[i].ljust(widths[i]) for i in range(len(widths))]
        lines.append("  ".join(cells + [r[-1]]).rstrip())
    if report.reasons:
        lines.append("")
        lines.append("Why it does not fit:")
        lines.extend(f"  - {r}" for r in report.reasons)
    if report.placements:
        lines.append("")
        lines.append("Placements (best first):")
        for i, p in enumerate(report.placements, 1):
            lines.append(f"  {i}. site {p.site_name}, rack{'s' if p.racks_used > 1 else ''} "
                         f"{', '.join(p.racks)} (score {p.score:g})")
            for s in p.servers:
                depth = "full depth" if s.full_depth else "half depth"
                feeds = s.feed_a_name or "-"
                if s.feed_b_name:
                    feeds += f" + {s.feed_b_name}"
                lines.append(f"     {s.server}: {s.rack_name} {s.units} {s.face or '-'} ({depth}), "
                             f"feeds {feeds}, {s.draw_va} W {s.draw_source}")
    elif report.dimensions and any(d.requested for d in report.dimensions[:1]):
        lines.append("")
        lines.append("No placement found.")
    for n in report.notes:
        lines.append(f"Note: {n}")
    return "\n".join(lines) + "\n"
