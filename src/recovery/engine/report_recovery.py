"""The retention report's recovery figures: complaints, steps on time, their time, and the recovery outcome.

A step is a transition of a workflow applied to a complaint (win-back cases aside); it was on time when no
escalation was recorded while the complaint waited in the state the step left. Its time runs from entering
that state (the previous step, or the opening) to taking the step, in clock hours, pauses included.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, and_, case, exists, func, select
from sqlalchemy.orm import aliased

from recovery.core.report_periods import Window
from recovery.core.retention_report import Rate, outcome, ratio, total, with_rates
from recovery.core.roles import Role
from recovery.store.report_sql import period_index, plus_days, seconds_between
from recovery.store.schema import audit_log, complaints, purchases

OPEN = "open"  # the audit row of a complaint's opening: the first state is entered then
ESCALATE = "escalate"  # the overdue scan's row for a step past its deadline
PURCHASE = "purchase"
COUNTED = ("opened", "closed", "recovered", "steps", "on_time_steps")
RATES: dict[str, Rate] = {"recovery_rate": ("recovered", "closed", 4), "on_time": ("on_time_steps", "steps", 4)}
c, a, p = complaints.c, audit_log.c, purchases.c


def recovery_figures(
    connection: Connection, window: Window, triggers: Sequence[str], winback: str, now: datetime, outcome_days: int
) -> dict[str, Any]:
    """Complaints and steps per period, each step's share on time and median time, and the recovery outcome."""
    rows: list[dict[str, Any]] = [dict.fromkeys(COUNTED, 0) for _ in window.periods]
    for index, counts in _complaints(connection, window, winback).items():
        rows[index].update(counts)
    steps = _steps(connection, window, triggers, winback)
    for index, done, on_time in connection.execute(
        select(steps.c.period, func.count(), func.sum(steps.c.on_time)).group_by(steps.c.period)
    ):
        rows[index].update(steps=int(done), on_time_steps=int(on_time or 0))
    periods = [{"period": key, **with_rates(row, RATES)} for key, row in zip(window.keys, rows, strict=True)]
    return {
        "periods": periods,
        "total": total(rows, COUNTED, RATES),
        "steps": _by_step(connection, steps),
        "outcome": _outcome(connection, window, winback, now, outcome_days),
    }


def opened_by_period(window: Window, which: Any, closing: Role) -> Select[Any]:
    """Per period index, the complaints ``which`` keeps opened in it: how many, how many closed, and closed by
    a transition of role ``closing``."""
    index = period_index(c.opened_at, window.moments)
    return (
        select(
            index,
            func.count(),
            func.sum(case((c.closed_at.is_not(None), 1), else_=0)),
            func.sum(case((c.closed_as == closing.value, 1), else_=0)),
        )
        .where(which, c.opened_at >= window.moments[0], c.opened_at < window.moments[-1])
        .group_by(index)
    )


def _complaints(connection: Connection, window: Window, winback: str) -> dict[int, dict[str, int]]:
    """Complaints opened in each period; how many of them are closed, and resolved (the customer satisfied)."""
    query = opened_by_period(window, c.workflow != winback, Role.RESOLUTION)
    return {
        i: {"opened": int(n), "closed": int(closed or 0), "recovered": int(resolved or 0)}
        for i, n, closed, resolved in connection.execute(query)
    }


def _steps(connection: Connection, window: Window, triggers: Sequence[str], winback: str) -> Any:
    """One row per step taken in the window: its trigger, period, position, on time (1/0) and seconds."""
    escalated = func.sum(case((a.trigger == ESCALATE, 1), else_=0)).over(partition_by=a.complaint_id, order_by=a.id)
    marked = (
        select(a.complaint_id, a.id, a.at, a.trigger, escalated.label("escalations"))
        .join(complaints, c.id == a.complaint_id)
        .where(
            a.outcome == "applied",
            a.trigger.in_([*triggers, OPEN, ESCALATE]),
            c.workflow != winback,
            c.opened_at < window.moments[-1],
        )
        .subquery()
    )
    m = marked.c
    by, order = m.complaint_id, m.id
    stays = (
        select(
            m.trigger,
            m.at,
            (m.escalations - func.lag(m.escalations).over(partition_by=by, order_by=order)).label("escalated"),
            func.lag(m.at).over(partition_by=by, order_by=order).label("entered"),
            func.row_number().over(partition_by=by, order_by=order).label("position"),
        )
        .where(m.trigger != ESCALATE)
        .subquery()
    )
    s = stays.c
    return (
        select(
            s.trigger,
            s.position,
            period_index(s.at, window.moments).label("period"),
            case((s.escalated == 0, 1), else_=0).label("on_time"),
            seconds_between(connection.dialect.name, s.entered, s.at).label("seconds"),
        )
        .where(s.trigger != OPEN, s.entered.is_not(None), s.at >= window.moments[0], s.at < window.moments[-1])
        .subquery()
    )


def _by_step(connection: Connection, steps: Any) -> list[dict[str, Any]]:
    """Each step: how often it was taken, the share on time and the median hours it took, in workflow order."""
    t = steps.c
    counts = {
        trigger: (int(n), int(on_time or 0), float(position))
        for trigger, n, on_time, position in connection.execute(
            select(t.trigger, func.count(), func.sum(t.on_time), func.avg(t.position)).group_by(t.trigger)
        )
    }
    ranked = select(
        t.trigger,
        t.seconds,
        func.row_number().over(partition_by=t.trigger, order_by=t.seconds).label("rank"),
        func.count().over(partition_by=t.trigger).label("n"),
    ).subquery()
    r = ranked.c
    middle = (r.rank == (r.n + 1) // 2) | (r.rank == (r.n + 2) // 2)  # one row for odd n, the two middle for even
    medians = dict(connection.execute(select(r.trigger, func.avg(r.seconds)).where(middle).group_by(r.trigger)).all())
    rows = [
        {
            "step": trigger,
            "done": n,
            "on_time": on_time,
            "on_time_share": ratio(on_time, n),
            "median_hours": None if medians.get(trigger) is None else round(float(medians[trigger]) / 3600, 2),
        }
        for trigger, (n, on_time, _) in sorted(counts.items(), key=lambda item: (item[1][2], item[0]))
    ]
    return rows


def _outcome(connection: Connection, window: Window, winback: str, now: datetime, days: int) -> dict[str, Any]:
    """Repurchase and spend within ``days`` after a resolved complaint, an unresolved or lost one, and no complaint.

    Only moments at least ``days`` before the report's end (or now) count: a later one has not had its window yet.
    """
    dialect = connection.dialect.name
    start, latest = window.moments[0], min(window.moments[-1], now) - timedelta(days=days)
    ended = func.coalesce(c.closed_at, c.opened_at)
    resolved = case((c.closed_as == Role.RESOLUTION.value, 1), else_=0)
    after = and_(p.customer_id == c.customer_id, p.kind == PURCHASE, p.ordered_at > ended)
    per_complaint = (
        select(
            resolved.label("recovered"),
            func.max(case((p.id.is_not(None), 1), else_=0)).label("bought"),
            func.coalesce(func.sum(p.amount), 0).label("spend"),
        )
        .outerjoin(purchases, and_(after, p.ordered_at <= plus_days(dialect, ended, days)))
        .where(c.workflow != winback, ended >= start, ended < latest)
        .group_by(c.id, resolved)
        .subquery()
    )
    o = per_complaint.c
    sides = {
        int(side): (int(n), int(bought or 0), float(spend or 0))
        for side, n, bought, spend in connection.execute(
            select(o.recovered, func.count(), func.sum(o.bought), func.sum(o.spend)).group_by(o.recovered)
        )
    }
    groups = [
        outcome("recovered", *sides.get(1, (0, 0, 0.0))),
        outcome("unresolved_or_lost", *sides.get(0, (0, 0, 0.0))),
        outcome("never_complained", *_never_complained(connection, start, latest, winback, days)),
    ]
    return {"window_days": days, "from": _iso(start), "until": _iso(latest), "groups": groups}


def _never_complained(
    connection: Connection, start: datetime, latest: datetime, winback: str, days: int
) -> tuple[int, int, float]:
    """Customers without a complaint who bought in the window: repurchase and spend after their first purchase there."""
    complained = exists().where(c.customer_id == p.customer_id, c.workflow != winback)
    firsts = (
        select(p.customer_id, func.min(p.ordered_at).label("ref"))
        .where(p.kind == PURCHASE, p.ordered_at >= start, ~complained)
        .group_by(p.customer_id)
        .subquery()
    )
    later = aliased(purchases)
    f, q = firsts.c, later.c
    window = and_(q.customer_id == f.customer_id, q.kind == PURCHASE, q.ordered_at > f.ref)
    per_customer = (
        select(
            func.max(case((q.id.is_not(None), 1), else_=0)).label("bought"),
            func.coalesce(func.sum(q.amount), 0).label("spend"),
        )
        .outerjoin(later, and_(window, q.ordered_at <= plus_days(connection.dialect.name, f.ref, days)))
        .where(f.ref < latest)
        .group_by(f.customer_id)
        .subquery()
    )
    n, bought, spend = connection.execute(
        select(func.count(), func.sum(per_customer.c.bought), func.sum(per_customer.c.spend))
    ).one()
    return int(n), int(bought or 0), float(spend or 0)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
