"""The placement search: the best distinct placements of a request's servers, exactly
ranked by (racks used, empty racks used, slack). Pure.

Anchors (the rack of the first, largest server) are visited in the order of a lower
bound on that rank (capacity/bounds.py), later servers go to the racks already used
first, and racks that cannot take a server on their own figures are remembered and
skipped. One server is placed by capacity/fit_server.py.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from capacity.bounds import FewestRacks, RackCaps, TopK
from capacity.fit_context import FitContext, LazyPool, PlacementState, ServerNeed, room_left
from capacity.fit_result import PlacementCandidate, ServerSpot
from capacity.fit_server import source_increments, try_server
from capacity.space import RackOccupancy


@dataclass
class Attempt:
    """A placement of every server, found from the anchor ranked `anchor_rank`."""

    state: PlacementState
    anchor_rank: int

    def signature(self) -> tuple[str, ...]:
        """The spots taken, whatever server took them: two alike servers swapped are the
        same candidate."""
        return tuple(sorted(self.state.spots))


def _ranked(ctx: FitContext, racks: list[RackOccupancy], needs: list[ServerNeed], tenant: str | None,
            space: bool) -> tuple[list[RackOccupancy], list[int]]:
    """The racks in the order placement tries them, and the slack (half units) of the
    first server's tightest block in each, in that order (none without the space check).

    With the space check: racks that can take the first (largest) server, the tenant's
    own dedicated racks first, then racks that may hold the whole request, racks in use
    before empty ones, the tightest free block for the first server, then by name.
    """
    cache_key = (id(racks), space, needs[0].half, needs[0].whole, needs[0].req.full_depth, tenant)
    cached = ctx.rank_cache.get(cache_key)
    if cached is None:
        cached = ctx.rank_cache[cache_key] = _rank(ctx, racks, needs, tenant, space)
    return cached


def _rank(ctx: FitContext, racks: list[RackOccupancy], needs: list[ServerNeed], tenant: str | None,
          space: bool) -> tuple[list[RackOccupancy], list[int]]:
    """`_ranked`, uncached."""
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


def _all_routes(ctx: FitContext, racks: list[RackOccupancy], dual: bool, site: str
                ) -> tuple[tuple[str | None, ...], ...]:
    """Every UPS route a server could take in the racks of one site."""
    key = (id(racks), dual, site)
    routes = ctx.all_routes_cache.get(key)
    if routes is None:
        seen: dict[tuple[str | None, ...], None] = {}
        for occ in racks:
            if occ.site != site:
                continue
            for r in ctx.routes(occ.key, dual):
                seen[r] = None
        routes = ctx.all_routes_cache[key] = tuple(seen)
    return routes


def _route_ok(ctx: FitContext, st: PlacementState, need: ServerNeed, route: tuple[str | None, ...],
              checks: frozenset[str]) -> bool:
    """Can the UPSs/gensets of this route take the server, given what the request placed?"""
    key = (need.draw, route, checks)
    ok = st.route_ok.get(key)
    if ok is None:
        ups_inc, gen_inc = source_increments(ctx, need.draw, route)
        ok = True
        if "ups" in checks:
            ok = all(room_left(ctx, *ctx.rooms(ctx.result.ups[k]), a, b,
                               st.ups.get(k, 0.0), st.ups_fo.get(k, 0.0)) >= -1e-9 for k, (a, b) in ups_inc.items())
        if ok and "genset" in checks:
            ok = all(room_left(ctx, *ctx.rooms(ctx.result.gensets[k]),
                               a, b, st.gen.get(k, 0.0), st.gen_fo.get(k, 0.0)) >= -1e-9
                     for k, (a, b) in gen_inc.items())
        st.route_ok[key] = ok
    return ok


def _site_has_route(ctx: FitContext, st: PlacementState, need: ServerNeed, checks: frozenset[str],
                    racks: list[RackOccupancy], site: str) -> bool:
    """Is any UPS route of the site's racks still open to the server?"""
    return any(_route_ok(ctx, st, need, r, checks) for r in _all_routes(ctx, racks, need.dual, site))


def _route_of(ctx: FitContext, sp: ServerSpot) -> tuple[str | None, ...]:
    """The UPS route a placed server took."""
    return tuple(ctx.ups_of(ctx.result.feeds[k]) for k in (sp.feed_a, sp.feed_b) if k is not None)


#: Most single-server tries one search makes; bounds pathological requests (a later
#: server that fits nowhere once the first is placed) to well under a second.
SEARCH_BUDGET = 20_000


def search(ctx: FitContext, needs: list[ServerNeed], racks: list[RackOccupancy], checks: frozenset[str],
            tenant: str | None, limit: int) -> list[Attempt]:
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
    top: TopK[Attempt] = TopK(limit)
    first = needs[0]
    power_on = "power" in checks
    budget = SEARCH_BUDGET
    looked = 25 * SEARCH_BUDGET  # racks looked at for later servers, tried or skipped
    sources_on = "ups" in checks or "genset" in checks
    empty = PlacementState()  # route verdicts before anything is placed, shared by all anchors
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
        if power_on and first.va > ctx.feed_room(anchor.key, first.dual) + 1e-9:
            continue  # cheap bound first: most racks of a full site stop here
        if (first.signature, checks, anchor.key) in ctx.fails:
            continue
        if sources_on:
            routes = ctx.routes(anchor.key, first.dual)
            if not any(_route_ok(ctx, empty, first, r, checks) for r in routes):
                route_misses += 1
                if route_misses == 20:  # probably full everywhere: look at every route once
                    every = {r for occ in order for r in ctx.routes(occ.key, first.dual)}
                    if not any(_route_ok(ctx, empty, first, r, checks) for r in every):
                        break  # no UPS/genset anywhere can take the first server
                continue  # its UPSs/gensets cannot take the first server
            if routes and all((anchor.site, r) in dead_routes for r in routes):
                continue  # whichever route the first server takes, the second finds none
        st = PlacementState()
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
                                          for r in ctx.routes(occ.key, need.dual)):
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
            attempt = Attempt(st, rank)
            top.add((_score_key(attempt), rank), attempt.signature(), attempt)
        if budget <= 0 or looked <= 0:
            ctx.search_cut = True
            break
    return top.items()


def _caps(ctx: FitContext, needs: list[ServerNeed], racks: list[RackOccupancy], checks: frozenset[str]
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


def _spill_order(ctx: FitContext, order: list[RackOccupancy], racks: list[RackOccupancy],
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


def _anchors(needs: list[ServerNeed], order: list[RackOccupancy], racks: list[RackOccupancy],
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


def _try(ctx: FitContext, st: PlacementState, need: ServerNeed, occ: RackOccupancy,
         checks: frozenset[str]) -> bool:
    """try_server, remembering racks that fail on their own figures."""
    untouched = occ not in st.racks
    placed, layer = try_server(ctx, st, need, occ, checks)
    if placed is None and untouched and layer in ("space", "weight", "power", "outlets"):
        ctx.fails.add((need.signature, checks, occ.key))
    return placed is not None


def _candidates(ctx: FitContext, st: PlacementState, need: ServerNeed, checks: frozenset[str],
                spill: list[RackOccupancy], anchor: RackOccupancy) -> Iterable[RackOccupancy]:
    """Racks to try for a later server: those already used, then every rack of the
    anchor's site that could take it on its own figures, in spill order."""
    yield from list(st.racks)
    used = {o.key for o in st.racks}
    sig = need.signature
    fails = ctx.fails
    for occ in _pool(ctx, need, checks, spill, anchor.site):
        if occ.key not in used and (sig, checks, occ.key) not in fails:
            yield occ


def _pool(ctx: FitContext, need: ServerNeed, checks: frozenset[str], spill: list[RackOccupancy],
          site: str) -> LazyPool:
    """Racks of a site that could take a server on their own figures, in spill order."""
    key = (id(spill), site, need.signature, checks)
    pool = ctx.pool_cache.get(key)
    if pool is None:
        pool = ctx.pool_cache[key] = LazyPool(
            o for o in spill if o.site == site and _could_take(ctx, need, o, checks))
    return pool


def _could_take(ctx: FitContext, need: ServerNeed, occ: RackOccupancy, checks: frozenset[str]) -> bool:
    """Could the rack take the server on its own figures (before this request)?"""
    if "power" in checks and need.va > ctx.feed_room(occ.key, need.dual) + 1e-9:
        return False
    if "cooling" in checks and any(head < need.draw - 1e-9 for _, head in ctx.cooling_of(occ.key)):
        return False
    if "outlets" in checks and not ctx.plugs_possible(occ.key, need):
        return False
    if "space" in checks:
        modes = ("both",) if need.req.full_depth else ("front", "rear")
        runs = occ.run_lengths or {}
        if not any((lengths := runs.get((m, need.whole))) and lengths[-1] >= need.half for m in modes):
            return False
    return True


def _score_key(a: Attempt) -> tuple[int, int, int]:
    """(racks used, empty racks used, slack in half units): lower is better."""
    st = a.state
    return (len(st.racks), sum(1 for o in st.racks if not o.in_use), st.slack_half)


def to_candidate(ctx: FitContext, a: Attempt, needs: list[ServerNeed]) -> PlacementCandidate:
    """The attempt as the report shows it: servers in request order, and its score."""
    st = a.state
    racks_used, empty, slack_half = _score_key(a)
    by_name = {p.server: p for p in st.placed}
    servers = [by_name[n.req.name] for n in sorted(needs, key=lambda n: n.order)]
    slack_u = slack_half / 2
    site = st.racks[0].site
    return PlacementCandidate(
        servers=servers,
        site=site,
        site_name=ctx.site_names.get(site, site),
        racks=[o.name for o in st.racks],
        racks_used=racks_used,
        empty_racks_used=empty,
        slack_u=slack_u,
        score=slack_u + 1000 * empty + 100000 * (racks_used - 1),
    )
