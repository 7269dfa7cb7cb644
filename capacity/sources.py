"""UPS and genset load, in W and VA, normal and after a failure. Pure.

* A UPS carries the load of its feeds (the feed-level units a level up). Its capacity is
  the lower of its two ratings after derating: `rated_va x derating` for the VA load and
  `rated_w x derating` for the W load (`rated_w` defaults to `rated_va x
  policy.ups_rated_power_factor`).
* A genset, while on generator, carries: every UPS's input (its output / efficiency),
  the batteries' recharge (`recharge_pct` of each UPS's rating), the cooling that follows
  the IT load (`cooling_factor` x the IT watts behind its UPSs) and the declared
  `other_loads_va`. Capacity: both ratings after derating, as for a UPS.
* Failover: a partner UPS failing (its redundancy group, or the group the A/B cabling
  implies: capacity/topology.py), a UPS failure seen from the gensets, or a partner
  genset failing.

Every formula, with a worked example: docs/capacity-rules.md, "UPS and genset".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence

from capacity.failover import GroupLoads, Number, Unit, failover_w_va, group_failover, remap_units
from capacity.policy import Policy
from capacity.results import Finding, SourcePower
from inventory.model import UPS, Genset, Snapshot


def ups_rated_w(u: UPS, policy: Policy) -> int:
    """A UPS's W rating: given, else its VA rating x the policy's rated power factor."""
    return u.rated_w if u.rated_w is not None else round(u.rated_va * policy.ups_rated_power_factor)


def genset_rated_w(g: Genset, policy: Policy) -> int:
    return g.rated_w if g.rated_w is not None else round(g.rated_va * policy.genset_rated_power_factor)


def genset_multipliers(snapshot: Snapshot, policy: Policy) -> dict[str, float]:
    """Per UPS on a genset: what its genset carries per W (or VA) of the UPS's output:
    1 / efficiency (the UPS's input) + the genset's cooling factor."""
    cooling = {g.key: g.cooling_factor or 0.0 for g in snapshot.gensets}
    out = {}
    for u in snapshot.ups:
        if u.genset is not None:
            eff = u.efficiency if u.efficiency is not None else policy.ups_efficiency
            out[u.key] = 1 / eff + cooling[u.genset]
    return out


def compute_sources(snapshot: Snapshot, policy: Policy, units_w: Sequence[Unit], units_va: Sequence[Unit] | None,
                    ups_group: Mapping[str, str | None], findings: list[Finding]
                    ) -> tuple[dict[str, SourcePower], dict[str, SourcePower]]:
    """Every UPS and genset (`units_*`: the feed-level units; `units_va` None when every
    VA figure is W / policy.power_factor). Findings are appended to `findings`."""
    panels = {p.key: p for p in snapshot.power_panels}
    ups_of_feed = {f.key: panels[f.panel].ups for f in snapshot.power_feeds}
    pf = policy.power_factor
    ups_w = remap_units(units_w, ups_of_feed, None)
    ups_va = remap_units(units_va, ups_of_feed, None) if units_va is not None else None
    sides = {u.key: u.key for u in snapshot.ups}
    ul_w, ul_va = failover_w_va(ups_w, ups_va, pf, sides, ups_group)
    if ups_va is None:  # the genset level adds loads of other power factors: VA units explicitly
        ups_va = [[(s, a / pf) for s, a in unit] for unit in ups_w]

    ups_results: dict[str, SourcePower] = {}
    for u in snapshot.ups:
        derating = u.derating if u.derating is not None else policy.ups_derating
        ups_results[u.key] = _source(u.key, u.name, u.site, "UPS", (u.rated_va, ups_rated_w(u, policy)), derating,
                                     (ul_va.load[u.key], ul_w.load[u.key]),
                                     (ul_va.failover_load[u.key], ul_w.failover_load[u.key]),
                                     u.redundancy_group, findings)

    mult = genset_multipliers(snapshot, policy)
    genset_of_ups = {u.key: u.genset for u in snapshot.ups}
    g_w = remap_units(ups_w, genset_of_ups, mult)
    g_va = remap_units(ups_va, genset_of_ups, mult)
    parts: dict[str, list[float]] = {g.key: [0.0, 0.0, 0.0] for g in snapshot.gensets}  # recharge, cooling, other W
    cooling = {g.key: g.cooling_factor or 0.0 for g in snapshot.gensets}
    for u in snapshot.ups:
        if u.genset is None:
            continue
        pct = (u.recharge_pct if u.recharge_pct is not None else policy.ups_recharge_pct) / 100
        if pct:  # a fixed load on its genset: never moves on failover
            g_w.append([(u.genset, pct * ups_rated_w(u, policy))])
            g_va.append([(u.genset, pct * u.rated_va)])
            parts[u.genset][0] += pct * ups_rated_w(u, policy)
        parts[u.genset][1] += cooling[u.genset] * ul_w.load[u.key]  # the IT watts behind it
    for g in snapshot.gensets:
        if g.other_loads_va:  # declared, never moved
            g_w.append([(g.key, g.other_loads_va * pf)])
            g_va.append([(g.key, float(g.other_loads_va))])
            parts[g.key][2] = g.other_loads_va * pf
    g_sides = {g.key: g.key for g in snapshot.gensets}
    g_groups = {g.key: g.redundancy_group for g in snapshot.gensets}
    gl_w, gl_va = group_failover(g_w, g_sides, g_groups), group_failover(g_va, g_sides, g_groups)
    gain_w = _ups_failure_gains(ul_w, genset_of_ups, mult)
    gain_va = _ups_failure_gains(ul_va, genset_of_ups, mult)

    genset_results: dict[str, SourcePower] = {}
    for g in snapshot.gensets:
        derating = g.derating if g.derating is not None else policy.genset_derating
        fo_w = max(gl_w.failover_load[g.key], gl_w.load[g.key] + gain_w.get(g.key, 0.0))
        fo_va = max(gl_va.failover_load[g.key], gl_va.load[g.key] + gain_va.get(g.key, 0.0))
        sp = _source(g.key, g.name, g.site, "genset", (g.rated_va, genset_rated_w(g, policy)), derating,
                     (gl_va.load[g.key], gl_w.load[g.key]), (fo_va, fo_w), g.redundancy_group, findings)
        sp.recharge_w, sp.cooling_w, sp.other_w = (round(x) for x in parts[g.key])
        genset_results[g.key] = sp
    return ups_results, genset_results


def _ups_failure_gains(ul: GroupLoads, genset_of_ups: Mapping[str, str | None], mult: Mapping[str, float]
                       ) -> dict[Hashable, float]:
    """The most each genset gains when a UPS fails. A UPS failure moves draw between the
    UPSs of its group; seen from the gensets, what the failed UPS drew is gone and what
    its partners gained is added: partners on the same genset leave it unchanged (the
    load moves within it), partners elsewhere move load from one genset to another."""
    gain: dict[Hashable, float] = defaultdict(float)
    by_failure: dict[tuple[Hashable, Hashable], dict[Hashable, float]] = {}
    for (group, failed, uk), a in ul.gains.items():
        net = by_failure.get((group, failed))
        if net is None:
            net = by_failure[(group, failed)] = defaultdict(float)
            gk = genset_of_ups[failed]  # type: ignore[index]
            if gk is not None:
                net[gk] -= ul.load[failed] * mult[failed]  # type: ignore[index]
        gk = genset_of_ups[uk]  # type: ignore[index]
        if gk is not None:
            net[gk] += a * mult[uk]  # type: ignore[index]
    for net in by_failure.values():
        for gk, v in net.items():
            gain[gk] = max(gain[gk], v)
    return gain


def _source(key: str, name: str, site: str, label: str, rated: tuple[int, int], derating: float,
            load: tuple[Number, Number], failover: tuple[Number, Number], group: str | None,
            findings: list[Finding]) -> SourcePower:
    """A UPS's or genset's figures; `rated`, `load` and `failover` as (VA, W)."""
    rated_va, rated_w = rated
    cap_va, cap_w = round(rated_va * derating), round(rated_w * derating)
    load_va, load_w = round(load[0]), round(load[1])
    fo_va, fo_w = round(failover[0]), round(failover[1])

    def share(x: Number, cap: int) -> float:
        return x / cap if cap else 0.0

    pct = round(max(share(load[0], cap_va), share(load[1], cap_w)) * 100, 1)
    limited_by = "W" if share(fo_w, cap_w) > share(fo_va, cap_va) else "VA"
    what = f"{label} {name}"
    if load_va > cap_va or load_w > cap_w:
        worst = (f"{load_w} W exceeds its capacity {cap_w} W ({rated_w} W rated x {derating})"
                 if share(load_w, cap_w) > share(load_va, cap_va)
                 else f"{load_va} VA exceeds its capacity {cap_va} VA ({rated_va} VA rated x {derating})")
        findings.append(Finding(kind="overload", severity="error", object=what, message=f"load {worst}", site=site))
    elif fo_va > cap_va or fo_w > cap_w:
        worst = (f"{fo_w} W against its capacity {cap_w} W" if limited_by == "W"
                 else f"{fo_va} VA against its capacity {cap_va} VA")
        findings.append(Finding(kind="failover_unsafe", severity="warning", object=what,
                                message=f"after a partner fails it carries {worst}", site=site))
    return SourcePower(
        key=key, name=name, site=site, kind="ups" if label == "UPS" else "genset", rated_va=rated_va,
        capacity_va=cap_va, load_va=load_va, failover_load_va=fo_va, headroom_va=cap_va - load_va,
        failover_headroom_va=cap_va - fo_va, utilization_pct=pct, redundancy_group=group, rated_w=rated_w,
        capacity_w=cap_w, load_w=load_w, failover_load_w=fo_w, headroom_w=cap_w - load_w,
        failover_headroom_w=cap_w - fo_w, limited_by=limited_by)
