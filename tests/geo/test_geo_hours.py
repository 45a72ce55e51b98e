"""Opening hours in OpenStreetMap syntax, evaluated in Paris time."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from geo.errors import GeoError
from geo.hours import is_open, validate_opening_hours

OFFICE = "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00; PH off"


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "expr", [OFFICE, "24/7", "off", "Mo-Su 08:00-20:00", "Tu,Th 14:00-18:00 \"sur rendez-vous\""]
)
def test_valid_expressions_pass(expr):
    assert validate_opening_hours(expr) is None


@pytest.mark.parametrize(
    "expr", ["lundi 9h-12h", "Mo-Fr 9-12", "Mo-Fr 25:00-26:00x", "24/24", "Mo-Fr 09:00-12:00;;;x"]
)
def test_invalid_expressions_raise_a_french_error_on_the_field(expr):
    with pytest.raises(GeoError) as caught:
        validate_opening_hours(expr)
    assert caught.value.field == "opening_hours"
    assert "format OpenStreetMap" in caught.value.message
    assert "Mo-Fr 09:00-12:00" in caught.value.message


@pytest.mark.parametrize("expr", [None, "", "   ", 42])
def test_missing_expression_is_refused(expr):
    with pytest.raises(GeoError) as caught:
        validate_opening_hours(expr)
    assert caught.value.field == "opening_hours"


def test_too_long_expression_is_refused():
    with pytest.raises(GeoError) as caught:
        validate_opening_hours("; ".join(["Mo 09:00-10:00"] * 20))
    assert "255 caractères" in caught.value.message


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Monday 15 July 2024, summer time (UTC+2).
        (utc(2024, 7, 15, 6, 59), False),
        (utc(2024, 7, 15, 7, 0), True),
        (utc(2024, 7, 15, 9, 59), True),
        (utc(2024, 7, 15, 10, 30), False),
        (utc(2024, 7, 15, 12, 30), True),
        (utc(2024, 7, 15, 15, 0), False),
        # Monday 15 January 2024, winter time (UTC+1).
        (utc(2024, 1, 15, 7, 30), False),
        (utc(2024, 1, 15, 8, 30), True),
        (utc(2024, 1, 15, 15, 30), True),
        (utc(2024, 1, 15, 16, 30), False),
        # Saturday morning open, Sunday closed.
        (utc(2024, 7, 13, 8, 0), True),
        (utc(2024, 7, 13, 12, 0), False),
        (utc(2024, 7, 14, 8, 0), False),
        # Wednesday 1 May and Wednesday 25 December 2024 are public holidays in France.
        (utc(2024, 5, 1, 8, 0), False),
        (utc(2024, 12, 25, 9, 0), False),
        (utc(2024, 5, 2, 8, 0), True),
    ],
)
def test_office_hours_in_paris_time(at, expected):
    assert is_open(OFFICE, at) is expected


def test_other_timezones_are_converted_to_paris():
    new_york = timezone(timedelta(hours=-4))
    # 03:30 in New York is 09:30 in Paris on Monday 15 July 2024.
    assert is_open(OFFICE, datetime(2024, 7, 15, 3, 30, tzinfo=new_york)) is True
    assert is_open(OFFICE, datetime(2024, 7, 15, 2, 30, tzinfo=new_york)) is False


def test_the_autumn_hour_that_happens_twice_is_open_both_times():
    # 27 October 2024: 02:30 Paris time happens at 00:30 and at 01:30 UTC.
    assert is_open("Su 02:00-03:00", utc(2024, 10, 27, 0, 30)) is True
    assert is_open("Su 02:00-03:00", utc(2024, 10, 27, 1, 30)) is True
    assert is_open("Su 02:00-03:00", utc(2024, 10, 27, 2, 30)) is False


def test_sunset_uses_the_place_when_given():
    # Sunset at Le Havre on 15 July 2024 is after 21:45 Paris time (19:45 UTC).
    at = utc(2024, 7, 15, 19, 30)
    assert is_open("sunrise-sunset", at, lon=0.1079, lat=49.4944) is True
    assert is_open("sunrise-sunset", utc(2024, 7, 15, 20, 30), lon=0.1079, lat=49.4944) is False


@pytest.mark.parametrize(
    ("expr", "expected"),
    [("24/7", True), ("off", False), ("Mo-Su 10:00-12:00 unknown", None), ("n'importe quoi", None),
     (None, None), ("", None)],
)
def test_always_never_unknown_and_unparseable(expr, expected):
    assert is_open(expr, utc(2024, 7, 15, 9, 0)) is expected


def test_naive_datetimes_are_a_programming_error():
    with pytest.raises(ValueError):
        is_open(OFFICE, datetime(2024, 7, 15, 9, 0))
