"""Durations as workflow files write them: clock time (30s, 15m, 4h, 2d, 8w) or business time (4bh, 2bd)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w|bh|bd)\s*$")
_CLOCK_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
UNITS = ("s", "m", "h", "d", "w", "bh", "bd")

# Ten years is far beyond any complaint deadline, yet small enough that every deadline computed from it
# (severity-scaled, added to today in business time) stays inside what datetime and the calendar handle.
MAX_CLOCK_SECONDS = 3650 * 86400
# Business time has no fixed clock length; its limits are ten years of five-day weeks of eight hours.
MAX_BUSINESS = {"bd": 2600.0, "bh": 20800.0}
LIMIT_TEXT = "at most 10 years (3650d, 521w; in business time 2600bd or 20800bh)"


@dataclass(frozen=True, slots=True)
class Duration:
    """An amount of clock time or business time; ``unit`` is one of UNITS."""

    amount: float
    unit: str

    @property
    def is_business(self) -> bool:
        """True for business hours or business days, which follow the calendar."""
        return self.unit in ("bh", "bd")

    def clock(self) -> timedelta:
        """The clock-time length; only for clock units."""
        if self.is_business:
            raise ValueError(f"{self} is business time; ask the calendar")
        return timedelta(seconds=self.amount * _CLOCK_SECONDS[self.unit])

    def scaled(self, factor: float) -> Duration:
        """The same kind of duration, ``factor`` times as long (severity scaling)."""
        return Duration(self.amount * factor, self.unit)

    def __str__(self) -> str:
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        return f"{amount}{self.unit}"


def parse_duration(text: object) -> Duration:
    """Parse ``"4bh"``-style text; raise ValueError naming the accepted units, or the limit when too long."""
    if text == 0 or text == "0":  # zero needs no unit: "overdue_by: 0"
        return Duration(0, "s")
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"bad duration {_shown(text)}: expected a number and a unit, one of {', '.join(UNITS)} (e.g. 4bh, 2d)"
        )
    return check_length(Duration(float(match.group(1)), match.group(2)), _shown(text))


def check_length(duration: Duration, shown: str | None = None) -> Duration:
    """``duration`` itself when within LIMIT_TEXT; else ValueError saying the limit (``shown``: how to name it)."""
    if duration.unit in MAX_BUSINESS:
        within = duration.amount <= MAX_BUSINESS[duration.unit]
    else:
        within = duration.amount * _CLOCK_SECONDS[duration.unit] <= MAX_CLOCK_SECONDS
    if not within:  # written as "not within" so that NaN, which compares false, is refused too
        raise ValueError(f"duration {shown or repr(str(duration))} is too long: {LIMIT_TEXT}")
    return duration


def _shown(text: object) -> str:
    # A file may hold a line of thousands of digits; the message stays one readable line.
    shown = repr(text)
    return shown if len(shown) <= 40 else f"{shown[:37]}..."
