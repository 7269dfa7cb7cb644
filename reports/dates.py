"""Dates as Indonesian (and English) official documents write them.

- `format_date(d, "id")` -> "Sabtu, 28 November 2026" (the weekday is optional).
- `spell_date(d, "id")` -> "tanggal dua puluh delapan bulan November tahun dua ribu dua
  puluh enam": the written-out form minutes (berita acara) use, so a date cannot be altered
  by adding a stroke to a digit.
- `terbilang(n)` -> the Indonesian words for a whole number ("dua ribu dua puluh enam").

Locale-independent on purpose: `strftime("%A")` follows the machine's locale, and a
server rendering a signed document must not change its language with `LANG`.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from inventory.errors import InputError

LANGS = ("id", "en")

DAYS = {
    # Monday first, as date.weekday() counts.
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}

# The data centre's time zone (WITA, UTC+8): times on documents are local times.
LOCAL_TZ = ZoneInfo("Asia/Makassar")
LOCAL_TZ_NAME = "WITA"

_ID_UNITS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
             "sembilan", "sepuluh", "sebelas")
_ID_SCALES = ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"))

_EN_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
             "seventeen", "eighteen", "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_EN_ORDINAL_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                         "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r} (use one of: {', '.join(LANGS)})")
    return lang


def to_date(value: date | datetime | str, field: str = "date") -> date:
    """A date from a date, a datetime (its local date) or an ISO string (YYYY-MM-DD)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ)
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) > 10:
                return to_date(datetime.fromisoformat(text), field)
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise InputError(f"{field}: {value!r} is not a date (expected YYYY-MM-DD)")


def weekday_name(d: date, lang: str = "id") -> str:
    return DAYS[check_lang(lang)][d.weekday()]


def month_name(month: int, lang: str = "id") -> str:
    return MONTHS[check_lang(lang)][month - 1]


def format_date(d: date | datetime | str, lang: str = "id", with_weekday: bool = True) -> str:
    """"Sabtu, 28 November 2026" / "Saturday, 28 November 2026" (day month year in both)."""
    check_lang(lang)
    d = to_date(d)
    text = f"{d.day} {month_name(d.month, lang)} {d.year}"
    return f"{weekday_name(d, lang)}, {text}" if with_weekday else text


def format_datetime(dt: datetime | str, lang: str = "id", with_weekday: bool = True) -> str:
    """"Sabtu, 28 November 2026, 14.05 WITA": a timestamp in the data centre's local time.

    Indonesian writes the time with a full stop (14.05); English with a colon. A naive
    datetime is taken as already local and shown without a zone.
    """
    check_lang(lang)
    if isinstance(dt, str):
        try:
            dt = datetime.fromisoformat(dt.strip())
        except ValueError:
            raise InputError(f"{dt!r} is not a date and time (expected ISO 8601)") from None
    zone = ""
    if dt.tzinfo is not None:
        dt = dt.astimezone(LOCAL_TZ)
        zone = f" {LOCAL_TZ_NAME}"
    sep = "." if lang == "id" else ":"
    return f"{format_date(dt.date(), lang, with_weekday)}, {dt.hour:02d}{sep}{dt.minute:02d}{zone}"


def terbilang(n: int) -> str:
    """Indonesian words for a whole number: 2026 -> "dua ribu dua puluh enam".

    The irregular forms are the ones people check: sebelas (11), seratus (100),
    seribu (1000), and "belas" for 12-19.
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError("terbilang needs an int")
    if n < 0:
        return "minus " + terbilang(-n)
    if n < 12:
        return _ID_UNITS[n]
    if n < 20:
        return f"{_ID_UNITS[n - 10]} belas"
    if n < 100:
        tens, rest = divmod(n, 10)
        return _join(f"{_ID_UNITS[tens]} puluh", rest)
    if n < 200:
        return _join("seratus", n - 100)
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _join(f"{_ID_UNITS[hundreds]} ratus", rest)
    if n < 2000:
        return _join("seribu", n - 1000)
    if n < 10**6:
        thousands, rest = divmod(n, 1000)
        return _join(f"{terbilang(thousands)} ribu", rest)
    for scale, word in _ID_SCALES:
        if n >= scale:
            high, rest = divmod(n, scale)
            return _join(f"{terbilang(high)} {word}", rest)
    raise AssertionError("unreachable")  # pragma: no cover


def _join(head: str, rest: int) -> str:
    return f"{head} {terbilang(rest)}" if rest else head


def number_words_en(n: int) -> str:
    """English words (no "and"): 2026 -> "two thousand twenty-six"."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError("number_words_en needs an int")
    if n < 0:
        return "minus " + number_words_en(-n)
    if n < 20:
        return _EN_UNITS[n]
    if n < 100:
        tens, rest = divmod(n, 10)
        return _EN_TENS[tens] + (f"-{_EN_UNITS[rest]}" if rest else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{_EN_UNITS[hundreds]} hundred"
        return f"{head} {number_words_en(rest)}" if rest else head
    for scale, word in _EN_SCALES:
        if n >= scale:
            high, rest = divmod(n, scale)
            head = f"{number_words_en(high)} {word}"
            return f"{head} {number_words_en(rest)}" if rest else head
    raise AssertionError("unreachable")  # pragma: no cover


def ordinal_words_en(n: int) -> str:
    """28 -> "twenty-eighth", 1 -> "first", 20 -> "twentieth"."""
    words = number_words_en(n)
    head, sep, last = words.rpartition("-") if "-" in words.split(" ")[-1] else words.rpartition(" ")
    if last in _EN_ORDINAL_IRREGULAR:
        last = _EN_ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{sep}{last}"


def spell_date(d: date | datetime | str, lang: str = "id") -> str:
    """The written-out date of minutes.

    id: "tanggal dua puluh delapan bulan November tahun dua ribu dua puluh enam"
    en: "the twenty-eighth day of November in the year two thousand twenty-six"
    """
    check_lang(lang)
    d = to_date(d)
    if lang == "id":
        return (f"tanggal {terbilang(d.day)} bulan {month_name(d.month, lang)} "
                f"tahun {terbilang(d.year)}")
    return (f"the {ordinal_words_en(d.day)} day of {month_name(d.month, lang)} "
            f"in the year {number_words_en(d.year)}")
