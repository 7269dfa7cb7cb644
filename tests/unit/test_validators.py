"""NIP, domain, phone and e-mail validation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from playbooks.validators import validate_domain, validate_email, validate_nip, validate_phone

TODAY = date(2026, 11, 28)

# 1985-03-14 born, appointed January 2010, man (1), serial 002
GOOD_NIP = "198503142010011002"


def test_valid_nip() -> None:
    assert validate_nip(GOOD_NIP, today=TODAY) == GOOD_NIP


def test_nip_with_group_spaces_is_normalised() -> None:
    assert validate_nip("19850314 201001 1 002", today=TODAY) == GOOD_NIP


def test_woman_leap_day_birth() -> None:
    assert validate_nip("199602292020122001", today=TODAY) == "199602292020122001"


@pytest.mark.parametrize("nip, message", [
    ("19850314201001100", "must have 18 digits, it has 17"),
    ("1985031420100110021", "must have 18 digits, it has 19"),
    ("19850314201001100A", "digits only"),
    ("198502302010011002", "digits 1-8 must be a birth date YYYYMMDD, 19850230 is not a real date"),
    ("199702292020122001", "19970229 is not a real date"),  # 1997 is not a leap year
    ("198513142010011002", "19851314 is not a real date"),
    ("198503142010131002", "appointment month YYYYMM, 201013 has month 13"),
    ("198503142010001002", "has month 00"),
    ("198503142010013002", "digit 15 (gender) must be 1 or 2, not 3"),
    ("198503142000011002", "before the holder (born 1985-03-14) could have been appointed"),
    ("198503142027011002", "appointment 2027-01 is in the future"),
    ("202703142010011002", "birth date 2027-03-14 is not plausible"),
    ("198503142010011000", "serial number) cannot be 000"),
])
def test_invalid_nip(nip: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        validate_nip(nip, today=TODAY)
    assert message in str(err.value)


@pytest.mark.parametrize("name, expected", [
    ("simpus.kaltimprov.go.id", "simpus.kaltimprov.go.id"),
    ("SIMPUS.KaltimProv.go.id.", "simpus.kaltimprov.go.id"),
    ("bücher.example", "bücher.example"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("a-b.c-d.id", "a-b.c-d.id"),
])
def test_valid_domains(name: str, expected: str) -> None:
    assert validate_domain(name) == expected


@pytest.mark.parametrize("name, message", [
    ("", "empty"),
    ("-bad.kaltimprov.go.id", "hyphen"),
    ("a..kaltimprov.go.id", "Empty Label"),
    ("ex_ample.go.id", "not valid"),
    ("localhost", "at least two labels"),
    ("10.0.0.1", "numeric top-level label"),
    ("https://app.go.id", "bare name"),
    ("app .go.id", "whitespace"),
    ("a" * 64 + ".go.id", "longer than 63"),
    (".".join(["a" * 63] * 4) + ".id", "longer than 253 characters"),
    ("bü" + "c" * 62 + ".go.id", "longer than 63"),  # 64 characters once punycoded
])
def test_invalid_domains(name: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        validate_domain(name)
    assert message in str(err.value)


# Hyphens in positions 3 and 4 are reserved for A-labels ("xn--") by IDNA 2008 (RFC 5891 4.2.3.1).
LDH_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True).filter(lambda s: s[2:4] != "--")


@given(st.lists(LDH_LABEL, min_size=1, max_size=4))
def test_generated_ascii_domains_are_accepted(labels: list[str]) -> None:
    name = ".".join(labels + ["go", "id"])
    assert validate_domain(name) == name


@pytest.mark.parametrize("number, expected", [
    ("0812-3456-7890", "+6281234567890"),
    ("+62 812 3456 7890", "+6281234567890"),
    ("6281234567890", "+6281234567890"),
    ("(0541) 736852", "+62541736852"),
    ("0541.736.852", "+62541736852"),
])
def test_valid_phones(number: str, expected: str) -> None:
    assert validate_phone(number) == expected


@pytest.mark.parametrize("number, message", [
    ("812345678", "must start with +62 or 0"),
    ("+1 415 555 0100", "must start with +62 or 0"),
    ("0812-3456-789x", "only digits"),
    ("+62 0812 3456 7890", "has a 0 after the country code"),
    ("0541 7368", "has 7 digits after the prefix"),
    ("0812 3456 7890 1234", "has 15 digits after the prefix"),
    ("0812 345 67", "too short"),
])
def test_invalid_phones(number: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        validate_phone(number)
    assert message in str(err.value)


def test_email() -> None:
    assert validate_email("Budi@KaltimProv.go.id") == "Budi@kaltimprov.go.id"
    with pytest.raises(ValueError, match="name@domain"):
        validate_email("budi.kaltimprov.go.id")
    with pytest.raises(ValueError, match="at least two labels"):
        validate_email("budi@localhost")
