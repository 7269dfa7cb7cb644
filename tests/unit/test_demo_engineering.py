"""Issue 12 on the bundled demo: `make demo`, the HTML report, `capacity check` and step 3
show every new dimension and finding."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from colo_cli.main import cli
from tests.support.workflow import load, new, step

NEW_FINDINGS = ("ab_same_ups", "ups_group_single_genset", "ups_pair_without_group", "bandwidth_failover_short",
                "leg_overload", "leg_imbalance", "leg_failover_unsafe", "no_feed_leg", "cooling_overload", "cooling_failover_unsafe")
SECTIONS = ("Racks: power in W and VA, one side failed", "Three-phase feeds per leg", "Cooling", "Uplinks",
            "Hosting: the largest VM and shared storage")


def test_make_demo_prints_every_new_section_and_finding() -> None:
    out = CliRunner().invoke(cli, ["capacity", "report", "--source", "demo"]).output
    for title in SECTIONS:
        assert f"\n{title} (" in out, title
    findings = out[out.index("\nFindings ("):]
    for kind in NEW_FINDINGS:
        assert f" {kind} " in findings, kind
    # the headline: what one side gives, never A and B twice; heat against cooling
    assert ("  power 53,522 VA of 114,924 VA usable with one side failed (229,848 VA installed on A and B); "
            "heat 50,595 W of 80,000 W of cooling") in out
    assert "its A feed DRC-01-A and B feed DRC-01-B both hang from UPS UPS-DRC" in findings
    assert "2,520 Mbps allocated against 1,000 Mbps left when uplink TELKOM-ASTINET-SMD-01" in findings


def test_the_text_report_names_each_three_phase_feeds_most_loaded_leg_and_its_imbalance() -> None:
    out = CliRunner().invoke(cli, ["capacity", "report", "--source", "demo"]).output
    feeds = out[out.index("\nPower feeds ("):out.index("\nThree-phase feeds per leg (")].strip().splitlines()
    assert "Top leg" in feeds[1] and "Leg imbalance %" in feeds[1], feeds[1]

    def row(feed: str) -> dict[str, str]:
        line = next(ln for ln in feeds if f" {feed} " in ln)
        # the cells of the two new columns, cut at the header's column positions
        start, end = feeds[1].index("Top leg"), feeds[1].index("Plugs from")
        top, imbalance = line[start:end].split()
        return {"top": top, "imbalance": imbalance}

    # R2-07-A: every recorder on leg A (3,288 VA, none on B or C): the mean is a third of it
    assert row("R2-07-A") == {"top": "A", "imbalance": "200.0"}
    # R2-07-B: its PDU on two banks, A 1,585 VA and B 1,579 VA now, C empty; the most loaded
    # leg is the one with least headroom on failover: B (3,247 VA against A's 3,204)
    assert row("R2-07-B") == {"top": "B", "imbalance": "100.0"}
    assert row("R1-01-A") == {"top": "-", "imbalance": "-"}  # single-phase: no legs


def test_the_html_report_shows_the_engineering_tables(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["capacity", "report", "--source", "demo", "--format", "html", "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    for marker in ("data-legs", "data-cooling", "data-sources", "data-power-legend", "data-genset-parts"):
        assert marker in html, marker
    assert "Daya (kapasitas satu sisi)" in html and "Pendinginan Ruang DRC" in html
    for kind in NEW_FINDINGS:
        assert f"<td>{kind}</td>" in html, kind


def test_capacity_check_on_the_demo_uses_every_new_dimension(tmp_path: Path) -> None:
    # Dishub's dedicated three-phase rack R2-07: its A side is all on leg A, so the new
    # server goes on leg B; cooling of Ruang Server 2; one VM on one host
    request = tmp_path / "req.yaml"
    request.write_text("tenant: dishub\nservers:\n  - {name: cctv-rec-03, u_height: 2, allocated_draw_w: 900}\n"
                       "hosting: {vcpus: 8, memory_gb: 32, disk_gb: 200}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["capacity", "check", str(request), "--source", "demo", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    dims = {d["dimension"]: d for d in report["dimensions"]}
    assert set(dims) >= {"legs", "cooling", "host_vcpu", "host_memory", "ups", "genset", "disk"}
    [spot] = report["placements"][0]["servers"]
    assert (spot["rack_name"], spot["feed_a_leg"]) == ("R2-07", "B")
    assert dims["cooling"]["verdict"] == "fits" and "room Ruang Server 2" in dims["cooling"]["reason"]
    assert dims["host_vcpu"]["before"] == 64 and "datastore 46,080 GB / replication factor 2" in dims["disk"]["reason"]


def test_step_3_records_every_new_dimension(env: dict[str, Path]) -> None:  # noqa: F811
    rid = new(env)
    step(rid, "disposition", "2026-11-30T08:10")
    step(rid, "3", "2026-11-30T08:40")
    record = env["requests"] / "documents" / rid / "capacity-check.json"
    dims = [d["dimension"] for d in json.loads(record.read_text(encoding="utf-8"))["dimensions"]]
    assert {"legs", "cooling", "host_vcpu", "host_memory"} <= set(dims)
    assert load(env, rid).request.capacity_check.fits  # type: ignore[union-attr]
