"""The morning overview: open complaints by step with time left, what is overdue or escalated now,
the revenue at risk and today's arrivals. The dashboard's first page and the daily digest read it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import Connection, case, func, select

from recovery.engine.context import Context
from recovery.engine.queries import iso, overdue_clause
from recovery.engine.value import leave_probability, open_clv
from recovery.store.schema import complaints, customers

ATTENTION_LIMIT = 20  # the overdue and escalated complaints listed, most urgent first
ARRIVALS_LIMIT = 10  # today's newest complaints listed


def overview(ctx: Context, staff_id: str | None) -> dict[str, Any]:
    """What is open and urgent now, for everyone (``staff_id`` None) or one staff member's complaints.

    Keys (times are UTC ISO 8601 with a Z, amounts in the shop's currency, rounded to cents):

    - ``staff_id``: the scope asked for (None: every complaint);
    - ``now``: when it was read; ``day_started_at``: the start of today in the calendar's zone;
    - ``open``, ``overdue``, ``escalated``: counts of open complaints, of those past a deadline
      (``complaint list --overdue``), and of those escalated (level 1 or more);
    - ``by_step``: one row per open step, in each workflow's own order: ``workflow``, ``state``,
      ``open``, ``overdue``, ``paused``, ``next_deadline`` (the soonest unpaused step deadline, or None)
      and ``seconds_left`` until it (negative once passed, None without one);
    - ``attention``: up to 20 overdue or escalated complaints, highest level then oldest deadline
      first, each ``id``, ``summary``, ``customer_id``, ``customer_name``, ``workflow``, ``state``,
      ``assignee``, ``severity``, ``deadline``, ``final_deadline``, ``escalation_level``, ``paused``;
    - ``revenue_at_risk``: CLV x leave probability over the open complaints' customers, each once
      (win-back cases left out, as ``recovery status`` counts it);
      ``revenue_at_risk_unscored``: open complaints whose customer has no CLV yet;
    - ``arrivals_today``: complaints opened since ``day_started_at``; ``arrivals``: the newest 10 of
      them, each ``id``, ``summary``, ``customer_id``, ``customer_name``, ``channel``, ``severity``,
      ``state``, ``assignee``, ``opened_at``.
    """
    now = ctx.clock.now()
    day_start = datetime.combine(now.astimezone(ctx.calendar.tz).date(), time(), ctx.calendar.tz).astimezone(UTC)
    mine = [complaints.c.assignee == staff_id] if staff_id is not None else []
    with ctx.read() as connection:
        by_step = _by_step(ctx, connection, mine, now)
        attention = _attention(connection, mine, now)
        arrivals, arrived = _arrivals(connection, mine, day_start)
        at_risk, unscored = _at_risk(ctx, connection, mine, now)
    return {
        "staff_id": staff_id,
        "now": iso(now),
        "day_started_at": iso(day_start),
        "open": sum(row["open"] for row in by_step),
        "overdue": sum(row["overdue"] for row in by_step),
        "escalated": sum(row.pop("escalated") for row in by_step),
        "by_step": by_step,
        "attention": attention,
        "revenue_at_risk": at_risk,
        "revenue_at_risk_unscored": unscored,
        "arrivals_today": arrived,
        "arrivals": arrivals,
    }


def _by_step(ctx: Context, connection: Connection, mine: list[Any], now: datetime) -> list[dict[str, Any]]:
    c = complaints.c
    unpaused_deadline = case((c.paused_at.is_(None), c.deadline), else_=None)
    query = (
        select(
            c.workflow,
            c.state,
            func.count().label("open"),
            func.sum(case((overdue_clause(now), 1), else_=0)).label("overdue"),
            func.sum(case((c.paused_at.is_not(None), 1), else_=0)).label("paused"),
            func.sum(case((c.escalation_level > 0, 1), else_=0)).label("escalated"),
            func.min(unpaused_deadline).label("next_deadline"),
        )
        .where(c.closed_at.is_(None), *mine)
        .group_by(c.workflow, c.state)
    )
    rows = []
    for r in connection.execute(query):
        deadline = r.next_deadline  # min() and case() keep the column's type: an aware UTC datetime
        rows.append(
            {
                "workflow": r.workflow,
                "state": r.state,
                "open": int(r.open),
                "overdue": int(r.overdue or 0),
                "paused": int(r.paused or 0),
                "escalated": int(r.escalated or 0),
                "next_deadline": iso(deadline),
                "seconds_left": None if deadline is None else int((deadline - now).total_seconds()),
            }
        )
    return sorted(rows, key=lambda row: (row["workflow"], step_position(ctx, row["workflow"], row["state"])))


def step_position(ctx: Context, workflow: str, state: str) -> int:
    """Where ``state`` comes in its workflow's current file (unknown states last)."""
    try:
        names = [s.name for s in ctx.workflows.current(workflow).states]
    except Exception:  # a workflow no longer in the files: its complaints still count, after the others
        return 1_000
    return names.index(state) if state in names else 1_000


def _attention(connection: Connection, mine: list[Any], now: datetime) -> list[dict[str, Any]]:
    c = complaints.c
    query = (
        select(
            c.id,
            c.summary,
            c.customer_id,
            customers.c.name.label("customer_name"),
            c.workflow,
            c.state,
            c.assignee,
            c.severity,
            c.deadline,
            c.final_deadline,
            c.escalation_level,
            c.paused_at,
        )
        .join(customers, customers.c.id == c.customer_id)
        .where(c.closed_at.is_(None), *mine)
        .where(overdue_clause(now) | (c.escalation_level > 0))
        .order_by(c.escalation_level.desc(), c.deadline.asc().nulls_last(), c.id)
        .limit(ATTENTION_LIMIT)
    )
    return [
        {
            **{k: r[k] for k in ("id", "summary", "customer_id", "customer_name", "workflow", "state", "assignee")},
            "severity": r["severity"],
            "deadline": iso(r["deadline"]),
            "final_deadline": iso(r["final_deadline"]),
            "escalation_level": r["escalation_level"],
            "paused": r["paused_at"] is not None,
        }
        for r in connection.execute(query).mappings()
    ]


def _arrivals(connection: Connection, mine: list[Any], since: datetime) -> tuple[list[dict[str, Any]], int]:
    c = complaints.c
    today = [c.opened_at >= since, *mine]
    count = connection.execute(select(func.count()).select_from(complaints).where(*today)).scalar_one()
    query = (
        select(
            c.id,
            c.summary,
            c.customer_id,
            customers.c.name.label("customer_name"),
            c.channel,
            c.severity,
            c.state,
            c.assignee,
            c.opened_at,
        )
        .join(customers, customers.c.id == c.customer_id)
        .where(*today)
        .order_by(c.id.desc())
        .limit(ARRIVALS_LIMIT)
    )
    rows = [{**dict(r), "opened_at": iso(r["opened_at"])} for r in connection.execute(query).mappings()]
    return rows, int(count)


def _at_risk(ctx: Context, connection: Connection, mine: list[Any], now: datetime) -> tuple[float, int]:
    """Revenue at risk of the open complaints in scope (a customer counted once) and how many are unscored.

    As ``engine.value.open_at_risk`` counts it (a negative CLV as nothing, win-back cases left out: their
    customer has left already), summed in the database.
    """
    at_risk = open_clv(connection, ctx.winback.workflow, *mine)
    if not at_risk.clv:
        return 0.0, at_risk.unscored
    probability = leave_probability(connection, ctx.retention, now).value
    return round(at_risk.clv * probability, 2), at_risk.unscored
