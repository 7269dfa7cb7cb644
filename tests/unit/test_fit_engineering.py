"""Issue 12 in `capacity check`: VA at the power factor, the W rating of a UPS, the leg a
three-phase feed's PSUs take, the genset's share of a request, cooling, one VM on one
host and the datastore. Hand-computed; docs/capacity-rules.md has the same examples."""

from __future__ import annotations

from typing import Any

from capacity.engine import compute_capacity
from capacity.fit import check_fit
from capacity.fit_request import CapacityRequest, HostingRequest, ServerRequest
from capacity.policy import Policy
from playbooks.request_fit import placement_from_report
from inventory.model import (
    UPS,
    Cluster,
    ClusterHost,
    Device,
    DeviceType,
    Genset,
    HostCapacity,
    Location,
    OutletRef,
    PowerFeed,
    PowerOutlet,
    PowerPanel,
    PowerPort,
    Rack,
    Site,
    Snapshot,
)

TYPES = [DeviceType(key="1u", manufacturer="x", model="1u", u_height=1),
         DeviceType(key="pdu", manufacturer="x", model="pdu", u_height=0)]


def rack_dc(*, legs: str = "AABBCC", taken: dict[str, int] | None = None, cooling_kw: float | None = None,
            ups_w: int | None = None, cooling_factor: float | None = None) -> Snapshot:
    """Rack R1 (10U, colocation) in room Hall: feed A three-phase 400 V 16 A 80 %
    (8,868 VA, 2,956 VA a leg) through PDU pa whose outlets 1-6 are on `legs`; feed B
    single-phase 230 V 16 A (2,944 VA) through PDU pb. `taken`: outlet name on pa -> W
    of a single-corded 1U server plugged in there. UPS U1 (A) and U2 (B) in a group, 20
    kVA each (`ups_w` their W rating), efficiency 0.95, on genset G."""
    pa = Device(name="pa", device_type="pdu", site="dc", rack="R1", role="pdu",
                power_ports=[PowerPort(name="IN", feed="A")],
                power_outlets=[PowerOutlet(name=str(i + 1), power_port="IN", feed_leg=x) for i, x in enumerate(legs)])
    pb = Device(name="pb", device_type="pdu", site="dc", rack="R1", role="pdu",
                power_ports=[PowerPort(name="IN", feed="B")],
                power_outlets=[PowerOutlet(name=str(i + 1), power_port="IN") for i in range(6)])
    servers = [Device(name=f"s{o}", device_type="1u", site="dc", rack="R1", position=i + 1, face="front",
                      power_ports=[PowerPort(name="PSU1", allocated_draw=w, outlet=OutletRef(device="pa", name=o))])
               for i, (o, w) in enumerate((taken or {}).items())]
    return Snapshot(
        sites=[Site(name="dc")], locations=[Location(name="Hall", site="dc", cooling_kw=cooling_kw, cooling_units=2)],
        racks=[Rack(name="R1", site="dc", location="Hall", u_height=10, role="colocation")],
        device_types=TYPES, devices=[pa, pb, *servers],
        power_panels=[PowerPanel(name="PA", site="dc", ups="U1"), PowerPanel(name="PB", site="dc", ups="U2")],
        power_feeds=[PowerFeed(name="A", panel="PA", rack="R1", phase="three-phase", voltage=400, amperage=16),
                     PowerFeed(name="B", panel="PB", rack="R1", type="redundant", amperage=16)],
        ups=[UPS(name=u, site="dc", rated_va=20_000, rated_w=ups_w, efficiency=0.95, genset="G",
                 redundancy_group="ups") for u in ("U1", "U2")],
        gensets=[Genset(name="G", site="dc", rated_va=200_000, cooling_factor=cooling_factor)])


def check(snap: Snapshot, *servers: ServerRequest, policy: Policy | None = None, **kw: Any) -> Any:
    policy = policy or Policy()
    return check_fit(snap, CapacityRequest(servers=list(servers), **kw), policy, compute_capacity(snap, policy))


def srv(draw: int, name: str = "new") -> ServerRequest:
    return ServerRequest(name=name, u_height=1, allocated_draw_w=draw)


def test_power_is_checked_in_va_at_the_power_factor() -> None:
    # 950 W at 0.95: 1,000 VA; each feed carries the whole on failover: B 2,944 - 1,000
    report = check(rack_dc(), srv(950))
    power = report.dimension("power")
    assert (power.before, power.requested, power.after) == (2944, 1000, 1944)
    assert "VA = W / power factor 0.95" in power.reason


def test_the_server_goes_on_the_least_loaded_leg_that_has_the_outlets() -> None:
    # existing single-corded servers: 600 W on outlet 1 (leg A), 300 W on outlet 3 (leg B)
    s = rack_dc(taken={"1": 600, "3": 300})
    report = check(s, srv(950))
    [spot] = report.placements[0].servers
    assert (spot.feed_a_name, spot.feed_a_leg, spot.feed_b_leg) == ("A", "C", None)
    legs = report.dimension("legs")
    # leg C: 2,956 - 0 before; the server's 1,000 VA on failover after
    assert (legs.before, legs.requested, legs.after, legs.verdict) == (2956, 500, 1956, "fits")
    # with both outlets of leg C taken (the second one by a 0 W device), leg B (300 W) is next
    full = rack_dc(taken={"1": 600, "3": 300, "5": 1, "6": 1})
    [spot] = check(full, srv(950)).placements[0].servers
    assert spot.feed_a_leg == "B"


def test_the_request_file_records_the_leg_step_3_chose_for_apply_to_honour() -> None:
    # the same rack as above: step 3 puts the server's PSU on leg C of the three-phase feed
    # A (B has no leg to choose), and the placement the request file records says so, feed
    # by feed (apply prefers that leg's outlets: tests/unit/test_registration_plugs.py)
    s = rack_dc(taken={"1": 600, "3": 300})
    placement = placement_from_report(check(s, srv(950)), s)
    assert placement is not None
    [spot] = placement.servers
    assert list(zip(spot.feeds, spot.legs)) == [("A", "C"), ("B", None)]


def test_a_leg_too_full_for_the_server_fails_the_legs_check() -> None:
    # every leg holds 2,300 W single-corded (2,421 VA): 535 VA left a leg, below a 950 W
    # server's 1,000 VA on failover; the feed itself (8,868 VA) would take it
    s = rack_dc(legs="ABCABC", taken={"1": 2300, "2": 2300, "3": 2300})
    report = check(s, srv(950))
    assert not report.fits
    assert report.dimension("power").verdict == "fits"
    assert report.dimension("legs").verdict == "does not fit"


def test_the_ups_w_rating_binds_when_it_is_the_tighter() -> None:
    # U1 20 kVA / 10 kW x 0.8: 16,000 VA, 8,000 W. A 950 W server adds 1,000 VA and 950 W
    # to each on failover; with 7,600 W already on A (single-corded), U1 has 400 W left.
    s = rack_dc(legs="ABCABC", taken={"1": 2500, "2": 2500, "3": 2600}, ups_w=10_000)
    report = check(s, srv(950), policy=Policy(require_failover_safe=False))
    ups = report.dimension("ups")
    # normal: 475 W a UPS (500 VA); U1 has 400 W = 421.1 VA at 0.95 left: does not fit
    assert ups.verdict == "does not fit" and ups.before == 421.1
    assert "its W rating binds" in ups.reason


def test_a_request_adds_its_ups_input_and_cooling_to_the_genset() -> None:
    # 950 W = 1,000 VA; each UPS takes 500 VA; G takes 2 x 500 x (1 / 0.95 + 0.5) = 1,552.6 VA
    report = check(rack_dc(cooling_factor=0.5), srv(950))
    assert report.dimension("genset").requested == 1552.6


def test_cooling_of_the_room_takes_the_heat_of_the_request() -> None:
    # Hall: 4 kW in 2 units, one spare: 2,000 W; 600 W already there; a 1,500 W server does
    # not fit (1,400 W left), a 1,400 W one does
    s = rack_dc(taken={"1": 600}, cooling_kw=4)
    report = check(s, srv(1500))
    cooling = report.dimension("cooling")
    assert (cooling.before, cooling.requested, cooling.after, cooling.verdict) == (1400, 1500, -100, "does not fit")
    assert "room Hall, 4 kW in 2 unit(s), largest unit spare" in cooling.reason
    assert any(r.startswith("cooling:") for r in report.reasons)
    assert check(s, srv(1400)).fits


def test_one_vm_must_fit_the_largest_host_left_after_n_plus_one_and_disk_is_the_datastore() -> None:
    # hosts 32 threads / 256 GB and 64 threads / 512 GB: N+1 leaves the small one for a VM
    # (32 vCPU, 248 GB); the datastore gives 20,000 / 2 = 10,000 GB
    hosts = [ClusterHost(device=k, capacity=HostCapacity(vcpus=t, memory_gb=m, disk_gb=100, cores=t // 2, threads=t))
             for k, t, m in (("h1", 32, 256), ("h2", 64, 512))]
    s = rack_dc().model_copy(update={
        "devices": rack_dc().devices + [Device(name=h.device, device_type="1u", site="dc") for h in hosts],
        "clusters": [Cluster(name="vmw", site="dc", hosts=hosts, datastore_gb=20_000, replication_factor=2)]})
    report = check(s, hosting=HostingRequest(vcpus=40, memory_gb=200, disk_gb=9000))
    assert not report.fits
    vcpu, memory, disk = (report.dimension(d) for d in ("host_vcpu", "host_memory", "disk"))
    assert (vcpu.before, vcpu.verdict) == (32, "does not fit")
    assert (memory.before, memory.verdict) == (248, "fits")
    assert (disk.before, disk.after) == (10000, 1000)
    # the datastore is no host's: N+1 keeps nothing spare from it, and the reason says so
    assert disk.reason == ("free on the shared datastore of cluster vmw after overcommit "
                           "(datastore 20,000 GB / replication factor 2)")
