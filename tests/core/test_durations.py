"""Durations as workflow files write them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recovery.core.durations import Duration, check_length, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", Duration(30, "s")),
        ("15m", Duration(15, "m")),
        ("4h", Duration(4, "h")),
        ("2d", Duration(2, "d")),
        ("8w", Duration(8, "w")),
        ("4bh", Duration(4, "bh")),
        ("2bd", Duration(2, "bd")),
        (" 1.5 bh ", Duration(1.5, "bh")),
        (0, Duration(0, "s")),
        ("0", Duration(0, "s")),
    ],
    ids=lambda v: repr(v),
)
def test_parse_accepts_every_unit(text: object, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["4", "4 fortnights", "-1h", "bh", "", None, 3, "4bh4"], ids=repr)
def test_parse_refuses_bad_text_naming_the_units(text: object) -> None:
    with pytest.raises(ValueError, match=r"bad duration .*one of s, m, h, d, w, bh, bd"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (Duration(30, "s"), timedelta(seconds=30)),
        (Duration(15, "m"), timedelta(minutes=15)),
        (Duration(4, "h"), timedelta(hours=4)),
        (Duration(2, "d"), timedelta(days=2)),
        (Duration(8, "w"), timedelta(weeks=8)),
    ],
    ids=str,
)
def test_clock_length(duration: Duration, expected: timedelta) -> None:
    assert duration.clock() == expected


def test_business_time_has_no_clock_length() -> None:
    with pytest.raises(ValueError, match="business time"):
        Duration(4, "bh").clock()


def test_scaled_keeps_the_unit() -> None:
    assert Duration(4, "bh").scaled(0.25) == Duration(1, "bh")


@pytest.mark.parametrize(("duration", "text"), [(Duration(4, "bh"), "4bh"), (Duration(1.5, "d"), "1.5d")], ids=str)
def test_str_reads_like_the_file(duration: Duration, text: str) -> None:
    assert str(duration) == text


# Limits: ten years of clock time, ten years of five-day weeks of eight hours in business time.
@pytest.mark.parametrize(
    ("longest", "too_long"),
    [
        ("315360000s", "315360001s"),
        ("5256000m", "5256001m"),
        ("87600h", "87601h"),
        ("3650d", "3651d"),
        ("521w", "522w"),
        ("2600bd", "2601bd"),
        ("20800bh", "20801bh"),
    ],
    ids=lambda v: v.lstrip("0123456789"),
)
def test_every_unit_is_bounded_at_ten_years(longest: str, too_long: str) -> None:
    assert str(parse_duration(longest)) == longest
    with pytest.raises(ValueError, match=rf"^duration '{too_long}' is too long: at most 10 years \(3650d, 521w; "):
        parse_duration(too_long)


@pytest.mark.parametrize("text", ["99999999999d", "999999999999w", "1" + "0" * 400 + "s"], ids=["days", "weeks", "inf"])
def test_a_huge_duration_is_refused_in_a_short_message(text: str) -> None:
    with pytest.raises(ValueError, match="is too long: at most 10 years") as raised:
        parse_duration(text)
    assert len(str(raised.value)) < 160, raised.value


def test_eight_weeks_and_fractions_are_normal() -> None:
    assert parse_duration("8w").clock() == timedelta(weeks=8)
    assert parse_duration("2599.5bd") == Duration(2599.5, "bd")


@pytest.mark.parametrize(
    "duration", [Duration(float("nan"), "bd"), Duration(float("inf"), "h"), Duration(2600.01, "bd")], ids=str
)
def test_check_length_refuses_what_no_text_could_say(duration: Duration) -> None:
    with pytest.raises(ValueError, match=r"^duration 'scaled' is too long"):
        check_length(duration, "'scaled'")


def test_check_length_returns_a_duration_within_the_limit() -> None:
    assert check_length(Duration(4, "bh")) == Duration(4, "bh")
