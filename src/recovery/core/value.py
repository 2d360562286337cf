"""What complaints cost the business: the chance a complainant leaves, revenue at risk, the DOMAIN.md sum.

Pure: the engine reads the rows and passes what they say; every figure here can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recovery.core.retention import RetentionRules

YEAR = timedelta(days=365)  # "a year" of the report: the 365 days up to now, and the 365 before them


@dataclass(frozen=True, slots=True)
class Ending:
    """How one complaint ended, as the leave probability sees it.

    ``ended_at`` is when it was closed, or when it was opened for one still open (unresolved since then);
    ``next_purchase_at`` is the complainant's first purchase after that moment, if any.
    """

    resolved: bool
    ended_at: datetime
    next_purchase_at: datetime | None


@dataclass(frozen=True, slots=True)
class Side:
    """The complaints of one side (lost or unresolved, or resolved) and how many of their complainants left."""

    complaints: int = 0
    left: int = 0

    @property
    def share(self) -> float | None:
        """The share that left; None with nothing to measure on."""
        return self.left / self.complaints if self.complaints else None


@dataclass(frozen=True, slots=True)
class LeaveProbability:
    """P(a complainant with an unresolved complaint leaves), measured or the configured default, and why."""

    value: float
    measured: bool
    basis: str
    unresolved: Side
    resolved: Side

    def view(self) -> dict[str, Any]:
        """As ``report value --json`` shows it."""
        sides = {"unresolved": self.unresolved, "resolved": self.resolved}
        return {
            "value": round(self.value, 4),
            "measured": self.measured,
            "basis": self.basis,
            **{name: {"complaints": s.complaints, "left": s.left} for name, s in sides.items()},
        }


def left(ending: Ending, window: timedelta) -> bool:
    """Did the complainant buy nothing within ``window`` after the complaint ended?"""
    return ending.next_purchase_at is None or ending.next_purchase_at > ending.ended_at + window


def leave_probability(endings: Iterable[Ending], rules: RetentionRules, now: datetime) -> LeaveProbability:
    """Measured from complaints ended at least a window ago once each side has enough, else the default."""
    window = timedelta(days=rules.leave_window_days)
    counts = {True: [0, 0], False: [0, 0]}  # resolved? -> [complaints, left]
    for ending in endings:
        # A complaint ended less than a window ago cannot tell yet whether its complainant came back.
        if ending.ended_at > now - window:
            continue
        counts[ending.resolved][0] += 1
        counts[ending.resolved][1] += left(ending, window)
    unresolved, resolved = Side(*counts[False]), Side(*counts[True])
    enough = min(unresolved.complaints, resolved.complaints) >= rules.leave_min_complainants
    if enough and unresolved.share is not None and resolved.share is not None:
        basis = (
            f"measured on {unresolved.complaints} lost/unresolved and {resolved.complaints} resolved complaints: "
            f"{unresolved.share:.2f} vs {resolved.share:.2f} bought nothing within {rules.leave_window_days} days"
        )
        return LeaveProbability(unresolved.share, True, basis, unresolved, resolved)
    basis = (
        f"default {rules.leave_probability:g}: only {unresolved.complaints} lost/unresolved and "
        f"{resolved.complaints} resolved complaints ended {rules.leave_window_days}+ days ago to measure on "
        f"({rules.leave_min_complainants} needed on each side)"
    )
    return LeaveProbability(rules.leave_probability, False, basis, unresolved, resolved)


def revenue_at_risk(clv: float | None, probability: float) -> float | None:
    """What an open complaint may cost: the customer's CLV times the leave probability; None when unscored."""
    if clv is None:
        return None
    return max(clv, 0.0) * probability  # a model may give a tiny negative CLV; nobody loses less than nothing


def yearly_defection_rate(bought_before: int, still_buying: int) -> float | None:
    """The share of last year's buyers who bought nothing this year; None when nobody bought last year."""
    if bought_before <= 0:
        return None
    return (bought_before - still_buying) / bought_before


def revenue_lost_per_year(customers: int, rate: float | None, average_spend: float | None) -> float | None:
    """DOMAIN.md's sum: customers x yearly defection rate x average yearly spend (700 x 0.2 x 300 = 42,000)."""
    if rate is None or average_spend is None:
        return None
    return customers * rate * average_spend


def top_fifth_share(values: Iterable[float]) -> float | None:
    """The share of the total from the top 20% (sorted descending, the first ceil(n / 5)); None on no total."""
    ordered = sorted(values, reverse=True)
    total = sum(ordered)
    if not ordered or total <= 0:
        return None
    top = (len(ordered) + 4) // 5  # ceil(n / 5) in integers: 0.2 * 35 is 7.000000000000001 in floats
    return sum(ordered[:top]) / total
