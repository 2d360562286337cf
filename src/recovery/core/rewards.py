"""Reward rules for staff flags: what confirms a flag, what it earns, the cap, periods, precision.

Pure: no I/O; every time is an argument. The engine (engine/flags.py, engine/rewards.py)
applies these rules to stored flags and writes the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from recovery.core.durations import Duration, parse_duration

SIGNALS = ("price", "quality", "responsiveness", "promise", "complaint", "other")
"""What the staff member saw: the reasons customers leave, from the domain notes."""

# What confirms a flag: the customer complained, scored a follow-up low, or was lost (a defection).
OPENED, LOW_SCORE, LOST = "complaint", "low_score", "lost"
EVIDENCE = (OPENED, LOW_SCORE, LOST)
"""What confirms a flag automatically; on a tie in time the earlier name in this tuple wins."""

STATUSES = ("open", "confirmed", "rejected")
DECIDERS = ("lead", "manager")
CONFIRMED, RECOVERED, REVERSED = "confirmed", "recovered", "reversed"  # ledger reasons
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, slots=True)
class RewardRules:
    """The ``[rewards]`` settings as the rules need them."""

    confirm_window: Duration
    points_confirmed_flag: int = 10
    points_recovered_customer: int = 25
    cap_per_period: int = 200
    low_score: int = 2


DEFAULT_RULES = RewardRules(confirm_window=parse_duration("30d"))


@dataclass(frozen=True, slots=True)
class Signal:
    """Something the customer did that shows the flag was right, and on which complaint."""

    kind: str
    at: datetime
    complaint_id: int


@dataclass(frozen=True, slots=True)
class Award:
    """The points an award really gives after the cap, and a note when the cap cut it."""

    points: int
    note: str = ""


def in_window(at: datetime, raised_at: datetime, window_ends_at: datetime) -> bool:
    """True when ``at`` comes after the flag and no later than the end of its window.

    A signal at the very moment of the flag does not count: it was not foreseen.
    """
    return raised_at < at <= window_ends_at


def first_signal(signals: Iterable[Signal], raised_at: datetime, window_ends_at: datetime) -> Signal | None:
    """The earliest signal inside the flag's window, or None; the one that confirms the flag."""
    inside = [s for s in signals if in_window(s.at, raised_at, window_ends_at)]
    if not inside:
        return None
    return min(inside, key=lambda s: (s.at, EVIDENCE.index(s.kind), s.complaint_id))


def window_over(window_ends_at: datetime, now: datetime) -> bool:
    """True once the window has passed: a flag without a signal by then is rejected."""
    return now > window_ends_at


def capped(points: int, earned: int, cap: int) -> Award:
    """``points`` cut to what still fits under ``cap`` when ``earned`` points are already in the period."""
    room = max(0, cap - earned)
    given = min(points, room)
    if given == points:
        return Award(points)
    return Award(given, f"cap of {cap} points per period reached: {given} of {points} points awarded")


def precision(confirmed: int, decided: int) -> float | None:
    """Confirmed flags as a share of decided ones (confirmed + rejected); None before any decision."""
    if decided == 0:
        return None
    return round(confirmed / decided, 3)


def period_of(at: datetime) -> str:
    """The reward period (``YYYY-MM``, UTC) of a moment."""
    return at.astimezone(UTC).strftime("%Y-%m")


def check_period(text: str) -> str:
    """``text`` if it is a period ``YYYY-MM``; ValueError naming the format otherwise."""
    if not _PERIOD.match(text):
        raise ValueError(f"period: expected YYYY-MM such as 2026-11, got {text!r}")
    return text


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The first moment of ``period`` and the first moment of the next one (UTC)."""
    year, month = (int(part) for part in check_period(period).split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def confirmed_key(flag_id: int) -> str:
    """The award key of a confirmed flag: a flag earns its confirmation once."""
    return f"flag:{flag_id}:{CONFIRMED}"


def recovered_key(flag_id: int) -> str:
    """The award key of the recovered-customer bonus: at most one per flag."""
    return f"flag:{flag_id}:{RECOVERED}"


def reversal_key(award_key: str) -> str:
    """The key of the row that reverses the award ``award_key``: an award is reversed once."""
    return f"{award_key}:{REVERSED}"


def decision_refusal(action: str, status: str, role: str, decider: str, author: str) -> str | None:
    """Why ``decider`` (with ``role``) may not ``action`` ("confirm" or "reject") the flag, or None."""
    if role not in DECIDERS:
        return f"only a lead or a manager may {action} a flag; {decider} is {role}"
    if action == "confirm" and decider == author:
        return f"{decider} raised this flag: nobody may confirm their own flag"
    if action == "confirm" and status != "open":
        return f"the flag is already {status}"
    if action == "reject" and status == "rejected":
        return "the flag is already rejected"
    return None
