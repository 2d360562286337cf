"""The periods a report is cut into: calendar months or quarters of the business's own days.

Pure: days in, periods out. A period's moments are the business's local midnights in UTC, so a
purchase at 00:30 on 1 March in Amsterdam counts in March whatever the database's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PeriodKind = Literal["month", "quarter"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter")
DEFAULT_COUNT = {"month": 12, "quarter": 4}  # a year of periods when no start is given


@dataclass(frozen=True, slots=True)
class Period:
    """One period of a report: its name (``2026-03``, ``2026-Q1``) and its first and last day, both included."""

    key: str
    first: date
    last: date

    def view(self) -> dict[str, str]:
        """As the report's ``periods`` list shows it."""
        return {"period": self.key, "from": self.first.isoformat(), "to": self.last.isoformat()}


def _months(kind: PeriodKind) -> int:
    return 1 if kind == "month" else 3


def period_start(day: date, kind: PeriodKind) -> date:
    """The first day of the month or quarter ``day`` is in."""
    month = day.month - (day.month - 1) % _months(kind)
    return date(day.year, month, 1)


def _shifted(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _key(first: date, kind: PeriodKind) -> str:
    if kind == "month":
        return f"{first.year}-{first.month:02d}"
    return f"{first.year}-Q{(first.month - 1) // 3 + 1}"


def default_start(end: date, kind: PeriodKind) -> date:
    """The first day of a year of whole periods ending with the one ``end`` is in (12 months, 4 quarters)."""
    return _shifted(period_start(end, kind), -_months(kind) * (DEFAULT_COUNT[kind] - 1))


def periods(start: date, end: date, kind: PeriodKind) -> list[Period]:
    """The periods from ``start`` to ``end`` (both included); the first and last cut to those days."""
    if end < start:
        raise ValueError(f"the report ends ({end}) before it starts ({start})")
    found: list[Period] = []
    first = period_start(start, kind)
    while first <= end:
        following = _shifted(first, _months(kind))
        found.append(Period(_key(first, kind), max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return found


def midnight(day: date, tz: ZoneInfo) -> datetime:
    """The moment ``day`` starts in ``tz``, in UTC."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def boundaries(found: list[Period], tz: ZoneInfo) -> list[datetime]:
    """Each period's first moment, then the moment after the last period: n + 1 instants in UTC."""
    return [midnight(p.first, tz) for p in found] + [midnight(found[-1].last + timedelta(days=1), tz)]


def day_boundaries(found: list[Period]) -> list[date]:
    """Each period's first day, then the day after the last period: n + 1 days."""
    return [p.first for p in found] + [found[-1].last + timedelta(days=1)]


@dataclass(frozen=True, slots=True)
class Window:
    """A report's periods with their bounds as days (for purchases' ``day``) and as UTC moments (for timestamps)."""

    periods: tuple[Period, ...]
    days: tuple[date, ...]
    moments: tuple[datetime, ...]

    @classmethod
    def of(cls, start: date, end: date, kind: PeriodKind, tz: ZoneInfo) -> Window:
        """The window from ``start`` to ``end`` (both included) in periods of ``kind``, in ``tz``'s days."""
        found = periods(start, end, kind)
        return cls(tuple(found), tuple(day_boundaries(found)), tuple(boundaries(found, tz)))

    @property
    def keys(self) -> list[str]:
        """The periods' names in order."""
        return [p.key for p in self.periods]

    @property
    def last_day(self) -> date:
        """The report's last day."""
        return self.periods[-1].last
