"""One pass over every device and power port: what space, power, bandwidth, hosting and
the data-quality findings need from them (`scan_devices` -> `DeviceScan`). Pure.

At 200,000 devices the snapshot's objects are spread over hundreds of megabytes, and a
pass over them costs more for the attributes it reads than for its arithmetic (cache
misses). So every reader shares this one pass; cluster hosts are picked up on the way.
Only the PDUs are found before it, by a pass reading one attribute (0.05 s), so that a
port cabled to a PDU outlet is resolved to its PDU input where it is read. The PDUs, their
chains and the units on feeds are capacity/scan_power.py's; this module holds the pass
over the devices and the space figures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from capacity.scan_power import (
    PduPorts, add_fixed_pdu_draws, add_netbox_pdu_draw, add_pdu_leaves, dangling_chains, feed_units, find_pdus,
    free_outlets, free_outlets_by_leg, leg_attachments, link_pdus, no_draw_by_feed,
)
from inventory.heap import gc_paused
from inventory.model import AnyDevice, Snapshot

Number = int | float

#: Device roles (slugs) that never need a draw figure: passive or power-distribution kit.
PASSIVE_ROLES = frozenset({
    "pdu", "power-distribution", "patch-panel", "patch-panels", "cable-management",
    "cable-manager", "blank", "blanking-panel", "shelf", "ups", "genset", "ats",
})

# a device of an unknown type: (half units, full depth, counted, weight, power factor)
_NO_TYPE: tuple[int, bool, bool, float | None, float | None] = (0, False, False, None, None)


def role_needs_power(role: str) -> bool:
    """Whether a device of this role is expected to carry draw data (docs/capacity-rules.md).

    The whole rule, applied in the scan: not expected of power distribution (any device with
    power outlets, i.e. a PDU), of types excluded from utilization (patch panels, blanks,
    cable managers: NetBox's own flag for passive kit), nor of the roles in PASSIVE_ROLES.
    """
    return role.lower() not in PASSIVE_ROLES


# one pass over the devices
# ---------------------------------------------------------------------------

#: The device custom field holding a server's allocated bandwidth, in Mbps.
BANDWIDTH_FIELD = "bandwidth_mbps"

#: Device statuses whose bandwidth allocation counts as used: the ones that are or will
#: be on the network (the same set as VMs in capacity/compute.py).
COUNTED_DEVICE_STATUSES = frozenset({"active", "planned", "staged"})


def bandwidth_value(value: Any) -> float | None:
    """A `bandwidth_mbps` custom-field value as a number >= 0; None when absent or bad."""
    cls = value.__class__
    if cls is int or cls is float:  # the common case, without the conversions
        return float(value) if 0 <= value < float("inf") else None
    if value is None or value == "" or cls is bool:
        return None
    try:
        num = float(value)
    except (TypeError, ValueError):
        return None
    if num != num or num < 0 or num == float("inf"):
        return None
    return num


@dataclass
class DeviceScan:
    """Everything space, power, bandwidth, hosting and the data-quality findings need from
    the devices, gathered in one pass over them and their power ports (the expensive part
    at 200,000 devices). Build it once with `scan_devices` and hand it to `compute_space`,
    `compute_power`, `compute_bandwidth`, `compute_clusters` (its `host_status`) and
    `data_quality_findings`; each builds its own when not given.
    """

    devices: list[AnyDevice]
    # --- power (this project's load) ---
    units: list[list[tuple[Hashable, Number]]]  # feed-level consumers (draw in W), see group_failover
    unit_devices: list[list[int] | None]  # devices behind a unit (kept for single-sided ones)
    no_draw_by_feed: dict[str, set[int]]  # feed -> devices with a port without draw on it
    # --- power (NetBox) ---
    nb_allocated: dict[str, int]  # feed -> NetBox's allocated draw of its ports
    # --- findings ---
    no_draw: list[tuple[int, list[str]]]  # device, its leaf ports without draw ([]: no port)
    uncabled: list[int]  # active racked devices needing power with no port cabled
    power_devices_by_rack: dict[str, int]  # rack -> devices in it that need power
    cabled_feeds: set[str]
    dangling: list[tuple[int, list[str]]]  # PDU device, what of it leads to no feed
    overlaps: list[tuple[int, int, list[tuple[int, int]]]]  # dev, dev, [(half unit, face)]
    outside: list[int]  # racked devices reaching outside their rack's units
    # --- bandwidth ---
    bandwidth_mbps_by_site: dict[str, float] = field(default_factory=dict)
    invalid_bandwidth: list[int] = field(default_factory=list)
    # --- space (capacity/space.py), per rack in snapshot order. Masks are absolute: bit i
    # is half unit i counted from unit 0, unclipped (the rack's own view shifts them). ---
    rack_front: list[int] = field(default_factory=list)  # racked devices on the front
    rack_rear: list[int] = field(default_factory=list)  # (full depth: on both faces)
    rack_nb_used: list[int] = field(default_factory=list)  # as NetBox's get_utilization counts
    rack_weight_kg: list[float | None] = field(default_factory=list)  # None: none known
    rack_no_weight: list[int] = field(default_factory=list)  # devices whose type has no weight
    # --- hosting (capacity/compute.py) ---
    host_status: dict[str, str] = field(default_factory=dict)  # cluster host key -> status
    # --- plugs (capacity/outlets.py): the PDUs' power ports, in order ---
    pdu_port_device: list[int] = field(default_factory=list)  # index of the PDU (a device with outlets)
    pdu_port_feed: list[str | None] = field(default_factory=list)  # the feed it is cabled to
    pdu_port_up: list[bool] = field(default_factory=list)  # outlets are tied to it (an input)
    pdu_port_free: list[int] = field(default_factory=list)  # outlets tied to it with nothing cabled
    pdu_chain: dict[int, list[int]] = field(default_factory=dict)  # input -> inputs of PDUs on its outlets
    device_feeds: set[str] = field(default_factory=set)  # feeds a port that feeds no outlet is cabled to
    pdu_port_free_legs: dict[int, dict[str, int]] = field(default_factory=dict)  # port -> leg -> free outlets
    # --- power factor and three-phase legs (capacity/power.py, capacity/legs.py) ---
    unit_pf: list[float | None] = field(default_factory=list)  # per unit: its type's power factor
    leg_units: list[list[tuple[Hashable, Number]]] = field(default_factory=list)  # (feed, leg) items
    leg_unit_pf: list[float | None] = field(default_factory=list)


def scan_devices(snapshot: Snapshot) -> DeviceScan:
    """One pass over every device and its ports, then over the PDUs found: see DeviceScan.

    Ports get this project's draw (allocated, else maximum; 0 allocated counts as not
    given) and are walked up PDU outlets to their feed. Consumers with the same cabling
    (the same feeds, port by port) are summed into one unit: the failover arithmetic is
    linear in the draws, so the figures are those of adding devices one by one, except
    for how a remainder of 1 VA of an uneven split is placed.
    """
    with gc_paused():
        return _scan_devices(snapshot)


def _scan_devices(snapshot: Snapshot) -> DeviceScan:
    devices = snapshot.devices
    pdus = find_pdus(devices)
    link_pdus(pdus)
    feeds = {f.key: f for f in snapshot.power_feeds}
    leg_attachments(pdus, {k for k, f in feeds.items() if f.phase == "three-phase"})
    dev = _device_pass(snapshot, pdus)
    add_pdu_leaves(pdus, dev.patterns)
    power = feed_units(devices, feeds, pdus, dev.patterns, dev.pf_patterns)
    add_netbox_pdu_draw(pdus, power)
    add_fixed_pdu_draws(pdus, power)
    racks = snapshot.racks
    overlaps, outside = _overlaps(snapshot, dev)
    rack_front, rack_rear = _with_bays(dev)
    free = free_outlets(pdus.outlet_input, pdus.outlet_taken, len(pdus.dev))
    return DeviceScan(
        devices=devices, units=power.units, unit_devices=power.unit_devices,
        no_draw_by_feed=no_draw_by_feed(devices, dev.no_draw, pdus), nb_allocated=power.nb_allocated,
        no_draw=dev.no_draw, uncabled=dev.uncabled,
        power_devices_by_rack={racks[ri].key: n for ri, n in enumerate(dev.power_devices) if n},
        cabled_feeds=power.cabled_feeds, dangling=dangling_chains(devices, pdus, power),
        overlaps=overlaps, outside=outside,
        bandwidth_mbps_by_site=dict(dev.bw_by_site), invalid_bandwidth=dev.invalid_bw,
        rack_front=rack_front, rack_rear=rack_rear, rack_nb_used=dev.nb_used,
        rack_weight_kg=dev.weight, rack_no_weight=dev.no_weight, host_status=dev.host_status,
        pdu_port_device=pdus.dev, pdu_port_feed=pdus.feed, pdu_port_up=pdus.up,
        pdu_port_free=free, pdu_chain=pdus.children, device_feeds=power.device_feeds,
        pdu_port_free_legs=free_outlets_by_leg(pdus, free) if pdus.outlet_leg else {},
        unit_pf=power.unit_pf, leg_units=power.leg_units, leg_unit_pf=power.leg_unit_pf,
    )


# --- the one pass over every device -------------------------------------------------------


@dataclass
class _Devices:
    """What the pass over the devices gathers; per rack index for the rack lists."""

    tinfo: dict[str, tuple[int, bool, bool, float | None, float | None]]  # type -> _NO_TYPE's fields
    rack_index: dict[str, int]
    occ_front: list[int]  # devices in no bay (what overlaps are checked on)
    occ_rear: list[int]
    nb_used: list[int]  # as NetBox's get_utilization counts
    weight: list[float | None]
    no_weight: list[int]
    in_bay: list[tuple[int, int, bool, str | None]]  # child devices given a position
    conflicts: set[int]  # racks where two devices in no bay share a half unit
    power_devices: list[int]  # devices in the rack that need power
    no_draw: list[tuple[int, list[str]]]
    uncabled: list[int]
    bw_by_site: dict[str, float]
    invalid_bw: list[int]
    host_status: dict[str, str]
    # attachments -> [draws, NetBox allocated draws, device indices]
    patterns: dict[tuple[Hashable, ...], list[Any]]
    # the same for devices whose type declares a power factor, per power factor
    pf_patterns: dict[float, dict[tuple[Hashable, ...], list[Any]]]


def _device_pass(snapshot: Snapshot, pdus: PduPorts) -> _Devices:
    """Space, weight, bandwidth, cluster hosts and the power ports of every device, in
    one loop (at 200,000 devices reading the attributes is the cost: one pass only).

    Consumers are gathered by where their ports attach: a feed key (cabled directly) or
    the index of the PDU input feeding the outlet (int; -1: an outlet tied to no input).
    """
    devices = snapshot.devices
    # Per type: (half units, full depth, counted by NetBox's utilization, weight, power factor).
    tinfo: dict[str, tuple[int, bool, bool, float | None, float | None]] = {
        t.key: (int(round(t.u_height * 2)), t.is_full_depth, not t.exclude_from_utilization,
                t.weight_kg, t.power_factor)
        for t in snapshot.device_types}
    no_type = _NO_TYPE
    ones = [(1 << n) - 1 for n in range(max((t[0] for t in tinfo.values()), default=0) + 1)]
    rack_index: dict[str, int] = {}
    for n, r in enumerate(snapshot.racks):
        rack_index[r.key] = n
    nracks = len(rack_index)
    occ_front = [0] * nracks
    occ_rear = [0] * nracks
    nb_used = [0] * nracks
    weight: list[float | None] = [None] * nracks
    no_weight = [0] * nracks
    in_bay: list[tuple[int, int, bool, str | None]] = []
    conflicts: set[int] = set()
    needs_by_role: dict[str, bool] = {}
    power_devices = [0] * nracks
    no_draw: list[tuple[int, list[str]]] = []
    uncabled: list[int] = []
    bw_by_site: dict[str, float] = defaultdict(float)
    invalid_bw: list[int] = []
    maps_get = pdus.outlet_maps.get
    no_outlets: dict[str, int] = {}  # of a device that is no PDU
    outlet_att, outlet_taken = pdus.outlet_att, pdus.outlet_taken
    wanted = {h.device for c in snapshot.clusters for h in c.hosts}
    host_status: dict[str, str] = {}
    patterns: dict[tuple[Hashable, ...], list[Any]] = {}
    patterns_get = patterns.get
    pf_patterns: dict[float, dict[tuple[Hashable, ...], list[Any]]] = {}

    for di, d in enumerate(devices):
        u2, full, counted, w, pf = tinfo.get(d.device_type, no_type)
        rack = d.rack
        cf = d.custom_fields
        if cf:
            raw = cf.get(BANDWIDTH_FIELD)
            if raw is not None and raw != "":
                v = bandwidth_value(raw)
                if v is None:
                    invalid_bw.append(di)
                elif v and d.status in COUNTED_DEVICE_STATUSES:
                    bw_by_site[d.site] += v
        if rack is not None:
            ri = rack_index[rack]
            # weight: every device assigned to the rack, racked or not (NetBox's total_weight)
            if w is None:
                no_weight[ri] += 1
            else:
                cw = weight[ri]
                weight[ri] = w if cw is None else cw + w
            pos = d.position
            if u2 and pos is not None:
                mask = ones[u2] << int(pos * 2)
                # NetBox's get_available_units(ignore_excluded_devices=True): position >= 1,
                # any face, any status, types excluded from utilization left out
                if counted and pos >= 1:
                    nb_used[ri] |= mask
                if d.parent is not None:
                    in_bay.append((ri, mask, full, d.face))
                elif full:
                    if (occ_front[ri] | occ_rear[ri]) & mask:
                        conflicts.add(ri)
                    occ_front[ri] |= mask
                    occ_rear[ri] |= mask
                elif d.face == "rear":
                    if occ_rear[ri] & mask:
                        conflicts.add(ri)
                    occ_rear[ri] |= mask
                else:
                    if occ_front[ri] & mask:
                        conflicts.add(ri)
                    occ_front[ri] |= mask
        if wanted and d.key in wanted:
            host_status[d.key] = d.status
        if d.power_outlets:  # a PDU: its ports were taken in the pre-pass
            continue
        ports = d.power_ports
        role = d.role
        needs = needs_by_role.get(role)
        if needs is None:
            needs = needs_by_role[role] = role_needs_power(role)
        # a type excluded from utilization is passive kit (see role_needs_power)
        needs = needs and counted
        if needs and rack is not None:
            power_devices[ri] += 1
        if not ports:
            if needs and rack is not None and d.parent is None:
                no_draw.append((di, []))
            continue
        atts: list[Hashable] = []
        ds: list[int] = []
        nbs: list[int] = []
        missing: list[str] | None = None
        for p in ports:
            a = p.allocated_draw
            draw = a or p.maximum_draw
            if not draw:
                draw = 0
                if needs:
                    if missing is None:
                        missing = []
                    missing.append(p.name)
            att = p.feed
            if att is None:
                o = p.outlet
                if o is None:
                    continue
                # -1: the outlet is tied to no input port, or the device is no PDU
                oi = maps_get(o.device, no_outlets).get(o.name, -1)
                if oi >= 0:
                    outlet_taken[oi] = 1
                    att = outlet_att[oi]
                else:
                    att = -1
            atts.append(att)
            ds.append(draw)
            nbs.append(a or 0)
        if missing is not None:
            no_draw.append((di, missing))
        if not atts:
            if needs and rack is not None and d.status == "active":
                uncabled.append(di)
            continue
        key = tuple(atts)
        if pf is None:
            rec = patterns_get(key)
        else:  # grouped apart: its draw converts to VA with its own power factor
            rec = pf_patterns.setdefault(pf, {}).get(key)
        if rec is None:
            (patterns if pf is None else pf_patterns[pf])[key] = [ds, nbs, [di]]
        else:
            sums, nsums, devs = rec
            if len(ds) == 2:
                sums[0] += ds[0]
                sums[1] += ds[1]
                nsums[0] += nbs[0]
                nsums[1] += nbs[1]
            else:
                for k in range(len(ds)):
                    sums[k] += ds[k]
                    nsums[k] += nbs[k]
            devs.append(di)
    return _Devices(tinfo, rack_index, occ_front, occ_rear, nb_used, weight, no_weight, in_bay, conflicts,
                    power_devices, no_draw, uncabled, bw_by_site, invalid_bw, host_status, patterns, pf_patterns)


# --- space --------------------------------------------------------------------------------


def _overlaps(snapshot: Snapshot, dev: _Devices
              ) -> tuple[list[tuple[int, int, list[tuple[int, int]]]], list[int]]:
    """Devices sharing a half unit on a face, and devices outside their rack's units:
    only the racks where the pass saw it happen are walked again."""
    racks = snapshot.racks
    recheck = set(dev.conflicts)
    for ri, r in enumerate(racks):
        occ = dev.occ_front[ri] | dev.occ_rear[ri]
        if occ and (occ >> ((r.starting_unit + r.u_height) * 2)
                    or occ & ((1 << (r.starting_unit * 2)) - 1)):
            recheck.add(ri)
    outside: list[int] = []
    if not recheck:
        return [], outside
    owner: dict[tuple[int, int, int], int] = {}
    pairs: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for di, d in enumerate(snapshot.devices):
        rack = d.rack
        if rack is None or d.position is None or d.parent is not None:
            continue
        ri = dev.rack_index[rack]
        if ri not in recheck:
            continue
        u2, full = dev.tinfo.get(d.device_type, _NO_TYPE)[:2]
        if not u2:
            continue
        lo = int(d.position * 2)
        r = racks[ri]
        if lo < r.starting_unit * 2 or lo + u2 > (r.starting_unit + r.u_height) * 2:
            outside.append(di)
        if ri not in dev.conflicts:
            continue
        faces = (0, 1) if full else ((1,) if d.face == "rear" else (0,))
        for face in faces:
            for slot in range(lo, lo + u2):
                other = owner.setdefault((ri, slot, face), di)
                if other != di:
                    pairs.setdefault((other, di), []).append((slot, face))
    return [(a, b, where) for (a, b), where in pairs.items()], outside


def _with_bays(dev: _Devices) -> tuple[list[int], list[int]]:
    """Rack occupancy with devices in bays given a position (never checked for overlaps:
    their parent holds the units)."""
    rack_front, rack_rear = list(dev.occ_front), list(dev.occ_rear)
    for ri, mask, full, face in dev.in_bay:
        if full or face == "front":
            rack_front[ri] |= mask
        if full or face != "front":
            rack_rear[ri] |= mask
    return rack_front, rack_rear
