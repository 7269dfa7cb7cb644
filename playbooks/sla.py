"""The SOP's clock: working time between two instants, and each step against its standard.

Working time counts only the configured hours (default 08:00-16:00) of working days
(default Monday-Friday) in the configured zone (default Asia/Makassar, WITA), skipping
Indonesian public holidays and collective leave (cuti bersama), which the `holidays`
package lists under its `public` and `government` categories. "One working day" is one
working day's length of working time (8 hours by default), so a step that starts at
15:00 and ends at 10:00 the next working day took 3 working hours.

Pure: no files, no clock reads except through the `now` argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from playbooks.config import WEEKDAYS, SlaConfig

MINUTE = 60.0
HOUR = 3600.0

AGENCY = "agency"
DATA_CENTRE = "data centre"


@dataclass(frozen=True)
class StepStandard:
    step: int
    name: str
    side: str  # AGENCY | DATA_CENTRE
    standard_min: float | None  # working minutes; a working day is converted by the calendar
    standard_days: float | None = None


# The SOP table (docs/workflow.md, "The SLA clock"): who acts at each step and its standard time.
STEP_STANDARDS: dict[int, StepStandard] = {
    1: StepStandard(1, "submit request letter", AGENCY, None),
    2: StepStandard(2, "verify and disposition", DATA_CENTRE, 15),
    3: StepStandard(3, "capacity check", DATA_CENTRE, 60),
    4: StepStandard(4, "application form", AGENCY, 15),
    5: StepStandard(5, "approval", DATA_CENTRE, 15),
    6: StepStandard(6, "notify requester", DATA_CENTRE, 15),
    7: StepStandard(7, "deliver server", AGENCY, None, 1),
    8: StepStandard(8, "verify, install, register", DATA_CENTRE, None, 1),
    9: StepStandard(9, "completion report", DATA_CENTRE, 15),
}


class WorkingCalendar:
    """Working days and hours, with holidays looked up (and cached) per year."""

    def __init__(self, config: SlaConfig | None = None) -> None:
        self.config = config or SlaConfig()
        self.tz = ZoneInfo(self.config.timezone)
        self._weekdays = {WEEKDAYS.index(d) for d in self.config.working_days}
        self._years: dict[int, dict[date, str]] = {}
        self._extra_off = set(self.config.extra_holidays)
        self._extra_on = set(self.config.extra_working_days)
        start = datetime.combine(date(2000, 1, 3), self.config.day_start)
        end = datetime.combine(date(2000, 1, 3), self.config.day_end)
        self.day_seconds = (end - start).total_seconds()

    # --- days ---------------------------------------------------------------
    def _holidays_of(self, year: int) -> dict[date, str]:
        if year not in self._years:
            cal = holidays_lib.country_holidays(
                self.config.holiday_country,
                subdiv=self.config.holiday_subdivision,
                categories=tuple(self.config.holiday_categories),
                years=year,
            )
            self._years[year] = dict(cal.items())
        return self._years[year]

    def holiday_name(self, day: date) -> str | None:
        if day in self._extra_off:
            return "holiday (configured)"
        return self._holidays_of(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        if day in self._extra_on:
            return True
        if day.weekday() not in self._weekdays:
            return False
        return self.holiday_name(day) is None

    # --- time ---------------------------------------------------------------
    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("times must carry a time zone")
        return moment.astimezone(self.tz)

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (datetime.combine(day, self.config.day_start, self.tz),
                datetime.combine(day, self.config.day_end, self.tz))

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working time between two instants, in seconds (0 if end is not after start)."""
        start, end = self.local(start), self.local(end)
        if end <= start:
            return 0.0
        total = 0.0
        day = start.date()
        last = end.date()
        while day <= last:
            if self.is_working_day(day):
                open_, close = self._window(day)
                lo, hi = max(start, open_), min(end, close)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of working time have passed after `start`."""
        moment = self.local(start)
        remaining = seconds
        day = moment.date()
        for _ in range(3660):  # ten years of days: a hard stop for absurd inputs
            if self.is_working_day(day):
                open_, close = self._window(day)
                lo = max(moment, open_)
                if lo < close:
                    available = (close - lo).total_seconds()
                    if remaining <= available:
                        return lo + timedelta(seconds=remaining)
                    remaining -= available
            day += timedelta(days=1)
            moment = datetime.combine(day, time(0), self.tz)
        raise ValueError("no working time found within ten years: check the working days")

    def standard_seconds(self, step: int) -> float | None:
        std = STEP_STANDARDS[step]
        if std.standard_min is not None:
            return std.standard_min * MINUTE
        if std.standard_days is not None:
            return std.standard_days * self.day_seconds
        return None

    def total_standard_seconds(self) -> float:
        return self.config.total_working_days * self.day_seconds

    def format_duration(self, seconds: float) -> str:
        """Working time as `1d 2h 05m` (a day is one working day's length)."""
        return format_working(seconds, self.day_seconds)


def format_working(seconds: float, day_seconds: float = 8 * HOUR) -> str:
    minutes_total = int(round(seconds / MINUTE))
    day_min = int(round(day_seconds / MINUTE))
    days, rest = divmod(minutes_total, day_min)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours or days:
        parts.append(f"{hours}h")
    parts.append(f"{minutes:02d}m" if (hours or days) else f"{minutes}m")
    return " ".join(parts)


@dataclass
class StepSla:
    step: int
    name: str
    side: str
    started_at: datetime
    ended_at: datetime | None  # None: in progress (measured up to `now`)
    elapsed_s: float
    standard_s: float | None
    over_s: float  # working time beyond the standard (0 when on time or no standard)

    @property
    def overdue(self) -> bool:
        return self.over_s > 0

    @property
    def on_time(self) -> bool | None:
        if self.standard_s is None:
            return None
        return self.over_s <= 0


@dataclass
class RequestSla:
    steps: list[StepSla]
    started_at: datetime | None
    ended_at: datetime | None
    total_elapsed_s: float
    total_standard_s: float
    agency_s: float  # working time spent on the agency's steps
    data_centre_s: float
    agency_over_s: float  # overrun beyond the step standards on the agency's side
    data_centre_over_s: float
    current: StepSla | None = None  # the step being waited for, if the request is open
    outcome: str | None = None  # completed | rejected | cancelled | None (open)
    notes: list[str] = field(default_factory=list)

    @property
    def total_overdue(self) -> bool:
        return self.total_elapsed_s > self.total_standard_s

    @property
    def delay_side(self) -> str | None:
        """Whose side holds the delay: the side with more overrun beyond the standards."""
        if self.agency_over_s <= 0 and self.data_centre_over_s <= 0:
            return None
        if self.agency_over_s > 0 and self.data_centre_over_s > 0:
            return AGENCY if self.agency_over_s > self.data_centre_over_s else DATA_CENTRE
        return AGENCY if self.agency_over_s > 0 else DATA_CENTRE


def request_sla(
    steps_done: Iterable[tuple[int, datetime]],
    calendar: WorkingCalendar,
    now: datetime | None = None,
    *,
    next_step: int | None = None,
    stopped_at: datetime | None = None,
) -> RequestSla:
    """SLA of one request from its main-path transitions `(step, at)` in order.

    Step n is measured from the transition of step n-1 to its own. `next_step` is the
    step being waited for (measured up to `now`), None when the request is closed;
    `stopped_at` ends the clock of a rejected, cancelled or completed request.
    """
    done = sorted(steps_done, key=lambda item: item[1])
    steps: list[StepSla] = []
    prev: tuple[int, datetime] | None = None
    for step, at in done:
        if prev is not None and step in STEP_STANDARDS:
            steps.append(_step(step, prev[1], at, calendar))
        prev = (step, at)
    current: StepSla | None = None
    if next_step is not None and prev is not None and now is not None and stopped_at is None:
        current = _step(next_step, prev[1], None, calendar, now)
    start = done[0][1] if done else None
    end = stopped_at or (None if current else (done[-1][1] if done else None))
    if start is None:
        total = 0.0
    else:
        total = calendar.working_seconds(start, end or now or start)
    measured = steps + ([current] if current else [])
    return RequestSla(
        steps=steps,
        started_at=start,
        ended_at=end,
        total_elapsed_s=total,
        total_standard_s=calendar.total_standard_seconds(),
        agency_s=sum(s.elapsed_s for s in measured if s.side == AGENCY),
        data_centre_s=sum(s.elapsed_s for s in measured if s.side == DATA_CENTRE),
        agency_over_s=sum(s.over_s for s in measured if s.side == AGENCY),
        data_centre_over_s=sum(s.over_s for s in measured if s.side == DATA_CENTRE),
        current=current,
    )


def _step(step: int, start: datetime, end: datetime | None, calendar: WorkingCalendar,
          now: datetime | None = None) -> StepSla:
    std = STEP_STANDARDS[step]
    elapsed = calendar.working_seconds(start, end or now or start)
    standard = calendar.standard_seconds(step)
    over = max(0.0, elapsed - standard) if standard is not None else 0.0
    return StepSla(step, std.name, std.side, start, end, elapsed, standard, over)


@dataclass
class StepStats:
    step: int
    name: str
    side: str
    standard: str
    measured: int = 0
    on_time: int = 0
    elapsed_total_s: float = 0.0

    @property
    def on_time_pct(self) -> float | None:
        return round(100.0 * self.on_time / self.measured, 1) if self.measured else None


def period_stats(
    slas: Iterable[RequestSla], calendar: WorkingCalendar, start: datetime, end: datetime
) -> tuple[list[StepStats], StepStats]:
    """On-time counts per step for the steps that ended within [start, end), and in total
    for the requests completed within it (against the 4-working-day standard)."""
    rows = {
        n: StepStats(n, s.name, s.side,
                     calendar.format_duration(calendar.standard_seconds(n) or 0))
        for n, s in STEP_STANDARDS.items() if s.standard_min or s.standard_days
    }
    total = StepStats(0, "whole service", "both",
                      calendar.format_duration(calendar.total_standard_seconds()))
    for sla in slas:
        for s in sla.steps:
            if s.ended_at is None or s.step not in rows or not (start <= s.ended_at < end):
                continue
            row = rows[s.step]
            row.measured += 1
            row.on_time += 0 if s.overdue else 1
            row.elapsed_total_s += s.elapsed_s
        if sla.outcome == "completed" and sla.ended_at is not None and start <= sla.ended_at < end:
            total.measured += 1
            total.on_time += 0 if sla.total_overdue else 1
            total.elapsed_total_s += sla.total_elapsed_s
    return [rows[n] for n in sorted(rows)], total
