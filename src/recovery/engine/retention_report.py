"""``recovery report retention``: every figure of the business's retention, period by period, in one dict.

Sections (each the JSON's top-level key): ``customers``, ``value``, ``recovery``, ``winback``, ``voice``,
``staff``, ``goals``, with ``periods`` naming the periods. A section with a trend is an object with
``periods`` (one row per period) and ``total`` (the window's counts added up, rates recomputed from them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from recovery.core.goals import goal_rows
from recovery.core.report_periods import PeriodKind, Window, default_start, period_start
from recovery.engine.context import Context
from recovery.engine.gaps import quality_gaps
from recovery.engine.report_customers import customer_figures
from recovery.engine.report_recovery import recovery_figures
from recovery.engine.report_value import value_figures
from recovery.engine.report_voice import staff_figures, voice_figures, winback_figures


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What to report on: the days (None: the last twelve months or four quarters, whole), the period, the goals."""

    start: date | None = None
    end: date | None = None
    kind: PeriodKind = "month"
    goals: Mapping[str, float | None] = field(default_factory=dict)
    defected_after_intervals: float = 3.0  # without a model: silent this many expected intervals is gone
    chronic_complaints: int = 3  # complaints in the window that make a chronic complainer


def report_window(ctx: Context, request: ReportRequest) -> Window:
    """The window the request names, in the business calendar's days; by default the last whole periods."""
    tz = ctx.calendar.tz
    today = ctx.clock.now().astimezone(tz).date()
    end = request.end or period_start(today, request.kind) - timedelta(days=1)
    start = request.start or default_start(end, request.kind)
    return Window.of(start, end, request.kind, tz)


def retention_report(ctx: Context, request: ReportRequest) -> dict[str, Any]:
    """Every section of the retention report over the request's window."""
    window = report_window(ctx, request)
    now = ctx.clock.now()
    winback = ctx.winback.workflow
    with ctx.read() as connection:
        customers = customer_figures(
            connection, window, ctx.retention.loyalty.alive_low, request.defected_after_intervals
        )
        value = value_figures(ctx, connection, window, request.chronic_complaints)
        recovery = recovery_figures(
            connection, window, _step_triggers(ctx), winback, now, ctx.retention.leave_window_days
        )
        winbacks = winback_figures(connection, window, winback)
        voice = voice_figures(connection, window)
        staff = staff_figures(connection, window)
    voice["gaps"] = quality_gaps(ctx, window.moments[0])
    trends = {"customers": customers, "recovery": recovery, "winback": winbacks, "voice": voice, "staff": staff}
    return {
        "period": request.kind,
        "from": window.periods[0].first.isoformat(),
        "to": window.last_day.isoformat(),
        "periods": [p.view() for p in window.periods],
        **trends,
        "value": value,
        "goals": goal_rows(request.goals, {name: section["total"] for name, section in trends.items()}),
    }


def _step_triggers(ctx: Context) -> list[str]:
    """The triggers of every current workflow but the win-back one: the steps of a complaint."""
    triggers: dict[str, None] = {}
    for name in ctx.workflows.names:
        if name != ctx.winback.workflow:
            triggers.update(dict.fromkeys(t.trigger for t in ctx.workflows.current(name).transitions))
    return list(triggers)
