"""Validators for what a request letter and the Form Pengajuan carry: NIP, domain, phone.

Each function returns the value in its canonical form or raises `ValueError` with a
message a service-desk clerk understands (pydantic turns it into `file: field: message`).
"""

from __future__ import annotations

import re
from datetime import date

import idna

NIP_LENGTH = 18
# A civil servant is appointed at 18 at the earliest; one year of slack for the
# month-level arithmetic (born in December, appointed in January of year +18 - 1).
MIN_APPOINTMENT_AGE_YEARS = 17


def validate_nip(value: str, *, today: date | None = None) -> str:
    """An Indonesian civil-servant number (NIP), 18 digits, spaces allowed between groups.

    Digits 1-8 are the birth date (YYYYMMDD), 9-14 the appointment month (YYYYMM),
    15 the gender (1 man, 2 woman), 16-18 a serial number (001-999).
    """
    raw = str(value)
    digits = re.sub(r"[\s.]", "", raw)
    if not digits.isdigit():
        raise ValueError(f"NIP {raw!r} must contain digits only")
    if len(digits) != NIP_LENGTH:
        raise ValueError(f"NIP {raw!r} must have {NIP_LENGTH} digits, it has {len(digits)}")
    today = today or date.today()
    try:
        born = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValueError(
            f"NIP {raw!r}: digits 1-8 must be a birth date YYYYMMDD, "
            f"{digits[0:8]} is not a real date"
        ) from None
    if born > today or born.year < 1900:
        raise ValueError(f"NIP {raw!r}: birth date {born.isoformat()} is not plausible")
    appointed_year, appointed_month = int(digits[8:12]), int(digits[12:14])
    if not 1 <= appointed_month <= 12:
        raise ValueError(
            f"NIP {raw!r}: digits 9-14 must be an appointment month YYYYMM, "
            f"{digits[8:14]} has month {appointed_month:02d}"
        )
    if appointed_year - born.year < MIN_APPOINTMENT_AGE_YEARS:
        raise ValueError(
            f"NIP {raw!r}: appointment {digits[8:12]}-{digits[12:14]} is before the holder "
            f"(born {born.isoformat()}) could have been appointed"
        )
    if (appointed_year, appointed_month) > (today.year, today.month):
        raise ValueError(f"NIP {raw!r}: appointment {digits[8:12]}-{digits[12:14]} is in the future")
    if digits[14] not in "12":
        raise ValueError(f"NIP {raw!r}: digit 15 (gender) must be 1 or 2, not {digits[14]}")
    if digits[15:18] == "000":
        raise ValueError(f"NIP {raw!r}: digits 16-18 (serial number) cannot be 000")
    return digits


def validate_domain(value: str) -> str:
    """A fully qualified domain name, internationalised names allowed (IDNA 2008 / UTS 46).

    Returns the name lower-cased, without a trailing dot, in the form it was given
    (Unicode stays Unicode); the ASCII form must fit DNS's limits.
    """
    raw = str(value).strip()
    name = raw[:-1] if raw.endswith(".") else raw
    if not name:
        raise ValueError("domain name is empty")
    if any(ch.isspace() for ch in name):
        raise ValueError(f"domain name {raw!r} contains whitespace")
    if "://" in name or "/" in name:
        raise ValueError(f"domain name {raw!r} must be a bare name (no scheme or path)")
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        text = str(exc)
        if "Label too long" in text:
            raise ValueError(f"domain name {raw!r}: a label is longer than 63 characters") from None
        if "Domain too long" in text:
            raise ValueError(f"domain name {raw!r} is longer than 253 characters") from None
        raise ValueError(f"domain name {raw!r} is not valid: {exc}") from None
    except UnicodeError as exc:  # pragma: no cover - idna raises IDNAError subclasses
        raise ValueError(f"domain name {raw!r} is not valid: {exc}") from None
    if len(ascii_name) > 253:
        raise ValueError(f"domain name {raw!r} is longer than 253 characters")
    labels = ascii_name.split(".")
    for label in labels:
        if len(label) > 63:
            raise ValueError(f"domain name {raw!r}: label {label[:20]!r}... is longer than 63 characters")
    if len(labels) < 2:
        raise ValueError(f"domain name {raw!r} needs at least two labels (for example app.kaltimprov.go.id)")
    if labels[-1].isdigit():
        raise ValueError(f"domain name {raw!r} has a numeric top-level label (an IP address is not a domain)")
    return name.lower()


_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")


def validate_phone(value: str) -> str:
    """An Indonesian phone number: `+62...`, `62...` or `0...` (mobile `08...` or a landline).

    Separators (spaces, dashes, dots, parentheses) are allowed. Returns E.164, `+62...`.
    """
    raw = str(value).strip()
    compact = _PHONE_SEPARATORS.sub("", raw)
    if compact.startswith("+62"):
        national = compact[3:]
    elif compact.startswith("62"):
        national = compact[2:]
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        raise ValueError(f"phone number {raw!r} must start with +62 or 0 (for example 0812-3456-7890)")
    if not national.isdigit():
        raise ValueError(f"phone number {raw!r} may contain only digits and separators")
    if national.startswith("0"):
        raise ValueError(f"phone number {raw!r} has a 0 after the country code")
    # Shortest: a 3-digit area code with a 5-digit number; longest: 13-digit mobiles (08 + 11).
    if not 8 <= len(national) <= 12:
        raise ValueError(
            f"phone number {raw!r} has {len(national)} digits after the prefix (expected 8 to 12)"
        )
    if national.startswith("8") and len(national) < 9:
        raise ValueError(f"mobile number {raw!r} is too short")
    return "+62" + national


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def validate_email(value: str) -> str:
    """A plausible e-mail address whose domain part is a valid domain name."""
    raw = str(value).strip()
    if not _EMAIL.match(raw):
        raise ValueError(f"e-mail address {raw!r} is not of the form name@domain")
    local, _, domain = raw.rpartition("@")
    try:
        validate_domain(domain)
    except ValueError as exc:
        raise ValueError(f"e-mail address {raw!r}: {exc}") from None
    return f"{local}@{domain.lower()}"
