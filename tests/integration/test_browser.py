"""A real browser opens the HTML capacity report: Debian's headless Chromium.

Checks what a planner would see: one element per rack in the rendered DOM, and a
screenshot that is not blank and shows the tenants' colours of the elevations.
Needs no NetBox: it renders the bundled demo (or a small hand-built snapshot while the
demo is not there). Skips when Chromium is missing, except in CI where it must run.
"""

from __future__ import annotations

import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from capacity.engine import compute_capacity
from capacity.report import build_report
from inventory.model import Snapshot
from reports.capacity_html import build_elevations, render_capacity_html, tenant_colours
from tests.support.browser import chromium, decode_png, pytestmark, read_png  # noqa: F401 (pytestmark: the skip rule)

def _snapshot() -> tuple[Snapshot, str]:
    from inventory.files import demo_path, load_snapshot

    if demo_path().exists():
        return load_snapshot("demo"), "demo"
    from tests.support.snapshots import small_snapshot

    return small_snapshot(), "small hand-built snapshot"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    snapshot, source = _snapshot()
    report = build_report(snapshot, compute_capacity(snapshot))
    elevations = build_elevations(snapshot)
    html = render_capacity_html(report, snapshot_elevations=elevations,
                                generated_at=datetime(2026, 11, 28, 6, 5, tzinfo=timezone.utc),
                                source=source)
    path = tmp_path_factory.mktemp("html") / "capacity.html"
    path.write_text(html, encoding="utf-8")
    return path, report, elevations


def test_dom_has_one_element_per_rack(report_file: tuple[Path, dict, dict]) -> None:
    path, report, _ = report_file
    done = chromium("--dump-dom", path.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = done.stdout.decode("utf-8")
    racks = re.findall(r'<figure [^>]*data-rack="([^"]+)"', dom)
    assert len(racks) == len(report["racks"]) > 0
    assert len(set(racks)) == len(racks)
    # each rack is drawn front and rear
    assert dom.count('data-face="front"') == dom.count('data-face="rear"') == len(racks)


def test_screenshot_is_not_blank_and_shows_the_elevations(report_file: tuple[Path, dict, dict]) -> None:
    path, _, elevations = report_file
    with tempfile.TemporaryDirectory() as out:
        png = Path(out) / "shot.png"
        done = chromium(f"--screenshot={png}", "--window-size=1400,2400", path.as_uri())
        assert done.returncode == 0 and png.exists(), done.stderr.decode(errors="replace")[-2000:]
        width, height, pixels = read_png(png)
    assert (width, height) == (1400, 2400)
    colours = set(pixels)
    assert len(colours) > 20, f"only {len(colours)} colours: the page looks blank"
    # the tenants' colours of the drawn units appear on screen
    tenants = {i["tenant"] for el in elevations.values() for face in ("front", "rear")
               for i in el[face] if i.get("tenant") and i["kind"] == "device"}
    expected = {_rgb(c) for c in tenant_colours(tenants).values()}
    seen = expected & colours
    assert seen, "no tenant colour of the rack elevations is on the screenshot"


def test_tiny_png_decoder_agrees_with_pillow(tmp_path: Path) -> None:
    Image = pytest.importorskip("PIL.Image")
    import random

    rng = random.Random(5)
    # smooth gradients with noise make the encoder use every row filter type
    im = Image.new("RGBA", (37, 23))
    for y in range(23):
        for x in range(37):
            im.putpixel((x, y), ((x * 7) % 256, (y * 11) % 256, rng.randrange(256), 255))
    im.save(tmp_path / "t.png")
    w, h, pixels = decode_png((tmp_path / "t.png").read_bytes())
    assert (w, h) == (37, 23)
    assert pixels == [im.getpixel((x, y))[:3] for y in range(23) for x in range(37)]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


