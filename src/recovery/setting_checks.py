"""Checks a setting's value passes after its type: clock durations, shared by every section that has one."""

from __future__ import annotations

from recovery.core.durations import parse_duration


def clock_time(value: str) -> str:
    """``value`` if it is clock time (30s, 1d); else ValueError."""
    if parse_duration(value).is_business:
        raise ValueError("expected clock time such as 30s or 1d, not business time")
    return value


def positive_clock_time(value: str) -> str:
    """``value`` if it is clock time above zero; else ValueError."""
    if not parse_duration(clock_time(value)).clock():
        raise ValueError(f"expected a time above zero, got {value!r}")
    return value
