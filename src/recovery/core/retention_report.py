"""The retention report's arithmetic: rates from counts, period totals, NPS, the Pareto curve, early defection.

Pure: the engine counts in the database and passes the counts; every rate here can be checked by hand.
A rate with nothing to measure on is None (shown as "-"), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Any

# A rate's numerator and denominator, by the counts' names; the digits it is rounded to.
Rate = tuple[str, str, int]


def ratio(part: float | None, whole: float | None, digits: int = 4) -> float | None:
    """``part / whole`` rounded; None when there is nothing to divide by."""
    if part is None or not whole:
        return None
    return round(part / whole, digits)


def with_rates(counts: Mapping[str, Any], rates: Mapping[str, Rate]) -> dict[str, Any]:
    """``counts`` with each rate computed from two of them."""
    return {
        **counts,
        **{name: ratio(counts[part], counts[whole], digits) for name, (part, whole, digits) in rates.items()},
    }


def total(rows: Sequence[Mapping[str, Any]], counted: Iterable[str], rates: Mapping[str, Rate]) -> dict[str, Any]:
    """The whole window: each count added up over the periods, each rate recomputed from the sums."""
    sums = {name: round(sum(row[name] or 0 for row in rows), 2) for name in counted}
    return with_rates(sums, rates)


def nps(promoters: int, detractors: int, answers: int) -> float | None:
    """Net Promoter Score: % of 9-10 answers minus % of 0-6 answers, from -100 to 100; None without answers."""
    if not answers:
        return None
    return round((promoters - detractors) * 100 / answers, 1)


def pareto_curve(values: Iterable[float], points: int = 20) -> list[list[float]]:
    """The Pareto curve: [share of customers (largest first), share of the total they bring], ``points`` + 1 steps."""
    ordered = sorted((v for v in values if v > 0), reverse=True)
    whole = sum(ordered)
    if not ordered or whole <= 0:
        return []
    curve: list[list[float]] = []
    running, taken = 0.0, 0
    for step in range(points + 1):
        upto = -(-len(ordered) * step // points)  # ceil(n * step / points) in integers
        running += sum(ordered[taken:upto])
        taken = upto
        curve.append([round(step / points, 4), round(running / whole, 4)])
    return curve


@dataclass(frozen=True, slots=True)
class EarlyBuyer:
    """A customer who bought on one or two days so far: is they gone already?"""

    purchase_days: int
    first_day: date
    last_day: date
    p_alive: float | None  # the fitted model's, where the customer is scored


@dataclass(frozen=True, slots=True)
class DefectionRule:
    """Gone: P(alive) below ``alive_below`` where a model scored them; else silent for ``intervals`` × their interval.

    A customer's interval is the days between their two purchases; a one-time buyer's is the business's
    typical one (the median over customers who came back), and with none known nobody is judged gone.
    """

    alive_below: float
    intervals: float
    typical_interval_days: float | None

    def gone(self, buyer: EarlyBuyer, today: date) -> bool:
        """Has ``buyer`` defected as of ``today``?"""
        if buyer.p_alive is not None:
            return buyer.p_alive < self.alive_below
        own = (buyer.last_day - buyer.first_day).days if buyer.purchase_days > 1 else None
        interval = own or self.typical_interval_days
        if not interval:
            return False
        return (today - buyer.last_day).days > self.intervals * interval


def typical_interval(intervals: Iterable[float]) -> float | None:
    """The median days between purchase-days of customers who came back; None when nobody did."""
    found = [i for i in intervals if i > 0]
    return round(median(found), 2) if found else None


def outcome(group: str, people: int, bought: int, spend: float) -> dict[str, Any]:
    """One side of the recovery outcome: how many, how many bought again within the window, what they spent."""
    return {
        "group": group,
        "count": people,
        "repurchased": bought,
        "repurchase_rate": ratio(bought, people),
        "mean_spend": ratio(spend, people, 2),
    }
