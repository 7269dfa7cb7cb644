"""Redundancy topology: what the cabling says about the independence of the A and B
sides, as findings naming the objects involved, and the UPS groups failover uses. Pure.

* `ab_same_ups`: a rack's A (primary) and B (redundant) feeds hang from the same UPS, so
  that UPS is a single point of failure and the rack is not 2N;
* `ups_group_single_genset`: every UPS of a redundancy group (declared, or two UPSs
  joined because they feed the A and B sides of the same racks) runs on one genset that
  has no partner genset (a genset redundancy group of two or more): on a mains failure
  that genset is a single point of failure;
* `ups_pair_without_group`: two UPSs feed the A and B sides of the same racks but share
  no `redundancy_group`. The dual-corded devices there still move to the surviving UPS
  when one fails, so failover treats them as one group (`effective_ups_groups`) rather
  than giving each its normal load, and the finding asks for the group to be declared.

Rules and examples: docs/capacity-rules.md, "Redundancy topology".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from capacity.results import Finding
from inventory.model import Snapshot
from inventory.names import natural_key

#: Rack statuses with no topology findings (nothing is live there yet).
QUIET_RACK_STATUSES = frozenset({"planned"})


@dataclass
class Topology:
    """UPS key -> its effective redundancy group, and the topology findings."""

    ups_group: dict[str, str | None]
    findings: list[Finding] = field(default_factory=list)


def _ups_by_side(snapshot: Snapshot) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per rack, the UPS of its primary feeds and of its redundant feeds: a key, or a
    set of keys when a side hangs from several (one pass over the feeds, few objects)."""
    panel_ups = {p.key: p.ups for p in snapshot.power_panels}
    a_of: dict[str, Any] = {}
    b_of: dict[str, Any] = {}
    for f in snapshot.power_feeds:
        ups = panel_ups.get(f.panel)
        if f.rack is None or ups is None:
            continue
        side = a_of if f.type == "primary" else b_of
        have = side.get(f.rack)
        if have is None:
            side[f.rack] = ups
        elif have != ups:
            side[f.rack] = ({have} if isinstance(have, str) else have) | {ups}
    return a_of, b_of


def _feed_names(snapshot: Snapshot, rack: str, ups: str, primary: bool) -> str:
    """The feeds of one side of a rack that hang from `ups` (for a finding: rare)."""
    panel_ups = {p.key: p.ups for p in snapshot.power_panels}
    return ", ".join(f.name for f in snapshot.power_feeds if f.rack == rack and panel_ups.get(f.panel) == ups
                     and (f.type == "primary") == primary)


def analyse_topology(snapshot: Snapshot) -> Topology:
    """Effective UPS groups and the three topology findings (module docstring)."""
    ups = {u.key: u for u in snapshot.ups}
    racks = {r.key: r for r in snapshot.racks}
    findings: list[Finding] = []
    parent = {k: k for k in ups}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    declared: dict[str, list[str]] = defaultdict(list)
    for u in snapshot.ups:
        if u.redundancy_group is not None:
            declared[u.redundancy_group].append(u.key)
    for members in declared.values():
        for m in members[1:]:
            union(members[0], m)

    undeclared: dict[tuple[str, str], list[str]] = defaultdict(list)  # UPS pair -> racks
    shared: dict[tuple[str, str], bool] = {}  # pair -> shares a declared group (joined once)
    a_of, b_of = _ups_by_side(snapshot)
    for rk in a_of.keys() & b_of.keys():
        a_side, b_side = a_of[rk], b_of[rk]
        rack = racks[rk]
        quiet = rack.status in QUIET_RACK_STATUSES
        for ua in ((a_side,) if isinstance(a_side, str) else sorted(a_side)):
            for ub in ((b_side,) if isinstance(b_side, str) else sorted(b_side)):
                if ua == ub:
                    if not quiet:
                        findings.append(Finding(
                            kind="ab_same_ups", severity="warning", object=f"rack {rack.name}",
                            message=f"its A feed {_feed_names(snapshot, rk, ua, True)} and B feed "
                                    f"{_feed_names(snapshot, rk, ub, False)} both hang from UPS "
                                    f"{ups[ua].name}: that UPS is a single point of failure, the rack is not 2N",
                            site=rack.site))
                    continue
                pair = (ua, ub) if ua < ub else (ub, ua)
                ok = shared.get(pair)
                if ok is None:
                    union(ua, ub)
                    ga, gb = ups[ua].redundancy_group, ups[ub].redundancy_group
                    ok = shared[pair] = ga is not None and ga == gb
                if not ok and not quiet:
                    undeclared[pair].append(rack.name)
    for (u1, u2), rack_names in sorted(undeclared.items()):
        names = sorted(set(rack_names), key=natural_key)
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        findings.append(Finding(
            kind="ups_pair_without_group", severity="warning", object=f"UPS {ups[u1].name}, UPS {ups[u2].name}",
            message=f"they feed the A and B sides of rack(s) {shown} but share no redundancy_group: "
                    "failover counts them as one group; declare it in NetBox",
            site=ups[u1].site))

    components: dict[str, list[str]] = defaultdict(list)
    for k in ups:
        components[find(k)].append(k)
    findings += _single_genset(snapshot, ups, list(components.values()))
    groups: dict[str, str | None] = {}
    for root, members in components.items():
        declared_names = {ups[m].redundancy_group for m in members}
        if len(members) < 2 or (len(declared_names) == 1 and None not in declared_names):
            label = None  # alone, or exactly a declared group: keep each UPS's own declaration
        else:
            label = f"ups-group:{root}"
        for m in members:
            groups[m] = label if label is not None else ups[m].redundancy_group
    return Topology(ups_group=groups, findings=findings)


def _single_genset(snapshot: Snapshot, ups: dict[str, Any], groups: list[list[str]]) -> list[Finding]:
    """UPS groups (declared, or joined by the A/B sides they feed) whose every member runs
    on one genset without a partner. `ups`: UPS key -> UPS."""
    gensets = {g.key: g for g in snapshot.gensets}
    genset_members: dict[str, int] = defaultdict(int)
    for g in snapshot.gensets:
        if g.redundancy_group is not None:
            genset_members[g.redundancy_group] += 1
    out = []
    for keys in groups:
        members = sorted((ups[k] for k in keys), key=lambda u: natural_key(u.name))
        on = {u.genset for u in members}
        if len(members) < 2 or len(on) != 1 or None in on:
            continue
        g = gensets[on.pop()]  # type: ignore[arg-type]
        if g.redundancy_group is not None and genset_members[g.redundancy_group] >= 2:
            continue
        declared = {u.redundancy_group for u in members}
        # an undeclared pair (ups_pair_without_group) is named by its members
        obj = (f"UPS group {next(iter(declared))}" if len(declared) == 1 and None not in declared
               else ", ".join(f"UPS {u.name}" for u in members))
        names = " and ".join(f"UPS {u.name}" for u in members)
        out.append(Finding(
            kind="ups_group_single_genset", severity="warning", object=obj,
            message=f"{names} {'both' if len(members) == 2 else 'all'} run on genset {g.name}, which has no "
                    "partner genset: on a mains "
                    "failure that genset is a single point of failure",
            site=g.site))
    return sorted(out, key=lambda f: natural_key(f.object))
