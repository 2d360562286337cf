"""The business calendar: opening hours, weekends, holidays, DST, and the laws deadlines obey."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.core.calendar import BusinessCalendar
from recovery.core.durations import Duration

AMS = ZoneInfo("Europe/Amsterdam")
AMSTERDAM = BusinessCalendar(tz=AMS)


def local(*args: int) -> datetime:
    """An Amsterdam wall-clock time as aware UTC, the way the calendar takes and returns times."""
    return datetime(*args, tzinfo=AMS).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        pytest.param(local(2026, 11, 25, 10), 4, local(2026, 11, 25, 14), id="same-day"),
        pytest.param(local(2026, 11, 25, 15), 4, local(2026, 11, 26, 11), id="overnight"),
        pytest.param(local(2026, 11, 27, 15), 4, local(2026, 11, 30, 11), id="friday-over-the-weekend"),
        pytest.param(local(2026, 11, 28, 12), 1, local(2026, 11, 30, 10), id="saturday-start"),
        pytest.param(local(2026, 11, 25, 7), 1, local(2026, 11, 25, 10), id="before-opening"),
        pytest.param(local(2026, 11, 25, 18), 1, local(2026, 11, 26, 10), id="after-closing"),
        pytest.param(local(2026, 11, 25, 16), 1, local(2026, 11, 25, 17), id="ends-exactly-at-closing"),
        pytest.param(local(2026, 11, 25, 10), 16, local(2026, 11, 27, 10), id="two-full-days"),
    ],
)
def test_add_business_counts_only_opening_hours(start: datetime, hours: int, expected: datetime) -> None:
    assert AMSTERDAM.add_business(start, timedelta(hours=hours)) == expected


def test_result_is_aware_utc() -> None:
    result = AMSTERDAM.add_business(local(2026, 11, 25, 10), timedelta(hours=1))
    assert result.tzinfo is UTC


def test_zero_work_outside_hours_lands_on_the_next_opening() -> None:
    assert AMSTERDAM.add_business(local(2026, 11, 25, 17), timedelta(0)) == local(2026, 11, 26, 9)


def test_a_holiday_is_skipped() -> None:
    thursday = date(2026, 11, 26)
    calendar = BusinessCalendar(tz=AMS, is_holiday={thursday}.__contains__)
    assert calendar.add_business(local(2026, 11, 25, 15), timedelta(hours=4)) == local(2026, 11, 27, 11)


def test_kings_day_from_the_holidays_package_is_skipped() -> None:
    calendar = BusinessCalendar(tz=AMS, is_holiday=holidays.country_holidays("NL").__contains__)
    # Tuesday 27 April 2027 is King's Day.
    assert calendar.add_business(local(2027, 4, 26, 15), timedelta(hours=4)) == local(2027, 4, 28, 11)


def test_christmas_and_the_weekend_after_it_are_skipped() -> None:
    calendar = BusinessCalendar(tz=AMS, is_holiday=holidays.country_holidays("NL").__contains__)
    # Christmas Friday 25 and Boxing Day Saturday 26 December 2026, then Sunday.
    assert calendar.add_business(local(2026, 12, 24, 15), timedelta(hours=4)) == local(2026, 12, 28, 11)


@pytest.mark.parametrize(
    ("start", "expected", "utc_span"),
    [
        pytest.param(local(2026, 10, 23, 16), local(2026, 10, 26, 10), timedelta(hours=67), id="autumn-clocks-back"),
        pytest.param(local(2027, 3, 26, 16), local(2027, 3, 29, 10), timedelta(hours=65), id="spring-clocks-forward"),
    ],
)
def test_dst_weekend_keeps_local_opening_hours(start: datetime, expected: datetime, utc_span: timedelta) -> None:
    result = AMSTERDAM.add_business(start, timedelta(hours=2))
    assert result == expected
    assert result - start == utc_span


def test_clock_durations_ignore_the_calendar() -> None:
    friday_evening = local(2026, 11, 27, 20)
    assert AMSTERDAM.add(friday_evening, Duration(2, "d")) == friday_evening + timedelta(days=2)


def test_business_days_are_opening_hours_long() -> None:
    assert AMSTERDAM.add(local(2026, 11, 25, 10), Duration(2, "bd")) == local(2026, 11, 27, 10)


def test_business_hours_duration_goes_through_the_calendar() -> None:
    assert AMSTERDAM.add(local(2026, 11, 27, 16), Duration(2, "bh")) == local(2026, 11, 30, 10)


def test_day_length_follows_the_opening_hours() -> None:
    assert BusinessCalendar(opens=time(8, 30), closes=time(12)).day_length == timedelta(hours=3, minutes=30)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(local(2026, 11, 25, 10), local(2026, 11, 25, 12), timedelta(hours=2), id="inside-one-day"),
        pytest.param(local(2026, 11, 27, 16), local(2026, 11, 30, 10), timedelta(hours=2), id="over-a-weekend"),
        pytest.param(local(2026, 11, 25, 6), local(2026, 11, 25, 20), timedelta(hours=8), id="whole-day"),
        pytest.param(local(2026, 11, 28, 9), local(2026, 11, 29, 17), timedelta(0), id="weekend-only"),
        pytest.param(local(2026, 11, 25, 12), local(2026, 11, 25, 10), timedelta(0), id="end-before-start"),
        pytest.param(local(2026, 11, 25, 12), local(2026, 11, 25, 12), timedelta(0), id="empty"),
    ],
)
def test_business_between(start: datetime, end: datetime, expected: timedelta) -> None:
    assert AMSTERDAM.business_between(start, end) == expected


def test_business_between_skips_holidays() -> None:
    calendar = BusinessCalendar(tz=AMS, is_holiday={date(2026, 11, 26)}.__contains__)
    assert calendar.business_between(local(2026, 11, 25, 15), local(2026, 11, 27, 11)) == timedelta(hours=4)


def test_is_business_day() -> None:
    calendar = BusinessCalendar(tz=AMS, is_holiday={date(2026, 11, 26)}.__contains__)
    assert calendar.is_business_day(date(2026, 11, 25))
    assert not calendar.is_business_day(date(2026, 11, 26))
    assert not calendar.is_business_day(date(2026, 11, 28))


def test_custom_workdays_and_hours() -> None:
    calendar = BusinessCalendar(tz=AMS, workdays=frozenset({5}), opens=time(10), closes=time(14))
    # Saturdays only, 10:00-14:00: 6 hours from Saturday 12:00 is 2 + 4 hours, the next Saturday 14:00.
    assert calendar.add_business(local(2026, 11, 28, 12), timedelta(hours=6)) == local(2026, 12, 5, 14)


def test_closing_before_opening_is_refused() -> None:
    with pytest.raises(ValueError, match="close after they open"):
        BusinessCalendar(opens=time(17), closes=time(9))


def test_no_workdays_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        BusinessCalendar(workdays=frozenset())


def test_a_calendar_that_is_never_open_says_so() -> None:
    calendar = BusinessCalendar(is_holiday=lambda _: True)
    with pytest.raises(ValueError, match="no open hours in ten years"):
        calendar.add_business(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1))


@pytest.mark.parametrize(
    "calendar",
    [
        pytest.param(
            BusinessCalendar(tz=AMS, is_holiday=holidays.country_holidays("NL").__contains__), id="dutch-holidays"
        ),
        pytest.param(BusinessCalendar(tz=AMS, workdays=frozenset({0})), id="mondays-only"),
    ],
)
def test_the_longest_business_duration_a_workflow_may_give_is_reached(calendar: BusinessCalendar) -> None:
    # 2600bd spans more than ten years of days: only closed days in a row may count against the calendar.
    start = local(2026, 11, 25, 10)
    end = calendar.add(start, Duration(2600, "bd"))
    assert calendar.business_between(start, end) == 2600 * calendar.day_length


# Laws. Starts span two years around both DST changes; work up to two business weeks.
starts = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
work = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=80)).map(
    lambda d: timedelta(seconds=int(d.total_seconds()))
)
LAWS = settings(max_examples=150, deadline=None)


@LAWS
@given(start=starts, amount=work)
def test_law_a_deadline_never_precedes_its_start(start: datetime, amount: timedelta) -> None:
    assert AMSTERDAM.add_business(start, amount) >= start


@LAWS
@given(start=starts, a=work, b=work)
def test_law_a_deadline_grows_with_the_duration(start: datetime, a: timedelta, b: timedelta) -> None:
    shorter, longer = sorted((a, b))
    assert AMSTERDAM.add_business(start, shorter) <= AMSTERDAM.add_business(start, longer)


@LAWS
@given(start=starts, amount=work)
def test_law_business_between_measures_what_add_business_added(start: datetime, amount: timedelta) -> None:
    assert AMSTERDAM.business_between(start, AMSTERDAM.add_business(start, amount)) == amount


@LAWS
@given(start=starts, span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)))
def test_law_adding_the_business_time_between_lands_at_or_before_the_end(start: datetime, span: timedelta) -> None:
    end = start + span
    landed = AMSTERDAM.add_business(start, AMSTERDAM.business_between(start, end))
    assert landed <= end or AMSTERDAM.business_between(start, end) == timedelta(0)
    wall = end.astimezone(AMS)
    in_hours = AMSTERDAM.is_business_day(wall.date()) and time(9) <= wall.time() < time(17)
    if in_hours:
        assert landed == end
