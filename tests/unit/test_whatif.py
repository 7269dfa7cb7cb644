"""`colo capacity whatif` on the bundled demo: additions, removals, structural changes,
streams of demand, bad input; never a write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from capacity.growth import parse_stream
from colo_cli.main import cli
from inventory.errors import InputError
from inventory.files import demo_path, load_snapshot

TODAY = ("--today", "2026-12-04")


@pytest.fixture(autouse=True)
def clean_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no ./requests or ./colo.yaml of the developer
    for var in ("COLO_REQUESTS_DIR", "NETBOX_URL", "COLO_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def whatif(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["capacity", "whatif", "--source", "demo", *TODAY, *args])
    assert result.exit_code == code, result.output
    return result


def rows(data: dict, side: str) -> dict[tuple[str, str, str | None], dict]:
    return {(r["site"], r["dimension"], r["object"]): r for r in data[side]["forecast"]["dimensions"]}


def test_adding_exactly_the_remaining_bandwidth_reaches_100_percent_now(tmp_path: Path) -> None:
    request = tmp_path / "all-bandwidth.yaml"
    request.write_text("site: dc-kaltim\nservers:\n  - {name: stream-01, u_height: 1, allocated_draw_w: 200, "
                       "bandwidth_mbps: 480}\n", encoding="utf-8")  # 3,000 - 2,520 Mbps
    data = json.loads(whatif("--add", str(request), "--format", "json").output)
    today, after = rows(data, "today"), rows(data, "after")
    key = ("dc-kaltim", "bandwidth", None)
    assert today[key]["full"]["when"] is None
    assert after[key]["used"] == after[key]["capacity"] == 3_000_000
    assert after[key]["full"]["when"] == "now"
    # ranked first among the dimensions not over 100 % already (the demo's over-loaded cooling)
    ahead = [r for r in after.values() if r["rank"] < after[key]["rank"]]
    assert all(r["used_pct"] > 100 for r in ahead)
    assert data["applied"] == ["added all-bandwidth.yaml: stream-01 -> R1-03 U1"]
    # without any history (no growth at all) it is full now all the same
    data = json.loads(whatif("--add", str(request), "--history-from", "none", "--format", "json").output)
    assert rows(data, "after")[key]["growth_per_month"] == 0 and rows(data, "after")[key]["full"]["when"] == "now"
    # one Mbps more does not fit: it is refused, nothing of it counted
    request.write_text(request.read_text().replace("480", "481"), encoding="utf-8")
    data = json.loads(whatif("--add", str(request), "--format", "json").output)
    assert rows(data, "after")[key]["used"] == 2_520_000
    assert data["refused"][0].startswith("all-bandwidth.yaml does not fit today: ")


def test_a_stream_adds_what_one_more_server_adds_per_month() -> None:
    data = json.loads(whatif("--add", "12 servers of 1U/300W/10Mbps per year", "--format", "json").output)
    today, after = rows(data, "today"), rows(data, "after")

    def gained(dimension: str, obj: str | None = None) -> float:
        key = ("dc-kaltim", dimension, obj)
        return round(after[key]["growth_per_month"] - today[key]["growth_per_month"], 3)

    # one a month: 1 U, 300 W = 316 VA at the power factor 0.95 (on failover too: one feed
    # carries it all), 10 Mbps, 2 plugs
    va = round(300 / 0.95)
    assert (gained("space"), gained("power"), gained("power_failover"), gained("bandwidth"), gained("outlets")) == \
        (1.0, va, va, 10_000.0, 2.0)
    assert gained("ups", "UPS-A") == va  # the pair's failover load: the whole draw
    assert gained("vcpus") == 0.0
    assert data["applied"] == ["growth 12 servers of 1U/300W/10Mbps per year (1 a month)"]
    assert after[("dc-kaltim", "space", None)]["used"] == today[("dc-kaltim", "space", None)]["used"]


def test_removing_a_tenant_withdraws_its_servers_and_vms() -> None:
    demo = load_snapshot("demo")
    dinkes_mbps = sum(d.custom_fields.get("bandwidth_mbps") or 0 for d in demo.devices if d.tenant == "dinkes")
    dinkes_vcpus = sum(vm.vcpus for c in demo.clusters for vm in c.vms if vm.tenant == "dinkes")
    data = json.loads(whatif("--remove", "tenant:Dinas Kesehatan", "--format", "json").output)
    today, after = rows(data, "today"), rows(data, "after")
    assert data["applied"] == ["removed tenant Dinas Kesehatan: 7 device(s), 2 VM(s), "
                               "0 reservation(s) or commitment(s) withdrawn"]
    key = ("dc-kaltim", "bandwidth", None)
    assert today[key]["used"] - after[key]["used"] == dinkes_mbps * 1000
    assert today[("dc-kaltim", "vcpus", None)]["used"] - after[("dc-kaltim", "vcpus", None)]["used"] == dinkes_vcpus
    free = {side: {r["name"]: r["free_u"] for r in data[side]["report"]["racks"]} for side in ("today", "after")}
    assert free["after"]["R2-02"] - free["today"]["R2-02"] == 6  # sikda-lama-01, surveilans-01 and -02: 2U each


def test_removing_serials_from_a_file(tmp_path: Path) -> None:
    serials = tmp_path / "serials.txt"
    serials.write_text("# PPDB 2026, withdrawn early\nMT1CL28\n5N80STY  \n\n", encoding="utf-8")
    data = json.loads(whatif("--remove", str(serials), "--format", "json").output)
    assert data["applied"] == ["removed 2 device(s) by serial number withdrawn"]
    r106 = next(r for r in data["after"]["report"]["racks"] if r["name"] == "R1-06")
    assert r106["free_u"] == 25 + 4


def test_structural_changes_apply_to_today_and_to_the_history(tmp_path: Path) -> None:
    change = tmp_path / "plan-2027.yaml"
    change.write_text(
        "ups:\n  - {name: UPS-A, rated_va: 300000}\n"
        "uplinks:\n  - {name: ICON-IPT-SMD-01, site: dc-kaltim, provider: ICON+, commit_kbps: 1000000}\n"
        "rack_rows:\n  - {prefix: R3-, count: 4, site: dc-kaltim, location: Ruang Server 2,\n"
        "     panel_a: PP-A-R2, panel_b: PP-B-R2}\n", encoding="utf-8")
    data = json.loads(whatif("--change", str(change), "--format", "json").output)
    assert data["applied"] == [f"{change}: added rack row R3-01..R3-04 (4 racks, 8 feeds)",
                               f"{change}: changed UPS UPS-A (300,000 VA): rated_va",
                               f"{change}: added uplink ICON-IPT-SMD-01 (1,000 Mbps)"]
    today, after = rows(data, "today"), rows(data, "after")
    assert after[("dc-kaltim", "ups", "UPS-A")]["capacity"] == 240_000  # 300 kVA x 0.8
    assert after[("dc-kaltim", "bandwidth", None)]["capacity"] == 4_000_000
    assert after[("dc-kaltim", "space", None)]["capacity"] == today[("dc-kaltim", "space", None)]["capacity"] + 4 * 42
    assert after[("dc-kaltim", "power", None)]["capacity"] == \
        today[("dc-kaltim", "power", None)]["capacity"] + 8 * 5888
    # the history is measured on the changed building: UPS-A's capacity in every month,
    # the same demand (so the same growth)
    assert after[("dc-kaltim", "bandwidth", None)]["growth_per_month"] == \
        today[("dc-kaltim", "bandwidth", None)]["growth_per_month"]
    assert after[("dc-kaltim", "bandwidth", None)]["full"]["when"] is None


def test_the_table_puts_today_beside_the_what_if(tmp_path: Path) -> None:
    change = tmp_path / "uplink.yaml"
    change.write_text("uplinks:\n  - {name: ICON-01, site: dc-kaltim, provider: ICON+, commit_kbps: 1000000}\n",
                      encoding="utf-8")
    out = whatif("--change", str(change)).output.splitlines()
    assert out[0] == "What-if at 2026-12-04 (horizon 24 months, warning at 80 %); nothing is written anywhere"
    assert out[2:4] == ["Changes:", f"  {change}: added uplink ICON-01 (1,000 Mbps)"]
    header = out[5]
    assert header.split() == ["#", "site", "dimension", "today", "what-if", "100", "%", "today", "100", "%",
                              "what-if"]
    bandwidth = next(line for line in out if "Bandwidth" in line)
    assert "2,520/3,000 (84.0 %)" in bandwidth and "2,520/4,000 (63.0 %)" in bandwidth


def test_nothing_is_written(tmp_path: Path) -> None:
    snapshot = tmp_path / "dc.yaml"
    snapshot.write_bytes(demo_path().read_bytes())
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    CliRunner().invoke(cli, ["capacity", "whatif", "--source", str(snapshot), *TODAY, "--remove", "tenant:dinkes",
                             "--add", "5 servers of 2U/400W per month"])
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(("args", "message"), [
    ((), "Error: nothing to change: give --add, --remove or --change"),
    (("--add", "lots of servers"), "Error: --add 'lots of servers': not a request file, nor a list like"),
    (("--add", "3 servers of 2U per year"), "Error: --add '3 servers of 2U per year': give allocated_draw_w or "
                                            "maximum_draw_w"),
    (("--add", "3 servers of 2U/400W/3 parsecs per year"), "Error: --add '3 servers of 2U/400W/3 parsecs per "
                                                           "year': '3 parsecs' is not a size"),
    (("--remove", "tenant:nobody"), "Error: --remove: unknown tenant 'nobody' (tenants: bapenda,"),
    (("--remove", "serial:NOPE-1,MT1CL28"), "Error: --remove: no device has serial number 'NOPE-1'"),
    (("--remove", "everyone"), "Error: --remove 'everyone': expected tenant:NAME, serial:S1,S2, or a file"),
    (("--change", "missing.yaml"), "Error: missing.yaml: --change file not found"),
    (("--add", "1 servers of 1U/100W per year", "--horizon", "forever"), "Error: --horizon: 'forever' is not"),
])
def test_bad_input_is_one_error_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    result = whatif(*args, code=2)
    assert result.output.startswith(message), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("text", "message"), [
    ("ups:\n  - {name: UPS-Z, rated_va: -3}\n", "ups[0]: site: required field is missing; rated_va: Input should "
                                               "be greater than or equal to 1"),
    ("ups:\n  - {name: UPS-Z, site: nowhere, rated_va: 3}\n", "UPS 'UPS-Z': unknown site 'nowhere'"),
    ("upss:\n  - {name: UPS-Z}\n", "upss: unknown key (known: rack_rows, locations,"),
    ("rack_rows:\n  - {prefix: R9-, count: 500, site: dc-kaltim}\n", "rack_rows[0]: count: Input should be less"),
    ("- just a list\n", "expected a mapping of collections"),
    ("", "the file is empty"),
])
def test_a_bad_change_file_names_the_file_and_the_entry(tmp_path: Path, text: str, message: str) -> None:
    change = tmp_path / "change.yaml"
    change.write_text(text, encoding="utf-8")
    result = whatif("--change", str(change), code=2)
    assert result.output.startswith(f"Error: {change}: {message}"), result.output


def test_streams_of_servers_and_vms_are_read() -> None:
    s = parse_stream("30 servers of 2U/500 W per year")
    assert s.per_month == 2.5 and s.unit.servers[0].u_height == 2 and s.unit.servers[0].draw_w == 500
    assert s.unit.servers[0].psu_count == 2 and s.unit.servers[0].bandwidth_mbps == 0
    s = parse_stream("2 servers of 1U/0.4kW/1Gbps/1PSU per month")
    assert (s.per_month, s.unit.servers[0].draw_w, s.unit.servers[0].bandwidth_mbps,
            s.unit.servers[0].psu_count) == (2, 400, 1000, 1)
    v = parse_stream("12 vms of 4vCPU/16GB/200GB per year").unit.hosting
    assert (v.vcpus, v.memory_gb, v.disk_gb) == (4, 16, 200)
    v = parse_stream("6 VMs of 8 vCPUs/1TB disk/32GB per year").unit.hosting
    assert (v.vcpus, v.memory_gb, v.disk_gb) == (8, 32, 1000)
    with pytest.raises(InputError, match="a server's size is U, W, Mbps and PSUs"):
        parse_stream("3 servers of 2U/400W/16GB per year")
