"""Silent defectors: valuable customers whose P(alive) fell, with no open case, marked and their owner told.

Run after each scoring. A customer is marked once per fall: the mark and its notices are written in
one transaction and claimed with a conditional insert or update, so a second or concurrent run
marks and tells nobody again. A purchase after the mark re-arms it (``cleared_at``); a later fall
marks and notifies anew.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Result, Row, func, select, update

from recovery.core.winback import at_risk_key
from recovery.engine import winback
from recovery.engine.context import Context
from recovery.store.outbox import enqueue_many
from recovery.store.schema import complaints, customer_scores, customers, customers_at_risk, purchases, staff
from recovery.store.sql import chunks, insert_ignoring_duplicates

TOPIC = "customer.at_risk"
OWNER_ROLE = "lead"  # who is told when the customer has no owner


@dataclass
class AtRiskRun:
    """What one run did: customers newly marked, marks re-armed by a purchase, notices queued."""

    marked: int = 0
    cases: int = 0  # win-back cases opened for the customers marked
    rearmed: int = 0
    notices: int = 0

    def summary(self) -> dict[str, int]:
        """The run as JSON-ready data."""
        return {"marked": self.marked, "rearmed": self.rearmed, "notices": self.notices, "win_back_cases": self.cases}


def mark_at_risk(ctx: Context) -> AtRiskRun:
    """Re-arm the marks of customers who bought since, then mark and notify each newly at-risk customer."""
    run = AtRiskRun()
    now = ctx.clock.now()
    rules = ctx.retention
    with ctx.db.begin() as connection:
        rearmed = _rearm(connection, now)
        run.rearmed = len(rearmed)
        cutoff = clv_cutoff(connection, rules.at_risk_top_share)
        if cutoff is None:
            return run
        # A customer re-armed just now waits for a scoring that has seen their purchase: a later fall.
        found = [c for c in _candidates(connection, rules.at_risk_alive_below, cutoff) if c.customer_id not in rearmed]
        owners = _owners(connection, [c.customer_id for c in found])
        leads = _leads(connection)
        messages: list[dict[str, Any]] = []
        for candidate in found:
            if _claim(connection, candidate, now):
                run.marked += 1
                people = owners.get(candidate.customer_id) or leads
                messages.extend(_notices(candidate, people, now, ctx.calendar.tz))
                run.cases += _win_back(ctx, connection, candidate, owners.get(candidate.customer_id), now)
        enqueue_many(connection, messages, now)
        run.notices = len(messages)
    return run


def _win_back(
    ctx: Context,
    connection: Connection,
    candidate: Row[Any],
    owners: list[tuple[str, str | None]] | None,
    now: datetime,
) -> int:
    """Open a win-back case for a customer just marked, owned by whoever last handled them; 1 when one opened."""
    rules = ctx.winback
    if not rules.open_on_at_risk or rules.workflow not in ctx.workflows.names:
        return 0
    summary = f"Win back: valuable and fading (P(alive) {candidate.p_alive:.2f}, CLV {candidate.clv:,.2f})"
    opened = winback.open_in(
        ctx,
        connection,
        candidate.customer_id,
        summary=summary,
        actor=winback.SYSTEM,
        key=at_risk_key(candidate.customer_id, now),
        assignee=owners[0][0] if owners else None,
        at=now,
    )
    return 0 if opened is None else 1


def clv_cutoff(connection: Connection, share: float) -> float | None:
    """The lowest CLV inside the top ``share`` of scored customers (ties at it count in); None: nobody is."""
    scored = customer_scores.c.clv.is_not(None)
    total = int(connection.execute(select(func.count()).where(scored)).scalar_one())
    # The top share of n customers is the first ceil(share × n) of them by CLV; the epsilon keeps
    # 0.3 × 10 (3.0000000000000004 in floating point) at 3.
    rank = math.ceil(share * total - 1e-9)
    if rank <= 0:
        return None
    query = select(customer_scores.c.clv).where(scored).order_by(customer_scores.c.clv.desc())
    value = connection.execute(query.offset(rank - 1).limit(1)).scalar()
    return None if value is None else float(value)


def _rearm(connection: Connection, now: datetime) -> set[int]:
    """Clear every mark whose customer bought after it; the customers re-armed."""
    bought_since = (
        select(purchases.c.id)
        .where(
            purchases.c.customer_id == customers_at_risk.c.customer_id,
            purchases.c.kind == "purchase",
            customers_at_risk.c.last_purchase_at.is_(None)
            | (purchases.c.ordered_at > customers_at_risk.c.last_purchase_at),
        )
        .exists()
    )
    statement = (
        update(customers_at_risk)
        .where(customers_at_risk.c.cleared_at.is_(None), bought_since)
        .values(cleared_at=now)
        .returning(customers_at_risk.c.customer_id)
    )
    return set(connection.execute(statement).scalars())


def _candidates(connection: Connection, alive_below: float, cutoff: float) -> Sequence[Row[Any]]:
    """Customers below the P(alive) threshold with a CLV at or above ``cutoff``, no open case and no mark."""
    bought = (
        select(
            purchases.c.customer_id,
            func.max(purchases.c.ordered_at).label("last_purchase_at"),
            func.count().label("orders"),
        )
        .where(purchases.c.kind == "purchase")
        .group_by(purchases.c.customer_id)
        .subquery()
    )
    open_case = select(complaints.c.id).where(
        complaints.c.customer_id == customer_scores.c.customer_id, complaints.c.closed_at.is_(None)
    )
    marked = select(customers_at_risk.c.customer_id).where(
        customers_at_risk.c.customer_id == customer_scores.c.customer_id, customers_at_risk.c.cleared_at.is_(None)
    )
    query = (
        select(
            customer_scores.c.customer_id,
            customer_scores.c.p_alive,
            customer_scores.c.clv,
            customers.c.email.label("customer_email"),
            customers.c.name.label("customer_name"),
            bought.c.last_purchase_at,
            func.coalesce(bought.c.orders, 0).label("orders"),
        )
        .join(customers, customers.c.id == customer_scores.c.customer_id)
        .outerjoin(bought, bought.c.customer_id == customer_scores.c.customer_id)
        .where(
            customer_scores.c.p_alive < alive_below,
            customer_scores.c.clv >= cutoff,
            customer_scores.c.clv > 0,  # a customer worth nothing is nobody's call to make
            ~open_case.exists(),
            ~marked.exists(),
        )
        .order_by(customer_scores.c.customer_id)  # one order for every run: concurrent claims cannot deadlock
    )
    found: Result[Any] = connection.execute(query)  # seven typed columns, read by name
    return found.all()


def _claim(connection: Connection, candidate: Row[Any], now: datetime) -> bool:
    """Mark one customer unless another run did first: a new row, or a re-armed row marked again."""
    values = {
        "marked_at": now,
        "p_alive": candidate.p_alive,
        "clv": candidate.clv,
        "last_purchase_at": candidate.last_purchase_at,
        "cleared_at": None,
    }
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT that SQLAlchemy gave an implicit RETURNING.
    inserted = connection.execute(
        insert_ignoring_duplicates(connection, customers_at_risk)
        .values(customer_id=candidate.customer_id, **values)
        .returning(customers_at_risk.c.customer_id)
    )
    if inserted.first() is not None:
        return True
    # The row exists: it is ours only while it is still re-armed (a concurrent run's update waits, then misses).
    refreshed = connection.execute(
        update(customers_at_risk)
        .where(customers_at_risk.c.customer_id == candidate.customer_id, customers_at_risk.c.cleared_at.is_not(None))
        .values(**values)
    )
    return bool(refreshed.rowcount)


def _owners(connection: Connection, customer_ids: Iterable[int]) -> dict[int, list[tuple[str, str | None]]]:
    """customer id → [(staff id, email)] of the assignee of their most recent complaint, where there is one."""
    found: dict[int, list[tuple[str, str | None]]] = {}
    for part in chunks(list(customer_ids)):
        query = (
            select(complaints.c.customer_id, complaints.c.assignee, staff.c.email)
            .outerjoin(staff, staff.c.id == complaints.c.assignee)
            .where(complaints.c.customer_id.in_(part))
            .order_by(complaints.c.opened_at, complaints.c.id)
        )
        for row in connection.execute(query):
            # The most recent complaint wins (rows come oldest first); an unassigned one leaves the leads.
            found[row.customer_id] = [(row.assignee, row.email)] if row.assignee else []
    return found


def _leads(connection: Connection) -> list[tuple[str, str | None]]:
    """Every staff member with the lead role: they stand in for a customer nobody owns."""
    query = select(staff.c.id, staff.c.email).where(staff.c.role == OWNER_ROLE).order_by(staff.c.id)
    return [(row.id, row.email) for row in connection.execute(query)]


def reason(orders: int, last: datetime | None, p_alive: float, tz: ZoneInfo) -> str:
    """Why a customer is at risk, as a person reads it: how often and when they last bought, where P(alive) is."""
    times = "once" if orders == 1 else f"{orders} times"
    bought = f"bought {times}, last on {last.astimezone(tz).date().isoformat()}" if last else "no purchase on record"
    return f"{bought}; P(alive) fell to {p_alive:.2f}"


def _notices(
    candidate: Row[Any], people: Sequence[tuple[str, str | None]], now: datetime, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """One outbox row per person told; with nobody to tell, one without a recipient, so that it is seen."""
    payload = {
        "event": "at_risk",
        "customer_id": candidate.customer_id,
        "customer_email": candidate.customer_email,
        "customer_name": candidate.customer_name,
        "clv": round(float(candidate.clv), 2),
        "p_alive": round(float(candidate.p_alive), 4),
        "orders": int(candidate.orders),
        "last_purchase_at": candidate.last_purchase_at.isoformat() if candidate.last_purchase_at else None,
        "reason": reason(int(candidate.orders), candidate.last_purchase_at, float(candidate.p_alive), tz),
    }
    recipients: Sequence[tuple[str | None, str | None]] = people or [(None, None)]
    return [
        {
            # The moment of the mark is in the key: a later fall is a new notice, a replay of this one is not.
            "dedupe_key": f"at_risk:{candidate.customer_id}:{now.isoformat()}:{person or '-'}",
            "topic": TOPIC,
            "recipient": person,
            "payload": {**payload, "staff": person, "email": email},
        }
        for person, email in recipients
    ]
