"""The SVG charts (reports/charts.py): repeatable bytes, ids of their own, text escaped,
nothing external."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from reports.charts import rack_heatmap, runway_chart
from reports.i18n import labels

WITA = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 4, 12, tzinfo=WITA)


def row(site: str = "dc-kaltim") -> dict[str, Any]:
    history = [{"at": (NOW - timedelta(days=30 * (12 - i))).isoformat(), "used": 100.0 + 2 * i} for i in range(13)]
    projection = [{"at": (NOW + timedelta(days=30 * m)).isoformat(), "low": 124 + 1.5 * m - 3,
                   "central": 124 + 2.0 * m, "high": 124 + 2.5 * m + 3} for m in range(25)]
    return {"site": site, "dimension": "space", "object": None, "unit": "U", "used": 124.0, "capacity": 160.0,
            "warning": {"pct": 80.0, "when": "2027-02"}, "full": {"pct": 100.0, "when": "2028-06"},
            "history": history, "projection": projection,
            "trend": [{"at": history[0]["at"], "value": 100.0}, {"at": NOW.isoformat(), "value": 124.0}]}


def racks(name: str = "R1-01") -> list[dict[str, Any]]:
    return [{"site": "dc", "location": "Ruang Server 1", "name": name, "free_u": 12.0,
             "failover_headroom_va": -900, "open_for_colocation": True},
            {"site": "dc", "location": "Ruang Server 1", "name": "R1-02", "free_u": 40.0,
             "failover_headroom_va": 4100, "open_for_colocation": False},
            {"site": "dc", "location": "Ruang Server 2", "name": "R2-01", "free_u": 0.0,
             "failover_headroom_va": 2000, "open_for_colocation": True}]


def ids(svg: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', svg))


def test_same_data_same_bytes_and_no_date() -> None:
    L = labels("en")
    first = runway_chart(row(), L, "en", "c1")
    assert first == runway_chart(row(), L, "en", "c1")
    assert rack_heatmap(racks(), L, "en", "h1") == rack_heatmap(racks(), L, "en", "h1")
    assert "<dc:date>" not in first and not first.startswith("<?xml")
    assert first.startswith('<svg data-chart="c1" role="img" ')


def test_every_id_is_scoped_to_its_chart() -> None:
    L = labels("en")
    a, b = runway_chart(row(), L, "en", "c1"), runway_chart(row(), L, "en", "c2")
    assert ids(a) and all(i.startswith("c1-") for i in ids(a)) and all(i.startswith("c2-") for i in ids(b))
    for svg, own in ((a, ids(a)), (b, ids(b))):
        refs = re.findall(r'href="#([^"]+)"', svg) + re.findall(r"url\(#([^)]+)\)", svg)
        assert refs and set(refs) <= own


def test_nothing_external_and_no_raster_image() -> None:
    L = labels("id")
    for svg in (runway_chart(row(), L, "id", "c1"), rack_heatmap(racks(), L, "id", "h1") or ""):
        assert not re.search(r"<(script|image|foreignObject)\b", svg)
        assert not re.findall(r'href="(?!#)', svg)


def test_names_in_the_charts_are_escaped() -> None:
    L = labels("en")
    svg = rack_heatmap(racks("<script>alert(1)</script>"), L, "en", "h1") or ""
    assert "<script" not in svg and "alert(1)" in svg  # in an escaped comment beside its glyphs
    svg = runway_chart(row('dc"><script>x</script>'), L, "en", "c1")
    assert "<script" not in svg


def test_the_heat_map_draws_a_cell_per_rack_in_its_room_row() -> None:
    L = labels("en")
    svg = rack_heatmap(racks(), L, "en", "h1") or ""
    for text in ("R1-01", "R1-02 ✕", "R2-01", "Ruang Server 1", "Ruang Server 2", "Free units (U)",
                 "Failover headroom (kVA)"):
        assert text in svg, text
    assert rack_heatmap([], L, "en", "h1") is None
