"""Result types of the capacity maths: plain dataclasses, the contract between modules.

Field names carry units (`_va`, `_w`, `_u`, `_kbps`, `_mbps`, `_gb`). Percentages are floats
in 0..100 (or above when overloaded). `None` means "not known" (no data), never zero.
Power: `_w` is real power (draw as NetBox records it, in watts), `_va` apparent power
(W / power factor), which is what feeds and the VA ratings of UPSs and gensets carry;
the NetBox-exact figures (`available_va`, `allocated_va`, `power_utilization_pct`) are
NetBox's own and keep its units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Finding:
    """A data-quality or safety observation a person should act on."""

    kind: str  # e.g. "no_draw_data", "uncabled_feed", "rack_without_feeds", "overlap"
    severity: str  # "warning" | "error"
    object: str  # human name of what it is about, e.g. "rack R01", "device web-01"
    message: str
    site: str | None = None


@dataclass
class RackSpace:
    key: str
    site: str
    name: str
    u_height: int
    status: str
    role: str | None
    tenant: str | None
    utilization_pct: float  # NetBox-exact Rack.get_utilization()
    used_u: float  # units occupied by devices on either face (NetBox's sense, excluded types off)
    reserved_u: float  # units reserved and not occupied
    free_u: float  # placeable units: free on both faces and not reserved
    free_u_front: float  # free on the front face and not reserved
    free_u_rear: float
    largest_free_block_u: float  # largest contiguous run of free_u (both faces)
    largest_free_block_front_u: float
    largest_free_block_rear_u: float
    weight_kg: float | None  # known weight of the rack's devices
    max_weight_kg: float | None
    open_for_colocation: bool
    closed_reason: str | None = None


@dataclass
class FeedPower:
    key: str
    name: str
    panel: str  # panel name
    site: str
    rack: str | None  # rack key
    rack_name: str | None
    status: str
    type: str  # primary | redundant
    phase: str
    available_va: int  # NetBox-exact PowerFeed.available_power
    allocated_va: int  # NetBox's allocated draw of the ports cabled to the feed
    load_va: int  # this project's load in VA: allocated, else maximum draw, through PDUs; + commitments
    committed_va: int  # part of load_va promised to approved, not installed requests
    failover_load_va: int  # load after the other side of the rack fails
    headroom_va: int  # available - load
    failover_headroom_va: int  # available - failover load
    ups: str | None  # UPS key through the panel
    devices_without_draw: int = 0
    load_w: int = 0  # the same load in W (draw as recorded)
    failover_load_w: int = 0
    legs: list["LegPower"] = field(default_factory=list)  # three-phase feeds: A, B, C


@dataclass
class LegPower:
    """One leg (A, B or C) of a three-phase feed (capacity/legs.py)."""

    leg: str
    available_va: float  # a third of the feed's available VA
    load_va: float  # draw on outlets of this leg, plus a third of draw of no known leg
    failover_load_va: float

    @property
    def headroom_va(self) -> float:
        return self.available_va - self.load_va

    @property
    def failover_headroom_va(self) -> float:
        return self.available_va - self.failover_load_va


@dataclass
class FeedPlugs:
    """Where new power supplies can be plugged in on one feed (capacity/outlets.py)."""

    key: str  # feed key
    kind: str  # "feed": nothing cabled, the feed itself | "pdu": outlets of PDUs on it | "device": cabled straight to a device
    plugs: int  # free plugs in NetBox: 1 for an uncabled feed, the free outlets of its PDUs, 0 for a device
    committed: int  # plugs promised to approved, not installed requests
    pdus: list[str] = field(default_factory=list)  # names of the PDUs on the feed, chained ones included
    by_leg: dict[str, int] = field(default_factory=dict)  # three-phase: free outlets per leg (A, B, C)

    @property
    def free(self) -> int:
        """Plugs left for a new request (never below 0)."""
        return max(self.plugs - self.committed, 0)

    def free_on_leg(self, leg: str) -> int:
        """Plugs left on one leg: its free outlets, at most what the feed has left (the
        plugs approved requests hold may be on any leg)."""
        return min(self.by_leg.get(leg, 0), self.free)


@dataclass
class RackPower:
    key: str
    available_va: int  # sum over the rack's feeds
    allocated_va: int
    load_va: int
    failover_load_va: int  # worst surviving feed's load when the other side fails
    failover_available_va: int  # available of that surviving feed (or side)
    failover_headroom_va: int
    power_utilization_pct: float  # NetBox-exact Rack.get_power_utilization()
    feeds: list[str] = field(default_factory=list)  # feed keys
    failover_safe: bool = True
    load_w: int = 0
    # supply left when the rack's weaker side fails: the supplying feeds' available VA
    # less the largest side's (all of it for a rack fed from one side)
    usable_one_side_failed_va: int = 0


@dataclass
class SourcePower:
    """A UPS or a genset."""

    key: str
    name: str
    site: str
    kind: str  # "ups" | "genset"
    rated_va: int
    capacity_va: int  # rated VA x derating
    load_va: int
    failover_load_va: int  # after the partner in its redundancy group fails
    headroom_va: int  # capacity_va - load_va
    failover_headroom_va: int
    utilization_pct: float  # of the binding rating: the larger of load_va / capacity_va and load_w / capacity_w
    redundancy_group: str | None = None
    rated_w: int = 0  # given, else rated VA x the policy's rated power factor
    capacity_w: int = 0  # rated W x derating
    load_w: int = 0
    failover_load_w: int = 0
    headroom_w: int = 0
    failover_headroom_w: int = 0
    limited_by: str = "VA"  # the rating that binds on failover: "VA" or "W"
    # gensets: what the load is made of (W): UPS inputs, battery recharge, cooling, other
    recharge_w: int = 0
    cooling_w: int = 0
    other_w: int = 0


@dataclass
class UplinkCapacity:
    key: str
    name: str
    site: str
    provider: str
    commit_kbps: int
    port_kbps: int | None = None  # port speed (None: not recorded)
    allocatable_kbps: int = 0  # commit x oversubscription, capped by the port
    active: bool = True


@dataclass
class SiteBandwidth:
    site: str
    commit_kbps: int  # sum of active uplinks
    allocatable_kbps: int  # after oversubscription (and N+1 if configured)
    allocated_kbps: int  # devices' allocations + commitments
    committed_kbps: int
    free_kbps: int
    failover_allocatable_kbps: int  # with the largest uplink down
    failover_free_kbps: int = 0  # failover allocatable - allocated
    burst_kbps: int = 0  # the active uplinks' port speeds (their commit where none is recorded)


@dataclass
class ClusterCapacity:
    key: str
    name: str
    site: str
    hosts: int
    vcpus_capacity: float  # after overcommit and N+1
    memory_gb_capacity: float
    disk_gb_capacity: float
    vcpus_used: float
    memory_gb_used: float
    disk_gb_used: float
    vcpus_free: float
    memory_gb_free: float
    disk_gb_free: float
    # the largest serving host: one VM runs on one host (capacity/fit_dimensions.py, hosting)
    largest_host_vcpus: float = 0.0
    largest_host_memory_gb: float = 0.0
    # the largest VM one host can run after N+1 (the largest host failed): its logical
    # processors, and its memory less the hypervisor's share, x memory overcommit
    vm_max_vcpus: float = 0.0
    vm_max_memory_gb: float = 0.0
    cores: int = 0  # physical cores of the serving hosts (0: none declared)
    threads: int = 0
    vcpu_basis: str = "vcpus"  # "cores": capacity per physical core; "vcpus": per declared vCPU
    datastore_gb: float | None = None  # raw shared storage (None: disk is the hosts' disks)
    replication_factor: float | None = None


@dataclass
class Cooling:
    """Heat against cooling for a room (a NetBox location) or a rack (capacity/cooling.py)."""

    key: str  # location or rack key
    kind: str  # "room" | "rack"
    name: str
    site: str
    installed_kw: float  # the cooling declared
    units: int | None  # equal cooling units (1 for a rack; None: a room that does not say)
    capacity_w: float  # installed, the largest unit kept spare when policy.cooling_n_plus_one
    heat_w: int  # IT draw of the racks there (W), commitments included
    headroom_w: float
    utilization_pct: float
    racks: list[str] = field(default_factory=list)  # rack keys (a room's)


@dataclass
class CapacityResult:
    """Everything `compute_capacity` produces for one snapshot."""

    space: dict[str, RackSpace]
    feeds: dict[str, FeedPower]
    racks_power: dict[str, RackPower]
    ups: dict[str, SourcePower]
    gensets: dict[str, SourcePower]
    uplinks: dict[str, UplinkCapacity]
    bandwidth: dict[str, SiteBandwidth]
    clusters: dict[str, ClusterCapacity]
    findings: list[Finding]
    extra: dict[str, Any] = field(default_factory=dict)
    plugs: dict[str, FeedPlugs] = field(default_factory=dict)  # feed key -> its plugs
    cooling: dict[str, Cooling] = field(default_factory=dict)  # "room:KEY" / "rack:KEY" -> its cooling
    # UPS key -> the redundancy group failover used (declared, or implied by A/B cabling:
    # capacity/topology.py); None for a result built without it: the declared groups
    ups_groups: dict[str, str | None] | None = None
