"""The dimension checks of a fit: before / requested / after / verdict / reason for
space, weight, power, legs, outlets, UPS, genset, cooling, bandwidth and hosting compute
(vCPU, memory and disk of the cluster, and the largest VM one host takes). Pure.

With a placement, the figures are those of what it uses (the racks, the tightest feed,
UPS or genset); without one, the best any open rack offers and why it is not enough.
Rules: docs/capacity-space-and-fit.md.
"""

from __future__ import annotations

from typing import Any

from capacity.fit_context import FitContext, PlacementState, ServerNeed, room_left
from capacity.fit_legs import cooling_dim, legs_dim
from capacity.fit_request import CapacityRequest, HostingRequest
from capacity.fit_result import DimensionCheck, Verdict, figure_text, num_text, rounded
from capacity.fit_server import masks_of, source_increments
from capacity.space import RackOccupancy
from inventory.errors import InputError
from inventory.names import natural_key, same_name


def _space_dim(ctx: FitContext, needs: list[ServerNeed], st: PlacementState | None,
               eligible: list[RackOccupancy], verdict: Verdict) -> DimensionCheck:
    """Free units on both faces of the racks used, or of the open racks."""
    requested = sum(n.req.u_height for n in needs)

    def free_u(occ: RackOccupancy, front: int, rear: int) -> float:
        return max(occ.free_mask("both", front, rear).bit_count() - ctx.h2, 0) / 2

    if st is not None:
        before = sum(free_u(o, o.front, o.rear) for o in st.racks)
        after = sum(free_u(o, *masks_of(st, o)) for o in st.racks)
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
        reason = (f"no contiguous {num_text(needs[0].req.u_height)} U free for the {kind} server "
                  f"{needs[0].req.name!r}" if size < needs[0].half
                  else "not enough free units for all servers")
        reason += f"; largest usable block {num_text(size / 2)} U in rack {occ.name}" if occ else ""
    return DimensionCheck("space", "U", before, requested, before - requested, verdict,
                          reason + " (free units on both faces of the open racks)")


def _largest_offer(ctx: FitContext, need: ServerNeed, racks: list[RackOccupancy]
                   ) -> tuple[int, RackOccupancy | None] | None:
    """(half units, rack) of the largest block the server could use, headroom kept."""
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


def weight_dim(ctx: FitContext, needs: list[ServerNeed], st: PlacementState | None,
               eligible: list[RackOccupancy], verdict: Verdict) -> DimensionCheck:
    """Max weight less the known weight of the racks used, or the most an open rack takes."""
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
        return DimensionCheck("weight", "kg", rounded(before), requested, rounded(after), verdict, reason)
    known = [o for o in eligible if o.max_weight_kg is not None]
    best = max(known, key=lambda o: o.max_weight_kg - (o.weight_kg or 0.0), default=None)  # type: ignore[operator]
    if best is None:
        return DimensionCheck("weight", "kg", None, requested, None, verdict, "no max weight on record")
    before = best.max_weight_kg - (best.weight_kg or 0.0)  # type: ignore[operator]
    return DimensionCheck("weight", "kg", rounded(before), requested, rounded(before - requested), verdict,
                          f"the most weight an open rack can still take is {figure_text(before)} kg "
                          f"(rack {best.name}, max weight less the known weight of its devices)")


PLUGS = "free PDU outlets, or the feed itself when nothing is cabled to it"


def _outlets_dim(ctx: FitContext, needs: list[ServerNeed], st: PlacementState | None,
                 eligible: list[RackOccupancy], verdict: Verdict) -> DimensionCheck:
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
        shown = ", ".join(sorted(straight, key=natural_key)[:5]) + (", ..." if len(straight) > 5 else "")
        reason += (f"; {len(straight)} open rack(s) have their feeds cabled straight to devices, "
                   f"with no PDU ({shown})")
    return DimensionCheck("outlets", "plugs", before, requested,
                          None if before is None else before - requested, verdict, reason)


def _draw_reason(ctx: FitContext, needs: list[ServerNeed]) -> str:
    """Each server's draw and where it comes from, for the power reason."""
    parts = [f"{n.req.name} {n.draw} W {n.req.draw_source}"
             + (" (no allocated draw given)" if n.req.draw_source == "maximum" else "")
             for n in sorted(needs, key=lambda n: n.order)]
    return "draw: " + ", ".join(parts) + f"; VA = W / power factor {ctx.pf:g}"


def _power_like_dim(ctx: FitContext, layer: str, needs: list[ServerNeed], st: PlacementState | None,
                    eligible: list[RackOccupancy], verdict: Verdict) -> DimensionCheck:
    """power (feeds), ups or genset: the tightest headroom among what the placement uses,
    or, with no placement, the best any open rack offers."""
    pool: dict[str, Any] = {"power": ctx.result.feeds, "ups": ctx.result.ups, "genset": ctx.result.gensets}[layer]
    label = {"power": "feed", "ups": "UPS", "genset": "genset"}[layer]
    if st is not None:
        return _used_power_dim(ctx, layer, needs, st, pool, label, verdict)
    return _offered_power_dim(ctx, layer, needs, eligible, pool, label, verdict)


def _used_power_dim(ctx: FitContext, layer: str, needs: list[ServerNeed], st: PlacementState,
                    pool: dict[str, Any], label: str, verdict: Verdict) -> DimensionCheck:
    """The tightest headroom among the feeds, UPSs or gensets the placement uses."""
    total = sum(n.va for n in needs)
    inc_n, inc_fo = {"power": (st.feed, st.feed_fo), "ups": (st.ups, st.ups_fo),
                     "genset": (st.gen, st.gen_fo)}[layer]
    touched = [k for k in inc_n if k in pool]
    requested = float(total)
    if layer == "genset" and touched:
        requested = sum(inc_n[k] for k in touched)  # the UPS losses included
    if not touched:
        why = ("no server draws" if total == 0 else
               f"the feeds used have no {label} on record: not checked")
        return DimensionCheck(layer, "VA", None, rounded(requested), None, verdict, why)

    def left(k: str) -> float:
        return room_left(ctx, *ctx.rooms(pool[k]), 0, 0, inc_n[k], inc_fo[k])

    before = min(ctx.metric(pool[k]) for k in touched)
    after = min(left(k) for k in touched)
    tight = min(touched, key=lambda k: (left(k), k))
    reason = f"{_headroom_kind(ctx)} of the tightest {label} used ({pool[tight].name}{_binding(ctx, pool[tight])})"
    if layer == "power":
        reason = _draw_reason(ctx, needs) + "; " + reason
    return DimensionCheck(layer, "VA", rounded(before), rounded(requested), rounded(after), verdict, reason)


def _offered_power_dim(ctx: FitContext, layer: str, needs: list[ServerNeed], eligible: list[RackOccupancy],
                       pool: dict[str, Any], label: str, verdict: Verdict) -> DimensionCheck:
    """With no placement: the best headroom any open rack offers (one server's worth of
    feeds, UPSs or gensets)."""
    total = sum(n.va for n in needs)
    first = needs[0]
    metric = ctx.metric
    best: tuple[float, str, float] | None = None  # (headroom, names, genset VA per VA drawn)
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
            for r in ctx.routes(occ.key, first.dual):
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
                    _, gen_inc = source_increments(ctx, first.draw, route)
                    ratio = sum(v for v, _ in gen_inc.values()) / first.va
                tightest = min((pool[k] for k in keys), key=metric)
                best = (value, ", ".join(pool[k].name for k in keys) + _binding(ctx, tightest), ratio)
    if best is None:
        why = ("no open rack has an A/B feed pair (a primary and a redundant active feed)"
               if layer == "power" and first.dual else f"no open rack reaches a {label}")
        return DimensionCheck(layer, "VA", None, rounded(total if layer == "genset" else float(total)),
                              None, verdict, why)
    before, names, ratio = best
    requested = total * ratio if layer == "genset" else float(total)  # genset: the UPS losses of the route
    kind = _headroom_kind(ctx)
    if len(needs) == 1:
        where = {"power": "both feeds of an A/B pair" if first.dual else "one feed",
                 "ups": "the UPSs behind its feeds", "genset": "the genset"}[layer]
        reason = (f"needs {figure_text(requested)} VA of {kind} on {where}; the best an open rack "
                  f"offers is {figure_text(before)} VA ({label} {names})")
    else:
        reason = (f"the {len(needs)} servers need {figure_text(requested)} VA in all and cannot all be "
                  f"given {kind}; the best an open rack offers is {figure_text(before)} VA ({label} {names})")
    if layer == "power":
        reason = _draw_reason(ctx, needs) + "; " + reason
    return DimensionCheck(layer, "VA", rounded(before), rounded(requested), rounded(before - requested), verdict,
                          reason)


def _headroom_kind(ctx: FitContext) -> str:
    return "failover headroom" if ctx.failover else "headroom"


def _binding(ctx: FitContext, obj: Any) -> str:
    """", its W rating binds" when a UPS's or genset's W rating is the tighter one."""
    normal, failover = ctx.rooms(obj)
    room = min(normal, failover) if ctx.failover else normal
    va_room = min(obj.headroom_va, obj.failover_headroom_va) if ctx.failover else obj.headroom_va
    return ", its W rating binds" if room < va_room - 1e-9 else ""


def bandwidth_dim(ctx: FitContext, needs: list[ServerNeed], sites: set[str], placed_site: str | None
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
    return DimensionCheck("bandwidth", "Mbps", rounded(before), requested, rounded(before - requested),
                          verdict, reason), ok


HOSTING = (("vcpu", "vCPU", "vcpus"), ("memory", "GB", "memory_gb"), ("disk", "GB", "disk_gb"))
#: one VM on one host: (dimension, unit, request field, ClusterCapacity field)
ONE_HOST = (("host_vcpu", "vCPU", "vcpus", "vm_max_vcpus"), ("host_memory", "GB", "memory_gb", "vm_max_memory_gb"))


def hosting_dims(ctx: FitContext, request: CapacityRequest, sites: set[str]) -> list[DimensionCheck]:
    """vCPU, memory and disk on the first cluster (the one named, else the sites' clusters
    by name) that takes the hosting, else on the one with the most free vCPUs; then the
    largest VM one of its hosts takes after N+1 (the request is one VM)."""
    h = request.hosting
    dims = [(d, u, f) for d, u, f in HOSTING] + [(d, u, f) for d, u, f, _ in ONE_HOST]
    if h is None:
        return [DimensionCheck(d, u, None, None, None, "not requested", "no hosting requested") for d, u, _ in dims]
    candidates = [k for k in _clusters_in_scope(ctx, h, sites) if k in ctx.result.clusters]
    if not candidates:
        return [DimensionCheck(d, u, None, getattr(h, f) or None, None,
                               "does not fit" if getattr(h, f) else "not requested",
                               "no virtualization cluster in the site(s) in scope")
                for d, u, f in dims]

    def fits_all(k: str) -> bool:
        c = ctx.result.clusters[k]
        pool = all(getattr(c, f"{f}_free") >= getattr(h, f) - 1e-9 for _, _, f in HOSTING)
        return pool and all(getattr(c, limit) >= getattr(h, f) - 1e-9 for _, _, f, limit in ONE_HOST)

    chosen = next((k for k in candidates if fits_all(k)), None)
    if chosen is None:
        chosen = max(candidates, key=lambda k: (ctx.result.clusters[k].vcpus_free, k))
    ctx.hosting_cluster = chosen
    c = ctx.result.clusters[chosen]
    n1 = " with the largest host kept spare (N+1)" if ctx.policy.compute_n_plus_one else ""
    basis = {"vcpus": (f", {c.cores} physical cores x cpu overcommit {ctx.policy.cpu_overcommit:g}"
                       if c.vcpu_basis == "cores" else ""),
             "memory_gb": f", {ctx.policy.hypervisor_reserved_gb:g} GB per host kept for the hypervisor",
             "disk_gb": (f" (datastore {figure_text(c.datastore_gb)} GB / replication factor "
                         f"{c.replication_factor:g})" if c.datastore_gb is not None else "")}
    out = []
    for d, u, f in HOSTING:
        want = getattr(h, f)
        free = getattr(c, f"{f}_free")
        if not want:
            out.append(DimensionCheck(d, u, rounded(free), None, None, "not requested",
                                      f"none asked of cluster {c.name}"))
            continue
        if f == "disk_gb" and c.datastore_gb is not None:  # no host is kept spare from shared storage
            reason = f"free on the shared datastore of cluster {c.name} after overcommit{basis[f]}"
        else:
            reason = f"free on cluster {c.name} after overcommit{n1}{basis[f]}"
        v: Verdict = "fits" if free >= want - 1e-9 else "does not fit"
        out.append(DimensionCheck(d, u, rounded(free), want, rounded(free - want), v, reason))
    after = "left when the largest fails (N+1)" if ctx.policy.compute_n_plus_one and c.hosts >= 2 else "serving"
    for d, u, f, limit in ONE_HOST:
        want = getattr(h, f)
        most = getattr(c, limit)
        if not want:
            out.append(DimensionCheck(d, u, rounded(most), None, None, "not requested", f"none asked of cluster {c.name}"))
            continue
        what = ("logical processors (threads)" if f == "vcpus" else
                f"memory less the hypervisor's {ctx.policy.hypervisor_reserved_gb:g} GB, x memory overcommit "
                f"{ctx.policy.memory_overcommit:g}")
        reason = f"one VM runs on one host: the largest host of cluster {c.name} {after}, its {what}"
        v = "fits" if most >= want - 1e-9 else "does not fit"
        out.append(DimensionCheck(d, u, rounded(most), want, rounded(most - want), v, reason))
    return out


def _clusters_in_scope(ctx: FitContext, h: HostingRequest, sites: set[str]) -> list[str]:
    """The cluster the hosting names (bad input when unknown), else the sites' clusters by name."""
    clusters = ctx.snapshot.clusters
    if h.cluster is not None:
        keys = [c.key for c in clusters if same_name(h.cluster, c.key, c.name)]
        if not keys:
            known = ", ".join(sorted(c.name for c in clusters)) or "none"
            raise InputError(f"request: unknown cluster {h.cluster!r} (known clusters: {known})")
        return keys
    return [c.key for c in sorted((c for c in clusters if c.site in sites), key=lambda c: natural_key(c.name))]


def layer_dim(ctx: FitContext, layer: str, needs: list[ServerNeed], st: PlacementState | None,
              eligible: list[RackOccupancy], verdict: Verdict) -> DimensionCheck:
    """The dimension check of one placement layer (space, weight, power, outlets, ups,
    genset), from the placement `st` when there is one."""
    if layer == "space":
        return _space_dim(ctx, needs, st, eligible, verdict)
    if layer == "weight":
        return weight_dim(ctx, needs, st, eligible, verdict)
    if layer == "outlets":
        return _outlets_dim(ctx, needs, st, eligible, verdict)
    if layer == "legs":
        return legs_dim(ctx, needs, st, eligible, verdict)
    if layer == "cooling":
        return cooling_dim(ctx, needs, st, eligible, verdict)
    return _power_like_dim(ctx, layer, needs, st, eligible, verdict)
