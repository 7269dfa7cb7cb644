"""`colo capacity forecast` on the bundled demo: the formats, the options, bad input; the
runway in the HTML capacity report and in the register review; the demo's request files."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from colo_cli.main import cli
from reports.forecast_render import amount

ROOT = Path(__file__).resolve().parents[2]
TODAY = ("--today", "2026-12-04")
#: the demo's runway rows: 22 dimensions, and the W rating of its 5 UPSs and 2 gensets
DIMENSION_ROWS = 29


@pytest.fixture(autouse=True)
def clean_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ("COLO_REQUESTS_DIR", "NETBOX_URL", "COLO_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def colo(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result


def forecast(*args: str, code: int = 0) -> Result:
    return colo("capacity", "forecast", "--source", "demo", *TODAY, *args, code=code)


def test_table_ranks_the_dimensions_and_names_the_binding_one() -> None:
    out = forecast().output.splitlines()
    assert out[0] == "Capacity runway at 2026-12-04: horizon 24 months, warning at 80 %"
    assert out[1] == "History: the bundled demo's request files (26 requests), 24 months"
    assert out[3].split()[:4] == ["#", "site", "dimension", "used"]
    # the demo's rack R1-06 gives off more heat than its own cooling takes: it binds first
    assert out[4].split()[:7] == ["1", "dc-kaltim", "Cooling", "R1-06", "6.8", "/", "6"]
    bandwidth = next(line for line in out if " Bandwidth " in line)
    assert bandwidth.split()[1:7] == ["dc-kaltim", "Bandwidth", "2,520", "/", "3,000", "Mbps"]
    assert re.search(r" 84\.0 % +\+16\.7 Mbps \(\+10\.1\.\.\+29\) +now +not within the horizon "
                     r"\(earliest 2027-09\)$", bandwidth), bandwidth
    assert len([line for line in out if re.match(r"^\d+ ", line)]) == DIMENSION_ROWS
    # the DRC genset binds on W, as the capacity report says (57.5 % used, binds: W): its VA
    # row alone (48.9 %) would have shown a planner the looser rating
    genset_w = next(line for line in out if " Genset (W) GENSET-DRC " in line)
    assert genset_w.split()[5:9] == ["36.8", "/", "64", "kW"] and " 57.5 % " in genset_w
    genset_va = next(line for line in out if " Genset (VA) GENSET-DRC " in line)
    assert " 48.9 % " in genset_va and out.index(genset_w) < out.index(genset_va)
    tail = out[out.index("Binding constraint (runs out first):"):]
    assert tail[1] == "  dc-kaltim: Cooling R1-06, 80 % now, 100 % now"
    assert tail[2] == "  drc-balikpapan: Cooling Ruang DRC, 80 % now, 100 % now"


def test_a_longer_horizon_finds_the_month() -> None:
    data = json.loads(forecast("--horizon", "3y", "--format", "json").output)
    bandwidth = next(r for r in data["dimensions"] if r["dimension"] == "bandwidth")
    assert data["meta"]["horizon_months"] == 36
    assert bandwidth["dimension"] == "bandwidth" and bandwidth["full"]["when"] == "2029-04"
    assert bandwidth["full"]["earliest"] == "2027-09" and bandwidth["full"]["months"] == pytest.approx(28.8, abs=0.1)
    assert len(bandwidth["projection"]) == 37 and bandwidth["projection"][0]["central"] == bandwidth["used"]


def test_csv_has_one_row_per_dimension() -> None:
    rows = list(csv.DictReader(io.StringIO(forecast("--format", "csv").output)))
    assert len(rows) == DIMENSION_ROWS
    bandwidth = next(r for r in rows if r["dimension"] == "bandwidth")
    assert bandwidth["warning_when"] == "now" and bandwidth["full_when"] == "" and bandwidth["unit"] == "kbps"
    assert bandwidth["used"] == "2520000"


def test_without_history_nothing_grows() -> None:
    data = json.loads(forecast("--history-from", "none", "--format", "json").output)
    assert data["meta"]["history_sources"] == []
    # nothing grows: 100 % is reached only where it is already (the over-loaded cooling), now
    assert all(r["growth_per_month"] == 0 and r["full"]["when"] == ("now" if r["used_pct"] >= 100 else None)
               for r in data["dimensions"])
    assert "History: none (no growth is known), 24 months" in forecast("--history-from", "none").output


def test_configured_threshold_and_history(tmp_path: Path) -> None:
    (tmp_path / "colo.yaml").write_text("forecast:\n  warning_pct: 70\n  history_months: 12\n", encoding="utf-8")
    data = json.loads(forecast("--format", "json").output)
    assert (data["meta"]["warning_pct"], data["meta"]["history_months"]) == (70, 12)
    assert len(data["dimensions"][0]["history"]) == 13
    assert json.loads(forecast("--format", "json", "--warning", "90").output)["meta"]["warning_pct"] == 90


@pytest.mark.parametrize(("args", "message"), [
    (("--horizon", "soon"), "Error: --horizon: 'soon' is not a number of months"),
    (("--warning", "120"), "Error: colo.yaml: forecast: warning_pct: Input should be less than 100"),
    (("--today", "2026-13-01"), "Error: --today: '2026-13-01' is not a date (YYYY-MM-DD)"),
    (("--history-from", "netbox"), "Error: --history-from netbox needs --source netbox"),
    (("--history-from", "requests", "--requests-dir", "empty"), "Error: --history-from requests: no request files"),
    (("--site", "atlantis"), "Error: unknown site 'atlantis' (known sites: dc-kaltim, drc-balikpapan)"),
])
def test_bad_input_is_one_error_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    (tmp_path / "colo.yaml").write_text("forecast: {}\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    out = forecast(*args, code=2).output
    assert out.startswith(message), out
    assert "Traceback" not in out


def test_a_bad_request_file_in_the_history_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "requests"
    folder.mkdir()
    (folder / "REQ-2026-0001.yaml").write_text("id: REQ-2026-0001\nstate: approved\n", encoding="utf-8")
    out = forecast("--requests-dir", str(folder), code=2).output
    assert out.startswith(f"Error: {folder / 'REQ-2026-0001.yaml'}: ")


def test_one_site() -> None:
    data = json.loads(forecast("--site", "drc-balikpapan", "--format", "json").output)
    assert {r["site"] for r in data["dimensions"]} == {"drc-balikpapan"}
    assert [b["site"] for b in data["binding"]] == ["drc-balikpapan"]


def assert_self_contained(html: str) -> None:
    """No script, no external reference: every href and url() points into the page."""
    assert not re.search(r"<(script|link|img|iframe|object)\b", html, re.IGNORECASE)
    assert "@import" not in html and "@font-face" not in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "an id is used twice"
    refs = re.findall(r'href="([^"]*)"', html) + re.findall(r"url\(([^)]*)\)", html)
    assert refs and all(r.startswith("#") and r[1:] in set(ids) for r in refs), \
        sorted({r for r in refs if not (r.startswith("#") and r[1:] in ids)})[:5]


def test_html_page_has_a_chart_per_dimension() -> None:
    html = forecast("--format", "html").output
    assert html.count("<svg data-chart=") == DIMENSION_ROWS and html.count('<figure class="chart"') == DIMENSION_ROWS
    assert_self_contained(html)
    assert "Data Centre Capacity Runway" in html and 'data-dimension="cooling" class="binding"' in html


def test_the_html_capacity_report_gains_runway_charts_and_the_heat_map(tmp_path: Path) -> None:
    colo("capacity", "report", "--source", "demo", "--format", "html", "-o", "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "data-runway" in html and "data-heatmaps" in html
    assert len(re.findall(r'<svg data-chart="runway\d+"', html)) == DIMENSION_ROWS
    assert re.findall(r'<svg data-chart="(heatmap\d+)"', html) == ["heatmap1", "heatmap2"]
    assert_self_contained(html)
    # the rack elevations are still there, one figure per rack
    assert html.count("<figure class=\"rack") == 20


def test_the_register_review_names_the_binding_dimension(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "inventory/demo/requests", tmp_path / "requests")  # the document is stored beside them
    (tmp_path / "colo.yaml").write_text(f"workflow:\n  requests_dir: {tmp_path / 'requests'}\n", encoding="utf-8")
    out = colo("doc", "register-review", "--source", "demo", "--format", "html", "--lang", "en",
               "--today", "2026-12-04", "-o", str(tmp_path / "review.html")).output
    assert "warning" not in out
    html = (tmp_path / "review.html").read_text(encoding="utf-8")
    section = html[html.index("data-runway"):]
    cells = re.findall(r"<td>([^<]*)</td>", section[:section.index("</table>")])
    # each site's binding dimension: the demo's over-loaded cooling (a rack, the DRC's room)
    assert cells == ["dc-kaltim", "Cooling R1-06", "113.2 %", "now", "now",
                     "drc-balikpapan", "Cooling Ruang DRC", "110.6 %", "now", "now"]
    assert "by the demand trend of the last 24 months (horizon 24 months)" in html


def test_the_bundled_demo_requests_are_current(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_demo_requests
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert make_demo_requests.main(["--check"]) == 0, "run python scripts/make_demo_requests.py"
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "REQ-2026-0001.yaml").write_text("id: REQ-2026-0001\n", encoding="utf-8")
    assert make_demo_requests.main(["--check", "-o", str(stale)]) == 1


def test_slow_growth_is_shown_not_rounded_to_zero() -> None:
    # the demo's server room 1 warms by about 35 W a month: one decimal of kW printed it
    # as a flat "0 kW" beside a 100 % date that the same growth produces
    out = forecast().output.splitlines()
    room = next(line for line in out if " Cooling Ruang Server 1 " in line)
    assert re.search(r" 84\.7 % +\+0\.035 kW \(\+0\.018\.\.\+0\.3\) ", room), room
    # a figure that is exactly zero stays 0, and whole units keep their one decimal
    assert amount(0, "W", signed=True) == "0" and amount(300, "W", signed=True) == "+0.3"
    assert amount(35, "W", "id", signed=True) == "+0,035" and amount(-20, "W") == "-0.02"
