"""The HTML capacity report: summary figures, elevations, findings, escaping, offline.

Figures are worked out by hand from the small report and snapshot below.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any

import pytest

from inventory.errors import InputError
from reports.capacity_html import PALETTE, build_elevations, rack_ref, render_capacity_html, tenant_colours
from tests.support.snapshots import small_snapshot

GENERATED = datetime(2026, 11, 28, 6, 5, tzinfo=timezone.utc)  # 14.05 WITA


def small_report() -> dict[str, Any]:
    racks = [
        {"site": "dc-smd", "location": "Ruang Server 1", "name": "R01", "u_height": 10,
         "utilization_pct": 40.0, "free_u": 6.0, "largest_free_block_u": 3.0,
         "power_utilization_pct": 34.0, "available_va": 5888, "load_va": 2000, "failover_load_va": 2000,
         "failover_safe": True, "open_for_colocation": True, "tenant": None},
        {"site": "dc-smd", "location": "Ruang Server 1", "name": "R02", "u_height": 10,
         "utilization_pct": 35.0, "free_u": 6.5, "largest_free_block_u": 3.0,
         "power_utilization_pct": 17.0, "available_va": 5888, "load_va": 1000, "failover_load_va": 3100,
         "failover_safe": False, "open_for_colocation": True},
        {"site": "dc-smd", "location": None, "name": "R03", "u_height": 6,
         "utilization_pct": 16.7, "free_u": 0.0, "largest_free_block_u": 0.0,
         "power_utilization_pct": 0.0, "available_va": 0, "load_va": 0, "failover_load_va": 0,
         "failover_safe": True, "open_for_colocation": False, "closed_reason": "role none"},
    ]
    feeds = [
        {"site": "dc-smd", "name": "R01-A", "panel": "PP-A", "rack": "R01", "available_va": 2944,
         "load_va": 1000, "failover_load_va": 2000},
        {"site": "dc-smd", "name": "R01-B", "panel": "PP-B", "rack": "R01", "available_va": 2944,
         "load_va": 1000, "failover_load_va": 2000},
        {"site": "dc-smd", "name": "R02-A", "panel": "PP-A", "rack": "R02", "available_va": 2944,
         "load_va": 500, "failover_load_va": 3100},
    ]
    return {
        "racks": racks, "feeds": feeds,
        "ups": [{"site": "dc-smd", "name": "UPS-A", "capacity_va": 32000, "load_va": 8000,
                 "failover_load_va": 16000, "utilization_pct": 25.0}],
        "gensets": [{"site": "dc-smd", "name": "GEN-1", "capacity_va": 120000, "load_va": 20000,
                     "failover_load_va": 20000, "utilization_pct": 16.7}],
        "uplinks": [{"site": "dc-smd", "name": "Telkom-1", "provider": "Telkom", "commit_kbps": 1000000},
                    {"site": "dc-smd", "name": "Lintasarta-1", "provider": "Lintasarta", "commit_kbps": 500000}],
        "bandwidth": [{"site": "dc-smd", "commit_kbps": 1500000, "allocatable_kbps": 1500000,
                       "allocated_kbps": 300000, "committed_kbps": 0, "free_kbps": 1200000}],
        "clusters": [{"site": "dc-smd", "name": "VMW-Prod", "vcpus_capacity": 256, "vcpus_used": 48,
                      "vcpus_free": 208, "memory_gb_capacity": 512, "memory_gb_used": 192,
                      "memory_gb_free": 320, "disk_gb_capacity": 8000, "disk_gb_used": 2400,
                      "disk_gb_free": 5600}],
        "findings": [
            {"kind": "overload", "severity": "error", "object": "feed R02-A", "message": "too much", "site": "dc-smd"},
            {"kind": "no_draw_data", "severity": "warning", "object": "device shelf", "message": "no draw",
             "site": "dc-smd"},
        ],
        "sites": [{"site": "dc-smd", "name": "DC Samarinda"}],
    }


class Page(HTMLParser):
    """What the tests look at: racks, their faces' units, summary rows, findings."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.racks: dict[str, dict[str, Any]] = {}
        self.summary: list[list[str]] = []
        self.legend: dict[str, str] = {}
        self._rack: str | None = None
        self._face: str | None = None
        self._group: dict[str, Any] | None = None
        self._in_dims = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._legend_key: str | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        self.tags.append(tag)
        if tag == "figure" and "data-rack" in attrs:
            self._rack = attrs["data-rack"]
            self.racks[self._rack] = {"class": attrs.get("class", ""), "front": [], "rear": [],
                                      "warning": False}
        elif "data-failover-warning" in attrs and self._rack:
            self.racks[self._rack]["warning"] = True
        elif tag == "div" and "data-face" in attrs:
            self._face = attrs["data-face"]
        elif tag == "g" and "data-kind" in attrs and self._rack and self._face:
            self._group = {"kind": attrs["data-kind"], "tenant": attrs.get("data-tenant")}
            self.racks[self._rack][self._face].append(self._group)
        elif tag == "rect" and self._group is not None and "y" not in self._group:
            self._group.update(y=float(attrs["y"] or 0), h=float(attrs["height"] or 0), fill=attrs["fill"])
        elif tag == "table" and "dims" in (attrs.get("class") or ""):
            self._in_dims = True
        elif tag == "tr" and self._in_dims:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "span" and "data-tenant" in attrs:
            self._legend_key = attrs["data-tenant"]
        elif tag == "i" and self._legend_key is not None:
            self.legend[self._legend_key] = (attrs.get("style") or "").split(":")[-1].strip()
            self._legend_key = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._rack = None
        elif tag == "g":
            self._group = None
        elif tag == "table":
            self._in_dims = False
        elif tag == "td" and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.summary.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def render(report: dict[str, Any] | None = None, lang: str = "id", **kw: Any) -> str:
    return render_capacity_html(report or small_report(),
                                snapshot_elevations=kw.pop("elevations", build_elevations(small_snapshot())),
                                generated_at=kw.pop("generated_at", GENERATED),
                                source=kw.pop("source", "file kaltim-dc.yaml"), lang=lang, **kw)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


# --------------------------------------------------------------------------- elevations


def test_build_elevations_follows_the_occupancy_rules() -> None:
    el = build_elevations(small_snapshot())
    assert set(el) == {"dc-smd/Ruang Server 1/R01", "dc-smd/Ruang Server 1/R02", "dc-smd/R03"}
    r01 = el["dc-smd/Ruang Server 1/R01"]

    def spots(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(i["kind"], i["position"], i["u_height"], i["label"]) for i in items]

    # full-depth devices on both faces; the half-depth switch on its rear face only;
    # the 0U PDU and the child in a bay on none
    assert spots(r01["front"]) == [("device", 1, 1, "dinkes-web-01"), ("device", 5, 2, "bapenda-db-01")]
    assert spots(r01["rear"]) == [("device", 1, 1, "dinkes-web-01"), ("device", 5, 2, "bapenda-db-01"),
                                  ("device", 10, 1, "sw-r01")]
    assert r01["front"][0]["tenant"] == "Dinas Kesehatan"
    r02 = el["dc-smd/Ruang Server 1/R02"]
    # reservations on both faces, consecutive units as one block; the half-U shelf at 3.5
    assert spots(r02["front"]) == [("reserved", 2, 1, ""), ("reserved", 7, 3, "REQ-2026-0007"),
                                   ("device", 3.5, 0.5, "shelf")]
    assert spots(r02["rear"]) == [("reserved", 2, 1, ""), ("reserved", 7, 3, "REQ-2026-0007")]
    assert r02["front"][1]["tenant"] == "Bapenda"
    assert el["dc-smd/R03"]["desc_units"] is True


def test_one_figure_per_rack_with_front_and_rear_drawn_where_the_units_are() -> None:
    page = parse(render())
    assert list(page.racks) == ["dc-smd/Ruang Server 1/R01", "dc-smd/Ruang Server 1/R02", "dc-smd/R03"]
    r01 = page.racks["dc-smd/Ruang Server 1/R01"]
    # 10U rack, 14 px per unit, 6 px margin, units counted bottom-up: U1 is the lowest row,
    # its top edge at 6 + 9 * 14 = 132 (the rect is inset by half a pixel)
    web = r01["front"][0]
    assert (web["kind"], web["tenant"], web["y"], web["h"]) == ("device", "Dinas Kesehatan", 132.5, 13.0)
    db = r01["front"][1]  # U5-U6: top edge at 6 + (10 - 4 - 2) * 14 = 62
    assert (db["y"], db["h"]) == (62.5, 27.0)
    assert [g.get("tenant") for g in r01["rear"]] == ["Dinas Kesehatan", "Bapenda", None]
    r02 = page.racks["dc-smd/Ruang Server 1/R02"]
    reserved = r02["front"][1]  # U7-U9: top edge at 6 + (10 - 6 - 3) * 14 = 20
    assert (reserved["kind"], reserved["fill"], reserved["y"], reserved["h"]) == ("reserved", "url(#hatch)", 20.5, 41.0)
    shelf = r02["front"][2]  # half unit at 3.5: top edge at 6 + (10 - 2.5 - 0.5) * 14 = 104
    assert (shelf["y"], shelf["h"]) == (104.5, 6.0)
    # R03 counts units top-down: U1 is the top row
    assert page.racks["dc-smd/R03"]["front"][0]["y"] == 6.5


def test_failover_unsafe_rack_carries_a_warning_and_closed_racks_say_so() -> None:
    html = render()
    page = parse(html)
    assert page.racks["dc-smd/Ruang Server 1/R02"]["warning"] is True
    assert "unsafe" in page.racks["dc-smd/Ruang Server 1/R02"]["class"]
    assert page.racks["dc-smd/Ruang Server 1/R01"]["warning"] is False
    assert "closed" in page.racks["dc-smd/R03"]["class"]
    assert "Tertutup untuk co-location: role none" in html


def test_tenant_colours_match_the_legend() -> None:
    assert tenant_colours({"b", "A"}) == {"A": PALETTE[0], "b": PALETTE[1]}
    many = tenant_colours({f"t{i:02d}" for i in range(30)})
    assert len(set(many.values())) == 30
    page = parse(render())
    assert page.legend == {"Bapenda": PALETTE[0], "Dinas Kesehatan": PALETTE[1]}
    web = page.racks["dc-smd/Ruang Server 1/R01"]["front"][0]
    assert web["fill"] == page.legend["Dinas Kesehatan"]


def test_a_rack_without_elevation_data_still_has_its_element() -> None:
    html = render(elevations={})
    page = parse(html)
    assert len(page.racks) == 3
    assert html.count("Data unit tidak tersedia") == 3


# --------------------------------------------------------------------------- summary


def summary_row(page: Page, label: str) -> list[str]:
    return next(r for r in page.summary if r and r[0] == label)


def test_summary_per_dimension_hand_computed() -> None:
    page = parse(render())
    # space: used = 10*40% + 10*35% + 6*16.7% = 4 + 3.5 + 1.002 = 8.502 U of 26 U = 32.7 %
    space = summary_row(page, "Ruang rak")
    assert space[1:4] == ["8,5", "26 U", "17,5"] and space[4].startswith("32,7%")
    # free placeable units only in racks open for co-location: 6 + 6.5 (R03 is closed)
    assert "12,5 U unit bebas" in space[4] and "blok terbesar 3 U" in space[4]
    # power: 3000 VA of 11776 VA = 25.5 %
    assert summary_row(page, "Daya (normal)")[1:5] == ["3.000", "11.776 VA", "8.776", "25,5%"]
    # failover: the worst feed R02-A carries 3100 VA of 2944 VA = 105.3 %
    fo = summary_row(page, "Daya (failover A/B)")
    assert fo[1:4] == ["3.100", "2.944 VA", "-156"] and fo[4].startswith("105,3%")
    assert "R02-A" in fo[4] and "1 rak tidak aman saat failover" in fo[4]
    ups = summary_row(page, "UPS UPS-A")
    assert ups[4].startswith("25,0%") and "Failover: 16.000 VA (50,0%)" in ups[4]
    assert summary_row(page, "Genset GEN-1")[4].startswith("16,7%")
    # bandwidth in Mbps: 300 of 1500 allocatable = 20 %
    bw = summary_row(page, "Bandwidth")
    assert bw[1:4] == ["300", "1.500 Mbps", "1.200"] and bw[4].startswith("20,0%")
    assert summary_row(page, "Hosting: vCPU")[4].startswith("18,8%")
    assert summary_row(page, "Hosting: memori")[4].startswith("37,5%")
    assert summary_row(page, "Hosting: disk")[4].startswith("30,0%")


def test_bars_are_coloured_by_level() -> None:
    html = render()
    # 105.3 % failover is critical (red), 25.5 % normal power is fine (green)
    assert re.search(r'class="lvl-crit" style="width: 100.0%"', html)
    assert re.search(r'class="lvl-ok" style="width: 25.5%"', html)


def test_time_source_and_findings_are_shown() -> None:
    html = render(source="NetBox https://netbox.example.go.id")
    assert "Sabtu, 28 November 2026, 14.05 WITA" in html
    assert "NetBox https://netbox.example.go.id" in html
    assert '<span data-errors>1</span> galat, <span data-warnings>1</span> peringatan' in html
    assert html.count("data-finding") == 2 and "feed R02-A" in html


def test_english_report() -> None:
    html = render(lang="en")
    assert "Data Centre Capacity Report" in html and "Saturday, 28 November 2026, 14:05 WITA" in html
    assert "Unsafe on failover" in html and "Rack space" in html


# --------------------------------------------------------------------------- offline, escaping, errors


def test_the_file_is_self_contained() -> None:
    html = render(source="NetBox https://netbox.example.go.id")
    assert not re.search(r"\b(src|href)\s*=", html)
    assert not re.search(r"<(script|link|img|iframe|object)\b", html)
    assert "@import" not in html and "@font-face" not in html
    assert re.findall(r"url\(([^)]*)\)", html) and set(re.findall(r"url\(([^)]*)\)", html)) == {"#hatch"}


def test_hostile_names_are_escaped() -> None:
    report = small_report()
    report["racks"][0]["name"] = "<script>alert(1)</script>"
    report["findings"][0]["message"] = '"><img src=x onerror=alert(1)>'
    snap = small_snapshot()
    snap.tenants[0].name = "<script>alert(2)</script>"
    snap.racks[0].name = "<script>alert(1)</script>"
    html = render(report, elevations=build_elevations(snap), source='a"b<script>')
    page = parse(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert rack_ref("dc-smd", "Ruang Server 1", "<script>alert(1)</script>") in page.racks


def test_missing_rack_field_is_a_clear_error() -> None:
    report = small_report()
    del report["racks"][1]["free_u"]
    with pytest.raises(InputError, match=r"capacity report: racks\[1\]\.free_u: missing \(required\)"):
        render(report)


def test_missing_section_is_a_clear_error() -> None:
    report = small_report()
    del report["findings"]
    with pytest.raises(InputError, match="capacity report: findings: missing"):
        render(report)


def test_bad_elevation_is_a_clear_error() -> None:
    el = build_elevations(small_snapshot())
    el = copy.deepcopy(el)
    el["dc-smd/R03"]["front"][0]["kind"] = "ghost"
    with pytest.raises(InputError, match=r"rack elevations: .*kind"):
        render(elevations=el)


# --------------------------------------------------------------------------- the real engine


def test_renders_the_capacity_engines_own_report() -> None:
    from capacity.engine import compute_capacity
    from capacity.report import build_report

    snap = small_snapshot()
    report = build_report(snap, compute_capacity(snap))
    page = parse(render(report, elevations=build_elevations(snap)))
    assert set(page.racks) == {"dc-smd/Ruang Server 1/R01", "dc-smd/Ruang Server 1/R02", "dc-smd/R03"}
    assert all(r["front"] or r["rear"] for r in page.racks.values())


def test_bundled_demo_every_rack_found_its_elevation() -> None:
    from capacity.engine import compute_capacity
    from capacity.report import build_report
    from inventory.files import demo_path, load_snapshot

    if not demo_path().exists():
        pytest.skip("the bundled demo is not there yet")
    snap = load_snapshot("demo")
    report = build_report(snap, compute_capacity(snap))
    elevations = build_elevations(snap)
    html = render(report, elevations=elevations)
    page = parse(html)
    assert len(page.racks) == len(report["racks"]) == len(snap.racks)
    assert "Data unit tidak tersedia" not in html  # report rows and elevations name racks alike
    drawn = sum(len(r["front"]) + len(r["rear"]) for r in page.racks.values())
    # every device and reservation item of the elevations is drawn (none lies outside its rack)
    assert drawn == sum(len(e["front"]) + len(e["rear"]) for e in elevations.values())
