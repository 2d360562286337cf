"""Revenue at risk of open complaints and the value report, read from the business's own rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, case, func, select

from recovery.core import value
from recovery.core.roles import Role
from recovery.store.schema import complaints, customer_scores, purchases

if TYPE_CHECKING:
    from recovery.core.complaint import Complaint
    from recovery.core.retention import RetentionRules
    from recovery.engine.context import Context

PURCHASE = "purchase"  # purchases.kind of a sale; a refund neither brings a customer back nor makes one active
UNSCORED = "unscored: no CLV for this customer yet (`recovery customers score`)"


def leave_probability(connection: Connection, rules: RetentionRules, now: datetime) -> value.LeaveProbability:
    """The leave probability from every complaint's ending and the complainant's next purchase after it."""
    ended = func.coalesce(complaints.c.closed_at, complaints.c.opened_at)
    next_purchase = (
        select(func.min(purchases.c.ordered_at))
        .where(
            purchases.c.customer_id == complaints.c.customer_id,
            purchases.c.kind == PURCHASE,
            purchases.c.ordered_at > ended,
        )
        .scalar_subquery()
    )
    # Only complaints that ended a window ago can tell (core.value.leave_probability skips the others):
    # left out here, the newest complaints cost no purchase lookup each.
    settled = ended <= now - timedelta(days=rules.leave_window_days)
    found = connection.execute(select(complaints.c.closed_as, ended, next_purchase).where(settled))
    return value.leave_probability(
        (value.Ending(closed_as == Role.RESOLUTION, ended_at, bought) for closed_as, ended_at, bought in found),
        rules,
        now,
    )


def complaint_at_risk(connection: Connection, complaint: Complaint, ctx: Context) -> dict[str, Any]:
    """``revenue_at_risk`` of one complaint and how it was found (closed and unscored ones have none)."""
    if complaint.closed_at is not None:
        return {"revenue_at_risk": None, "revenue_at_risk_basis": "closed: nothing left at risk"}
    clv = connection.execute(
        select(customer_scores.c.clv).where(customer_scores.c.customer_id == complaint.customer_id)
    ).scalar()
    if clv is None:  # no probability to read over every complaint: there is nothing to multiply it by
        return {"revenue_at_risk": None, "revenue_at_risk_basis": UNSCORED}
    probability = leave_probability(connection, ctx.retention, ctx.clock.now())
    at_risk = value.revenue_at_risk(clv, probability.value)
    if at_risk is None:
        return {"revenue_at_risk": None, "revenue_at_risk_basis": UNSCORED}
    kind = "measured" if probability.measured else "default"
    basis = f"CLV {clv:.2f} x leave probability {probability.value:.2f} ({kind})"
    return {"revenue_at_risk": round(at_risk, 2), "revenue_at_risk_basis": basis}


def open_at_risk(connection: Connection, probability: float, win_back: str) -> dict[str, Any]:
    """The revenue at risk of every open complaint together, each customer counted once, and how many are unscored.

    Win-back cases (workflow ``win_back``) are not complaints at risk: their customer has left or is leaving already.
    """
    at_risk = open_clv(connection, win_back)
    return {
        "revenue_at_risk": round(at_risk.clv * probability, 2),
        "open_complaints_at_risk": at_risk.complaints,
        "open_complaints_unscored": at_risk.unscored,
    }


@dataclass(frozen=True)
class OpenClv:
    """What the open complaints' customers are worth together (``clv``) and how many complaints are unscored."""

    clv: float
    complaints: int
    unscored: int


def open_clv(connection: Connection, win_back: str, *scope: Any) -> OpenClv:
    """The CLV of the customers of the open complaints in ``scope`` (extra WHERE clauses), summed in the database.

    Each customer counts once (a customer with two open complaints can leave only once) and a negative CLV as
    nothing (as ``core.value.revenue_at_risk`` counts it); win-back cases are left out (see ``open_at_risk``).
    """
    c, clv = complaints.c, customer_scores.c.clv
    open_ = (c.closed_at.is_(None), c.workflow != win_back, *scope)
    in_scope = select(c.customer_id).where(*open_).distinct().subquery()
    total = connection.execute(
        select(func.coalesce(func.sum(case((clv > 0, clv), else_=0.0)), 0.0))
        .select_from(in_scope)
        .join(customer_scores, customer_scores.c.customer_id == in_scope.c.customer_id)
    ).scalar_one()
    counted, unscored = connection.execute(
        select(func.count(), func.count(case((clv.is_(None), 1))))
        .select_from(complaints)
        .outerjoin(customer_scores, customer_scores.c.customer_id == c.customer_id)
        .where(*open_)
    ).one()
    return OpenClv(float(total), int(counted), int(unscored))


def value_report(ctx: Context) -> dict[str, Any]:
    """``recovery report value``: DOMAIN.md's sum, the Pareto splits and the revenue at risk, on our own data."""
    now = ctx.clock.now()
    start = now - value.YEAR
    with ctx.read() as connection:
        probability = leave_probability(connection, ctx.retention, now)
        at_risk = open_at_risk(connection, probability.value, ctx.winback.workflow)
        spend = _spend(connection, start, now)
        bought_before, still_buying = _buyers(connection, start, now)
        complained = _complaints_by_customer(connection, start, now)
    customers = len(spend["active"])
    average = spend["revenue"] / customers if customers else None
    rate = value.yearly_defection_rate(bought_before, still_buying)
    lost = value.revenue_lost_per_year(customers, rate, average)
    return {
        "customers": customers,
        "average_yearly_spend": None if average is None else round(average, 2),
        "yearly_defection_rate": None if rate is None else round(rate, 4),
        "revenue_lost_per_year": None if lost is None else round(lost, 2),
        **at_risk,
        "leave_probability": probability.view(),
        "pareto": {
            "revenue_share_top_20": _rounded(value.top_fifth_share(spend["active"])),
            "complaint_share_top_20": _rounded(value.top_fifth_share(complained)),
            "customers": customers,
            "complainers": len(complained),
        },
        "period": {"from": _iso(start), "to": _iso(now)},
        "basis": {
            "customers": "customers with a purchase in the period",
            "average_yearly_spend": "the period's revenue, refunds deducted, per customer",
            "yearly_defection_rate": _defection_basis(bought_before, still_buying),
        },
    }


def _spend(connection: Connection, start: datetime, now: datetime) -> dict[str, Any]:
    """The period's net revenue and the net spend of each customer who bought in it."""
    bought = func.sum(case((purchases.c.kind == PURCHASE, 1), else_=0))
    found = connection.execute(
        select(func.sum(purchases.c.amount), bought)
        .where(purchases.c.ordered_at >= start, purchases.c.ordered_at <= now)
        .group_by(purchases.c.customer_id)
    ).all()
    # A refund of an older order lowers the year's revenue even when its customer bought nothing this year.
    return {"revenue": float(sum(net for net, _ in found)), "active": [float(net) for net, n in found if n]}


def _buyers(connection: Connection, start: datetime, now: datetime) -> tuple[int, int]:
    """Customers who bought in the year before the period, and how many of them bought in the period too."""
    before = func.max(case((purchases.c.ordered_at < start, 1), else_=0))
    during = func.max(case((purchases.c.ordered_at >= start, 1), else_=0))
    per_customer = (
        select(before.label("before"), during.label("during"))
        .where(
            purchases.c.kind == PURCHASE, purchases.c.ordered_at >= start - value.YEAR, purchases.c.ordered_at <= now
        )
        .group_by(purchases.c.customer_id)
        .subquery()
    )
    row = connection.execute(
        select(
            func.coalesce(func.sum(per_customer.c.before), 0),
            func.coalesce(func.sum(per_customer.c.before * per_customer.c.during), 0),
        )
    ).one()
    return int(row[0]), int(row[1])


def _complaints_by_customer(connection: Connection, start: datetime, now: datetime) -> list[float]:
    """How many complaints each complainant opened in the period."""
    found = connection.execute(
        select(func.count())
        .where(complaints.c.opened_at >= start, complaints.c.opened_at <= now)
        .group_by(complaints.c.customer_id)
    )
    return [float(n) for (n,) in found]


def _defection_basis(bought_before: int, still_buying: int) -> str:
    if not bought_before:
        return "nobody bought in the year before the period: no rate to measure"
    return (
        f"of {bought_before} customers who bought in the year before the period, "
        f"{bought_before - still_buying} bought nothing in it"
    )


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 4)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
