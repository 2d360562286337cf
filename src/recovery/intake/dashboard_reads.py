"""What each dashboard page reads, through the engine's read side, shaped for its template.

Plain functions of the engine context, run in the threadpool by ``recovery.intake.dashboard``.
``scope`` is the staff id whose complaints an agent may see, or None for a lead or manager.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from recovery.engine.context import Context
from recovery.engine.customer_queries import list_customers
from recovery.engine.overview import overview
from recovery.engine.pipeline import winback_pipeline
from recovery.engine.queries import ComplaintFilter, find_complaints, get_complaint, history
from recovery.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from recovery.charts import Chart
    from recovery.engine.retention_report import ReportRequest

SEVERITIES = ("critical", "high", "normal", "low")
MAX_LIMIT = 500
CHARTS_KEPT = timedelta(minutes=5)  # the charts page and its images share one report; it is costly to count


class Reads:
    """The dashboard's reads over one engine context."""

    def __init__(self, ctx: Context, report: Callable[[], ReportRequest] | None = None) -> None:
        self.ctx = ctx
        self._request = report
        self._charts: tuple[datetime, dict[str, Chart]] | None = None
        self._charts_lock = threading.Lock()

    def overview(self, scope: str | None) -> dict[str, Any]:
        """The overview page: ``recovery.engine.overview.overview``."""
        return overview(self.ctx, scope)

    def states(self) -> list[str]:
        """Every step of every current workflow, once, in file order (the list's state filter)."""
        found: dict[str, None] = {}
        for name in self.ctx.workflows.names:
            found.update(dict.fromkeys(s.name for s in self.ctx.workflows.current(name).states))
        return list(found)

    def complaints(self, asked: Mapping[str, Any], scope: str | None) -> dict[str, Any]:
        """The list page: complaints newest first under the filters ``asked`` (the CLI's), an agent's own only."""
        where = ComplaintFilter(
            states=tuple(asked["state"]),
            severities=tuple(asked["severity"]),
            overdue=bool(asked["overdue"]),
            customer_id=self._customer(asked["customer"]),
            assignee=scope if scope is not None else (asked["assignee"] or None),
            source=asked["source"] or None,
            since=_day(asked["since"]),
            search=asked["search"] or None,
            workflow=asked["workflow"] or None,
        )
        rows = find_complaints(self.ctx, where, _limit(asked["limit"])) if where.customer_id != -1 else []
        return {
            "rows": rows,
            "states": self.states(),
            "severities": SEVERITIES,
            "workflows": self.ctx.workflows.names,
        }

    def _customer(self, text: str) -> int | None:
        """The customer a filter names (id or email); -1 for nobody known, so the list is empty."""
        from recovery.engine.people import find_customer

        if not text.strip():
            return None
        try:
            with self.ctx.read() as connection:
                return int(find_customer(connection, text.strip())["id"])
        except NotFoundError:
            return -1

    def complaint(self, complaint_id: int, scope: str | None) -> dict[str, Any]:
        """One complaint, its customer and its timeline; NotFoundError for another agent's."""
        from recovery.engine.people import find_customer

        found = get_complaint(self.ctx, complaint_id)
        if scope is not None and found["assignee"] != scope:
            raise NotFoundError(f"no complaint {complaint_id}")  # an agent learns nothing of others' complaints
        with self.ctx.read() as connection:
            customer = find_customer(connection, int(found["customer_id"]))
        return {"c": found, "customer": customer, "timeline": history(self.ctx, complaint_id)}

    def at_risk(self) -> list[dict[str, Any]]:
        """Customers marked at risk, the most valuable first."""
        return list_customers(self.ctx, limit=200, at_risk=True)

    def winback(self, scope: str | None) -> dict[str, Any]:
        """The pipeline and the newest cases."""
        pipeline = winback_pipeline(self.ctx, scope)
        cases = find_complaints(self.ctx, ComplaintFilter(workflow=self.ctx.winback.workflow, assignee=scope), 50)
        return {"pipeline": pipeline, "cases": cases}

    def leaderboard(self, period: str | None) -> dict[str, Any]:
        """The leaderboard of a month (this one by default) with staff names."""
        from recovery.engine.queries import list_staff
        from recovery.engine.rewards import leaderboard

        rows = leaderboard(self.ctx, period)
        names = {s["id"]: s["name"] for s in list_staff(self.ctx)}
        shown = rows[0]["period"] if rows else (period or _this_month(self.ctx))
        return {"rows": [{**r, "name": names.get(r["staff"], r["staff"])} for r in rows], "period": shown}

    def retention(self) -> dict[str, Any]:
        """The charts page: the retention report's charts (names and titles) and the value report's figures."""
        from recovery.engine.value import value_report

        charts = self._retention_charts()
        shown = [{"name": name, "title": chart.title} for name, chart in charts.items()]
        return {"value": value_report(self.ctx), "charts": shown}

    def chart_svg(self, name: str) -> bytes:
        """One chart as SVG; NotFoundError for a name that is not one."""
        chart = self._retention_charts().get(name)
        if chart is None:
            raise NotFoundError(f"no chart {name[:40]!r}")
        with self._charts_lock:  # matplotlib draws one figure at a time here
            return chart.svg().encode("utf-8")

    def _retention_charts(self) -> dict[str, Chart]:
        """The retention report's charts over its default window, counted at most every five minutes."""
        from recovery.charts import retention_charts
        from recovery.engine.retention_report import ReportRequest, retention_report

        now = self.ctx.clock.now()
        with self._charts_lock:
            if self._charts is None or not now - CHARTS_KEPT < self._charts[0] <= now:
                request = self._request() if self._request is not None else ReportRequest()
                self._charts = (now, retention_charts(retention_report(self.ctx, request)))
            return self._charts[1]


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"since: expected a day as YYYY-MM-DD, got {text[:40]!r}") from None


def _limit(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise InvalidInputError(f"limit: expected a number from 1 to {MAX_LIMIT}, got {text[:20]!r}")
    return int(text)


def _this_month(ctx: Context) -> str:
    from recovery.core.rewards import period_of

    return period_of(ctx.clock.now())
