"""Request fit and placement on small hand-built data centres (`dc()` of
tests/support/fit_data.py: 10U racks, A/B feeds of 1000 VA each through a PDU, one UPS
pair and a genset). Expected figures are worked out by hand in the comments, under the
topology policy `plain()` (power factor 1, so VA = W; tests/support/fit_data.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capacity.engine import compute_capacity
from capacity.fit import check_fit
from capacity.fit_request import CapacityRequest, HostingRequest, ServerRequest, load_request
from capacity.fit_result import FitReport
from inventory.errors import InputError
from reports.fit_text import format_fit_report
from inventory.model import Cluster, ClusterHost, HostCapacity, RackReservation, Snapshot, VirtualMachine
from tests.support.fit_data import dc, dev, fit, plain, rack, server


def spots(report: FitReport, n: int = 0) -> list[tuple[str, str, float | None, str | None]]:
    """(server, rack, position, face) of placement n, in request order."""
    return [(s.server, s.rack_name, s.position, s.face) for s in report.placements[n].servers]


# --------------------------------------------------------------------------- space rules


def test_best_fit_takes_the_smallest_block_at_its_lowest_unit() -> None:
    # R1: 2U at U1-U2 and 1U at U6 -> free blocks U3-U5 (3U) and U7-U10 (4U).
    snap = dc([rack("R1")], [dev("a", "R1", 1, "2u"), dev("b", "R1", 6)])
    report = fit(snap, server(u=2))
    assert report.fits
    assert spots(report) == [("srv", "R1", 3, "front")]
    assert report.placements[0].slack_u == 1  # 3U block, 2U server


def test_half_depth_server_uses_the_face_with_the_tightest_block() -> None:
    # R1: full depth at U1-U2 and U4, a half-depth on the FRONT at U3 -> the rear of U3
    # is a 1U block: a 1U half-depth server goes there, on the rear face.
    snap = dc([rack("R1")], [dev("a", "R1", 1, "2u"), dev("b", "R1", 3, "1u-short", face="front"),
                             dev("c", "R1", 4)])
    report = fit(snap, server(full_depth=False))
    assert spots(report) == [("srv", "R1", 3, "rear")]
    # a full-depth server needs both faces: U3 is out, the first both-free block is U5
    report = fit(snap, server(full_depth=True))
    assert spots(report) == [("srv", "R1", 5, "front")]


def test_reserved_units_are_never_used() -> None:
    snap = dc([rack("R1")], [dev("a", "R1", 10)], [RackReservation(rack="R1", units=[1, 2, 3])])
    report = fit(snap, server(u=2))
    assert spots(report) == [("srv", "R1", 4, "front")]
    for p in report.placements:
        for s in p.servers:
            assert s.position is not None and s.position >= 4


def test_half_unit_server_fills_a_half_unit_gap_and_whole_units_stay_aligned() -> None:
    # R1: 2U at U1 (U1-U2.5), 0.5U at U3, free U3.5 (half a unit), 2U at U4 (U4-U5.5),
    # free U6-U10.
    snap = dc([rack("R1")], [dev("a", "R1", 1, "2u"), dev("b", "R1", 3, "half-full"),
                             dev("c", "R1", 4, "2u")])
    assert spots(fit(snap, server(u=0.5))) == [("srv", "R1", 3.5, "front")]
    assert spots(fit(snap, server(u=1))) == [("srv", "R1", 6, "front")]


def test_whole_unit_servers_start_on_whole_units() -> None:
    # Free half units U3.5, U4, U4.5 (1.5U) between a 0.5U at U3 and a 1U at U5: a 1U
    # server fits there only at U4 (not U3.5).
    snap = dc([rack("R1")], [dev("a", "R1", 1, "2u"), dev("b", "R1", 3, "half-full"),
                             dev("c", "R1", 5), dev("d", "R1", 6, "2u"), dev("e", "R1", 8, "2u"),
                             dev("f", "R1", 10)])
    assert spots(fit(snap, server(u=1))) == [("srv", "R1", 4, "front")]
    assert not fit(snap, server(u=2)).fits


def test_zero_u_devices_take_no_units_and_patch_panels_do() -> None:
    # R1 (3U): a 0U PDU and a patch panel at U2: no 2U block left. R2 (3U) has only the PDU.
    snap = dc([rack("R1", u_height=3), rack("R2", u_height=3)],
              [dev("pdu1", "R1", None, "pdu-0u"), dev("pp", "R1", 2, "patch"),
               dev("pdu2", "R2", None, "pdu-0u")])
    report = fit(snap, server(u=2))
    assert spots(report) == [("srv", "R2", 1, "front")]
    assert [p.racks for p in report.placements] == [["R2"]]


def test_starting_unit_is_respected() -> None:
    # Units 20..29; a 1U at U20: the first free unit is U21.
    snap = dc([rack("R1", starting_unit=20, desc_units=True)], [dev("a", "R1", 20)])
    assert spots(fit(snap, server())) == [("srv", "R1", 21, "front")]


def test_rack_headroom_is_kept_free() -> None:
    # R1: 7U used (U1-U7), 3U free; headroom 2U: a 1U server fits (2U stay free), 2U not.
    snap = dc([rack("R1")], [dev("a", "R1", 1, "2u"), dev("b", "R1", 3, "2u"), dev("c", "R1", 5, "2u"),
                             dev("d", "R1", 7)])
    policy = plain(rack_headroom_u=2)
    assert spots(fit(snap, server(u=1), policy=policy)) == [("srv", "R1", 8, "front")]
    report = fit(snap, server(u=2), policy=policy)
    assert not report.fits
    assert report.dimension("space").verdict == "does not fit"


# --------------------------------------------------------------------------- which racks


def test_racks_in_use_come_before_empty_ones_then_by_name() -> None:
    # R1 empty; R2, R3, R10 each have a 1U at U1 (same free block U2-U10).
    racks = [rack("R1"), rack("R2"), rack("R3"), rack("R10")]
    snap = dc(racks, [dev(f"d{r}", r, 1) for r in ("R2", "R3", "R10")])
    report = fit(snap, server())
    assert [p.racks for p in report.placements] == [["R2"], ["R3"], ["R10"], ["R1"]]
    assert [p.empty_racks_used for p in report.placements] == [0, 0, 0, 1]
    report = fit(snap, server(), policy=plain(max_placements=2))
    assert [p.racks for p in report.placements] == [["R2"], ["R3"]]


def test_the_tighter_rack_wins_among_racks_in_use() -> None:
    # R1 has 5U free in one block; R2 only 2U: a 2U server goes to R2.
    snap = dc([rack("R1", u_height=6), rack("R2", u_height=3)],
              [dev("a", "R1", 6), dev("b", "R2", 3)])
    report = fit(snap, server(u=2))
    assert [p.racks for p in report.placements] == [["R2"], ["R1"]]


def test_closed_status_and_role_are_never_offered() -> None:
    snap = dc([rack("R1", status="planned"), rack("R2", role="internal"), rack("R3", role=None),
               rack("R4")])
    report = fit(snap, server())
    assert [p.racks for p in report.placements] == [["R4"]]
    closed = dc([rack("R1", status="planned"), rack("R2", role="internal")])
    report = fit(closed, server())
    assert not report.fits
    assert report.dimension("space").verdict == "does not fit"
    assert any("2 closed for co-location" in n for n in report.notes)


def test_dedicated_rack_only_for_its_tenant() -> None:
    snap = dc([rack("R1", tenant="dinkes"), rack("R2")], [dev("a", "R1", 1), dev("b", "R2", 1)])
    mine = fit(snap, server(), tenant="dinkes")
    assert [p.racks for p in mine.placements] == [["R1"], ["R2"]]  # own rack first
    other = fit(snap, server(), tenant="bappeda")
    assert [p.racks for p in other.placements] == [["R2"]]
    anonymous = fit(snap, server())
    assert [p.racks for p in anonymous.placements] == [["R2"]]
    only_dedicated = dc([rack("R1", tenant="dinkes")])
    report = fit(only_dedicated, server(), tenant="bappeda")
    assert not report.fits
    assert any("1 dedicated to another tenant" in n for n in report.notes)
    # with the policy off, a tenant's rack is open to everyone
    shared = fit(only_dedicated, server(), tenant="bappeda",
                 policy=plain(dedicated_racks_for_tenant_only=False))
    assert shared.fits


def test_site_restricts_the_racks() -> None:
    snap = dc([rack("R1"), rack("S1", site="dr")], [dev("a", "R1", 1)])
    report = fit(snap, server(), site="dr")
    assert [p.racks for p in report.placements] == [["S1"]]
    assert report.placements[0].site == "dr"


def test_unknown_site_or_tenant_is_bad_input() -> None:
    snap = dc([rack("R1")])
    with pytest.raises(InputError, match="unknown site 'nowhere'") as exc:
        fit(snap, server(), site="nowhere")
    assert exc.value.exit_code == 2
    with pytest.raises(InputError, match="unknown tenant 'dinkess'.*did you mean 'dinkes'"):
        fit(snap, server(), tenant="dinkess")


# --------------------------------------------------------------------------- power


def test_failover_unsafe_feed_pair_is_rejected() -> None:
    # R1: a dual-fed 600 W server (300 + 300): load 300 per feed, failover 600,
    # failover headroom 400. A 600 W dual server: normal 300 + 300 = 600 <= 1000 fits,
    # but on failover 600 + 600 = 1200 > 1000: R1 is out; empty R2 takes it.
    snap = dc([rack("R1"), rack("R2")], [dev("a", "R1", 1, draw=(300, 300))])
    report = fit(snap, server(draw=600))
    assert [p.racks for p in report.placements] == [["R2"]]
    power = report.dimension("power")
    assert (power.before, power.requested, power.after) == (1000, 600, 400)
    s = report.placements[0].servers[0]
    assert (s.feed_a_name, s.feed_b_name) == ("R2-A", "R2-B")
    assert (s.feed_a_draw_va, s.feed_b_draw_va) == (300, 300)
    # Without the failover rule R1 takes it: normal headroom 700 - 300 = 400 left.
    lax = fit(snap, server(draw=600), policy=plain(require_failover_safe=False))
    assert lax.placements[0].racks == ["R1"]
    assert (lax.dimension("power").before, lax.dimension("power").after) == (700, 400)


def test_failover_exactly_at_the_limit_fits() -> None:
    # failover headroom 400 in R1; a 400 W dual server brings failover to exactly 1000.
    snap = dc([rack("R1")], [dev("a", "R1", 1, draw=(300, 300))])
    report = fit(snap, server(draw=400))
    assert report.fits and report.placements[0].racks == ["R1"]
    assert report.dimension("power").after == 0


def test_single_psu_server_takes_one_feed_with_its_whole_draw() -> None:
    # R1 feeds: failover headroom 400 each. A single-PSU 400 W server fits on one feed
    # (failover load 600 + 400 = 1000); 450 W does not (R2 then).
    snap = dc([rack("R1"), rack("R2")], [dev("a", "R1", 1, draw=(300, 300))])
    report = fit(snap, server(draw=400, psu_count=1))
    s = report.placements[0].servers[0]
    assert (s.rack_name, s.feed_a_name, s.feed_b, s.feed_a_draw_va) == ("R1", "R1-A", None, 400)
    assert report.dimension("power").after == 0
    report = fit(snap, server(draw=450, psu_count=1))
    assert report.placements[0].racks == ["R2"]


def test_dual_psu_needs_a_primary_and_a_redundant_feed() -> None:
    # Both feeds of every rack typed primary: no A/B pair, a dual-PSU server has nowhere
    # to go, a single-PSU one does.
    snap = dc([rack("R1")], feed_types=("primary", "primary"))
    report = fit(snap, server(draw=100))
    assert not report.fits
    assert report.dimension("power").verdict == "does not fit"
    assert "A/B feed pair" in report.dimension("power").reason
    assert report.dimension("space").verdict == "fits"
    assert fit(snap, server(draw=100, psu_count=1)).fits


def test_rack_without_feeds_is_skipped() -> None:
    snap = dc([rack("R1"), rack("R2")], [dev("a", "R1", 1)], no_feeds=("R1",))
    assert fit(snap, server()).placements[0].racks == ["R2"]


def test_draw_falls_back_to_maximum_and_says_so() -> None:
    snap = dc([rack("R1")])
    req = ServerRequest(name="db", u_height=1, maximum_draw_w=500)
    report = fit(snap, req)
    assert report.placements[0].servers[0].draw_va == 500
    assert report.placements[0].servers[0].draw_source == "maximum"
    assert "db 500 W maximum (no allocated draw given)" in report.dimension("power").reason
    both = ServerRequest(name="db", u_height=1, allocated_draw_w=300, maximum_draw_w=500)
    assert fit(snap, both).placements[0].servers[0].draw_va == 300


def test_ups_failover_limits_the_request() -> None:
    # UPS-A/B 1000 VA each, in one group. Existing 300 + 300 in R1: each UPS load 300,
    # failover 600 (its partner's 300 moves over), failover headroom 400. A 500 W dual
    # server in empty R2: feeds fine (1000 each), UPS failover 600 + 500 > 1000.
    snap = dc([rack("R1"), rack("R2")], [dev("a", "R1", 1, draw=(300, 300))], ups_va=1000)
    report = fit(snap, server(draw=500))
    assert not report.fits
    ups = report.dimension("ups")
    assert ups.verdict == "does not fit"
    assert (ups.before, ups.requested, ups.after) == (400, 500, -100)
    assert report.dimension("space").verdict == "fits"
    assert report.dimension("power").verdict == "fits"
    assert any(r.startswith("ups:") for r in report.reasons)
    assert report.placements == []
    ok = fit(snap, server(draw=400))
    assert ok.fits and ok.dimension("ups").after == 0


def test_genset_counts_ups_losses() -> None:
    # efficiency 0.5: genset load = UPS load / 0.5. Existing 300 + 300 -> genset 1200 of
    # 2000, headroom 800. 400 W -> +800 fits exactly; 500 W -> +1000 does not.
    snap = dc([rack("R1")], [dev("a", "R1", 1, draw=(300, 300))], genset_va=2000, efficiency=0.5)
    report = fit(snap, server(draw=400))
    gen = report.dimension("genset")
    assert report.fits
    assert (gen.before, gen.requested, gen.after) == (800, 800, 0)
    report = fit(snap, server(draw=500))
    assert not report.fits
    assert report.dimension("genset").verdict == "does not fit"


def test_weight_limit() -> None:
    # R1 max 100 kg, a 25 kg device in it: an 80 kg server goes to R2 (no max on record),
    # a 75 kg one fits R1 exactly.
    snap = dc([rack("R1", max_weight_kg=100), rack("R2")], [dev("a", "R1", 1, "2u"), dev("b", "R2", 1)])
    assert fit(snap, server(weight_kg=80)).placements[0].racks == ["R2"]
    report = fit(snap, server(weight_kg=75))
    assert report.placements[0].racks == ["R1"]
    w = report.dimension("weight")
    assert (w.before, w.requested, w.after, w.verdict) == (75, 75, 0, "fits")
    assert fit(snap, server()).dimension("weight").verdict == "not requested"


# --------------------------------------------------------------------------- several servers


def test_servers_of_one_request_never_share_units() -> None:
    # Empty 10U R1: two 4U servers go together, U1-U4 and U5-U8.
    snap = dc([rack("R1")])
    report = fit(snap, server("a", u=4), server("b", u=4))
    assert spots(report) == [("a", "R1", 1, "front"), ("b", "R1", 5, "front")]
    assert report.placements[0].racks_used == 1
    # three do not fit in one 10U rack; with R2 the third spills over
    snap2 = dc([rack("R1"), rack("R2")])
    report = fit(snap2, server("a", u=4), server("b", u=4), server("c", u=4))
    first = report.placements[0]
    assert first.racks_used == 2
    assert sorted(s.rack_name for s in first.servers).count(first.racks[0]) == 2


def test_servers_of_one_request_never_share_headroom() -> None:
    # Each rack's feeds take a failover load of 1000: one 600 W dual server per rack.
    snap = dc([rack("R1"), rack("R2")], [dev("x", "R1", 10)])
    report = fit(snap, server("a", draw=600), server("b", draw=600))
    assert report.fits
    first = report.placements[0]
    assert {s.rack_name for s in first.servers} == {"R1", "R2"}
    assert first.racks == ["R1", "R2"]  # the rack in use first
    # three such servers cannot fit in two racks
    assert not fit(snap, server("a", draw=600), server("b", draw=600), server("c", draw=600)).fits


def test_larger_servers_are_placed_first_and_listed_in_request_order() -> None:
    # R1: 1U at U3 -> blocks U1-U2 (2U) and U4-U10 (7U). Request [1U, 2U]: the 2U takes
    # the 2U block, the 1U then the 7U block at U4.
    snap = dc([rack("R1")], [dev("a", "R1", 3)])
    report = fit(snap, server("small", u=1), server("big", u=2))
    assert spots(report) == [("small", "R1", 4, "front"), ("big", "R1", 1, "front")]


# --------------------------------------------------------------------------- bandwidth, hosting


def test_bandwidth_is_checked_against_the_site() -> None:
    snap = dc([rack("R1")], uplink_kbps=100_000)  # 100 Mbps
    ok = fit(snap, server("a", bandwidth_mbps=30), server("b", bandwidth_mbps=60))
    bw = ok.dimension("bandwidth")
    assert ok.fits and (bw.before, bw.requested, bw.after) == (100, 90, 10)
    bad = fit(snap, server("a", bandwidth_mbps=30), server("b", bandwidth_mbps=80))
    assert not bad.fits
    assert bad.dimension("bandwidth").verdict == "does not fit"
    assert bad.dimension("space").verdict == "fits"


def cluster_dc() -> Snapshot:
    # two hosts of 16 cores, 128 GB, 1000 GB; N+1 keeps one spare: 16 x 4 = 64 vCPU,
    # 128 GB, 1000 GB. A VM uses 10 vCPU, 32 GB, 100 GB: free 54 vCPU, 96 GB, 900 GB.
    hosts = [dev("h1", "R1", 1, "host"), dev("h2", "R1", 3, "host")]
    cap = HostCapacity(vcpus=16, memory_gb=128, disk_gb=1000)
    cluster = Cluster(name="vmw", site="dc", hosts=[ClusterHost(device="h1", capacity=cap),
                                                     ClusterHost(device="h2", capacity=cap)],
                      vms=[VirtualMachine(name="vm1", vcpus=10, memory_mb=32 * 1024, disk_gb=100)])
    return dc([rack("R1")], hosts, clusters=[cluster])


def test_hosting_only_request() -> None:
    snap = cluster_dc()
    policy = plain()
    request = CapacityRequest(hosting=HostingRequest(vcpus=12, memory_gb=100, disk_gb=500))
    report = check_fit(snap, request, policy, compute_capacity(snap, policy))
    assert not report.fits
    verdicts = {d.dimension: (d.before, d.requested, d.after, d.verdict) for d in report.dimensions}
    assert verdicts["vcpu"] == (54, 12, 42, "fits")
    assert verdicts["memory"] == (96, 100, -4, "does not fit")
    assert verdicts["disk"] == (900, 500, 400, "fits")
    assert verdicts["space"][3] == "not requested"
    assert report.reasons == [r for r in report.reasons if r.startswith("memory:")] and report.reasons
    ok = CapacityRequest(hosting=HostingRequest(vcpus=8, memory_gb=16, cluster="vmw"))
    report = check_fit(snap, ok, policy, compute_capacity(snap, policy))
    assert report.fits
    assert report.dimension("disk").verdict == "not requested"
    # the chosen cluster travels as data (step 3 records it; step 8 registers the VM on it)
    assert report.cluster == "vmw" and report.to_dict()["cluster"] == "vmw"
    servers_only = CapacityRequest(servers=[server("s")])
    assert check_fit(snap, servers_only, policy, compute_capacity(snap, policy)).cluster is None


def test_unknown_cluster_is_bad_input() -> None:
    snap = cluster_dc()
    request = CapacityRequest(hosting=HostingRequest(vcpus=1, cluster="nope"))
    with pytest.raises(InputError, match="unknown cluster 'nope'"):
        check_fit(snap, request, plain(), compute_capacity(snap, plain()))


# --------------------------------------------------------------------------- request files


def test_load_request_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "req.yaml"
    path.write_text(
        "request_id: REQ-1\ntenant: dinkes\nservers:\n"
        "  - name: web-01\n    u_height: 2\n    allocated_draw_w: 350\n    bandwidth_mbps: 10\n"
        "hosting:\n  vcpus: 4\n  memory_gb: 8\n"
    )
    req = load_request(path)
    assert req.request_id == "REQ-1"
    assert req.servers[0].u_height == 2 and req.servers[0].psu_count == 2 and req.servers[0].full_depth
    assert req.hosting is not None and req.hosting.vcpus == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("servers:\n  - name: a\n    u_heigth: 1\n    allocated_draw_w: 1\n",
         "servers[0] (a).u_heigth: unknown key (did you mean 'u_height'?)"),
        ("servers:\n  - name: a\n    u_height: 1.3\n    allocated_draw_w: 1\n",
         "servers[0] (a).u_height: u_height must be a multiple of 0.5"),
        ("servers:\n  - name: a\n    u_height: 1\n", "give allocated_draw_w or maximum_draw_w"),
        ("servers:\n  - name: a\n    u_height: 1\n    allocated_draw_w: 1\n    psu_count: 0\n",
         "servers[0] (a).psu_count"),
        ("tenant: x\n", "a request needs servers, hosting or both"),
        ("servers:\n  - {name: a, u_height: 1, allocated_draw_w: 1}\n"
         "  - {name: a, u_height: 1, allocated_draw_w: 1}\n", "'a' appears twice"),
        ("hosting:\n  cluster: x\n", "hosting needs vcpus, memory_gb or disk_gb"),
        ("servers: [\n", "not valid YAML"),
    ],
)
def test_bad_request_files_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "req.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        load_request(path)
    assert str(path) in str(exc.value)
    assert message in str(exc.value)
    assert exc.value.exit_code == 2


def test_missing_request_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_request(tmp_path / "nope.yaml")


# --------------------------------------------------------------------------- output


def test_text_and_json_output() -> None:
    snap = dc([rack("R1"), rack("R2")], [dev("a", "R1", 1, draw=(300, 300))])
    report = fit(snap, server("web-01", u=2, draw=600), request_id="REQ-7")
    text = format_fit_report(report)
    lines = text.splitlines()
    assert lines[0] == "Request REQ-7: FITS"
    assert lines[2].split() == ["dimension", "unit", "before", "requested", "after", "verdict", "reason"]
    power_line = next(line for line in lines if line.startswith("power"))
    assert power_line.split()[:6] == ["power", "VA", "1,000", "600", "400", "fits"]
    assert "web-01: R2 U1-U2 front (full depth), feeds R2-A + R2-B, 600 W allocated" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["fits"] is True
    assert data["placements"][0]["servers"][0]["units"] == "U1-U2"
    assert {d["dimension"] for d in data["dimensions"]} >= {
        "space", "power", "ups", "genset", "bandwidth", "vcpu", "memory", "disk"}

    bad = fit(snap, server("big", u=11))
    text = format_fit_report(bad)
    assert text.startswith("Request: DOES NOT FIT")
    assert "Why it does not fit:" in text
    assert "space: no contiguous 11 U free" in text


def test_check_fit_does_not_change_the_result_or_snapshot() -> None:
    snap = dc([rack("R1")], [dev("a", "R1", 1, draw=(300, 300))])
    policy = plain()
    result = compute_capacity(snap, policy)
    before = (json.dumps(snap.model_dump(mode="json")), repr(result.feeds), repr(result.space))
    check_fit(snap, CapacityRequest(servers=[server(u=2, draw=200)]), policy, result)
    assert before == (json.dumps(snap.model_dump(mode="json")), repr(result.feeds), repr(result.space))


def test_patch_panels_alone_do_not_make_a_rack_in_use() -> None:
    # Same free block U1-U9 in both; R2 holds a server, R1 only a patch panel: R2 first.
    snap = dc([rack("R1"), rack("R2")], [dev("pp", "R1", 10, "patch"), dev("a", "R2", 10)])
    report = fit(snap, server())
    assert [p.racks for p in report.placements] == [["R2"], ["R1"]]
    assert report.placements[1].empty_racks_used == 1


def test_a_result_without_the_space_index_still_works() -> None:
    # A CapacityResult whose space is a plain dict (built by hand, or copied) makes
    # check_fit build its own occupancy: same answer.
    snap = dc([rack("R1")], [dev("a", "R1", 1, "2u"), dev("b", "R1", 6)])
    policy = plain()
    result = compute_capacity(snap, policy)
    result.space = dict(result.space)
    report = check_fit(snap, CapacityRequest(servers=[server(u=2)]), policy, result)
    assert spots(report) == [("srv", "R1", 3, "front")]


def test_search_budget_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import capacity.fit_search as fit_module

    # Each rack's feeds take one 600 W dual server; with a budget of one try the second
    # server is never tried, and the report says the search stopped.
    monkeypatch.setattr(fit_module, "SEARCH_BUDGET", 1)
    snap = dc([rack("R1"), rack("R2")], [dev("x", "R1", 10)])
    report = fit(snap, server("a", draw=600), server("b", draw=600))
    assert not report.fits
    assert any("stopped after 1 tries" in n for n in report.notes)


def test_alike_servers_swapped_are_not_two_candidates() -> None:
    # Two identical 600 W servers need one rack each; R1/R2 and R2/R1 are one candidate.
    snap = dc([rack("R1"), rack("R2")], [dev("x", "R1", 10), dev("y", "R2", 10)])
    report = fit(snap, server("a", draw=600), server("b", draw=600))
    assert len(report.placements) == 1
    assert sorted(s.rack_name for s in report.placements[0].servers) == ["R1", "R2"]
