"""Three-phase feeds per leg: the load on legs A, B and C, normal and after the other side
of the rack fails, each against a third of the feed. Pure.

Draw reaches a leg through the PDU outlets' `feed_leg`, as in NetBox (an outlet of leg B
puts what is plugged into it on leg B; a PDU chained from an outlet is wholly on that
outlet's leg: capacity/scan_power.py). Draw of no known leg is spread evenly over the
three: a device cabled straight to the feed (a three-phase load), a PDU's own draw, a
commitment, and draw through outlets with no `feed_leg` (which is also reported,
`no_feed_leg`). Each leg's load is checked against a third of the feed's available VA.

Imbalance: the largest deviation of a leg's load from the mean of the three, as a % of
that mean (the NEMA definition); reported above `policy.leg_imbalance_max_pct` once the
most loaded leg carries at least `IMBALANCE_MIN_SHARE` of a leg's supply.
Rules and a worked example: docs/capacity-rules.md, "Three-phase legs".
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from capacity.failover import Number, Unit, group_failover
from capacity.policy import Policy
from capacity.results import FeedPower, Finding, LegPower
from inventory.model import LEGS, PowerFeed, Rack

#: an imbalance is only reported once the most loaded leg carries this share of its supply
IMBALANCE_MIN_SHARE = 0.1


def imbalance_pct(loads: Sequence[float]) -> float:
    """The largest deviation of a leg's load from the mean of the legs, % of the mean."""
    mean = sum(loads) / len(loads) if loads else 0.0
    if mean <= 0:
        return 0.0
    return round(max(abs(x - mean) for x in loads) / mean * 100, 1)


def most_loaded(legs: Sequence[LegPower]) -> LegPower | None:
    """The leg with the least failover headroom (ties: the first)."""
    return min(legs, key=lambda leg: leg.failover_headroom_va) if legs else None


def compute_legs(feeds: dict[str, PowerFeed], racks: dict[str, Rack], results: dict[str, FeedPower],
                 units: Sequence[Unit], unit_pf: Sequence[float | None], policy: Policy,
                 quiet_racks: frozenset[str], findings: list[Finding]) -> None:
    """Fill `results[k].legs` for every three-phase feed; append the leg findings.

    `units`: the consumers touching a three-phase feed, with (feed, leg) as the supply of
    their items there (capacity/scan_power.py `FeedUnits.leg_units`), draws in W;
    `unit_pf` their power factors (None: the policy's).
    """
    three = [k for k, f in feeds.items() if f.phase == "three-phase"]
    if not three:
        return
    # the supplies: a leg of a three-phase feed (A, B, C; None and "?" for draw of no
    # known leg) or another feed, on its feed's side of its rack
    side_of: dict[Hashable, Hashable] = {}
    group_of: dict[Hashable, Hashable | None] = {}
    for s in {s for unit in units for s, _ in unit}:
        f = feeds[s[0] if s.__class__ is tuple else s]  # type: ignore[index]
        side_of[s] = f.type
        group_of[s] = f.rack
    # in VA, as floats: a draw moved onto several surviving items splits evenly (whole-W
    # splits would put a remainder on one leg); figures are rounded to 1/1000 VA, so the
    # order of the sums does not show
    pf = policy.power_factor
    gl = group_failover([[(s, a / (upf or pf)) for s, a in unit] for unit, upf in zip(units, unit_pf)],
                        side_of, group_of)
    load, failover = gl.load, gl.failover_load

    def spread(figures: dict[Hashable, Number], k: str) -> float:
        """A third of the feed's draw of no known leg."""
        return (figures.get((k, None), 0) + figures.get((k, "?"), 0)) / 3

    for k in three:
        f = feeds[k]
        fp = results[k]
        third = round(fp.available_va / 3, 3)
        even, even_fo = spread(load, k), spread(failover, k)
        fp.legs = [LegPower(leg=leg, available_va=third, load_va=round(load.get((k, leg), 0) + even, 3),
                            failover_load_va=round(failover.get((k, leg), 0) + even_fo, 3))
                   for leg in LEGS]
        rack = racks.get(f.rack) if f.rack is not None else None
        if f.status != "active" or (rack is not None and rack.status in quiet_racks):
            continue
        site = rack.site if rack is not None else fp.site
        unknown = gl.load.get((k, "?"), 0)
        if unknown:
            findings.append(Finding(
                kind="no_feed_leg", severity="warning", object=f"feed {f.name}",
                message=f"{round(unknown)} VA reaches this three-phase feed through PDU outlets with no feed "
                        "leg: counted evenly on legs A, B and C; set the outlets' feed_leg", site=site))
        worst = most_loaded(fp.legs)
        assert worst is not None
        if worst.load_va > third + 1e-9:
            findings.append(Finding(
                kind="leg_overload", severity="error", object=f"feed {f.name}",
                message=f"leg {worst.leg} carries {round(worst.load_va)} VA against a third of the feed, "
                        f"{round(third)} VA", site=site))
        elif worst.failover_load_va > third + 1e-9:
            findings.append(Finding(
                kind="leg_failover_unsafe", severity="warning", object=f"feed {f.name}",
                message=f"when the other side fails, leg {worst.leg} carries {round(worst.failover_load_va)} VA "
                        f"against a third of the feed, {round(third)} VA", site=site))
        loads = [leg.load_va for leg in fp.legs]
        pct = imbalance_pct(loads)
        if pct > policy.leg_imbalance_max_pct and max(loads) >= IMBALANCE_MIN_SHARE * third:
            shown = ", ".join(f"{leg.leg} {round(leg.load_va)}" for leg in fp.legs)
            findings.append(Finding(
                kind="leg_imbalance", severity="warning", object=f"feed {f.name}",
                message=f"legs unbalanced by {pct:g} % (VA: {shown}; more than "
                        f"{policy.leg_imbalance_max_pct:g} %): plug new servers into the least loaded leg",
                site=site))
