"""Indonesian and English dates as documents write them; expectations worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from inventory.errors import InputError
from reports.dates import (
    format_date,
    format_datetime,
    number_words_en,
    ordinal_words_en,
    spell_date,
    terbilang,
    to_date,
)


def test_the_briefs_example_date() -> None:
    # 1 January 2026 is a Thursday; 28 November is day 332, 331 days later = 47 weeks + 2 days.
    assert format_date(date(2026, 11, 28), "id") == "Sabtu, 28 November 2026"
    assert format_date(date(2026, 11, 28), "en") == "Saturday, 28 November 2026"
    assert format_date(date(2026, 11, 28), "id", with_weekday=False) == "28 November 2026"


def test_every_weekday_name_monday_to_sunday() -> None:
    monday = date(2026, 11, 23)
    names = [format_date(monday + timedelta(days=i), "id").split(",")[0] for i in range(7)]
    assert names == ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def test_every_month_name() -> None:
    names = [format_date(date(2026, m, 1), "id", with_weekday=False).split()[1] for m in range(1, 13)]
    assert names == ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
                     "September", "Oktober", "November", "Desember"]
    assert format_date(date(2027, 8, 17), "en", with_weekday=False) == "17 August 2027"


@pytest.mark.parametrize(("n", "words"), [
    (0, "nol"), (1, "satu"), (10, "sepuluh"), (11, "sebelas"), (12, "dua belas"),
    (19, "sembilan belas"), (20, "dua puluh"), (28, "dua puluh delapan"), (31, "tiga puluh satu"),
    (100, "seratus"), (101, "seratus satu"), (111, "seratus sebelas"), (250, "dua ratus lima puluh"),
    (1000, "seribu"), (1100, "seribu seratus"), (1945, "seribu sembilan ratus empat puluh lima"),
    (2000, "dua ribu"), (2026, "dua ribu dua puluh enam"), (11000, "sebelas ribu"),
    (100000, "seratus ribu"), (1000000, "satu juta"), (2500000, "dua juta lima ratus ribu"),
    (3000000000, "tiga miliar"),
])
def test_terbilang(n: int, words: str) -> None:
    assert terbilang(n) == words


@pytest.mark.parametrize(("n", "words"), [
    (0, "zero"), (13, "thirteen"), (21, "twenty-one"), (100, "one hundred"),
    (2026, "two thousand twenty-six"), (1000000, "one million"),
])
def test_english_number_words(n: int, words: str) -> None:
    assert number_words_en(n) == words


@pytest.mark.parametrize(("n", "words"), [
    (1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (8, "eighth"), (9, "ninth"),
    (11, "eleventh"), (12, "twelfth"), (20, "twentieth"), (21, "twenty-first"),
    (28, "twenty-eighth"), (30, "thirtieth"), (31, "thirty-first"),
])
def test_english_ordinals(n: int, words: str) -> None:
    assert ordinal_words_en(n) == words


def test_written_out_date_of_minutes() -> None:
    d = date(2026, 11, 28)
    assert spell_date(d, "id") == (
        "tanggal dua puluh delapan bulan November tahun dua ribu dua puluh enam")
    assert spell_date(d, "en") == (
        "the twenty-eighth day of November in the year two thousand twenty-six")
    assert spell_date(date(2027, 1, 1), "id") == "tanggal satu bulan Januari tahun dua ribu dua puluh tujuh"


def test_times_are_shown_in_the_data_centres_zone() -> None:
    # 06:05 UTC is 14:05 WITA (UTC+8); Indonesian writes the time with a full stop.
    utc = datetime(2026, 11, 28, 6, 5, tzinfo=timezone.utc)
    assert format_datetime(utc, "id") == "Sabtu, 28 November 2026, 14.05 WITA"
    assert format_datetime(utc, "en") == "Saturday, 28 November 2026, 14:05 WITA"
    # 17:30 UTC on Saturday is already Sunday 01:30 in Samarinda.
    late = datetime(2026, 11, 28, 17, 30, tzinfo=timezone.utc)
    assert format_datetime(late, "id") == "Minggu, 29 November 2026, 01.30 WITA"
    assert format_datetime("2026-11-28T14:05:00+08:00", "id") == "Sabtu, 28 November 2026, 14.05 WITA"


def test_dates_from_strings_and_datetimes() -> None:
    assert to_date("2026-11-28") == date(2026, 11, 28)
    assert to_date(datetime(2026, 11, 28, 23, 59)) == date(2026, 11, 28)
    # 20:00 UTC on the 28th is 04:00 on the 29th in WITA: the document's day is the 29th.
    assert to_date(datetime(2026, 11, 28, 20, 0, tzinfo=timezone.utc)) == date(2026, 11, 29)
    with pytest.raises(InputError, match="not a date"):
        to_date("28/11/2026")


def test_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="unknown language 'fr'"):
        format_date(date(2026, 11, 28), "fr")
