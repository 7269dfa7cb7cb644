"""Charts as inline SVG, drawn by matplotlib: runway charts and the rack heat map.

Takes plain data (a forecast's dimension rows, `playbooks.forecasting.runway_row`; the
capacity report's rack rows) and returns SVG text to put inside HTML: no script, no
external font or image (glyphs are paths, DejaVu Sans as shipped with matplotlib).

Repeatable: the same data gives the same bytes (a fixed `svg.hashsalt`, no date in the
metadata, matplotlib's Agg-free SVG backend through `Figure` without pyplot's global
state). Every id inside a chart is prefixed with the chart's own id, so several charts
in one page never share an id.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from reports.i18n import Labels, dimension_label, display_unit, format_number

if TYPE_CHECKING:  # for the hints only: matplotlib is imported where a chart is drawn
    from matplotlib.figure import Figure

STYLE = {
    "svg.hashsalt": "colo-capacity",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
MAX_LABELLED_CELLS = 400  # beyond, the cells carry no text (it would not be legible)
HISTORY, PROJECTION, WARNING, CAPACITY, TREND = "#4e79a7", "#f28e2b", "#b6992d", "#e15759", "#79706e"


def runway_chart(row: dict[str, Any], L: Labels, lang: str, chart_id: str) -> str:
    """One dimension: its history, trend, projection with the band, and the thresholds."""
    import matplotlib  # optional: 0.4 s to import, paid only by the commands that draw charts
    from matplotlib.dates import AutoDateLocator, DateFormatter  # optional: as matplotlib
    from matplotlib.figure import Figure  # optional: as matplotlib

    scale, unit = display_unit(row["unit"])
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(6.2, 2.7))
        fig.set_layout_engine("constrained")
        ax = fig.add_subplot()
        hist = [(_when(p["at"]), p["used"] / scale) for p in row["history"]]
        if hist:
            ax.step([t for t, _ in hist], [v for _, v in hist], where="post", color=HISTORY, lw=1.6,
                    label=L.fc_history)
        trend = row.get("trend") or []
        if len(trend) == 2:
            ax.plot([_when(p["at"]) for p in trend], [p["value"] / scale for p in trend], color=TREND, lw=1,
                    ls=":", label=L.fc_trend)
        proj = row.get("projection") or []
        if proj:
            when = [_when(p["at"]) for p in proj]
            ax.fill_between(when, [p["low"] / scale for p in proj], [p["high"] / scale for p in proj],
                            color=PROJECTION, alpha=0.18, lw=0, label=L.fc_band)
            ax.plot(when, [p["central"] / scale for p in proj], color=PROJECTION, lw=1.6, ls="--",
                    label=L.fc_projection)
        if proj:
            ax.axvline(_when(proj[0]["at"]), color="#999999", lw=0.8)
            ax.annotate(L.fc_now, (_when(proj[0]["at"]), 0), xytext=(2, 2), textcoords="offset points",
                        fontsize=6.5, color="#666666")
        capacity = row["capacity"] / scale
        ax.axhline(capacity, color=CAPACITY, lw=1.2, label=f"{L.fc_capacity_line} 100 %")
        ax.axhline(capacity * row["warning"]["pct"] / 100.0, color=WARNING, lw=1, ls="--",
                   label=f"{L.fc_warning_line} {format_number(row['warning']['pct'], lang)} %")
        top = max([capacity * 1.1] + [p["central"] / scale * 1.02 for p in proj])
        ax.set_ylim(0, min(top, capacity * 1.6))
        ax.set_ylabel(unit)
        ax.xaxis.set_major_locator(AutoDateLocator(minticks=4, maxticks=9))
        ax.xaxis.set_major_formatter(DateFormatter("%Y-%m"))
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", color="#dddddd", lw=0.6)
        ax.set_title(f"{row['site']} · {dimension_label(row, L)}", fontsize=9, loc="left")
        ax.legend(fontsize=6.5, loc="upper left", ncol=3, frameon=False)
        return _svg(fig, chart_id)


def rack_heatmap(racks: list[dict[str, Any]], L: Labels, lang: str, chart_id: str) -> str | None:
    """Racks of one site by room: free units (top) and failover headroom (bottom)."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in racks:
        rows[r.get("location") or ""].append(r)
    if not rows:
        return None
    import matplotlib  # optional: 0.4 s to import, paid only by the commands that draw charts
    import numpy  # optional: with matplotlib
    from matplotlib.colors import TwoSlopeNorm  # optional: as matplotlib
    from matplotlib.figure import Figure  # optional: as matplotlib

    rooms = list(rows)
    cols = max(len(v) for v in rows.values())
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(min(1.5 + 0.78 * cols, 16), 1.6 + 2 * (0.55 * len(rooms) + 0.6)))
        fig.set_layout_engine("constrained")
        panels = (("free_u", L.fc_free_u, 1.0, "RdYlGn"), ("failover_headroom_va", L.fc_failover_headroom, 1000.0,
                                                             "RdYlGn"))
        for i, (key, title, scale, cmap) in enumerate(panels):
            ax = fig.add_subplot(2, 1, i + 1)
            grid = [[float("nan")] * cols for _ in rooms]
            for y, room in enumerate(rooms):
                for x, r in enumerate(rows[room]):
                    grid[y][x] = (r.get(key) or 0) / scale
            values = [v for line in grid for v in line if v == v]
            low, high = min(values + [0.0]), max(values + [1.0])
            norm = TwoSlopeNorm(vmin=min(low, -1e-9 - abs(high) * 0.25), vcenter=0.0, vmax=high) \
                if key == "failover_headroom_va" else None
            cells = numpy.ma.masked_invalid(numpy.array(grid, dtype=float))  # vector cells, not a raster image
            image = ax.pcolormesh(numpy.arange(cols + 1) - 0.5, numpy.arange(len(rooms) + 1) - 0.5, cells, cmap=cmap,
                                  norm=norm, vmin=None if norm else 0, vmax=None if norm else high,
                                  edgecolors="#ffffff", linewidth=1.5)
            ax.invert_yaxis()
            for y, room in enumerate(rooms):
                for x, r in enumerate(rows[room] if len(rooms) * cols <= MAX_LABELLED_CELLS else ()):
                    closed = "" if r.get("open_for_colocation", True) else " ✕"
                    ax.text(x, y, f"{r['name']}{closed}\n{format_number(round(grid[y][x], 1), lang)}",
                            ha="center", va="center", fontsize=6.5, color="#111111")
            ax.set_yticks(range(len(rooms)), [room or "—" for room in rooms], fontsize=7)
            ax.set_xticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            ax.set_title(title, fontsize=9, loc="left")
            bar = fig.colorbar(image, ax=ax, shrink=0.9, pad=0.01)
            if bar.solids is not None:
                bar.solids.set_rasterized(False)  # vector, not an embedded PNG
        return _svg(fig, chart_id)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


_ID = re.compile(r'\bid="([^"]+)"')


def _svg(fig: Figure, chart_id: str) -> str:
    """The figure as SVG for inline use: no XML prologue, ids scoped by `chart_id`."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    for ident in sorted(set(_ID.findall(text)), key=len, reverse=True):
        scoped = f"{chart_id}-{ident}"
        text = text.replace(f'id="{ident}"', f'id="{scoped}"').replace(f'#{ident}"', f'#{scoped}"') \
            .replace(f"#{ident})", f"#{scoped})")
    return text.replace("<svg ", f'<svg data-chart="{chart_id}" role="img" ', 1)
