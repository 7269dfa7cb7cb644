"""The runway maths (capacity/forecast.py) on synthetic histories with known slopes."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from capacity.dimensions import Figure
from capacity.forecast import (
    after_months, forecast, month_label, month_starts, months_between, parse_horizon, runway, theil_sen,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone(__import__("datetime").timedelta(hours=8)))


def linear_history(start: float, per_month: float, months: int = 24, noise: float = 0.0,
                   seed: int = 0) -> list[tuple[datetime, float]]:
    """Month starts and now, `per_month` more each (calendar) month, with optional noise."""
    rng = random.Random(seed)
    moments = month_starts(NOW, months) + [NOW]
    return [(t, start + per_month * (months_between(moments[0], t)) + rng.uniform(-noise, noise))
            for t in moments]


def month_index(label: str) -> int:
    year, month = label.split("-")
    return int(year) * 12 + int(month)


@pytest.mark.parametrize(("per_month", "capacity", "noise"), [
    (2.0, 300.0, 0.0),          # space: 2 U a month
    (1_250.0, 97_152.0, 0.0),   # failover power: 1.25 kVA a month
    (16_700.0, 3_000_000.0, 0.0),
    (3.0, 400.0, 2.5),          # noisy: +-2.5 U around the line
    (0.5, 160.0, 0.3),
])
def test_known_slope_reaches_the_thresholds_within_a_month(per_month: float, capacity: float, noise: float) -> None:
    history = linear_history(100.0 if capacity < 1000 else capacity * 0.3, per_month, noise=noise, seed=3)
    used_now = history[-1][1]
    r = runway(Figure("dc", "space", used_now, capacity), history, NOW, warning_pct=80, horizon_months=240)
    assert r.growth == pytest.approx(per_month, rel=0.05)
    for fraction, crossing in ((0.8, r.warning), (1.0, r.full)):
        expected = month_label(NOW, (fraction * capacity - used_now) / per_month)
        assert crossing.months is not None
        assert abs(month_index(month_label(NOW, crossing.months)) - month_index(expected)) <= 1
        # the band brackets the central month
        assert crossing.earliest is not None and crossing.earliest <= crossing.months
        assert crossing.latest is None or crossing.latest >= crossing.months


def test_one_large_request_does_not_bend_the_trend() -> None:
    """A step of 40 U in one month (a big request) on a 1 U/month history: Theil–Sen keeps
    the slope near 1, where least squares would double it."""
    history = linear_history(100.0, 1.0)
    history = [(t, v + (40.0 if i >= 18 else 0.0)) for i, (t, v) in enumerate(history)]
    trend = theil_sen([months_between(NOW, t) for t, _ in history], [v for _, v in history])
    assert trend.slope == pytest.approx(1.0, abs=0.6)
    assert trend.slope_low < trend.slope < trend.slope_high


def test_flat_history_is_not_within_the_horizon() -> None:
    history = [(t, 120.0) for t in month_starts(NOW, 24)] + [(NOW, 120.0)]
    r = runway(Figure("dc", "space", 120.0, 400.0), history, NOW, horizon_months=24)
    assert (r.growth, r.growth_low, r.growth_high, r.band) == (0.0, 0.0, 0.0, 0.0)
    assert r.warning.months is None and r.full.months is None
    assert r.full.earliest is None and r.full.latest is None


def test_shrinking_demand_is_not_within_the_horizon() -> None:
    r = runway(Figure("dc", "space", 100.0, 400.0), linear_history(150.0, -2.0), NOW)
    assert r.growth < 0 and r.full.months is None


def test_a_crossing_beyond_the_horizon_is_not_within_it() -> None:
    history = linear_history(100.0, 1.0)
    used = history[-1][1]
    r = runway(Figure("dc", "space", used, used + 30.0), history, NOW, warning_pct=50, horizon_months=24)
    assert r.warning.months == 0.0  # over 50 % already
    assert r.full.months is None  # 30 months away, horizon 24
    assert runway(Figure("dc", "space", used, used + 30.0), history, NOW, horizon_months=36).full.months \
        == pytest.approx(30.0, abs=0.5)


def test_already_over_a_threshold_is_now_with_no_band() -> None:
    r = runway(Figure("dc", "bandwidth", 2_520_000, 3_000_000), linear_history(2_000_000, 20_000, noise=150_000),
               NOW, warning_pct=80)
    assert r.band > 2_520_000 - 2_400_000  # the band reaches below the threshold, yet today is known: now
    assert (r.warning.months, r.warning.earliest, r.warning.latest) == (0.0, 0.0, 0.0)
    assert r.full.months is not None and r.full.months > 0


def test_ranked_by_which_runs_out_first() -> None:
    moments = month_starts(NOW, 12) + [NOW]

    def series(start: float, step: float) -> list[Figure]:
        return [start + step * i for i in range(len(moments))]  # type: ignore[return-value]

    space, power, flat = series(100, 5), series(1000, 100), series(50, 0)
    history = [(t, [Figure("dc", "space", space[i], 200), Figure("dc", "power", power[i], 4000),
                    Figure("dc", "bandwidth", flat[i], 100)]) for i, t in enumerate(moments)]
    today = history[-1][1]
    ranked = forecast(history, today, NOW, horizon_months=120)
    # space: 40 U left at 5 a month = 8 months; power: 1800 VA left at 100 = 18; bandwidth: never
    assert [r.figure.kind for r in ranked] == ["space", "power", "bandwidth"]
    assert ranked[0].full.months == pytest.approx(8.0, abs=0.5)


def test_extra_growth_of_a_what_if_adds_to_the_trend() -> None:
    history = [(t, [Figure("dc", "space", 100.0, 200.0)]) for t in month_starts(NOW, 12)] + \
              [(NOW, [Figure("dc", "space", 100.0, 200.0)])]
    [r] = forecast(history, history[-1][1], NOW, extra_growth={("dc", "space", None): 5.0})
    assert r.growth == 5.0 and r.full.months == pytest.approx(20.0)


def test_month_starts_and_labels() -> None:
    starts = month_starts(NOW, 3)
    assert [t.strftime("%Y-%m-%d") for t in starts] == ["2026-10-01", "2026-11-01", "2026-12-01"]
    assert all(t.tzinfo == NOW.tzinfo for t in starts)
    first = NOW.replace(day=1, hour=0)
    assert month_starts(first, 1)[0].strftime("%Y-%m-%d") == "2026-11-01"  # strictly before now
    assert month_starts(datetime(2026, 1, 15, tzinfo=timezone.utc), 2)[0].strftime("%Y-%m") == "2025-12"
    assert month_label(NOW, 12) == "2027-12" and month_label(NOW, None) is None
    assert after_months(NOW, 0) == NOW


@pytest.mark.parametrize(("text", "months"), [("24m", 24), ("24", 24), ("3y", 36), (" 18M ", 18)])
def test_horizon_forms(text: str, months: int) -> None:
    assert parse_horizon(text) == months


@pytest.mark.parametrize("text", ["", "two years", "0m", "241m", "-3m", "1.5y"])
def test_bad_horizon_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_horizon(text)
