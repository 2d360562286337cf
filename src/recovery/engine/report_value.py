"""The retention report's value figures: the year's loss and today's risk (``report value``), the window's
Pareto splits both ways with their curves, and the chronic complainers listed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, func, select

from recovery.core.report_periods import Window
from recovery.core.retention_report import pareto_curve
from recovery.core.roles import Role
from recovery.core.value import top_fifth_share
from recovery.engine.context import Context
from recovery.engine.value import value_report
from recovery.store.schema import complaints, customer_scores, customers, purchases

CHRONIC_LISTED = 50  # the most complaints first; the count says how many there are in all
c, p = complaints.c, purchases.c


def value_figures(ctx: Context, connection: Connection, window: Window, chronic_at: int) -> dict[str, Any]:
    """Revenue lost per year and at risk now (as ``report value``), and the window's Pareto splits."""
    year = value_report(ctx)
    spend = [float(v) for (v,) in connection.execute(_spend_by_customer(window)) if v and v > 0]
    complained = [float(n) for (n,) in connection.execute(_complaints_by_customer(window, ctx.winback.workflow))]
    chronic = _chronic(connection, window, ctx.winback.workflow, chronic_at)
    return {
        "year": year["period"],
        "revenue_lost_per_year": year["revenue_lost_per_year"],
        "yearly_defection_rate": year["yearly_defection_rate"],
        "average_yearly_spend": year["average_yearly_spend"],
        "revenue_at_risk": year["revenue_at_risk"],
        "open_complaints_at_risk": year["open_complaints_at_risk"],
        "open_complaints_unscored": year["open_complaints_unscored"],
        "leave_probability": year["leave_probability"]["value"],
        "pareto": {
            "customers": len(spend),
            "revenue_share_top_20": _rounded(top_fifth_share(spend)),
            "revenue_curve": pareto_curve(spend),
            "complainers": len(complained),
            "complaint_share_top_20": _rounded(top_fifth_share(complained)),
            "complaint_curve": pareto_curve(complained),
        },
        "chronic_complainers": chronic,
        "chronic_at": chronic_at,
    }


def _spend_by_customer(window: Window) -> Any:
    """Each customer's net spend in the window (refunds deducted)."""
    in_window = (p.day >= window.days[0]) & (p.day < window.days[-1])
    return select(func.sum(p.amount)).where(in_window).group_by(p.customer_id)


def _complaints_by_customer(window: Window, winback: str) -> Any:
    opened = (c.opened_at >= window.moments[0]) & (c.opened_at < window.moments[-1])
    return select(func.count()).where(opened, c.workflow != winback).group_by(c.customer_id)


def _chronic(connection: Connection, window: Window, winback: str, at_least: int) -> dict[str, Any]:
    """Customers with ``at_least`` complaints opened in the window: how they ended and what the customer is worth."""
    opened = (c.opened_at >= window.moments[0]) & (c.opened_at < window.moments[-1])
    n = func.count()
    per_customer = (
        select(
            c.customer_id,
            n.label("complaints"),
            func.sum(case((c.closed_as == Role.RESOLUTION.value, 1), else_=0)).label("recovered"),
            func.sum(case((c.closed_at.is_(None), 1), else_=0)).label("open"),
        )
        .where(opened, c.workflow != winback)
        .group_by(c.customer_id)
        .having(n >= at_least)
        .subquery()
    )
    k = per_customer.c
    spent = (
        select(func.coalesce(func.sum(p.amount), 0))
        .where(p.customer_id == k.customer_id, p.day >= window.days[0], p.day < window.days[-1])
        .scalar_subquery()
    )
    query = (
        select(
            customers.c.id,
            customers.c.email,
            customers.c.name,
            k.complaints,
            k.recovered,
            k.open,
            spent,
            customer_scores.c.clv,
        )
        .join(customers, customers.c.id == k.customer_id)
        .outerjoin(customer_scores, customer_scores.c.customer_id == k.customer_id)
        .order_by(k.complaints.desc(), customers.c.id)
    )
    found = connection.execute(query).all()
    listed = [
        {
            "customer": row.id,
            "email": row.email,
            "name": row.name,
            "complaints": int(row.complaints),
            "recovered": int(row.recovered or 0),
            "open": int(row.open or 0),
            "revenue": round(float(row[6] or 0), 2),
            "clv": None if row.clv is None else round(float(row.clv), 2),
        }
        for row in found[:CHRONIC_LISTED]
    ]
    return {"count": len(found), "listed": listed}


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 4)
