"""Everything NetBox would refuse halfway through `colo netbox load`, checked before the
first write: a snapshot either passes whole or nothing is written (exit 2)."""

from __future__ import annotations

from collections import defaultdict
from typing import Hashable, Iterable

from inventory.errors import InputError
from inventory.model import Snapshot


def _half_units(start: float, height: float) -> set[float]:
    out, u = set(), float(start)
    while u < start + height - 1e-9:
        out.add(u)
        u += 0.5
    return out


def validate_for_netbox(s: Snapshot, device_custom_fields: set[str] | None = None) -> None:
    """Everything NetBox would refuse halfway, checked before the first write.

    Raises InputError listing the problems (up to 15), each naming the object.
    """
    problems: list[str] = []
    racks = {r.key: r for r in s.racks}
    types = {t.key: t for t in s.device_types}
    devices = {d.key: d for d in s.devices}
    locations = {loc.key: loc for loc in s.locations}
    panels = {p.key: p for p in s.power_panels}

    def unique(items: Iterable[tuple[Hashable, str]], what: str) -> None:
        seen: dict[Hashable, str] = {}
        for k, label in items:
            if k in seen:
                problems.append(f"{what} {label!r} appears twice ({seen[k]!r}): NetBox needs it unique")
            else:
                seen[k] = label

    unique((((loc.site, loc.name.lower()), loc.name) for loc in s.locations), "location")
    unique((((r.site, r.name.lower()), r.name) for r in s.racks), "rack")
    unique((((t.manufacturer.lower(), t.model.lower()), t.model) for t in s.device_types), "device type")
    named = [(d.site, d.name.lower(), d.name) for d in s.devices if d.name]
    named += [(u.site, u.name.lower(), u.name) for u in s.ups]
    named += [(g.site, g.name.lower(), g.name) for g in s.gensets]
    unique((((site, low), name) for site, low, name in named), "device (or UPS/genset) name")
    unique((((p.site, p.name.lower()), p.name) for p in s.power_panels), "power panel")
    unique((((f.panel, f.name.lower()), f.name) for f in s.power_feeds), "power feed")
    unique((((c.provider.lower(), c.name), c.name) for c in s.uplinks), "uplink")
    unique((((c.site, c.name.lower()), c.name) for c in s.clusters), "cluster")
    unique((((c.key, vm.name.lower()), vm.name) for c in s.clusters for vm in c.vms), "VM")

    for r in s.racks:
        if r.location and locations[r.location].site != r.site:
            problems.append(f"rack {r.key!r}: location {r.location!r} is in another site")
    for p in s.power_panels:
        if p.location and locations[p.location].site != p.site:
            problems.append(f"power panel {p.key!r}: location {p.location!r} is in another site")
    for f in s.power_feeds:
        if f.rack and racks[f.rack].site != panels[f.panel].site:
            problems.append(f"power feed {f.key!r}: rack {f.rack!r} is not in the panel's site")

    occupied: dict[str, list[tuple[set[float], str | None, bool, str]]] = defaultdict(list)
    for d in s.devices:
        where = f"device {d.key!r}"
        t = types[d.device_type]
        if not d.name and d.position is None and not d.serial and not d.asset_tag:
            problems.append(f"{where}: unnamed, unracked and without serial or asset tag: NetBox "
                            "could not find it again on a re-run; give it a name")
        if d.rack and racks[d.rack].site != d.site:
            problems.append(f"{where}: rack {d.rack!r} is in site {racks[d.rack].site!r}, not {d.site!r}")
        if d.parent is not None:
            parent = devices[d.parent]
            if types[parent.device_type].subdevice_role != "parent":
                problems.append(f"{where}: parent {d.parent!r} has a device type that is not a parent type "
                                "(subdevice_role: parent)")
            if t.subdevice_role != "child":
                problems.append(f"{where}: has a parent but its device type is not a child type")
            if d.position is not None or d.face is not None:
                problems.append(f"{where}: a child device takes its rack place from its parent; "
                                "remove position and face")
        if d.position is not None and d.rack is not None:
            rack = racks[d.rack]
            if t.u_height == 0:
                problems.append(f"{where}: a 0U device type cannot have a rack position")
            else:
                top = rack.starting_unit + rack.u_height
                if d.position < rack.starting_unit or d.position + t.u_height > top + 1e-9:
                    problems.append(f"{where}: U{d.position:g} ({t.u_height:g}U) does not fit rack "
                                    f"{d.rack!r} (U{rack.starting_unit}-U{top - 1})")
                else:
                    occupied[d.rack].append((_half_units(d.position, t.u_height), d.face,
                                             t.is_full_depth, d.key))
        for p in d.power_ports:
            if p.allocated_draw is not None and p.maximum_draw is not None and p.allocated_draw > p.maximum_draw:
                problems.append(f"{where} port {p.name!r}: allocated draw {p.allocated_draw} W exceeds "
                                f"maximum draw {p.maximum_draw} W")
        unique((((d.key, p.name), f"{d.key}/{p.name}") for p in d.power_ports), "power port")
        unique((((d.key, o.name), f"{d.key}/{o.name}") for o in d.power_outlets), "power outlet")
        if device_custom_fields is not None:
            for name in d.custom_fields:
                if name not in device_custom_fields:
                    problems.append(f"{where}: custom field {name!r} is not defined in NetBox for "
                                    "devices (define it there, or remove it from the file)")
    for rack_key, items in occupied.items():
        for i, (units_a, face_a, full_a, key_a) in enumerate(items):
            for units_b, face_b, full_b, key_b in items[i + 1:]:
                if units_a & units_b and (full_a or full_b or face_a == face_b):
                    problems.append(f"devices {key_a!r} and {key_b!r} overlap in rack {rack_key!r}")
    for res in s.reservations:
        rack = racks[res.rack]
        bad = [u for u in res.units if not rack.starting_unit <= u < rack.starting_unit + rack.u_height]
        if bad:
            problems.append(f"reservation {res.key!r}: units {bad} are outside rack {res.rack!r}")
    hosts_seen: dict[str, str] = {}
    for c in s.clusters:
        for h in c.hosts:
            if devices[h.device].site != c.site:
                problems.append(f"cluster {c.key!r}: host {h.device!r} is not in site {c.site!r}")
            if h.device in hosts_seen:
                problems.append(f"device {h.device!r} is a host of clusters {hosts_seen[h.device]!r} "
                                f"and {c.key!r}: NetBox allows one")
            hosts_seen[h.device] = c.key
    if problems:
        shown = problems[:15]
        more = f"; and {len(problems) - 15} more" if len(problems) > 15 else ""
        raise InputError("the snapshot cannot be written to NetBox: " + "; ".join(shown) + more,
                         "nothing was written")
