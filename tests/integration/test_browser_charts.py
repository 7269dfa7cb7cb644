"""Headless Chromium opens the HTML capacity report with its runway charts and rack heat
map (inline SVG from matplotlib), as it opens the report itself (test_browser.py)."""

from __future__ import annotations

import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from capacity.engine import compute_capacity
from capacity.report import build_report
from inventory.files import load_snapshot
from playbooks.config import WorkflowConfig
from playbooks.forecasting import ForecastSettings, History, build_forecast
from playbooks.history import request_tenures
from playbooks.requests import RequestStore
from playbooks.runway import demo_requests_dir
from playbooks.sla import WorkingCalendar
from reports.capacity_html import build_elevations, render_capacity_html
from tests.support.browser import chromium, pytestmark, read_png  # noqa: F401 (pytestmark: the skip rule)

NOW = datetime(2026, 12, 4, 4, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    snapshot = load_snapshot("demo")
    config = WorkflowConfig()
    tenures = request_tenures(RequestStore(demo_requests_dir()).read_all(), WorkingCalendar(config.sla),
                              config.lapse_working_days, NOW)
    runway = build_forecast(snapshot, History(tenures, ["demo requests"]), NOW, ForecastSettings()).to_dict()
    html = render_capacity_html(build_report(snapshot, compute_capacity(snapshot)),
                                snapshot_elevations=build_elevations(snapshot), generated_at=NOW, source="demo",
                                forecast=runway, heatmap=True)
    path = tmp_path_factory.mktemp("charts") / "capacity.html"
    path.write_text(html, encoding="utf-8")
    return path, html


def test_every_chart_is_in_the_rendered_dom(page: tuple[Path, str]) -> None:
    path, html = page
    done = chromium("--dump-dom", path.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = done.stdout.decode("utf-8")
    charts = re.findall(r'<svg data-chart="([a-z]+\d+)"', dom)
    assert charts == re.findall(r'<svg data-chart="([a-z]+\d+)"', html)
    assert sorted(c for c in charts if c.startswith("heatmap")) == ["heatmap1", "heatmap2"]
    # one runway chart per dimension of the demo's forecast: 29 (space, power normal and on
    # failover, UPSs and gensets in VA and in W, bandwidth, hosting, outlets, cooling, over
    # its two sites)
    assert len([c for c in charts if c.startswith("runway")]) == 29


def test_the_heat_map_colours_are_on_screen(page: tuple[Path, str]) -> None:
    path, html = page
    heatmap = html[html.index('<svg data-chart="heatmap1"'):]
    heatmap = heatmap[:heatmap.index("</svg>")]
    cells = {tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))
             for h in re.findall(r"fill: #([0-9a-f]{6}); stroke: #ffffff", heatmap)}  # the rack cells
    assert len(cells) > 5
    with tempfile.TemporaryDirectory() as out:
        png = Path(out) / "shot.png"
        done = chromium(f"--screenshot={png}", "--window-size=1400,1800", path.as_uri())
        assert done.returncode == 0 and png.exists(), done.stderr.decode(errors="replace")[-2000:]
        _, _, pixels = read_png(png)
    seen = cells & set(pixels)
    assert len(seen) >= len(cells) // 2, f"{len(seen)} of {len(cells)} heat map colours on screen"
