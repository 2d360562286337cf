"""The retention report's customer figures, counted in the database period by period.

New, active and returning customers, early defection, transactions, spend and revenue come from
``purchases`` (its ``day``, the business's local day); the loyalty classes from ``loyalty_history``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from recovery.core.report_periods import Window
from recovery.core.retention_report import DefectionRule, EarlyBuyer, Rate, total, typical_interval, with_rates
from recovery.store.report_sql import days_between, period_index
from recovery.store.schema import customer_scores, loyalty_history, purchases

PURCHASE = "purchase"
COUNTED = ("new", "active", "returning", "early_defected", "transactions", "purchase_revenue", "revenue")
RATES: dict[str, Rate] = {
    "repeat_purchase_rate": ("returning", "active", 4),
    "early_defection_rate": ("early_defected", "new", 4),
    "spend_per_transaction": ("purchase_revenue", "transactions", 2),
}
p = purchases.c


def customer_figures(connection: Connection, window: Window, alive_below: float, intervals: float) -> dict[str, Any]:
    """Each period's customer figures and the window's total."""
    days, keys = window.days, window.keys
    rows: list[dict[str, Any]] = [dict.fromkeys(COUNTED, 0) for _ in keys]
    _add(rows, _sales(connection, days))
    _add(rows, _buyers(connection, days))
    interval = typical_interval(float(i) for (i,) in connection.execute(_intervals(connection, days)))
    rule = DefectionRule(alive_below, intervals, interval)
    _add(rows, _early_defected(connection, days, rule))
    classes = _classes(connection, window.moments)
    movements = _movements(connection, window.moments)
    periods = [
        {"period": key, **with_rates(row, RATES), "classes": classes[i], "movements": movements.get(i, [])}
        for i, (key, row) in enumerate(zip(keys, rows, strict=True))
    ]
    summed = total(rows, COUNTED, RATES)
    summed["movements"] = _merged_movements(movements.values())
    summed["classes"] = classes[-1] if classes else {}
    basis = {
        "typical_interval_days": interval,
        "early_defection": (
            f"new customers with purchases on one or two days who are gone as of {window.last_day}: P(alive) below "
            f"{alive_below:g} where scored, else no purchase for {intervals:g} x their interval (a one-time buyer's: "
            f"the typical {interval if interval is not None else 'unknown'} days)"
        ),
    }
    return {"periods": periods, "total": summed, "basis": basis}


def _add(rows: list[dict[str, Any]], found: dict[int, dict[str, Any]]) -> None:
    for index, counts in found.items():
        if index is not None:
            for name, value in counts.items():
                rows[index][name] += value


def _in_window(days: Sequence[date]) -> Any:
    return and_(p.day >= days[0], p.day < days[-1])


def _sales(connection: Connection, days: Sequence[date]) -> dict[int, dict[str, Any]]:
    """Transactions, their revenue, and the net revenue (refunds deducted) of each period."""
    bought = p.kind == PURCHASE
    index = period_index(p.day, days)
    query = (
        select(
            index,
            func.sum(case((bought, 1), else_=0)),
            func.sum(case((bought, p.amount), else_=0)),
            func.sum(p.amount),
        )
        .where(_in_window(days))
        .group_by(index)
    )
    return {
        i: {"transactions": int(n or 0), "purchase_revenue": float(spent or 0), "revenue": float(net or 0)}
        for i, n, spent, net in connection.execute(query)
    }


def _firsts(days: Sequence[date]) -> Any:
    return (
        select(p.customer_id, func.min(p.day).label("first_day"))
        .where(p.kind == PURCHASE, p.day < days[-1])
        .group_by(p.customer_id)
        .subquery()
    )


def _buyers(connection: Connection, days: Sequence[date]) -> dict[int, dict[str, Any]]:
    """Active customers of each period, how many bought there for the first time ever, and how many came back."""
    index = period_index(p.day, days)
    per_period = (
        select(p.customer_id, index.label("period"), func.count(func.distinct(p.day)).label("days"))
        .where(p.kind == PURCHASE, _in_window(days))
        .group_by(p.customer_id, index)
        .subquery()
    )
    firsts = _firsts(days)
    first_here = period_index(firsts.c.first_day, days) == per_period.c.period
    query = (
        select(
            per_period.c.period,
            func.count(),
            func.sum(case((first_here, 1), else_=0)),
            func.sum(case((and_(first_here, per_period.c.days == 1), 0), else_=1)),
        )
        .join(firsts, firsts.c.customer_id == per_period.c.customer_id)
        .group_by(per_period.c.period)
    )
    return {
        i: {"active": int(active), "new": int(new or 0), "returning": int(back or 0)}
        for i, active, new, back in connection.execute(query)
    }


def _intervals(connection: Connection, days: Sequence[date]) -> Any:
    """Each returning customer's mean days between purchase-days (up to the report's end)."""
    span = days_between(connection.dialect.name, func.min(p.day), func.max(p.day))
    distinct_days = func.count(func.distinct(p.day))
    return (
        select(span * 1.0 / (distinct_days - 1))
        .where(p.kind == PURCHASE, p.day < days[-1])
        .group_by(p.customer_id)
        .having(distinct_days > 1)
    )


def _early_defected(connection: Connection, days: Sequence[date], rule: DefectionRule) -> dict[int, dict[str, Any]]:
    """New customers of each period who bought on one or two days and are gone (``rule``) as of the report's end."""
    distinct_days = func.count(func.distinct(p.day))
    first, last = func.min(p.day), func.max(p.day)
    per_customer = (
        select(p.customer_id, distinct_days.label("n"), first.label("first"), last.label("last"))
        .where(p.kind == PURCHASE, p.day < days[-1])
        .group_by(p.customer_id)
        .having(distinct_days <= 2, first >= days[0])
        .subquery()
    )
    query = select(per_customer, customer_scores.c.p_alive).outerjoin(
        customer_scores, customer_scores.c.customer_id == per_customer.c.customer_id
    )
    today = days[-1].toordinal() - 1  # the report's last day
    found: dict[int, dict[str, Any]] = {}
    for _, n, first_day, last_day, p_alive in connection.execute(query):
        buyer = EarlyBuyer(n, _day(first_day), _day(last_day), p_alive)
        if rule.gone(buyer, date.fromordinal(today)):
            index = bisect_right(days, buyer.first_day) - 1
            found.setdefault(index, {"early_defected": 0})["early_defected"] += 1
    return found


def _day(value: date | str) -> date:
    """A day as the driver returns MIN/MAX of a date column (SQLite: its text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _classes(connection: Connection, moments: Sequence[datetime]) -> list[dict[str, int]]:
    """Customers in each loyalty class at each period's end (their latest change before it)."""
    h = loyalty_history.c
    found = []
    for end in moments[1:]:
        latest = select(func.max(h.id).label("id")).where(h.at < end).group_by(h.customer_id)
        query = select(h.to_class, func.count()).where(h.id.in_(latest.scalar_subquery())).group_by(h.to_class)
        found.append({kind: int(n) for kind, n in connection.execute(query)})
    return found


def _movements(connection: Connection, moments: Sequence[datetime]) -> dict[int, list[dict[str, Any]]]:
    """Changes of class in each period: from, to and how many customers."""
    h = loyalty_history.c
    index = period_index(h.at, moments)
    query = (
        select(index, h.from_class, h.to_class, func.count())
        .where(h.at >= moments[0], h.at < moments[-1])
        .group_by(index, h.from_class, h.to_class)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for i, before, after, n in connection.execute(query):
        found.setdefault(i, []).append({"from": before, "to": after, "customers": int(n)})
    return {i: sorted(rows, key=lambda r: (-r["customers"], r["from"] or "", r["to"])) for i, rows in found.items()}


def _merged_movements(groups: Any) -> list[dict[str, Any]]:
    counts: dict[tuple[str | None, str], int] = {}
    for rows in groups:
        for row in rows:
            counts[(row["from"], row["to"])] = counts.get((row["from"], row["to"]), 0) + row["customers"]
    rows = [{"from": a, "to": b, "customers": n} for (a, b), n in counts.items()]
    return sorted(rows, key=lambda r: (-r["customers"], r["from"] or "", r["to"]))
