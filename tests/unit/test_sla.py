"""The working-time clock, with hand-computed expectations (default calendar: Mon-Fri
08:00-16:00 WITA, Indonesian public holidays and cuti bersama off).

Calendar facts used below (checked against a printed 2026 calendar):
2026-11-27 is a Friday; 2026-12-24 (Thursday) is cuti bersama for Christmas and
2026-12-25 (Friday) is Christmas Day; no holidays between 2026-11-30 and 2026-12-23.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from playbooks.config import SlaConfig
from playbooks.sla import (
    AGENCY, DATA_CENTRE, HOUR, MINUTE, WorkingCalendar, format_working, period_stats, request_sla,
)

WITA = ZoneInfo("Asia/Makassar")


def t(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=WITA)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(SlaConfig())


def test_same_day_inside_hours(cal: WorkingCalendar) -> None:
    assert cal.working_seconds(t(2026, 11, 30, 9, 0), t(2026, 11, 30, 9, 10)) == 10 * MINUTE


def test_before_opening_counts_from_eight(cal: WorkingCalendar) -> None:
    assert cal.working_seconds(t(2026, 11, 30, 7, 0), t(2026, 11, 30, 9, 0)) == 1 * HOUR


def test_after_closing_counts_until_sixteen(cal: WorkingCalendar) -> None:
    assert cal.working_seconds(t(2026, 11, 30, 15, 0), t(2026, 11, 30, 18, 0)) == 1 * HOUR


def test_weekend_is_skipped(cal: WorkingCalendar) -> None:
    # Fri 15:30-16:00 (30 min) + Mon 08:00-08:45 (45 min)
    assert cal.working_seconds(t(2026, 11, 27, 15, 30), t(2026, 11, 30, 8, 45)) == 75 * MINUTE


def test_within_weekend_is_zero(cal: WorkingCalendar) -> None:
    assert cal.working_seconds(t(2026, 11, 28, 10), t(2026, 11, 29, 12)) == 0


def test_christmas_and_cuti_bersama_are_skipped(cal: WorkingCalendar) -> None:
    # Wed 23 Dec 15:00-16:00 (1 h); Thu 24 cuti bersama; Fri 25 Christmas; weekend;
    # Mon 28 08:00-09:00 (1 h)
    assert cal.working_seconds(t(2026, 12, 23, 15), t(2026, 12, 28, 9)) == 2 * HOUR
    assert cal.holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert cal.holiday_name(date(2026, 12, 24)) is not None


def test_without_government_category_cuti_bersama_is_worked() -> None:
    cal = WorkingCalendar(SlaConfig(holiday_categories=["public"]))
    # as above plus all of Thursday 24 December (8 h)
    assert cal.working_seconds(t(2026, 12, 23, 15), t(2026, 12, 28, 9)) == 10 * HOUR


def test_utc_input_is_read_in_wita(cal: WorkingCalendar) -> None:
    # 01:00Z = 09:00 WITA, 02:30Z = 10:30 WITA
    start = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
    assert cal.working_seconds(start, start + timedelta(minutes=90)) == 90 * MINUTE


def test_configured_hours_days_and_extra_holiday() -> None:
    cfg = SlaConfig(day_start=time(7, 30), day_end=time(15, 30),
                    working_days=["mon", "tue", "wed", "thu", "fri", "sat"],
                    extra_holidays=[date(2026, 12, 1)])
    cal = WorkingCalendar(cfg)
    # Fri 27 Nov 15:00-15:30 (30m) + Sat 28 (8h) + Mon 30 07:30-08:00 (30m)
    assert cal.working_seconds(t(2026, 11, 27, 15), t(2026, 11, 30, 8)) == 9 * HOUR
    assert not cal.is_working_day(date(2026, 12, 1))


def test_add_working_time_crosses_holidays(cal: WorkingCalendar) -> None:
    # one working day (8 h) from Wed 23 Dec 15:00: 1 h Wednesday, 7 h Monday 28 -> 15:00
    assert cal.add_working_seconds(t(2026, 12, 23, 15), 8 * HOUR) == t(2026, 12, 28, 15)


def test_add_ten_working_days(cal: WorkingCalendar) -> None:
    # Mon 30 Nov 10:00 + 80 h: 6 h Monday, 9 full days (72 h) to Fri 11 Dec, 2 h Mon 14 Dec
    assert cal.add_working_seconds(t(2026, 11, 30, 10), 80 * HOUR) == t(2026, 12, 14, 10)


def test_format_working() -> None:
    assert format_working(10 * MINUTE) == "10m"
    assert format_working(75 * MINUTE) == "1h 15m"
    assert format_working(8 * HOUR + 5 * MINUTE) == "1d 0h 05m"


def test_steps_against_standards_and_sides(cal: WorkingCalendar) -> None:
    steps = [
        (1, t(2026, 11, 27, 14, 0)),   # letter, Friday afternoon
        (2, t(2026, 11, 27, 14, 10)),  # 10 min: on time (15 min)
        (3, t(2026, 11, 30, 8, 45)),   # Fri 14:10-16:00 (1h50) + Mon 45 min = 2h35: 1h35 over
        (4, t(2026, 11, 30, 9, 0)),    # 15 min: on time
        (5, t(2026, 11, 30, 9, 10)),
        (6, t(2026, 11, 30, 9, 20)),
        (7, t(2026, 12, 2, 10, 0)),    # agency: Mon 9:20-16:00 (6h40) + Tue 8h + Wed 2h = 16h40
    ]
    sla = request_sla(steps, cal, t(2026, 12, 2, 10, 0), next_step=8)
    by = {s.step: s for s in sla.steps}
    assert by[2].elapsed_s == 10 * MINUTE and by[2].on_time
    assert by[3].elapsed_s == 155 * MINUTE and by[3].over_s == 95 * MINUTE
    assert by[3].side == DATA_CENTRE
    assert by[7].elapsed_s == (16 * 60 + 40) * MINUTE
    assert by[7].over_s == (8 * 60 + 40) * MINUTE and by[7].side == AGENCY
    assert sla.agency_over_s == (8 * 60 + 40) * MINUTE
    assert sla.data_centre_over_s == 95 * MINUTE
    assert sla.delay_side == AGENCY
    # Fri 14:00-16:00 (2h) + Mon 8h + Tue 8h + Wed 2h = 20h: within 4 days (32h)
    assert sla.total_elapsed_s == 20 * HOUR and not sla.total_overdue
    assert sla.current is not None and sla.current.step == 8 and sla.current.elapsed_s == 0


def test_waiting_step_measured_up_to_now(cal: WorkingCalendar) -> None:
    sla = request_sla([(1, t(2026, 12, 23, 9)), (2, t(2026, 12, 23, 9, 10))], cal,
                      now=t(2026, 12, 28, 9), next_step=3)
    # Wed 9:10-16:00 (6h50) + Mon 1h = 7h50 against 1 h
    assert sla.current is not None
    assert sla.current.elapsed_s == (7 * 60 + 50) * MINUTE
    assert sla.current.overdue and sla.current.side == DATA_CENTRE
    assert sla.delay_side == DATA_CENTRE


def test_total_over_four_working_days(cal: WorkingCalendar) -> None:
    # submitted Mon 30 Nov 08:00, completed Fri 4 Dec 10:00 = 4 days + 2 h
    steps = [(1, t(2026, 11, 30, 8)), (9, t(2026, 12, 4, 10))]
    sla = request_sla(steps, cal, t(2026, 12, 4, 10), stopped_at=t(2026, 12, 4, 10))
    assert sla.total_elapsed_s == 34 * HOUR
    assert sla.total_overdue


def test_period_stats(cal: WorkingCalendar) -> None:
    a = request_sla([(1, t(2026, 11, 30, 8)), (2, t(2026, 11, 30, 8, 10)), (9, t(2026, 12, 1, 8))],
                    cal, stopped_at=t(2026, 12, 1, 8))
    a.outcome = "completed"
    b = request_sla([(1, t(2026, 11, 30, 8)), (2, t(2026, 11, 30, 9))], cal, t(2026, 11, 30, 9),
                    next_step=3)
    rows, total = period_stats([a, b], cal, t(2026, 11, 30), t(2026, 12, 2))
    step2 = next(r for r in rows if r.step == 2)
    assert (step2.measured, step2.on_time, step2.on_time_pct) == (2, 1, 50.0)
    assert (total.measured, total.on_time) == (1, 1)
    # a step that ended outside the period is not counted
    rows, total = period_stats([a, b], cal, t(2026, 12, 1), t(2026, 12, 2))
    assert next(r for r in rows if r.step == 2).measured == 0
    assert total.measured == 1


# --- colo request sla ---------------------------------------------------------------------


from tests.support.workflow import new, run, step  # noqa: E402


def test_sla_report_csv_and_xlsx(env: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A: completed within 4 days; step 2 on time (10m), step 3 late (Mon 08:10 -> 09:40 = 1h30)
    a = new(env, at="2026-11-30T08:00")
    for n, at in (("2", "2026-11-30T08:10"), ("3", "2026-11-30T09:40"), ("4", "2026-11-30T09:50"),
                  ("5", "2026-11-30T10:00"), ("6", "2026-11-30T10:10")):
        step(a, n, at, "--no-mail") if n == "6" else step(a, n, at)
    step(a, "7", "2026-12-01T09:00", "--serial", "dinkes-app-01=SN-A")
    step(a, "8", "2026-12-01T10:00")
    step(a, "9", "2026-12-01T10:10", "--no-mail")
    # B: step 2 late (Mon 08:00 -> 08:30 = 30m), then waiting; C: step 2 in December (outside)
    b = new(env, at="2026-11-30T08:00")
    step(b, "2", "2026-11-30T08:30")
    c = new(env, at="2026-12-01T08:00")
    step(c, "2", "2026-12-01T08:05")
    result = run("sla", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "step,name,side,standard,measured,on_time,on_time_pct,mean_elapsed"
    assert lines[1] == "2,verify and disposition,data centre,15m,2,1,50.0,20m"
    assert lines[2] == "3,capacity check,data centre,1h 00m,1,0,0.0,1h 30m"
    assert lines[3] == "4,application form,agency,15m,1,1,100.0,10m"
    # A finished on 1 December: outside November, so no total yet; step 7-9 not in November
    assert lines[6] == "7,deliver server,agency,1d 0h 00m,0,0,-,-"
    assert lines[-1] == "total,whole service,both,4d 0h 00m,0,0,-,-"
    december = run("sla", "--from", "2026-12-01", "--to", "2026-12-31", "--format", "csv").output.splitlines()
    assert december[1] == "2,verify and disposition,data centre,15m,1,1,100.0,5m"
    # Mon 08:00 -> Tue 10:10 = 8h + 2h10
    assert december[-1] == "total,whole service,both,4d 0h 00m,1,1,100.0,1d 2h 10m"
    out = tmp_path / "sla.xlsx"
    result = run("sla", "--from", "2026-12-01", "--to", "2026-12-31", "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 0, result.output
    import pandas as pd

    frame = pd.read_excel(out)
    assert list(frame.columns)[:6] == ["step", "name", "side", "standard", "measured", "on_time"]
    assert frame.iloc[-1]["on_time_pct"] == 100.0
    assert run("sla", "--from", "2026-12-01", "--to", "2026-12-31", "--format", "xlsx").output == \
        "Error: --format xlsx writes a binary file: give -o FILE.xlsx\n"
    assert run("sla", "--from", "2026-12-31", "--to", "2026-12-01").output == "Error: --to is before --from\n"
