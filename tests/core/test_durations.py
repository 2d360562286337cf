"""Durations as workflow files write them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recovery.core.durations import Duration, parse_duration


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
