"""Capacity runway: when each dimension reaches the warning threshold and 100 %. Pure.

The trend of a dimension's monthly history is Theil–Sen's: the median of the slopes
between every pair of points, robust to the steps a history of requests is made of (one
large request moves a least-squares line; it moves the median of slopes much less).
Its uncertainty:

* the slope's 95 % interval, Sen's rank-based one (Sen 1968, eq. 2.6, with the
  correction for tied values; what `scipy.stats.theilslopes` computes);
* the spread of the points around the trend, 1.4826 x the median absolute residual
  (a robust standard deviation).

The projection starts from today's figure (the engine's, the report's) and grows at the
trend's slope; the band grows at the interval's low and high slopes and is widened by
two spreads either way. A threshold is reached when the projection crosses it; the band
gives the earliest and latest month. No growth (a slope of 0 or less) never reaches it:
"not within the horizon". The rules and their reasons: docs/forecast.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from capacity.dimensions import Figure

Z_95 = 1.959963984540054  # two-sided 95 % quantile of the normal distribution
MAD_TO_SD = 1.4826  # a normal distribution's standard deviation per median absolute deviation
BAND_SPREADS = 2.0
DAYS_PER_MONTH = 365.2425 / 12


@dataclass(frozen=True)
class Trend:
    """A robust straight line through (month, value) points; slopes per month."""

    slope: float
    intercept: float  # at month 0 (now)
    slope_low: float
    slope_high: float
    spread: float  # robust standard deviation of the residuals
    points: int


def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> Trend:
    """Theil–Sen's slope with Sen's 95 % interval, the median intercept and the spread.

    Fewer than two distinct x: a flat line through the median, no spread."""
    n = len(xs)
    slopes = sorted((ys[j] - ys[i]) / (xs[j] - xs[i])
                    for i in range(n) for j in range(i + 1, n) if xs[j] != xs[i])
    if not slopes:
        level = median(ys) if ys else 0.0
        return Trend(0.0, level, 0.0, 0.0, 0.0, n)
    slope = median(slopes)
    intercept = median(y - slope * x for x, y in zip(xs, ys))
    variance = (n * (n - 1) * (2 * n + 5) - _tie_term(xs) - _tie_term(ys)) / 18.0
    sigma = math.sqrt(max(variance, 0.0))
    count = len(slopes)
    low = slopes[max(int(round((count - Z_95 * sigma) / 2.0)) - 1, 0)]
    high = slopes[min(int(round((count + Z_95 * sigma) / 2.0)), count - 1)]
    residuals = [y - (intercept + slope * x) for x, y in zip(xs, ys)]
    spread = MAD_TO_SD * median(abs(r - median(residuals)) for r in residuals)
    return Trend(slope, intercept, min(low, slope), max(high, slope), spread, n)


def _tie_term(values: Iterable[float]) -> float:
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sum(k * (k - 1) * (2 * k + 5) for k in counts.values() if k > 1)


# --------------------------------------------------------------------------- crossings
@dataclass(frozen=True)
class Crossing:
    """When a threshold is reached, in months from now: 0 already, None not within the
    horizon; `earliest` and `latest` from the band (None: beyond the horizon)."""

    threshold: float  # the value reached (a fraction of the capacity)
    months: float | None
    earliest: float | None
    latest: float | None


def months_to(level: float, rate: float, target: float, horizon: float) -> float | None:
    """Months until `level + rate * m` reaches `target`: 0 when it is there already, None
    when it does not grow or gets there only after `horizon` months."""
    if level >= target:
        return 0.0
    if rate <= 0:
        return None
    months = (target - level) / rate
    return months if months <= horizon else None


@dataclass
class Runway:
    figure: Figure  # today's
    trend: Trend
    growth: float  # per month: the trend's slope plus any what-if growth
    growth_low: float
    growth_high: float
    band: float  # the band's half width added to the projection
    warning: Crossing
    full: Crossing
    history: list[tuple[datetime, float]] = field(default_factory=list)

    @property
    def free(self) -> float:
        return self.figure.capacity - self.figure.used

    @property
    def used_pct(self) -> float:
        return 100.0 * self.figure.used / self.figure.capacity

    def projection(self, months: float) -> tuple[float, float, float]:
        """(low, central, high) value `months` from now."""
        used = self.figure.used
        return (used + self.growth_low * months - self.band, used + self.growth * months,
                used + self.growth_high * months + self.band)

    def rank_key(self) -> tuple[float, float, float]:
        """Which runs out first: 100 % soonest, then the warning, then the fullest."""
        def m(c: Crossing) -> float:
            return math.inf if c.months is None else c.months
        return (m(self.full), m(self.warning), -self.used_pct)


def runway(figure: Figure, history: Sequence[tuple[datetime, float]], now: datetime, *,
           warning_pct: float = 80.0, horizon_months: float = 24.0, extra_growth: float = 0.0) -> Runway:
    """The runway of one dimension: today's figure, its monthly history (today's
    included or not) and what a what-if adds per month."""
    xs = [months_between(now, t) for t, _ in history]
    trend = theil_sen(xs, [v for _, v in history])
    growth, low, high = trend.slope + extra_growth, trend.slope_low + extra_growth, trend.slope_high + extra_growth
    band = BAND_SPREADS * trend.spread
    used, cap = figure.used, figure.capacity

    def crossing(fraction: float) -> Crossing:
        target = fraction * cap
        if used >= target:  # reached already: today's figure is known, no band around it
            return Crossing(fraction, 0.0, 0.0, 0.0)
        return Crossing(fraction, months_to(used, growth, target, horizon_months),
                        months_to(used + band, high, target, horizon_months),
                        months_to(used - band, low, target, horizon_months))

    return Runway(figure, trend, growth, low, high, band, crossing(warning_pct / 100.0), crossing(1.0),
                  list(history))


def ranked(runways: Iterable[Runway]) -> list[Runway]:
    return sorted(runways, key=lambda r: (*r.rank_key(), r.figure.site, r.figure.kind, r.figure.object or ""))


def forecast(history: Sequence[tuple[datetime, list[Figure]]], today: list[Figure], now: datetime, *,
             warning_pct: float = 80.0, horizon_months: float = 24.0,
             extra_growth: dict[tuple[str, str, str | None], float] | None = None) -> list[Runway]:
    """Every dimension of `today`, ranked by which runs out first; the trend of each is
    fitted on its points in `history` (moments with their figures)."""
    series: dict[tuple[str, str, str | None], list[tuple[datetime, float]]] = {}
    for moment, figures in history:
        for f in figures:
            series.setdefault(f.key, []).append((moment, f.used))
    extra = extra_growth or {}
    return ranked(runway(f, series.get(f.key, []), now, warning_pct=warning_pct,
                         horizon_months=horizon_months, extra_growth=extra.get(f.key, 0.0))
                  for f in today)


# --------------------------------------------------------------------------- calendar
def months_between(now: datetime, moment: datetime) -> float:
    """Months from `now` to `moment` (negative in the past), at the mean month length."""
    return (moment - now).total_seconds() / 86400.0 / DAYS_PER_MONTH


def after_months(now: datetime, months: float) -> datetime:
    return now + timedelta(days=months * DAYS_PER_MONTH)


def month_label(now: datetime, months: float | None) -> str | None:
    """`YYYY-MM` of the month `months` from now; None stays None."""
    if months is None:
        return None
    return after_months(now, months).strftime("%Y-%m")


def month_starts(now: datetime, count: int) -> list[datetime]:
    """The last `count` first instants of a month before `now`, oldest first, in now's
    time zone: the state at the end of each month before."""
    moment = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if moment == now:
        moment = _previous_month(moment)
    out = []
    for _ in range(count):
        out.append(moment)
        moment = _previous_month(moment)
    return out[::-1]


def _previous_month(moment: datetime) -> datetime:
    return moment.replace(year=moment.year - 1, month=12) if moment.month == 1 else moment.replace(month=moment.month - 1)


def parse_horizon(text: str) -> int:
    """`24m`, `24`, `2y` -> months (1 to 240); anything else is a ValueError."""
    raw = str(text).strip().lower()
    factor = 12 if raw.endswith("y") else 1
    digits = raw[:-1] if raw.endswith(("y", "m")) else raw
    if not digits.isdigit():
        raise ValueError(f"{text!r} is not a number of months (like 24m) or years (like 2y)")
    months = int(digits) * factor
    if not 1 <= months <= 240:
        raise ValueError(f"{text!r}: the horizon must be 1 to 240 months")
    return months
