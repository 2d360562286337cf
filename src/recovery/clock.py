"""Where time comes from: the only module that asks the system for the current time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


class SettableClock:
    """A clock that tests move by hand instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SettableClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """Return the time the clock was last set to."""
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when``."""
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        self._now += delta
        return self._now


class OffsetClock:
    """The real clock moved by a fixed offset: a process that lives in another moment (for tests)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    @classmethod
    def starting_at(cls, start: datetime) -> OffsetClock:
        """A clock that reads ``start`` now and runs on at real speed from there."""
        if start.tzinfo is None:
            raise ValueError("OffsetClock needs an aware datetime")
        return cls(start - datetime.now(UTC))

    def now(self) -> datetime:
        """Return the current time plus the offset, in UTC."""
        return datetime.now(UTC) + self.offset
