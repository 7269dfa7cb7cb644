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

The masks are built once per snapshot (`build_space_index`) from the device scan shared
with power and the findings (capacity/scan.py); placement queries (capacity/fit.py and
the fit_* modules) then only read them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Iterator, Literal

from capacity.policy import Policy
from capacity.results import RackSpace
from capacity.scan import DeviceScan, scan_devices
from inventory.model import Rack, Snapshot
from inventory.names import natural_key

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
                # whole unit k is free when half units 2k and 2k+1 are: keep the even bit
                # of each free pair, read every other character from bit 0 up, and write
                # each free unit as two half units so the lengths come out in half units
                pairs = format(free & (free >> 1) & even, "b")[::-1][0::2]
                summary = done[free] = (free.bit_count(), _run_lengths(format(free, "b")),
                                        _run_lengths(pairs.replace("1", "11")))
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


def _run_lengths(bits: str) -> tuple[int, ...]:
    """Sorted lengths of the runs of "1" in a string of bits."""
    return tuple(sorted(map(len, filter(None, bits.split("0")))))


def _even_mask(n: int) -> int:
    """Bits 0, 2, 4, ... below n."""
    mask = _EVEN.get(n)
    if mask is None:
        mask = _EVEN[n] = int("01" * (n // 2 + 1), 2) & ((1 << n) - 1)
    return mask


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


def build_space_index(snapshot: Snapshot, policy: Policy, scan: DeviceScan | None = None) -> SpaceIndex:
    """Occupancy masks of every rack, from the shared device scan and the reservations.

    `scan` (from `capacity.scan.scan_devices`) saves the pass over the devices when the
    caller shares it with power, bandwidth and the findings.
    """
    if scan is None:
        scan = scan_devices(snapshot)
    racks: dict[str, RackOccupancy] = {}
    openness: dict[tuple[str, str | None], tuple[bool, str | None]] = {}
    front, rear, nb_used = scan.rack_front, scan.rack_rear, scan.rack_nb_used
    weight, no_weight = scan.rack_weight_kg, scan.rack_no_weight
    for ri, rack in enumerate(snapshot.racks):
        verdict = openness.get((rack.status, rack.role))
        if verdict is None:
            verdict = openness[(rack.status, rack.role)] = rack_openness(rack, policy)
        is_open, why = verdict
        # the scan's masks count from unit 0: the rack's view starts at its first unit and
        # drops what lies outside it, as NetBox's `units.remove` ignores such units
        shift = 2 * rack.starting_unit
        full = (1 << (2 * rack.u_height)) - 1
        used = (nb_used[ri] >> shift) & full
        racks[rack.key] = RackOccupancy(
            key=rack.key, name=rack.name, site=rack.site, tenant=rack.tenant,
            status=rack.status, role=rack.role,
            starting_unit=rack.starting_unit, u_height=rack.u_height,
            front=(front[ri] >> shift) & full, rear=(rear[ri] >> shift) & full,
            reserved=0, nb_used=used,
            weight_kg=weight[ri], devices_without_weight=no_weight[ri],
            max_weight_kg=rack.max_weight_kg,
            open_for_colocation=is_open, closed_reason=why, in_use=bool(used),
        )

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
    fh, rl = occ.free_half, occ.run_lengths
    free_both = max(fh["both"] - headroom_half, 0)
    free_front = max(fh["front"] - headroom_half, 0)
    free_rear = max(fh["rear"] - headroom_half, 0)
    run_both, run_front, run_rear = rl[("both", False)], rl[("front", False)], rl[("rear", False)]
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
        free_u=free_both / 2,
        free_u_front=free_front / 2,
        free_u_rear=free_rear / 2,
        # the largest free run, at most the free units net of the headroom
        largest_free_block_u=min(run_both[-1] if run_both else 0, free_both) / 2,
        largest_free_block_front_u=min(run_front[-1] if run_front else 0, free_front) / 2,
        largest_free_block_rear_u=min(run_rear[-1] if run_rear else 0, free_rear) / 2,
        weight_kg=round(occ.weight_kg, 3) if occ.weight_kg is not None else None,
        max_weight_kg=occ.max_weight_kg,
        open_for_colocation=occ.open_for_colocation,
        closed_reason=occ.closed_reason,
    )


def compute_space(snapshot: Snapshot, policy: Policy | None = None,
                  scan: DeviceScan | None = None) -> dict[str, RackSpace]:
    """Space figures of every rack, keyed by rack key (a SpaceMap carrying its index)."""
    policy = policy or Policy()
    index = build_space_index(snapshot, policy, scan)
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
