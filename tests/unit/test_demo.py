"""The bundled demo data centre: loadable, realistic, exercising every capacity rule."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

from inventory.files import demo_path, dump_snapshot, load_snapshot
from inventory.model import Device, PowerFeed, PowerPort, Snapshot

ROOT = Path(__file__).resolve().parents[2]


def _load_make_demo():
    spec = importlib.util.spec_from_file_location("make_demo", ROOT / "scripts" / "make_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


make_demo = _load_make_demo()


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    return load_snapshot("demo")


# --------------------------------------------------------------------------- helpers
def _types(s: Snapshot):
    return {t.key: t for t in s.device_types}


def _servers(s: Snapshot) -> list[Device]:
    return [d for d in s.devices if d.role == "server"]


def _half_units(position: float, height: float) -> list[float]:
    return [position + i / 2 for i in range(int(height * 2))]


def _utilization_pct(s: Snapshot, rack_key: str) -> float:
    """NetBox's Rack.get_utilization(): units taken on either face by non-excluded
    devices, plus reserved units, over the rack's half units."""
    rack = next(r for r in s.racks if r.key == rack_key)
    types = _types(s)
    units = set(_half_units(rack.starting_unit, rack.u_height))
    taken: set[float] = set()
    for d in s.devices:
        t = types[d.device_type]
        if d.rack == rack_key and d.position is not None and not t.exclude_from_utilization:
            taken.update(_half_units(d.position, t.u_height))
    for res in s.reservations:
        if res.rack == rack_key:
            for u in res.units:
                taken.update((u, u + 0.5))
    return len(taken & units) / len(units) * 100


def _available_va(f: PowerFeed) -> int:
    va = abs(f.voltage) * f.amperage * f.max_utilization / 100
    return round(va * 1.732) if f.phase == "three-phase" else round(va)


def _feed_of(s: Snapshot, port: PowerPort) -> str | None:
    """The feed a port draws from, following PDU outlets back to the PDU's input."""
    if port.feed is not None:
        return port.feed
    if port.outlet is None:
        return None
    pdu = next(d for d in s.devices if d.key == port.outlet.device)
    outlet = next(o for o in pdu.power_outlets if o.name == port.outlet.name)
    upstream = next(p for p in pdu.power_ports if p.name == outlet.power_port)
    return _feed_of(s, upstream)


def _draw(p: PowerPort) -> int:
    if p.allocated_draw is not None:
        return p.allocated_draw
    return p.maximum_draw or 0


def _failover_loads(s: Snapshot, rack_key: str) -> dict[str, int]:
    """Per feed of the rack: what it carries when the other side fails (every device
    reaching it moves its whole draw onto it)."""
    feeds = {f.key for f in s.power_feeds if f.rack == rack_key}
    loads = {f: 0 for f in feeds}
    for d in s.devices:
        if d.role == "pdu":
            continue
        reached = {_feed_of(s, p) for p in d.power_ports} & feeds
        whole = sum(_draw(p) for p in d.power_ports)
        for f in reached:
            loads[f] += whole
    return loads


def _unsafe_racks(s: Snapshot) -> set[str]:
    feeds = {f.key: f for f in s.power_feeds}
    out = set()
    for r in s.racks:
        for f, load in _failover_loads(s, r.key).items():
            if load > _available_va(feeds[f]):
                out.add(r.key)
    return out


# --------------------------------------------------------------------------- shape
def test_demo_path_points_at_the_committed_file():
    assert demo_path() == ROOT / "inventory" / "demo" / "kaltim-dc.yaml"
    assert demo_path().is_file()


def test_two_sites_main_one_has_two_rooms_and_at_least_16_racks(demo):
    sites = {s.key: s for s in demo.sites}
    assert set(sites) == {"dc-kaltim", "drc-balikpapan"}
    assert sites["dc-kaltim"].name == "Data Center Diskominfo Kaltim"
    main_racks = [r for r in demo.racks if r.site == "dc-kaltim"]
    assert len(main_racks) >= 16
    assert {r.location for r in main_racks} == {"Ruang Server 1", "Ruang Server 2"}
    assert len([r for r in demo.racks if r.site == "drc-balikpapan"]) == 2


def test_at_least_40_servers_of_at_least_10_agencies(demo):
    servers = _servers(demo)
    tenants = {d.tenant for d in servers if d.tenant}
    assert len(servers) >= 40
    assert len(tenants) >= 10
    groups = {t.key: t.group for t in demo.tenants}
    assert all(groups[t] == "opd" for t in tenants)
    assert all(d.serial for d in servers), "every server has a serial number"


def test_rack_roles_statuses_and_variants(demo):
    racks = {r.key: r for r in demo.racks}
    internal = [r for r in demo.racks if r.role == "internal"]
    assert [(r.key, r.tenant) for r in internal] == [("R1-02", "diskominfo")]
    dedicated = [r for r in demo.racks if r.role == "colocation" and r.tenant]
    assert [(r.key, r.tenant) for r in dedicated] == [("R1-08", "rsud-aws"), ("R2-07", "dishub")]
    assert [r.key for r in demo.racks if r.status == "planned"] == ["R2-08"]
    assert {r.key for r in demo.racks if r.role == "network"} == {"R1-01", "DRC-02"}
    assert racks["R1-02"].u_height == 47
    assert racks["R2-05"].desc_units is True


def test_device_type_variety_is_in_use(demo):
    types = _types(demo)
    racked = [d for d in demo.devices if d.position is not None]
    assert any(types[d.device_type].u_height == 0.5 for d in racked), "a half-U device"
    assert any(d.position % 1 == 0.5 for d in racked), "a device starting at a half unit"
    assert any(types[d.device_type].u_height == 0 for d in demo.devices), "a 0U device"
    assert any(not types[d.device_type].is_full_depth for d in racked), "a half-depth device"
    assert any(types[d.device_type].exclude_from_utilization for d in racked), "a patch panel"
    assert any(d.face == "rear" and types[d.device_type].is_full_depth for d in racked)
    chassis = [d for d in demo.devices if types[d.device_type].subdevice_role == "parent"]
    assert len(chassis) == 1 and types[chassis[0].device_type].u_height == 10
    blades = [d for d in demo.devices if d.parent == chassis[0].key]
    assert len(blades) == 4 and all(b.position is None for b in blades)


def test_reservations_for_a_pending_agency_and_for_diskominfo(demo):
    by_tenant = {r.tenant: r for r in demo.reservations}
    assert by_tenant["dpmptsp"].rack == "R1-07" and by_tenant["dpmptsp"].units == [30, 31, 32, 33]
    assert not any(d.tenant == "dpmptsp" for d in demo.devices), "the agency is still pending"
    assert by_tenant["diskominfo"].rack == "R2-01"


def test_exactly_three_servers_have_no_draw_data(demo):
    no_draw = [d.key for d in _servers(demo)
               if d.power_ports and all(p.allocated_draw is None and p.maximum_draw is None
                                        for p in d.power_ports)]
    assert sorted(no_draw) == ["dinkes-sikda-lama-01", "dispar-web-lama-01", "setwan-arsip-01"]
    max_only = [d.key for d in _servers(demo)
                if d.power_ports and all(p.allocated_draw is None and p.maximum_draw
                                         for p in d.power_ports)]
    assert len(max_only) == 3


def _pdu_on(demo, feed):
    return next(d for d in demo.devices if d.power_ports and d.power_ports[0].feed == feed)


def _legs_used(demo, pdu):
    """The legs of the outlets of `pdu` something is cabled to."""
    legs = {o.name: o.feed_leg for o in pdu.power_outlets}
    return {legs[p.outlet.name] for d in demo.devices for p in d.power_ports
            if p.outlet is not None and p.outlet.device == pdu.key}


def test_three_phase_feeds_balanced_unbalanced_and_unrecorded(demo):
    three = [f for f in demo.power_feeds if f.phase == "three-phase"]
    assert [(f.key, f.voltage, f.amperage, f.rack) for f in three] == [
        ("R1-02-A", 400, 32, "R1-02"), ("R1-02-B", 400, 32, "R1-02"), ("R2-07-A", 400, 16, "R2-07"),
        ("R2-07-B", 400, 16, "R2-07")]
    assert _available_va(three[0]) == 17736  # 400 V x 32 A x 0.8 x 1.732
    assert _available_va(three[2]) == 8868  # 400 V x 16 A x 0.8 x 1.732
    # the blade chassis rack: outlets on legs A/B/C, its devices spread over all three
    assert {o.feed_leg for o in _pdu_on(demo, "R1-02-A").power_outlets} == {"A", "B", "C"}
    assert _legs_used(demo, _pdu_on(demo, "R1-02-A")) == {"A", "B", "C"}
    # ... and its B side records no legs
    assert {o.feed_leg for o in _pdu_on(demo, "R1-02-B").power_outlets} == {None}
    # R2-07's A side: every PSU on the first bank (leg A); its B side on the A and B banks
    assert _legs_used(demo, _pdu_on(demo, "R2-07-A")) == {"A"}
    assert _legs_used(demo, _pdu_on(demo, "R2-07-B")) == {"A", "B"}


def test_every_open_rack_has_an_a_and_a_b_feed_from_the_two_ups(demo):
    # ... but R2-07, on its own UPS pair that records no redundancy group
    panels = {p.key: p for p in demo.power_panels}
    for rack in demo.racks:
        feeds = [f for f in demo.power_feeds if f.rack == rack.key]
        if rack.status == "planned":
            assert feeds == []
            continue
        assert sorted(f.type for f in feeds) == ["primary", "redundant"], rack.key
        if rack.site == "dc-kaltim":
            by_type = {f.type: panels[f.panel].ups for f in feeds}
            pair = ("UPS-C", "UPS-D") if rack.key == "R2-07" else ("UPS-A", "UPS-B")
            assert by_type == {"primary": pair[0], "redundant": pair[1]}, rack.key
    ups = {u.key: u for u in demo.ups}
    assert ups["UPS-A"].redundancy_group == ups["UPS-B"].redundancy_group == "ups-dc"
    assert ups["UPS-A"].genset == ups["UPS-B"].genset == "GENSET-1"
    assert ups["UPS-C"].redundancy_group is None and ups["UPS-D"].redundancy_group is None
    assert (ups["UPS-A"].rated_va, ups["UPS-A"].rated_w) == (200_000, 160_000)
    genset = next(g for g in demo.gensets if g.key == "GENSET-1")
    assert genset.other_loads_va > 0


def test_pdu_chains_and_direct_cabling(demo):
    devices = {d.key: d for d in demo.devices}
    used_outlets: set[tuple[str, str]] = set()
    via_pdu: set[str] = set()
    direct: set[str] = set()
    for d in demo.devices:
        for p in d.power_ports:
            if p.outlet is not None:
                pdu = devices[p.outlet.device]
                assert pdu.role == "pdu" and pdu.rack == d.rack
                outlet = next(o for o in pdu.power_outlets if o.name == p.outlet.name)
                assert outlet.power_port is not None
                assert (pdu.key, outlet.name) not in used_outlets, "one plug per outlet"
                used_outlets.add((pdu.key, outlet.name))
                via_pdu.add(d.rack)
            elif p.feed is not None and d.role != "pdu":
                direct.add(d.rack)
            feed = _feed_of(demo, p)
            if feed is not None:
                assert next(f for f in demo.power_feeds if f.key == feed).rack == d.rack
    assert len(via_pdu) >= 10
    assert {"R1-05", "R1-10", "R2-03"} <= direct
    assert not via_pdu & direct, "a rack is either behind PDUs or cabled to its feeds"
    single = [d for d in _servers(demo) if len(d.power_ports) == 1]
    assert [d.key for d in single] == ["disdukcapil-antrian-01"]


def test_uplinks_and_hosting_cluster(demo):
    assert sorted((u.provider, u.commit_kbps) for u in demo.uplinks) == [
        ("Lintasarta", 1_000_000), ("Telkom Indonesia", 2_000_000)]
    [cluster] = demo.clusters
    assert cluster.name == "Cluster Hosting Pemprov"
    assert len(cluster.hosts) == 4
    assert all(h.capacity.vcpus == 64 and h.capacity.memory_gb == 512 for h in cluster.hosts)
    assert all((h.capacity.cores, h.capacity.threads) == (32, 64) for h in cluster.hosts)
    assert (cluster.datastore_gb, cluster.replication_factor) == (46_080, 2)
    assert {u.name: u.port_kbps for u in demo.uplinks} == {
        "TELKOM-ASTINET-SMD-01": 10_000_000, "LINTASARTA-IPT-SMD-01": 1_000_000}
    assert len(cluster.vms) >= 20
    assert len({vm.tenant for vm in cluster.vms}) >= 10
    allocated = sum(d.custom_fields.get("bandwidth_mbps", 0) for d in demo.devices)
    assert 0 < allocated < 3000, "allocations fit the 3 Gbps of uplinks"


def test_colocation_paperwork_in_custom_fields(demo):
    agency = [d for d in _servers(demo) if "request_id" in d.custom_fields]
    assert len(agency) >= 40
    for d in agency:
        cf = d.custom_fields
        assert re.fullmatch(r"COLO-20\d\d-\d{3}", cf["request_id"]), d.key
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", cf["handover_date"]), d.key
        assert cf["colocation_type"] in ("permanent", "temporary")
        assert ("valid_until" in cf) == (cf["colocation_type"] == "temporary"), d.key
    assert any(d.custom_fields.get("domain") == "sippd.kaltimprov.go.id" for d in agency)
    assert sum(d.custom_fields["colocation_type"] == "temporary" for d in agency) >= 3


# --------------------------------------------------------------------------- layout
def test_every_device_fits_its_rack_without_overlap(demo):
    types = _types(demo)
    racks = {r.key: r for r in demo.racks}
    occupied: dict[tuple[str, str, float], str] = {}
    for d in demo.devices:
        t = types[d.device_type]
        if t.u_height == 0:
            assert d.position is None, f"{d.key}: 0U devices have no position"
            continue
        if d.position is None:
            continue
        r = racks[d.rack]
        assert r.starting_unit <= d.position
        assert d.position + t.u_height <= r.starting_unit + r.u_height, d.key
        faces = ("front", "rear") if t.is_full_depth else (d.face,)
        for face in faces:
            for u in _half_units(d.position, t.u_height):
                other = occupied.setdefault((d.rack, face, u), d.key)
                assert other == d.key, f"{d.key} overlaps {other} at {face} U{u}"


def test_space_utilization_by_hand(demo):
    # R1-04: U1-U39 full of servers plus the rear switch at U42 -> 40 of 42 units.
    assert _utilization_pct(demo, "R1-04") == pytest.approx(40 / 42 * 100)
    # R1-01: U42 holds two patch panels (excluded); U41 rear switch, the half-U cable
    # manager, and eight 1U devices count: 9.5 of 42 units.
    assert _utilization_pct(demo, "R1-01") == pytest.approx(9.5 / 42 * 100)
    # R1-07: 11U of servers, the U42 switch and 4 reserved units.
    assert _utilization_pct(demo, "R1-07") == pytest.approx(16 / 42 * 100)
    assert _utilization_pct(demo, "R2-06") == 0
    colocation = [r.key for r in demo.racks if r.role == "colocation" and r.status == "active"]
    mid = [k for k in colocation if 20 <= _utilization_pct(demo, k) <= 70]
    assert len(mid) >= len(colocation) * 0.6


def test_failover_is_safe_everywhere_except_r1_06(demo):
    assert _unsafe_racks(demo) == {"R1-06"}
    loads = _failover_loads(demo, "R1-06")
    assert max(loads.values()) > 5888
    # ...while NetBox's own A+B figure looks harmless (well under 100 %).
    allocated = sum(p.allocated_draw or 0 for d in demo.devices if d.rack == "R1-06"
                    and d.role != "pdu" for p in d.power_ports)
    assert allocated / (2 * 5888) < 0.6


# --------------------------------------------------------------------------- generation
def test_regenerating_gives_the_committed_bytes():
    # Two runs build equal snapshots, and writing one gives the committed file's bytes.
    assert make_demo.render().model_dump() == make_demo.render().model_dump()
    assert make_demo.main(["--check"]) == 0, \
        "the bundled demo is out of date: run python scripts/make_demo.py"


def test_check_notices_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "kaltim-dc.yaml"
    dump_snapshot(Snapshot(), stale)
    assert make_demo.main(["--check", "-o", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().out


def test_file_form_loads_back_to_the_built_snapshot(demo):
    # The committed file leaves keys and slugs to their defaults; loading fills them
    # in again, giving exactly what the builder made.
    assert demo.model_dump() == make_demo.build_demo().model_dump()


def test_yaml_is_hand_writable():
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(demo_path().read_text(encoding="utf-8"), Loader=loader)
    for section in ("racks", "devices", "power_feeds", "power_panels", "locations"):
        assert all("key" not in item for item in data[section]), section
    assert all("slug" not in t and "key" not in t for t in data["device_types"])
    assert all("key" not in r for r in data["reservations"])
