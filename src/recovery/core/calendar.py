"""The business calendar: working days, opening hours, holidays and a timezone.

Deadlines in business time are counted only inside opening hours on working days that
are not holidays. All inputs and outputs are aware UTC datetimes; local time is used
only inside this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from recovery.core.durations import Duration

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _no_holiday(_: date) -> bool:
    return False


class HolidaysOnFirstUse:
    """``is_holiday`` built by ``load`` on the first question, so a command that computes no deadline never pays.

    Loading a country's holidays imports the ``holidays`` package (about 0.4 s). Two threads asking at once
    may both load; the result is the same, so no lock is needed.
    """

    def __init__(self, load: Callable[[], Callable[[date], bool]]) -> None:
        self._load = load
        self._is_holiday: Callable[[date], bool] | None = None

    def __call__(self, day: date) -> bool:
        """True when ``day`` is a holiday."""
        if self._is_holiday is None:
            self._is_holiday = self._load()
        return self._is_holiday(day)


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours ``opens``-``closes`` on ``workdays`` (0 = Monday) in ``tz``, minus holidays."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    workdays: frozenset[int] = frozenset(range(5))
    opens: time = time(9)
    closes: time = time(17)
    is_holiday: Callable[[date], bool] = _no_holiday

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError(f"business hours must close after they open: {self.opens}-{self.closes}")
        if not self.workdays:
            raise ValueError("a business calendar needs at least one working day")

    @property
    def day_length(self) -> timedelta:
        """Length of one business day (used for ``bd`` durations)."""
        return _span(self.opens, self.closes)

    def is_business_day(self, day: date) -> bool:
        """True when ``day`` is a working day and not a holiday."""
        return day.weekday() in self.workdays and not self.is_holiday(day)

    def add(self, start: datetime, duration: Duration) -> datetime:
        """The moment ``duration`` after ``start``: clock time, or business time on this calendar."""
        return _add_cached(self, start, duration)

    def _add(self, start: datetime, duration: Duration) -> datetime:
        if not duration.is_business:
            return start + duration.clock()
        hours = duration.amount if duration.unit == "bh" else duration.amount * self.day_length / timedelta(hours=1)
        return self.add_business(start, timedelta(hours=hours))

    def add_business(self, start: datetime, work: timedelta) -> datetime:
        """The moment when ``work`` of business time has passed after ``start``."""
        local = start.astimezone(self.tz)
        remaining = work
        for day_start, day_end in self._open_periods(local):
            begin = max(day_start, local)
            available = day_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(UTC)
            remaining -= available
        raise AssertionError("unreachable: open periods never end")  # pragma: no cover

    def business_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time inside [start, end); zero when end is not after start."""
        if end <= start:
            return timedelta(0)
        local_start, local_end = start.astimezone(self.tz), end.astimezone(self.tz)
        total = timedelta(0)
        for day_start, day_end in self._open_periods(local_start):
            if day_start >= local_end:
                break
            total += min(day_end, local_end) - max(day_start, local_start)
        return total

    def _open_periods(self, local: datetime) -> Iterable[tuple[datetime, datetime]]:
        """Open periods (local aware datetimes) from the day of ``local`` on, skipping closed ones."""
        day = local.date()
        closed_in_a_row = 0  # counted in a row: a long deadline may span more than ten years of days
        while closed_in_a_row < 3700:  # ten years of closed days means a broken calendar, not a deadline
            if self.is_business_day(day) and (day_end := datetime.combine(day, self.closes, self.tz)) > local:
                closed_in_a_row = 0
                yield datetime.combine(day, self.opens, self.tz), day_end
            else:
                closed_in_a_row += 1
            day += timedelta(days=1)
        raise ValueError("the business calendar has no open hours in ten years")


@lru_cache(maxsize=4096)
def _add_cached(calendar: BusinessCalendar, start: datetime, duration: Duration) -> datetime:
    # A batch enters many complaints into the same state at the same moment: same deadline.
    return calendar._add(start, duration)


def _span(opens: time, closes: time) -> timedelta:
    return datetime.combine(date.min, closes) - datetime.combine(date.min, opens)
