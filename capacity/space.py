"""Rack space: NetBox-exact utilization and the stricter placeable space, per face.

Everything works on half units. Half unit `i` of a rack is unit
`starting_unit + i / 2` (the same set of units whether the rack counts its units
ascending or descending: `desc_units` only changes how NetBox draws the rack). A rack's
occupancy is three bit masks over its `2 * u_height` half units, bit `i` set when half
unit `i` is taken:

* `front` / `rear`: a racked device's units on its face, on both faces when its type is
  full depth; devices of types excluded from utilization (patch panels) occupy too;
* `reserved`: units of rack reservations, on both faces.

NetBox's own `Rack.get_utilization()` is computed beside it from a fourth mask, `nb_used`
(devices at position >= 1 whose type is not excluded from utilization, on either face,
as NetBox's `get_available_units(rack_face=None, ignore_excluded_devices=True)` counts
them), so the percentage matches NetBox float for float.

The masks are built once per snapshot (`build_space_index`) with one pass over the
devices; placement queries (capacity/fit.py) then only read them.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import Iterator, Literal

from capacity.policy import Policy
from capacity.results import RackSpace
from inventory.model import Rack, Snapshot

Mode = Literal["both", "front", "rear"]
MODES: tuple[Mode, ...] = ("both", "front", "rear")


@dataclass
class RackOccupancy:
    """One rack's half-unit masks and the facts placement needs about it."""

    key: str
    name: str
    site: str
    tenant: str | None
    status: str
    role: str | None
    starting_unit: int
    u_height: int
    front: int  # half units taken on the front face (bit i = half unit i)
    rear: int
    reserved: int  # reserved half units (both faces)
    nb_used: int  # half units NetBox counts as occupied by devices (get_available_units)
    weight_kg: float | None  # known weight of the rack's devices (None: none known)
    devices_without_weight: int  # devices in the rack whose type has no weight
    max_weight_kg: float | None
    open_for_colocation: bool
    closed_reason: str | None
    in_use: bool  # holds a racked device that counts for utilization (not just patch panels)
    # Filled by `summarise`: per mode, free half units and the sorted lengths of free runs
    # (half-unit aligned, and whole-unit aligned), so a query ranks racks with a bisect.
    free_half: dict[str, int] | None = None
    run_lengths: dict[tuple[str, bool], tuple[int, ...]] | None = None
    sort_key: tuple = ()  # natural order of the name (R2 before R10), then the key

    def summarise(self) -> None:
        """Free counts and free-run lengths per mode (string splitting runs in C)."""
        even = _even_mask(self.half_units)
        self.free_half = {}
        self.run_lengths = {}
        done: dict[int, tuple[int, tuple[int, ...], tuple[int, ...]]] = {}
        full = (1 << self.half_units) - 1
        front, rear, reserved = self.front, self.rear, self.reserved
        for mode, taken in (("both", front | rear), ("front", front), ("rear", rear)):
            free = full & ~(taken | reserved)
            summary = done.get(free)  # front and rear often equal "both" (full-depth kit)
            if summary is None:
                half = tuple(sorted(map(len, filter(None, format(free, "b").split("0")))))
                # whole unit k is free when half units 2k and 2k+1 are: keep the even bit
                # of each free pair, read every other character from bit 0 up
                pairs = format(free & (free >> 1) & even, "b")[::-1][0::2]
                whole = tuple(sorted(2 * len(r) for r in pairs.split("0") if r))
                summary = done[free] = (free.bit_count(), half, whole)
            self.free_half[mode] = summary[0]
            self.run_lengths[(mode, False)] = summary[1]
            self.run_lengths[(mode, True)] = summary[2]

    @property
    def half_units(self) -> int:
        return 2 * self.u_height

    @property
    def full(self) -> int:
        return (1 << self.half_units) - 1

    def free_mask(self, mode: Mode, front: int | None = None, rear: int | None = None) -> int:
        """Free, unreserved half units on the faces of `mode` ("both" = free on both faces).

        `front`/`rear` override the rack's own masks (a placement's simulated state).
        """
        f = self.front if front is None else front
        r = self.rear if rear is None else rear
        if mode == "both":
            taken = f | r
        elif mode == "front":
            taken = f
        else:
            taken = r
        return self.full & ~(taken | self.reserved)

    def unit_of(self, half_index: int) -> float:
        return self.starting_unit + half_index / 2


@dataclass
class SpaceIndex:
    """Occupancy of every rack of one snapshot, built once, read by placement queries."""

    racks: dict[str, RackOccupancy]
    headroom_u: float
    policy_key: tuple = ()  # the policy settings the masks and openness depend on
    _snapshot_ref: "weakref.ReferenceType[Snapshot] | None" = None
    _counts: tuple[int, int, int] = (0, 0, 0)

    def belongs_to(self, snapshot: Snapshot) -> bool:
        """True if built from this very snapshot object, unchanged in size since.

        (A snapshot edited in place without changing its counts is not detected: treat
        snapshots as immutable once computed, as every caller in this project does.)
        """
        ref = self._snapshot_ref() if self._snapshot_ref is not None else None
        return ref is snapshot and self._counts == _counts(snapshot)


class SpaceMap(dict):  # type: ignore[type-arg]
    """`compute_space`'s result: rack key -> RackSpace, carrying the SpaceIndex it came from.

    A plain dict for every reader; `capacity.fit.check_fit` picks `index` up from
    `CapacityResult.space` so a placement query never rebuilds occupancy.
    """

    index: SpaceIndex | None = None


# --------------------------------------------------------------------------- masks


def span_mask(rack_start: int, half_units: int, position: float, u_height: float) -> int:
    """Bits of the half units from `position` up `u_height` units, clipped to the rack.

    Units outside the rack are ignored, as NetBox's `units.remove` ignores them.
    """
    n = int(round(u_height * 2))
    if n <= 0:
        return 0
    lo = int(round((position - rack_start) * 2))
    hi = lo + n
    lo, hi = max(lo, 0), min(hi, half_units)
    if lo >= hi:
        return 0
    return ((1 << (hi - lo)) - 1) << lo


def runs(mask: int) -> Iterator[tuple[int, int]]:
    """(start, length) of every run of set bits, lowest start first."""
    while mask:
        start = (mask & -mask).bit_length() - 1
        shifted = mask >> start
        length = (shifted ^ (shifted + 1)).bit_length() - 1
        yield start, length
        mask &= ~(((1 << length) - 1) << start)


def aligned_runs(mask: int, whole_units: bool) -> Iterator[tuple[int, int]]:
    """Runs usable for a device; for whole-unit devices trimmed to start on a whole unit.

    Half index 0 is `starting_unit`, a whole unit, so whole units are the even indexes.
    A 1U server at U10.5 is legal in NetBox but not how rails are mounted, so
    whole-unit servers are only placed on whole units.
    """
    for start, length in runs(mask):
        if whole_units and start % 2:
            start, length = start + 1, length - 1
        if whole_units:
            length -= length % 2
        if length > 0:
            yield start, length


_EVEN: dict[int, int] = {}


def _even_mask(n: int) -> int:
    """Bits 0, 2, 4, ... below n."""
    mask = _EVEN.get(n)
    if mask is None:
        mask = _EVEN[n] = int("01" * (n // 2 + 1), 2) & ((1 << n) - 1)
    return mask


def natural_key(text: str) -> tuple:
    """Sort `R2` before `R10`."""
    return tuple(int(p) if p.isdigit() else p.lower() for p in _DIGITS.split(text))


_DIGITS = re.compile(r"(\d+)")


def popcount(mask: int) -> int:
    return mask.bit_count()


def face_counts(occ: RackOccupancy, face: Literal["front", "rear"]) -> tuple[int, int, int]:
    """(free, used, reserved) half units of one face: used = taken by devices on it,
    reserved = reserved and not used, free = the rest. They add up to 2 * u_height."""
    taken = occ.front if face == "front" else occ.rear
    used = popcount(taken)
    reserved = popcount(occ.reserved & ~taken)
    free = popcount(occ.free_mask(face))
    return free, used, reserved


# --------------------------------------------------------------------------- build


def _counts(snapshot: Snapshot) -> tuple[int, int, int]:
    return (len(snapshot.racks), len(snapshot.devices), len(snapshot.reservations))


def _policy_key(policy: Policy) -> tuple:
    roles = tuple(policy.open_rack_roles) if policy.open_rack_roles is not None else None
    return (tuple(policy.open_rack_statuses), roles, policy.rack_headroom_u)


def rack_openness(rack: Rack, policy: Policy) -> tuple[bool, str | None]:
    """Is a rack open for co-location under the policy, and if not, why."""
    statuses = {s.lower() for s in policy.open_rack_statuses}
    if rack.status.lower() not in statuses:
        allowed = ", ".join(policy.open_rack_statuses) or "none"
        return False, f"status {rack.status!r} is not open for co-location (open: {allowed})"
    if policy.open_rack_roles is not None:
        roles = {r.lower() for r in policy.open_rack_roles}
        if rack.role is None:
            return False, "rack has no role (open roles: " + (", ".join(policy.open_rack_roles) or "none") + ")"
        if rack.role.lower() not in roles:
            allowed = ", ".join(policy.open_rack_roles) or "none"
            return False, f"role {rack.role!r} is not open for co-location (open: {allowed})"
    return True, None


def build_space_index(snapshot: Snapshot, policy: Policy) -> SpaceIndex:
    """Occupancy masks of every rack, from one pass over devices and reservations."""
    racks: dict[str, RackOccupancy] = {}
    openness: dict[tuple[str, str | None], tuple[bool, str | None]] = {}
    for rack in snapshot.racks:
        verdict = openness.get((rack.status, rack.role))
        if verdict is None:
            verdict = openness[(rack.status, rack.role)] = rack_openness(rack, policy)
        is_open, why = verdict
        racks[rack.key] = RackOccupancy(
            key=rack.key, name=rack.name, site=rack.site, tenant=rack.tenant,
            status=rack.status, role=rack.role,
            starting_unit=rack.starting_unit, u_height=rack.u_height,
            front=0, rear=0, reserved=0, nb_used=0,
            weight_kg=None, devices_without_weight=0, max_weight_kg=rack.max_weight_kg,
            open_for_colocation=is_open, closed_reason=why, in_use=False,
        )

    # Per type: (half units, full depth, counted by NetBox, weight).
    tinfo: dict[str, tuple[int, bool, bool, float | None]] = {
        t.key: (int(round(t.u_height * 2)), t.is_full_depth, not t.exclude_from_utilization, t.weight_kg)
        for t in snapshot.device_types
    }
    # Accumulate in local dicts (one pass over possibly 200,000 devices), then store.
    front: dict[str, int] = dict.fromkeys(racks, 0)
    rear: dict[str, int] = dict.fromkeys(racks, 0)
    nb_used: dict[str, int] = dict.fromkeys(racks, 0)
    weight: dict[str, float] = {}
    no_weight: dict[str, int] = dict.fromkeys(racks, 0)
    geometry = {k: (2 * o.starting_unit, 2 * o.u_height) for k, o in racks.items()}
    no_type = (0, True, False, None)
    for device in snapshot.devices:
        rk = device.rack
        geo = geometry.get(rk) if rk is not None else None
        if geo is None:
            continue
        n, full_depth, counted, w = tinfo.get(device.device_type, no_type)
        # Weight: every device assigned to the rack, racked or not (NetBox's total_weight).
        if w is not None:
            weight[rk] = weight.get(rk, 0.0) + w
        else:
            no_weight[rk] += 1
        pos = device.position
        if pos is None or n <= 0:
            continue  # unracked, 0U or child device: no units
        lo = int(pos * 2) - geo[0]
        hi = lo + n
        if lo < 0:
            lo = 0
        if hi > geo[1]:
            hi = geo[1]
        if lo >= hi:
            continue  # outside the rack: NetBox's units.remove ignores such units too
        bits = ((1 << (hi - lo)) - 1) << lo
        if full_depth:
            front[rk] |= bits
            rear[rk] |= bits
        elif device.face == "front":
            front[rk] |= bits
        else:
            rear[rk] |= bits
        # NetBox's get_available_units(ignore_excluded_devices=True): position >= 1, any
        # face, any status, types excluded from utilization left out.
        if counted and pos >= 1:
            nb_used[rk] |= bits
    for rk, occ in racks.items():
        occ.front, occ.rear, occ.nb_used = front[rk], rear[rk], nb_used[rk]
        occ.in_use = bool(occ.nb_used)
        occ.weight_kg = weight.get(rk)
        occ.devices_without_weight = no_weight[rk]

    for res in snapshot.reservations:
        occ = racks.get(res.rack)
        if occ is None:
            continue
        for unit in res.units:
            occ.reserved |= span_mask(occ.starting_unit, occ.half_units, unit, 1)

    for occ in racks.values():
        occ.summarise()
        occ.sort_key = (natural_key(occ.name), occ.key)

    index = SpaceIndex(racks=racks, headroom_u=policy.rack_headroom_u, policy_key=_policy_key(policy))
    index._snapshot_ref = weakref.ref(snapshot)
    index._counts = _counts(snapshot)
    return index


# --------------------------------------------------------------------------- figures


def netbox_utilization_pct(occ: RackOccupancy) -> float:
    """Rack.get_utilization(): (device or reserved half units) / all half units * 100.

    Same operations in the same order as NetBox, so the float is identical.
    """
    total_units = occ.half_units
    occupied_unit_count = popcount(occ.nb_used | occ.reserved)
    return float(occupied_unit_count) / total_units * 100


def rack_space(occ: RackOccupancy, headroom_u: float) -> RackSpace:
    """The RackSpace figures of one rack (placeable figures net of the policy headroom)."""
    headroom_half = int(round(headroom_u * 2))
    if occ.free_half is None or occ.run_lengths is None:
        occ.summarise()
    assert occ.free_half is not None and occ.run_lengths is not None
    values: dict[str, tuple[float, float]] = {}
    for mode in MODES:
        free_half = max(occ.free_half[mode] - headroom_half, 0)
        lengths = occ.run_lengths[(mode, False)]
        block_half = min(lengths[-1] if lengths else 0, free_half)
        values[mode] = (free_half / 2, block_half / 2)
    return RackSpace(
        key=occ.key,
        site=occ.site,
        name=occ.name,
        u_height=occ.u_height,
        status=occ.status,
        role=occ.role,
        tenant=occ.tenant,
        utilization_pct=netbox_utilization_pct(occ),
        used_u=popcount(occ.nb_used) / 2,
        reserved_u=popcount(occ.reserved & ~occ.nb_used) / 2,
        free_u=values["both"][0],
        free_u_front=values["front"][0],
        free_u_rear=values["rear"][0],
        largest_free_block_u=values["both"][1],
        largest_free_block_front_u=values["front"][1],
        largest_free_block_rear_u=values["rear"][1],
        weight_kg=round(occ.weight_kg, 3) if occ.weight_kg is not None else None,
        max_weight_kg=occ.max_weight_kg,
        open_for_colocation=occ.open_for_colocation,
        closed_reason=occ.closed_reason,
    )


def compute_space(snapshot: Snapshot, policy: Policy | None = None) -> dict[str, RackSpace]:
    """Space figures of every rack, keyed by rack key (a SpaceMap carrying its index)."""
    policy = policy or Policy()
    index = build_space_index(snapshot, policy)
    out = SpaceMap()
    for key, occ in index.racks.items():
        out[key] = rack_space(occ, index.headroom_u)
    out.index = index
    return out


def space_index_for(snapshot: Snapshot, policy: Policy, space: dict[str, RackSpace] | None) -> SpaceIndex:
    """The SpaceIndex of `space` if it was built from this snapshot and headroom, else a new one."""
    index = getattr(space, "index", None)
    if (
        isinstance(index, SpaceIndex)
        and index.belongs_to(snapshot)
        and index.policy_key == _policy_key(policy)
    ):
        return index
    return build_space_index(snapshot, policy)
