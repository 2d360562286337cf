"""The win-back pipeline as the dashboard shows it: cases by step, won back, gone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from recovery.core.roles import Role
from recovery.engine.context import Context
from recovery.engine.overview import step_position
from recovery.engine.queries import overdue_clause
from recovery.store.schema import complaints


def winback_pipeline(ctx: Context, staff_id: str | None) -> dict[str, Any]:
    """Win-back cases (every one, or ``staff_id``'s) counted by step.

    Keys: ``workflow``; ``steps``, one row per step that has cases, in the workflow's order: ``state``,
    ``cases``, ``overdue``, ``open`` (False for a closing step); ``open``, ``won`` (closed by a
    purchase), ``not_won`` (closed without one) and ``cases`` (all of them). Step names are the workflow's own.
    """
    c = complaints.c
    now = ctx.clock.now()
    where = [c.workflow == ctx.winback.workflow]
    if staff_id is not None:
        where.append(c.assignee == staff_id)
    query = (
        select(
            c.state,
            c.closed_as,
            func.count().label("cases"),
            func.sum(case((overdue_clause(now), 1), else_=0)).label("overdue"),
            func.max(case((c.closed_at.is_(None), 1), else_=0)).label("open"),
        )
        .where(*where)
        .group_by(c.state, c.closed_as)
    )
    with ctx.read() as connection:
        found = connection.execute(query).all()
    steps: dict[str, dict[str, Any]] = {}
    totals = {"open": 0, "won": 0, "not_won": 0}
    for state, closed_as, cases, overdue, still_open in found:
        step = steps.setdefault(state, {"state": state, "cases": 0, "overdue": 0, "open": bool(still_open)})
        step["cases"] += int(cases)
        step["overdue"] += int(overdue or 0)
        if still_open:
            totals["open"] += int(cases)
        elif closed_as == Role.REPURCHASE:
            totals["won"] += int(cases)
        else:
            totals["not_won"] += int(cases)
    ordered = sorted(steps.values(), key=lambda s: step_position(ctx, ctx.winback.workflow, s["state"]))
    return {
        "workflow": ctx.winback.workflow,
        "steps": ordered,
        **totals,
        "cases": totals["open"] + totals["won"] + totals["not_won"],
    }
