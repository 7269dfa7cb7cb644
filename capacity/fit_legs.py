"""Placement on three-phase feeds and under cooling: which leg a server's PSUs take, and
whether the room's and the rack's cooling take its heat. Pure.

* Legs: on a three-phase feed with per-leg figures (capacity/legs.py), the PSUs a server
  puts on that feed go to one leg: among the legs with enough free outlets (when outlets
  are checked), the one keeping the most headroom (failover headroom when the policy
  wants it), which keeps the legs balanced. Each leg is checked against a third of the
  feed. A feed whose free outlets are not known per leg (nothing cabled to it, a PDU with
  no `feed_leg`) spreads the draw evenly over its legs, as the report counts it.
* Cooling: the server's draw in W is heat in its rack's room and in its rack, against
  the cooling each declares (capacity/cooling.py).
"""

from __future__ import annotations

from capacity.fit_context import FeedOption, FitContext, PlacementState, ServerNeed, room_left
from capacity.fit_result import DimensionCheck, Verdict, figure_text, rounded
from capacity.space import RackOccupancy
from inventory.model import LEGS


def pick_legs(ctx: FitContext, st: PlacementState, opt: FeedOption, outlets_checked: bool) -> float:
    """Choose the leg of each three-phase feed of the option (stored in `opt.legs`);
    the least headroom left on a leg it touches (inf when it touches none)."""
    opt.legs = {}
    least = float("inf")
    for k, (n, fo) in opt.feed_inc.items():
        fp = ctx.result.feeds[k]
        if not fp.legs:
            continue
        plugs = ctx.plugs.get(k)
        by_leg = plugs.by_leg if plugs is not None else {}
        need = opt.plug_inc.get(k, 0)
        best: tuple[float, str | None] | None = None
        for leg in fp.legs:
            if by_leg and outlets_checked and plugs is not None and plugs.free_on_leg(leg.leg) - \
                    _taken(st, k, leg.leg) < need:
                continue
            room = room_left(ctx, leg.headroom_va, leg.failover_headroom_va, n, fo,
                         st.leg.get((k, leg.leg), 0.0), st.leg_fo.get((k, leg.leg), 0.0))
            if by_leg and (best is None or room > best[0]):
                best = (room, leg.leg)
        if best is None:  # spread evenly: a third on each leg
            room = min(room_left(ctx, leg.headroom_va, leg.failover_headroom_va, n / 3, fo / 3,
                             st.leg.get((k, leg.leg), 0.0), st.leg_fo.get((k, leg.leg), 0.0)) for leg in fp.legs)
            best = (room, None)
        opt.legs[k] = best[1]
        least = min(least, best[0])
    return least


def _taken(st: PlacementState, feed: str, leg: str) -> int:
    """Plugs this placement already took on one leg of a feed."""
    return st.leg_plugs.get((feed, leg), 0)


def commit_legs(st: PlacementState, opt: FeedOption) -> None:
    """Add the option's load to the legs it chose (a third to each when spread)."""
    for k, leg in (opt.legs or {}).items():
        n, fo = opt.feed_inc[k]
        if leg is None:
            for x in LEGS:
                st.leg[(k, x)] += n / 3
                st.leg_fo[(k, x)] += fo / 3
        else:
            st.leg[(k, leg)] += n
            st.leg_fo[(k, leg)] += fo
            st.leg_plugs[(k, leg)] = st.leg_plugs.get((k, leg), 0) + opt.plug_inc.get(k, 0)


def cooling_left(ctx: FitContext, st: PlacementState, rack: str, heat_w: float) -> float:
    """The least cooling headroom (W) left in the rack's room and the rack itself after
    this heat (inf when neither declares cooling)."""
    return min((head - st.cool.get(key, 0.0) - heat_w for key, head in ctx.cooling_of(rack)),
               default=float("inf"))


def commit_cooling(ctx: FitContext, st: PlacementState, rack: str, heat_w: float) -> None:
    for key, _ in ctx.cooling_of(rack):
        st.cool[key] += heat_w


# --- the dimensions of a fit (capacity/fit_dimensions.py dispatches here) -----------------


def legs_dim(ctx: FitContext, needs: list[ServerNeed], st: PlacementState | None,
             eligible: list[RackOccupancy], verdict: Verdict) -> DimensionCheck:
    """The tightest three-phase leg the placement uses, or the best one an open rack offers."""
    kind = "failover headroom" if ctx.failover else "headroom"
    if st is not None:
        touched = [(k, leg) for k, leg in st.leg if ctx.result.feeds[k].legs]
        if not touched:
            return DimensionCheck("legs", "VA", None, None, None, verdict, "no three-phase feed used")
        legs = {(k, x.leg): x for k in {k for k, _ in touched} for x in ctx.result.feeds[k].legs}
        before = min(ctx.metric(legs[t]) for t in touched)

        def left(t: tuple[str, str]) -> float:
            return room_left(ctx, legs[t].headroom_va, legs[t].failover_headroom_va, 0, 0, st.leg[t], st.leg_fo[t])

        tight = min(touched, key=lambda t: (left(t), t))
        requested = sum(st.leg[t] for t in touched)
        feed = ctx.result.feeds[tight[0]]
        reason = (f"{kind} of the tightest leg used (feed {feed.name} leg {tight[1]}, a third of "
                  f"{figure_text(feed.available_va)} VA); legs chosen to keep them balanced")
        return DimensionCheck("legs", "VA", rounded(before), rounded(requested), rounded(min(map(left, touched))),
                              verdict, reason)
    best: tuple[float, str, str] | None = None
    for occ in eligible:
        for f in ctx.rack_feeds(occ.key):
            for x in f.legs:
                room = ctx.metric(x)
                if best is None or room > best[0]:
                    best = (room, f.name, x.leg)
    requested = sum(n.va for n in needs)
    if best is None:
        return DimensionCheck("legs", "VA", None, None, None, "not requested", "no open rack has a three-phase feed")
    return DimensionCheck("legs", "VA", rounded(best[0]), rounded(requested), rounded(best[0] - requested), verdict,
                          f"the most {kind} a leg of an open rack offers (feed {best[1]} leg {best[2]})")


def cooling_dim(ctx: FitContext, needs: list[ServerNeed], st: PlacementState | None,
                eligible: list[RackOccupancy], verdict: Verdict) -> DimensionCheck:
    """Cooling headroom of the tightest room or rack the placement heats, or the best an
    open rack offers (heat = the servers' draw in W)."""
    requested = float(sum(n.draw for n in needs))
    cooling = ctx.result.cooling
    if st is not None:
        touched = [k for k in st.cool if k in cooling]
        if not touched:
            return DimensionCheck("cooling", "W", None, rounded(requested), None, verdict,
                                  "no cooling declared for the rooms and racks used: not checked")
        tight = min(touched, key=lambda k: (cooling[k].headroom_w - st.cool[k], k))
        before = min(cooling[k].headroom_w for k in touched)
        after = min(cooling[k].headroom_w - st.cool[k] for k in touched)
        return DimensionCheck("cooling", "W", rounded(before), rounded(requested), rounded(after), verdict,
                              f"cooling headroom of the tightest room or rack used ({_label(ctx, tight)})")
    offers = [(min(h for _, h in ctx.cooling_of(o.key)), o) for o in eligible if ctx.cooling_of(o.key)]
    if not offers:
        return DimensionCheck("cooling", "W", None, rounded(requested), None, verdict,
                              "no cooling declared for the open racks: not checked")
    room, occ = max(offers, key=lambda t: (t[0], t[1].name))
    tight = min(ctx.cooling_of(occ.key), key=lambda kh: kh[1])[0]
    return DimensionCheck("cooling", "W", rounded(room), rounded(requested), rounded(room - requested), verdict,
                          f"the most cooling headroom an open rack offers (rack {occ.name}: {_label(ctx, tight)})")


def _label(ctx: FitContext, key: str) -> str:
    c = ctx.result.cooling[key]
    if c.kind == "rack":
        return f"rack {c.name}, {c.installed_kw:g} kW"
    if c.units is None:
        return f"room {c.name}, {c.installed_kw:g} kW"
    spare = ", largest unit spare" if ctx.policy.cooling_n_plus_one else ""
    return f"room {c.name}, {c.installed_kw:g} kW in {c.units} unit(s){spare}"
