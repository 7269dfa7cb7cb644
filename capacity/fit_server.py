"""Placing one server in one rack: the tightest free block, the feed pair keeping the
most headroom, and the load each adds to feeds, UPSs and gensets. Pure.

Load increments follow capacity/power.py's failover model (`split_evenly`,
`group_failover`), so a placement's "after" figures are what the capacity report shows
once the servers are installed. A request's draw is in W; feeds, UPSs and gensets take
it in VA at the policy's power factor. Plugs: capacity/outlets.py; three-phase legs and
cooling: capacity/fit_legs.py.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from capacity.failover import split_evenly
from capacity.fit_context import FeedOption, FitContext, PlacementState, ServerNeed, room_left
from capacity.fit_legs import commit_cooling, commit_legs, cooling_left, pick_legs
from capacity.fit_result import ServerSpot
from capacity.outlets import plugs_needed
from capacity.results import FeedPower
from capacity.space import RackOccupancy, aligned_runs


def masks_of(st: PlacementState, occ: RackOccupancy) -> tuple[int, int]:
    """The rack's (front, rear) occupancy masks with what this placement put there."""
    return st.masks.get(occ.key, (occ.front, occ.rear))


def _best_block(ctx: FitContext, st: PlacementState, need: ServerNeed, occ: RackOccupancy) -> tuple[str, int, int] | None:
    """(face, start half index, usable run length) of the tightest free block, or None.

    Best fit: the smallest block that takes the server, then the lowest unit, front
    before rear. The policy headroom stays free on every face the server occupies.
    """
    front, rear = masks_of(st, occ)
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


def _options(ctx: FitContext, need: ServerNeed, occ: RackOccupancy) -> list[FeedOption]:
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


def _increments(ctx: FitContext, draw: int, chosen: tuple[FeedPower, ...], psus: int) -> FeedOption:
    """Load increments (VA) of a server on these feeds, as capacity/power.py would count them.

    The draw is split evenly over the server's feeds in whole W (remainder to the first,
    as power.split_evenly), each share / the power factor. Failover (power.group_failover): when one side of a group
    fails, the server's draw on that side moves to its items on the surviving sides of
    the same group; a source's failover load is its load plus the most it gains.
    Feeds group by rack with the feed type as side, UPSs and gensets by redundancy group.
    """
    items = [(f.key, s / ctx.pf) for f, s in zip(chosen, _shares(draw, len(chosen)))]
    side = {f.key: f.type for f in chosen}
    feed_inc = _group_inc(items, lambda k: side[k], lambda k: "rack")
    ups_inc, gen_inc = source_increments(ctx, draw, tuple(ctx.ups_of(f) for f in chosen))
    return FeedOption(chosen, feed_inc, plugs_needed(psus, [f.key for f in chosen]), ups_inc, gen_inc)


def _shares(draw: int, n: int) -> list[float]:
    """A server's draw on each of its n feeds (capacity/power.py's split)."""
    return [float(s) for s in split_evenly(draw, n)]


def source_increments(ctx: FitContext, draw: int, route: tuple[str | None, ...]
                      ) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    """UPS and genset (normal, failover) increments in VA of a server drawing `draw` W
    through feeds behind these UPSs (one per feed, None: no UPS), computed once per query."""
    key = (draw, route)
    cached = ctx.source_inc_cache.get(key)
    if cached is None:
        shares = [s / ctx.pf for s in _shares(draw, len(route))]
        cached = ctx.source_inc_cache[key] = _source_increments(ctx, list(zip(route, shares)))
    return cached


def _source_increments(ctx: FitContext, route: list[tuple[str | None, float]]
                       ) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    """UPS and genset increments of a server whose feeds hang off these UPSs (shares)."""
    ups_items = [(u, s) for u, s in route if u is not None]
    ups_inc = _group_inc(ups_items, lambda u: u, ctx.ups_group)
    # gensets: UPS items a level up, x (1 / UPS efficiency + the genset's cooling factor)
    mult = ctx.genset_mult
    gen_items = [(g, s * mult[u], u) for u, s in ups_items if (g := ctx.genset_of(u)) is not None]
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
            net = sum(sx / len(survivors) * mult[u] for u, _ in survivors if ctx.genset_of(u) == g)
            if ctx.genset_of(x) == g:
                net -= sx * mult[x]
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


def _option_rooms(ctx: FitContext, st: PlacementState, opt: FeedOption) -> dict[str, float]:
    """Per layer, the least headroom left on what the option touches (inf if nothing)."""
    rooms = {"power": float("inf"), "outlets": float("inf"), "ups": float("inf"), "genset": float("inf"),
             "legs": float("inf")}
    for k, n_plugs in opt.plug_inc.items():
        rooms["outlets"] = min(rooms["outlets"], ctx.free_plugs(k) - st.plugs.get(k, 0) - n_plugs)
    for k, (n, fo) in opt.feed_inc.items():
        fp = ctx.result.feeds[k]
        rooms["power"] = min(rooms["power"], room_left(ctx, fp.headroom_va, fp.failover_headroom_va, n, fo,
                                                   st.feed.get(k, 0.0), st.feed_fo.get(k, 0.0)))
    for k, (n, fo) in opt.ups_inc.items():
        room, fo_room = ctx.rooms(ctx.result.ups[k])
        rooms["ups"] = min(rooms["ups"], room_left(ctx, room, fo_room, n, fo,  # type: ignore[arg-type]
                                               st.ups.get(k, 0.0), st.ups_fo.get(k, 0.0)))
    for k, (n, fo) in opt.gen_inc.items():
        room, fo_room = ctx.rooms(ctx.result.gensets[k])
        rooms["genset"] = min(rooms["genset"], room_left(ctx, room, fo_room, n, fo,  # type: ignore[arg-type]
                                                     st.gen.get(k, 0.0), st.gen_fo.get(k, 0.0)))
    return rooms


def try_server(ctx: FitContext, st: PlacementState, need: ServerNeed, occ: RackOccupancy,
               checks: frozenset[str]) -> tuple[ServerSpot | None, str | None]:
    """Place one server in one rack under the enabled checks; (placement, None) or (None, failing layer)."""
    if "power" in checks and need.va > ctx.feed_room(occ.key, need.dual) + 1e-9:
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
    chosen: FeedOption | None = None
    power_checks = [layer for layer in ("power", "legs", "outlets", "ups", "genset") if layer in checks]
    if power_checks:
        options = _options(ctx, need, occ)
        if not options:
            return None, "power"
        best_key: tuple[float, ...] | None = None
        passed = 0  # how many of power_checks, in order, the best option passes
        for opt in options:
            rooms = _option_rooms(ctx, st, opt)
            rooms["legs"] = pick_legs(ctx, st, opt, "outlets" in checks)
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
    if "cooling" in checks and cooling_left(ctx, st, occ.key, need.draw) < -1e-9:
        return None, "cooling"
    return _commit(ctx, st, need, occ, block, chosen), None


def _commit(ctx: FitContext, st: PlacementState, need: ServerNeed, occ: RackOccupancy,
            block: tuple[str, int, int] | None, chosen: FeedOption | None) -> ServerSpot:
    """Add the server to the placement: its units, weight, loads and plugs."""
    face = position = None
    if block is not None:
        face, start, length = block
        position = occ.unit_of(start)
        bits = ((1 << need.half) - 1) << start
        front, rear = masks_of(st, occ)
        if need.req.full_depth or face == "front":
            front |= bits
        if need.req.full_depth or face == "rear":
            rear |= bits
        st.masks[occ.key] = (front, rear)
        st.slack_half += length - need.half
    if need.req.weight_kg is not None:
        st.weight[occ.key] += need.req.weight_kg
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
        commit_legs(st, chosen)
    commit_cooling(ctx, st, occ.key, need.draw)
    if occ not in st.racks:
        st.racks.append(occ)
    feeds = chosen.feeds if chosen is not None else ()
    w_shares = [int(s) for s in split_evenly(need.draw, len(feeds))] if feeds else []
    legs = (chosen.legs or {}) if chosen is not None else {}
    sp = ServerSpot(
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
        feed_a_draw_va=w_shares[0] if w_shares else None,
        feed_b_draw_va=w_shares[1] if len(w_shares) > 1 else None,
        draw_source=need.req.draw_source,
        feed_a_leg=legs.get(feeds[0].key) if feeds else None,
        feed_b_leg=legs.get(feeds[1].key) if len(feeds) > 1 else None,
    )
    st.placed.append(sp)
    st.spots.append(repr((need.signature, sp.rack, sp.position, sp.face, sp.feed_a, sp.feed_b)))
    return sp
