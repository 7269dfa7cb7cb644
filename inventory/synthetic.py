"""Seeded random data centres: for benchmarks and for randomized exactness tests.

`generate_snapshot(racks, devices, seed)` builds a whole data centre that NetBox itself
would accept: devices never overlap on the faces they occupy, never stick out of their
rack, 0U devices have no position, PDU outlets are fed by the PDU's own input, and every
port is cabled at most once. On top of that it mixes in everything the capacity rules
care about, with fixed probabilities (see `_CATALOGUE` and the constants below): half-U
and 0U devices, front and rear faces, full and half depth, excluded device types,
reservations, starting units other than 1, descending units, single- and three-phase
feeds, A/B and A-only racks, racks without feeds, PDU chains (some two levels deep; some
PDU inputs with a draw of their own, which NetBox then uses instead of the outlets'),
ports with both draws, with only a maximum, with nothing, and uncabled ports.

Same arguments, same snapshot: every random choice comes from one `random.Random(seed)`.
That is why this is one module of a little over 500 lines: the probabilities and the
one sequence of draws that uses them cannot be read (or changed) apart.

    python -m inventory.synthetic --racks 10000 --devices 200000   # prints time and memory
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import time
from dataclasses import dataclass
from itertools import accumulate
from typing import TypeVar

from inventory.errors import InputError
from inventory.model import (
    INT_MAX,
    UPS,
    Cluster,
    ClusterHost,
    Device,
    DeviceType,
    Genset,
    HostCapacity,
    Location,
    PowerFeed,
    PowerPanel,
    Rack,
    RackReservation,
    Site,
    Snapshot,
    Tenant,
    TenantGroup,
    Uplink,
    VirtualMachine,
)

T = TypeVar("T")

RACKS_PER_ROOM = 100
P_EMPTY_RACK = 0.03
P_UNPOSITIONED = 0.02  # a racked device without a position (NetBox allows it)
P_REAR = 0.25
P_HALF_POSITION = 0.08  # whole-unit devices mounted at a .5 position
P_RESERVATION = 0.10
P_RESERVATION_ANYWHERE = 0.3  # may cover units a device already occupies
P_THREE_PHASE = 0.08
P_UNCABLED_PORT = 0.03
P_SUB_PDU = 0.15  # a PDU fed from an outlet of the rack's A-side PDU
P_PDU_OWN_DRAW = 0.35  # the PDU input carries its own figure (NetBox then ignores outlets)
P_SUB_PDU_PORT = 0.4
PLACE_TRIES = 6


@dataclass(frozen=True)
class _Kind:
    key: str
    model: str
    u_height: float
    full_depth: bool
    role: str
    weight: float  # relative frequency among non-PDU devices
    excluded: bool = False
    psus: tuple[tuple[int, float], ...] = ()  # (count, probability); empty: no ports
    alloc_w: tuple[int, int] = (0, 0)  # allocated draw per port, uniform range
    subdevice_role: str | None = None


_SERVER_PSUS = ((1, 0.12), (2, 0.80), (4, 0.08))
_NET_PSUS = ((1, 0.4), (2, 0.6))
_CATALOGUE: tuple[_Kind, ...] = (
    _Kind("srv-1u", "Server 1U", 1, True, "server", 28, psus=_SERVER_PSUS, alloc_w=(80, 300)),
    _Kind("srv-2u", "Server 2U", 2, True, "server", 24, psus=_SERVER_PSUS, alloc_w=(100, 450)),
    _Kind("srv-4u", "Server 4U", 4, True, "server", 3, psus=_SERVER_PSUS, alloc_w=(200, 800)),
    _Kind("srv-1-5u", "Server 1.5U", 1.5, True, "server", 2, psus=_SERVER_PSUS,
          alloc_w=(80, 300)),
    _Kind("srv-1u-short", "Short-depth server 1U", 1, False, "server", 4, psus=_SERVER_PSUS,
          alloc_w=(60, 200)),
    _Kind("storage-3u", "Storage 3U", 3, True, "storage", 3, psus=_SERVER_PSUS,
          alloc_w=(150, 600)),
    _Kind("chassis-10u", "Blade chassis 10U", 10, True, "blade-chassis", 0.7,
          psus=((4, 0.5), (6, 0.5)), alloc_w=(300, 900)),
    _Kind("switch-1u", "Switch 1U", 1, False, "network", 9, psus=_NET_PSUS, alloc_w=(20, 150)),
    _Kind("appliance-0-5u", "Appliance 0.5U", 0.5, False, "network", 5, psus=((1, 1.0),),
          alloc_w=(10, 60)),
    _Kind("shelf-0-5u", "Shelf 0.5U", 0.5, True, "cable-management", 2),
    _Kind("organiser-0-5u", "Cable organiser 0.5U", 0.5, False, "cable-management", 1.5,
          excluded=True),
    _Kind("patch-1u", "Patch panel 1U", 1, False, "patch-panel", 7, excluded=True),
    _Kind("fibre-2u", "Fibre enclosure 2U", 2, True, "patch-panel", 1, excluded=True),
    _Kind("cable-0u", "Vertical cable manager 0U", 0, False, "cable-management", 3),
)
_PDU = _Kind("pdu-0u", "Rack PDU 0U", 0, False, "pdu", 0)
_KINDS = _CATALOGUE + (_PDU,)
_CUM_WEIGHTS = list(accumulate(k.weight for k in _CATALOGUE))

_RACK_HEIGHTS = ((42, 0.70), (47, 0.10), (48, 0.08), (45, 0.05), (24, 0.04), (52, 0.03))
_RACK_STATUSES = (("active", 0.88), ("planned", 0.04), ("reserved", 0.03),
                  ("available", 0.03), ("deprecated", 0.02))
_RACK_ROLES = (("colocation", 0.70), ("internal", 0.10), ("network", 0.10), (None, 0.10))
_DEVICE_STATUSES = (("active", 0.95), ("planned", 0.02), ("offline", 0.015),
                    ("staged", 0.01), ("failed", 0.005))
_DRAW_MODES = (("both", 0.70), ("max", 0.12), ("alloc", 0.05), ("none", 0.08), ("mixed", 0.05))
_SINGLE_VOLTAGES = ((230, 0.7), (220, 0.1), (240, 0.1), (208, 0.1))
_THREE_VOLTAGES = ((400, 0.7), (380, 0.15), (415, 0.15))
_AMPERAGES = ((16, 0.3), (32, 0.5), (20, 0.1), (63, 0.1))
_MAX_UTILIZATION = ((80, 0.7), (100, 0.1), (75, 0.1), (90, 0.1))
_FEED_STATUSES = (("active", 0.95), ("planned", 0.03), ("offline", 0.02))


def _randint(rng: random.Random, lo: int, hi: int) -> int:
    """Like rng.randint(lo, hi), several times faster (random() is C, randint is not)."""
    return lo + int(rng.random() * (hi - lo + 1))


def _pick(rng: random.Random, table: tuple[tuple[T, float], ...]) -> T:
    """One value from ((value, probability), ...)."""
    x = rng.random()
    for value, p in table:
        x -= p
        if x < 0:
            return value
    return table[-1][0]


class _RackPower:
    """The PDUs of one rack while its devices are plugged in."""

    def __init__(self, rack: str, feeds: dict[str, PowerFeed], pdu: bool, sub_pdu: bool):
        self.rack = rack
        self.feeds = feeds  # side -> feed
        self.pdu = pdu
        self.outlets: dict[str, list[str | None]] = {}  # PDU key -> feed leg per outlet
        self.pdu_side: dict[str, str] = {}
        if pdu:
            for side in feeds:
                key = f"{rack}-pdu-{side.lower()}"
                self.outlets[key] = []
                self.pdu_side[key] = side
        self.sub_pdu: str | None = None
        self.sub_pdu_outlet: dict[str, str] | None = None
        if pdu and sub_pdu and "A" in feeds:
            self.sub_pdu = f"{rack}-pdu-a2"
            self.outlets[self.sub_pdu] = []
            self.sub_pdu_outlet = self.plug(f"{rack}-pdu-a")

    def three_phase(self, pdu: str) -> bool:
        """Outlets of a PDU on a three-phase feed rotate over the legs; a PDU behind
        another PDU's outlet sits on one leg and has none."""
        side = self.pdu_side.get(pdu)
        return side is not None and self.feeds[side].phase == "three-phase"

    def plug(self, pdu: str) -> dict[str, str]:
        """The next outlet of `pdu` (an OutletRef as a dict)."""
        outlets = self.outlets[pdu]
        outlets.append("ABC"[len(outlets) % 3] if self.three_phase(pdu) else None)
        return {"device": pdu, "name": str(len(outlets))}

    def cable(self, rng: random.Random, side: str) -> dict[str, object]:
        if side not in self.feeds or rng.random() < P_UNCABLED_PORT:
            return {}
        if not self.pdu:
            return {"feed": self.feeds[side].key}
        if side == "A" and self.sub_pdu is not None and rng.random() < P_SUB_PDU_PORT:
            return {"outlet": self.plug(self.sub_pdu)}
        return {"outlet": self.plug(f"{self.rack}-pdu-{side.lower()}")}


def _ports(rng: random.Random, kind: _Kind, power: _RackPower | None) -> list[dict]:
    """Power ports as dicts: pydantic validates them inside the Device in one call,
    which is faster than building each PowerPort on its own."""
    if not kind.psus or power is None:
        return []
    count = _pick(rng, kind.psus)
    mode = _pick(rng, _DRAW_MODES)
    sides = list(power.feeds) or ["A"]
    ports = []
    lo, hi = kind.alloc_w
    for i in range(count):
        port_mode = _pick(rng, _DRAW_MODES[:4]) if mode == "mixed" else mode
        allocated = _randint(rng, lo, hi) if port_mode in ("both", "alloc") else None
        maximum = ((allocated or _randint(rng, lo, hi)) * 2
                   if port_mode in ("both", "max") else None)
        # PSUs alternate between the sides: PSU1 on A, PSU2 on B, ...
        side = sides[i % len(sides)]
        ports.append({"name": f"PSU{i + 1}", "allocated_draw": allocated,
                      "maximum_draw": maximum, **power.cable(rng, side)})
    return ports


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` spread over `parts` with random weights (a few parts get nothing)."""
    weights = [0.0 if rng.random() < P_EMPTY_RACK else rng.uniform(0.3, 1.7)
               for _ in range(parts)]
    if not any(weights):
        weights = [1.0] * parts
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    short = total - sum(counts)
    cum = list(accumulate(weights))
    for i in rng.choices(range(parts), cum_weights=cum, k=short):
        counts[i] += 1
    return counts


def generate_snapshot(racks: int, devices: int, seed: int = 0, *, sites: int = 1,
                      pdu_racks: int | None = None, with_power: bool = True,
                      prefix: str = "") -> Snapshot:
    """A random but NetBox-valid data centre of `racks` racks and `devices` devices
    (PDUs included), spread over `sites` sites; `pdu_racks` racks power their devices
    through PDUs (default: about 40 %), the others cable them straight to the feeds.
    Without power, there are no panels, feeds, UPS, gensets, PDUs or power ports.

    `prefix` goes in front of every name NetBox wants unique beyond one site (sites,
    tenants, the tenant group), so several generated data centres can share one NetBox."""
    # A million small objects and no garbage: the cyclic collector would only walk the
    # growing heap again and again (it tripled the time at 200,000 devices).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(racks, devices, seed, sites, pdu_racks, with_power, prefix)
    finally:
        if enabled:
            gc.enable()


def _generate(racks: int, devices: int, seed: int, sites: int, pdu_racks: int | None,
              with_power: bool, prefix: str) -> Snapshot:
    if racks < 1:
        raise InputError(f"racks must be at least 1, not {racks}")
    if devices < 0:
        raise InputError(f"devices must not be negative, not {devices}")
    if not 1 <= sites <= racks:
        raise InputError(f"sites must be between 1 and the number of racks ({racks}), not {sites}")
    if not with_power:
        if pdu_racks:
            raise InputError("pdu_racks needs with_power=True")
        pdu_racks = 0
    elif pdu_racks is None:
        pdu_racks = min(round(racks * 0.4), devices // 8)
    if not 0 <= pdu_racks <= racks:
        raise InputError(f"pdu_racks must be between 0 and {racks}, not {pdu_racks}")
    rng = random.Random(seed)

    # ---- sites, rooms, tenants, device types
    site_list = [Site(key=f"{prefix}site-{i + 1:02d}",
                      name=f"{prefix}Synthetic site {i + 1}") for i in range(sites)]
    rack_site = [site_list[i * sites // racks].key for i in range(racks)]
    locations: list[Location] = []
    rack_location: list[str] = []
    per_site: dict[str, int] = {}
    for site in rack_site:
        n = per_site.get(site, 0)
        per_site[site] = n + 1
        if n % RACKS_PER_ROOM == 0:
            locations.append(Location(key=f"{site}-room-{n // RACKS_PER_ROOM + 1}",
                                      name=f"Room {n // RACKS_PER_ROOM + 1}", site=site))
        rack_location.append(locations[-1].key)
    group = TenantGroup(key=f"{prefix}synthetic", name=f"{prefix}Synthetic agencies")
    tenants = [Tenant(key=f"{prefix}tenant-{i:04d}", name=f"{prefix}Agency {i:04d}",
                      group=group.key)
               for i in range(max(10, min(2000, racks // 20)))]
    tenant_keys = [t.key for t in tenants]
    device_types = [DeviceType(key=k.key, slug=k.key, manufacturer="Synthetic", model=k.model,
                               u_height=k.u_height, is_full_depth=k.full_depth,
                               exclude_from_utilization=k.excluded,
                               subdevice_role=k.subdevice_role) for k in _KINDS]

    # ---- power infrastructure: per room a redundant UPS pair on its own genset and A/B
    # panels, sized like a real build-out (a room of 100 racks on one UPS pair), so that
    # a large synthetic data centre still has headroom for a placement benchmark.
    panels: list[PowerPanel] = []
    ups_list: list[UPS] = []
    gensets: list[Genset] = []
    if with_power:
        for loc in locations:
            gensets.append(Genset(key=f"{loc.key}-genset", name=f"GENSET-{loc.name}", site=loc.site,
                                  rated_va=2_000_000, other_loads_va=150_000))
            for side in "AB":
                ups_list.append(UPS(key=f"{loc.key}-ups-{side.lower()}", name=f"UPS-{side}-{loc.name}",
                                    site=loc.site, rated_va=1_200_000, genset=gensets[-1].key,
                                    redundancy_group=f"{loc.key}-ups"))
                panels.append(PowerPanel(key=f"{loc.key}-pp-{side.lower()}",
                                         name=f"PP-{side}-{loc.name}", site=loc.site,
                                         location=loc.key, ups=f"{loc.key}-ups-{side.lower()}"))

    # ---- racks and their feeds
    pdu_set = set(rng.sample(range(racks), pdu_racks))
    rack_list: list[Rack] = []
    feeds: list[PowerFeed] = []
    rack_power: list[_RackPower | None] = []
    n_pdus = 0
    for i in range(racks):
        key = f"R{i + 1:05d}"
        height = _pick(rng, _RACK_HEIGHTS)
        rack_list.append(Rack(
            key=key, name=key, site=rack_site[i], location=rack_location[i],
            u_height=height,
            starting_unit=1 if rng.random() < 0.9 else rng.randint(2, 10),
            desc_units=rng.random() < 0.1,
            status=_pick(rng, _RACK_STATUSES), role=_pick(rng, _RACK_ROLES),
            tenant=rng.choice(tenant_keys) if rng.random() < 0.05 else None,
            max_weight_kg=rng.choice([800, 1000, 1200, 1500]) if rng.random() < 0.6 else None,
        ))
        if not with_power:
            rack_power.append(None)
            continue
        x = rng.random()
        sides = "AB" if x < 0.86 or (i in pdu_set and x < 0.95) else "A" if (
            x < 0.93 or i in pdu_set) else ""
        rack_feeds: dict[str, PowerFeed] = {}
        three = rng.random() < P_THREE_PHASE
        for side in sides:
            phase_three = three and (side == "A" or rng.random() < 0.5)
            feed = PowerFeed(
                key=f"{key}-{side}", name=f"{key}-{side}",
                panel=f"{rack_location[i]}-pp-{side.lower()}", rack=key,
                status=_pick(rng, _FEED_STATUSES),
                type="primary" if side == "A" else "redundant",
                phase="three-phase" if phase_three else "single-phase",
                voltage=_pick(rng, _THREE_VOLTAGES if phase_three else _SINGLE_VOLTAGES),
                amperage=_pick(rng, _AMPERAGES), max_utilization=_pick(rng, _MAX_UTILIZATION),
            )
            feeds.append(feed)
            rack_feeds[side] = feed
        power = _RackPower(key, rack_feeds, i in pdu_set, rng.random() < P_SUB_PDU)
        n_pdus += len(power.outlets)
        rack_power.append(power)
    if n_pdus > devices:
        raise InputError(f"{pdu_racks} racks with PDUs need {n_pdus} PDU devices, "
                         f"more than the {devices} devices asked for")

    # ---- devices, rack by rack, never overlapping on the faces they occupy
    device_list: list[Device] = []
    counts = _split(rng, devices - n_pdus, racks)
    reservations: list[RackReservation] = []
    for r, rack in enumerate(rack_list):
        power = rack_power[r]
        slots = rack.u_height * 2
        front = bytearray(slots)
        rear = bytearray(slots)
        kinds = rng.choices(_CATALOGUE, cum_weights=_CUM_WEIGHTS, k=counts[r])
        for j, kind in enumerate(kinds):
            position = face = None
            h2 = int(kind.u_height * 2)
            if h2 and rng.random() >= P_UNPOSITIONED:
                face = "rear" if rng.random() < P_REAR else "front"
                faces = (front, rear) if kind.full_depth else (front if face == "front" else rear,)
                whole = h2 % 2 == 0 and rng.random() >= P_HALF_POSITION
                slot = _find_slot(rng, faces, slots, h2, whole)
                if slot is None:
                    face = None
                else:
                    for occ in faces:
                        occ[slot:slot + h2] = b"\x01" * h2
                    position = rack.starting_unit + slot / 2
            device_list.append(Device(
                key=f"{rack.key}-{j + 1:03d}", name=f"{rack.key}-{j + 1:03d}",
                device_type=kind.key, site=rack.site, rack=rack.key, position=position,
                face=face, status=_pick(rng, _DEVICE_STATUSES), role=kind.role,
                tenant=rng.choice(tenant_keys) if rng.random() < 0.85 else None,
                serial=f"SN-{r + 1}-{j + 1}",
                power_ports=_ports(rng, kind, power),
                custom_fields={"bandwidth_mbps": rng.choice([10, 20, 50, 100])}
                if kind.role == "server" and rng.random() < 0.5 else {},
            ))
        if power is not None:
            device_list.extend(_pdus(rng, rack, power))
        if rng.random() < P_RESERVATION:
            reservations.extend(_reservations(rng, rack, front, rear, tenant_keys))

    # ---- uplinks, and a hosting cluster per site on its first four servers
    uplinks: list[Uplink] = []
    clusters: list[Cluster] = []
    hosts_by_site: dict[str, list[str]] = {s.key: [] for s in site_list}
    for d in device_list:
        if d.role == "server" and d.position is not None and len(hosts_by_site[d.site]) < 4:
            hosts_by_site[d.site].append(d.key)
    for site in site_list:
        # uplinks sized to the site's allocations (2:1 over them), at least 2 + 1 Gbps
        allocated_kbps = sum(int(d.custom_fields.get("bandwidth_mbps", 0)) * 1000
                             for d in device_list if d.site == site.key)
        main_kbps = max(2_000_000, allocated_kbps)
        circuits: list[tuple[str, int]] = []
        for provider, kbps in (("Telkom Indonesia", main_kbps), ("Lintasarta", max(1_000_000, main_kbps // 2))):
            # a commit rate above NetBox's integer field is bought as several circuits
            parts = -(-kbps // INT_MAX)
            circuits += [(provider, kbps // parts + (1 if i < kbps % parts else 0)) for i in range(parts)]
        for n, (provider, kbps) in enumerate(circuits):
            # circuit IDs are unique per provider in NetBox, so the site is part of the name
            uplinks.append(Uplink(key=f"{site.key}-uplink-{n + 1}",
                                  name=f"{site.key.upper()}-UPLINK-{n + 1}",
                                  site=site.key, provider=provider, commit_kbps=kbps))
        hosts = [ClusterHost(device=h, capacity=HostCapacity(
            vcpus=rng.choice([32, 64, 96]), memory_gb=rng.choice([256, 512, 768]),
            disk_gb=rng.choice([4000, 8000]))) for h in hosts_by_site[site.key]]
        vms = [VirtualMachine(key=f"{site.key}-vm-{n:03d}", name=f"vm-{n:03d}",
                              tenant=rng.choice(tenant_keys), vcpus=rng.choice([1, 2, 4, 8]),
                              memory_mb=rng.choice([2, 4, 8, 16]) * 1024,
                              disk_gb=rng.choice([40, 80, 200]))
               for n in range(20)]
        clusters.append(Cluster(key=f"{site.key}-cluster", name=f"Hosting {site.name}",
                                site=site.key, hosts=hosts, vms=vms))

    # Every object above was validated on construction with its key set; the snapshot
    # itself is assembled without re-checking 200,000 cross references (tests do that).
    return Snapshot.model_construct(
        source="synthetic", taken_at=None, sites=site_list, locations=locations,
        tenant_groups=[group], tenants=tenants, racks=rack_list, device_types=device_types,
        devices=device_list, reservations=reservations, power_panels=panels,
        power_feeds=feeds, ups=ups_list, gensets=gensets, uplinks=uplinks, clusters=clusters,
        commitments=[],
    )


def _find_slot(rng: random.Random, faces: tuple[bytearray, ...], slots: int, h2: int,
               whole: bool) -> int | None:
    """A free run of h2 half units on every face in `faces`: a few random tries, then
    the lowest run that fits. `whole` keeps the start on a whole unit."""
    last = slots - h2
    if last < 0:
        return None
    first = faces[0]
    other = faces[1] if len(faces) > 1 else first
    for _ in range(PLACE_TRIES):
        slot = int(rng.random() * (last + 1))
        if whole:
            slot -= slot % 2
        end = slot + h2
        if first.find(1, slot, end) == -1 and other.find(1, slot, end) == -1:
            return slot
    both = first if other is first else bytes(a | b for a, b in zip(first, other))
    need = b"\x00" * h2
    slot = both.find(need)
    while slot != -1 and whole and slot % 2:
        slot = both.find(need, slot + 1)
    return None if slot == -1 else slot


def _pdus(rng: random.Random, rack: Rack, power: _RackPower) -> list[Device]:
    out = []
    for pdu, legs in power.outlets.items():
        legs = legs + [None] * rng.randint(0, 3)  # spare outlets
        if power.three_phase(pdu):
            legs = ["ABC"[n % 3] for n in range(len(legs))]
        allocated = maximum = None
        if rng.random() < P_PDU_OWN_DRAW:
            allocated = rng.randint(500, 3000) if rng.random() < 0.7 else None
            maximum = (allocated or rng.randint(500, 3000)) * 2
        if pdu == power.sub_pdu:
            peer: dict[str, object] = {"outlet": power.sub_pdu_outlet}
        else:
            peer = {"feed": power.feeds[power.pdu_side[pdu]].key}
        out.append(Device(
            key=pdu, name=pdu, device_type=_PDU.key, site=rack.site, rack=rack.key,
            role="pdu", serial=f"PDU-{pdu}",
            power_ports=[{"name": "INPUT", "allocated_draw": allocated,
                          "maximum_draw": maximum, **peer}],
            power_outlets=[{"name": str(n + 1), "power_port": "INPUT", "feed_leg": leg}
                           for n, leg in enumerate(legs)],
        ))
    return out


def _reservations(rng: random.Random, rack: Rack, front: bytearray, rear: bytearray,
                  tenant_keys: list[str]) -> list[RackReservation]:
    out = []
    taken: set[int] = set()
    for _ in range(rng.randint(1, 2)):
        size = rng.randint(1, min(4, rack.u_height))
        anywhere = rng.random() < P_RESERVATION_ANYWHERE
        starts = [u for u in range(rack.u_height - size + 1)
                  if not taken.intersection(range(u, u + size))
                  and (anywhere or not any(front[2 * u:2 * (u + size)])
                       and not any(rear[2 * u:2 * (u + size)]))]
        if not starts:
            continue
        first = rng.choice(starts)
        units = list(range(first, first + size))
        taken.update(units)
        numbers = [rack.starting_unit + u for u in units]
        out.append(RackReservation(
            key=f"{rack.key}:{','.join(map(str, numbers))}", rack=rack.key, units=numbers,
            tenant=rng.choice(tenant_keys) if rng.random() < 0.8 else None,
            description="synthetic reservation",
        ))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the synthetic data-centre generator.")
    parser.add_argument("--racks", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sites", type=int, default=1)
    parser.add_argument("--pdu-racks", type=int, default=None)
    parser.add_argument("--no-power", action="store_true")
    args = parser.parse_args(argv)
    start, cpu = time.perf_counter(), time.process_time()
    s = generate_snapshot(args.racks, args.devices, args.seed, sites=args.sites,
                          pdu_racks=args.pdu_racks, with_power=not args.no_power)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    # ru_maxrss is in KiB on Linux; tracemalloc would slow generation several times over
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ports = sum(len(d.power_ports) for d in s.devices)
    outlets = sum(len(d.power_outlets) for d in s.devices)
    print(f"generated {len(s.racks)} racks, {len(s.devices)} devices, {ports} power ports, "
          f"{outlets} outlets, {len(s.power_feeds)} feeds, {len(s.reservations)} reservations "
          f"in {elapsed:.2f} s wall, {cpu:.2f} s CPU; peak RSS {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
