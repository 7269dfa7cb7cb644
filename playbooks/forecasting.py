"""`colo capacity forecast` and `colo capacity whatif` as plain data (docs/forecast.md).

The history of every dimension is rebuilt month by month from today's snapshot and the
demand records (`capacity.replay`), measured by the capacity engine (so the last point
is today's report), and projected with a robust trend (`capacity.forecast`). A what-if
applies structural additions (`--change`) to every month, and the removals and
additions of demand to today only, then projects again from there.

Configuration and sources come in as arguments; nothing here reads a file or the
environment by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from capacity.dimensions import Figure, site_figures
from capacity.forecast import (
    Crossing, Runway, after_months, forecast, month_label, month_starts, months_between,
)
from capacity.policy import Policy
from capacity.replay import prepare, replay_series
from inventory.demand import Tenure
from inventory.model import Snapshot


class ForecastSettings(BaseModel):
    """The `forecast:` section of the configuration file."""

    model_config = ConfigDict(extra="forbid")

    warning_pct: float = Field(80.0, gt=0, lt=100, description="Warning threshold, % of a dimension's capacity.")
    horizon_months: int = Field(24, ge=1, le=240, description="How far ahead the forecast looks.")
    history_months: int = Field(24, ge=1, le=120, description="Months of history the trend is fitted on.")


@dataclass
class History:
    """The demand records and where they came from, for people."""

    tenures: list[Tenure] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass
class Forecast:
    now: datetime
    settings: ForecastSettings
    runways: list[Runway]
    sources: list[str]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: `meta`, `dimensions` (ranked), `binding` (per site)."""
        rows = [runway_row(r, self.now, rank, self.settings.horizon_months)
                for rank, r in enumerate(self.runways, start=1)]
        binding: dict[str, dict[str, Any]] = {}
        for row in rows:
            binding.setdefault(row["site"], row)
        return {
            "meta": {"now": self.now.isoformat(timespec="seconds"), "warning_pct": self.settings.warning_pct,
                     "horizon_months": self.settings.horizon_months,
                     "history_months": self.settings.history_months, "history_sources": self.sources,
                     "notes": self.notes},
            "dimensions": rows,
            "binding": [_binding(row) for row in binding.values()],
        }


def runway_row(r: Runway, now: datetime, rank: int, horizon: int) -> dict[str, Any]:
    f = r.figure
    return {
        "rank": rank, "site": f.site, "dimension": f.kind, "object": f.object, "unit": f.unit,
        "used": f.used, "capacity": f.capacity, "free": round(r.free, 3), "used_pct": round(r.used_pct, 1),
        "growth_per_month": round(r.growth, 3), "growth_low": round(r.growth_low, 3),
        "growth_high": round(r.growth_high, 3), "band": round(r.band, 3), "history_points": r.trend.points,
        "warning": _crossing(r.warning, now), "full": _crossing(r.full, now),
        "history": [{"at": t.isoformat(timespec="seconds"), "used": v} for t, v in r.history],
        "trend": _trend(r, now),
        "projection": [_projected(r, now, m) for m in range(0, horizon + 1)],
    }


def _trend(r: Runway, now: datetime) -> list[dict[str, Any]]:
    """The fitted line over the history: its value at the first point and now."""
    if not r.history:
        return []
    first = r.history[0][0]
    x = months_between(now, first)
    return [{"at": first.isoformat(timespec="seconds"), "value": round(r.trend.intercept + r.trend.slope * x, 3)},
            {"at": now.isoformat(timespec="seconds"), "value": round(r.trend.intercept, 3)}]


def _projected(r: Runway, now: datetime, months: int) -> dict[str, Any]:
    low, central, high = r.projection(months)
    return {"at": after_months(now, months).isoformat(timespec="seconds"), "low": round(low, 3),
            "central": round(central, 3), "high": round(high, 3)}


def _crossing(c: Crossing, now: datetime) -> dict[str, Any]:
    """`when`: "now", a month YYYY-MM, or None (not within the horizon)."""
    when = None if c.months is None else "now" if c.months == 0 else month_label(now, c.months)
    return {"pct": round(c.threshold * 100, 1), "when": when,
            "months": None if c.months is None else round(c.months, 1),
            "earliest": None if c.earliest is None else "now" if c.earliest == 0 else month_label(now, c.earliest),
            "latest": None if c.latest is None else "now" if c.latest == 0 else month_label(now, c.latest)}


def _binding(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("site", "dimension", "object", "unit", "used_pct", "warning", "full")}


def build_forecast(snapshot: Snapshot, history: History, now: datetime, settings: ForecastSettings, *,
                   taken_at: datetime | None = None, policy: Policy | None = None, sites: set[str] | None = None,
                   edit: Callable[[Snapshot], Snapshot] | None = None, today: Snapshot | None = None,
                   extra_growth: dict[tuple[str, str, str | None], float] | None = None) -> Forecast:
    """The forecast at `now` of `snapshot` (as it was at `taken_at`, default `now`) with
    its demand history. `edit` changes every month's snapshot (structural what-if),
    `today` replaces today's figures (demand what-if), `extra_growth` adds to trends (a
    stream of new demand)."""
    replay = prepare(snapshot, history.tenures, max(taken_at or now, now))

    def measure(s: Snapshot) -> list[Figure]:
        return site_figures(s, policy, sites)

    points = replay_series(replay, month_starts(now, settings.history_months), measure, edit, now)
    figures = measure(today) if today is not None else points[-1][1]
    runways = forecast(points, figures, now, warning_pct=settings.warning_pct,
                       horizon_months=settings.horizon_months, extra_growth=extra_growth)
    return Forecast(now, settings, runways, list(history.sources), list(replay.notes))


def history_window_start(now: datetime, settings: ForecastSettings) -> datetime:
    """The first moment the history looks at (the changelog is read from there)."""
    return month_starts(now, settings.history_months)[0]


def requests_source(folder: Path, count: int) -> str:
    return f"request files in {folder} ({count} approved)"
