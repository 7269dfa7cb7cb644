"""Cooling as a dimension: the heat of the IT load against the cooling of each room (a
NetBox location) and of racks that declare their own. Pure.

* Heat = IT draw in W: the racks' `load_w` (allocated, else maximum draw, plus approved
  commitments), every watt a server draws ends up as heat in its room.
* A room's cooling: `cooling_kw` installed in `cooling_units` equal units. With
  `policy.cooling_n_plus_one` the largest unit is kept spare: capacity =
  installed x (units - 1) / units. A room that does not say how many units it has keeps
  its whole installed capacity (no unit is known to keep spare).
* A rack's cooling (`cooling_kw` on the rack: an in-row or rear-door unit, or the rack's
  design density) is a limit of its own, without N+1.
* Findings: `cooling_overload` (error) when the heat exceeds what is installed,
  `cooling_failover_unsafe` (warning) when it fits the installed cooling but not what
  is left with the largest unit down. Racks whose status is `planned` are left out.

Worked example: docs/capacity-rules.md, "Cooling".
"""

from __future__ import annotations

from capacity.policy import Policy
from capacity.results import Cooling, Finding, RackPower
from inventory.model import Snapshot

#: Rack statuses whose heat is not reported against their own cooling (nothing is live).
QUIET_RACK_STATUSES = frozenset({"planned"})


def room_capacity_w(installed_kw: float, units: int | None, n_plus_one: bool) -> float:
    """What a room's cooling may carry, in W: the largest of its equal units kept spare."""
    if n_plus_one and units is not None:
        return installed_kw * 1000 * (units - 1) / units
    return installed_kw * 1000


def compute_cooling(snapshot: Snapshot, policy: Policy, racks_power: dict[str, RackPower]
                    ) -> tuple[dict[str, Cooling], list[Finding]]:
    """Every room and rack with cooling declared, by "room:KEY" / "rack:KEY": installed,
    capacity, heat, headroom; and the cooling findings."""
    out: dict[str, Cooling] = {}
    findings: list[Finding] = []
    racks_in: dict[str, list[str]] = {}
    for r in snapshot.racks:
        if r.location is not None:
            racks_in.setdefault(r.location, []).append(r.key)

    def add(c: Cooling, installed_w: float, what: str) -> None:
        out[f"{c.kind}:{c.key}"] = c  # location and rack keys may coincide (NetBox ids)
        if c.heat_w > installed_w + 1e-9:
            findings.append(Finding(
                kind="cooling_overload", severity="error", object=what,
                message=f"heat {c.heat_w} W exceeds its installed cooling {round(installed_w)} W",
                site=c.site))
        elif c.heat_w > c.capacity_w + 1e-9:
            findings.append(Finding(
                kind="cooling_failover_unsafe", severity="warning", object=what,
                message=f"heat {c.heat_w} W exceeds the {round(c.capacity_w)} W left when its largest "
                        f"cooling unit fails ({c.units} unit(s), {c.installed_kw:g} kW installed)",
                site=c.site))

    for loc in snapshot.locations:
        if loc.cooling_kw is None:
            continue
        keys = racks_in.get(loc.key, [])
        heat = sum(racks_power[k].load_w for k in keys if k in racks_power)
        capacity = room_capacity_w(loc.cooling_kw, loc.cooling_units, policy.cooling_n_plus_one)
        add(_cooling(loc.key, "room", loc.name, loc.site, loc.cooling_kw, loc.cooling_units, capacity, heat,
                     keys), loc.cooling_kw * 1000, f"room {loc.name}")
    for r in snapshot.racks:
        if r.cooling_kw is None or r.status in QUIET_RACK_STATUSES:
            continue
        heat = racks_power[r.key].load_w if r.key in racks_power else 0
        add(_cooling(r.key, "rack", r.name, r.site, r.cooling_kw, 1, r.cooling_kw * 1000, heat, [r.key]),
            r.cooling_kw * 1000, f"rack {r.name}")
    return out, findings


def _cooling(key: str, kind: str, name: str, site: str, installed_kw: float, units: int | None, capacity_w: float,
             heat_w: int, racks: list[str]) -> Cooling:
    return Cooling(key=key, kind=kind, name=name, site=site, installed_kw=installed_kw, units=units,
                   capacity_w=round(capacity_w, 1), heat_w=heat_w, headroom_w=round(capacity_w - heat_w, 1),
                   utilization_pct=round(heat_w / capacity_w * 100, 1) if capacity_w else 0.0, racks=racks)
