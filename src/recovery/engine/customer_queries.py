"""The read side of customers: listings with complaint counts and scores, and one customer with their complaints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, func, select

from recovery.engine.queries import complaint_view, iso
from recovery.store import complaints as store
from recovery.store.schema import complaints, customer_scores, customers, customers_at_risk

if TYPE_CHECKING:
    from recovery.engine.context import Context


def list_customers(
    ctx: Context, limit: int = 100, loyalty_class: str | None = None, sort: str = "id", at_risk: bool = False
) -> list[dict[str, Any]]:
    """Customers with their complaint counts and scores; of one loyalty class, or marked at risk (by CLV)."""
    counts = select(complaints.c.customer_id, func.count().label("n")).group_by(complaints.c.customer_id).subquery()
    query = (
        select(customers, func.coalesce(counts.c.n, 0).label("complaints"), *_SCORE_COLUMNS, _AT_RISK_SINCE)
        .outerjoin(counts, counts.c.customer_id == customers.c.id)
        .outerjoin(customer_scores, customer_scores.c.customer_id == customers.c.id)
        .outerjoin(customers_at_risk, _MARKED)
        .limit(limit)
    )
    if loyalty_class is not None:
        query = query.where(func.coalesce(customer_scores.c.loyalty_class, "unknown") == loyalty_class)
    if at_risk:  # the ones to call first: the most valuable
        query, sort = query.where(customers_at_risk.c.customer_id.is_not(None)), "clv"
    order = (customer_scores.c.clv.desc().nulls_last(), customers.c.id) if sort == "clv" else (customers.c.id,)
    with ctx.read() as connection:
        return [customer_view(dict(r)) for r in connection.execute(query.order_by(*order)).mappings()]


_SCORE_COLUMNS = (
    customer_scores.c.p_alive,
    customer_scores.c.expected_purchases,
    customer_scores.c.expected_spend,
    customer_scores.c.clv,
    customer_scores.c.loyalty_class,
    customer_scores.c.class_reasons,
    customer_scores.c.scored_at,
)
_SCORE_KEYS = tuple(c.name for c in _SCORE_COLUMNS)
# A customer's current at-risk mark (a cleared one is history): silent defectors, engine/at_risk.py.
_MARKED = and_(customers_at_risk.c.customer_id == customers.c.id, customers_at_risk.c.cleared_at.is_(None))
_AT_RISK_SINCE = customers_at_risk.c.marked_at.label("at_risk_since")


def customer_view(row: dict[str, Any]) -> dict[str, Any]:
    """A customer as the CLI's --json shows it."""
    external = f"{row['external_source']}:{row['external_id']}" if row.get("external_source") else None
    return {
        "id": row["id"],
        "email": row["email"],
        "name": row["name"],
        "external": external,
        "created_at": iso(row["created_at"]),
        "complaints": row.get("complaints"),
        **_scores(row),
        **_at_risk(row),
    }


def _at_risk(row: dict[str, Any]) -> dict[str, Any]:
    """Whether the customer is marked at risk now, and since when (absent when the row did not ask)."""
    if "at_risk_since" not in row:
        return {}
    return {"at_risk": row["at_risk_since"] is not None, "at_risk_since": iso(row["at_risk_since"])}


def _scores(row: dict[str, Any]) -> dict[str, Any]:
    """The customer's latest scores, once scored (rounded as a person reads them; ``unknown`` before)."""
    if row.get("scored_at") is None:
        return {"loyalty_class": "unknown"} if "scored_at" in row else {}
    found = {key: row[key] for key in _SCORE_KEYS}
    for key in ("p_alive", "expected_purchases", "expected_spend", "clv"):
        if found[key] is not None:
            found[key] = round(found[key], 4)
    found["scored_at"] = iso(row["scored_at"])
    return found


def customer_detail(connection: Connection, customer: dict[str, Any]) -> dict[str, Any]:
    """A customer with their complaints."""
    found = connection.execute(
        select(complaints).where(complaints.c.customer_id == customer["id"]).order_by(complaints.c.id)
    )
    scored = (
        connection.execute(select(*_SCORE_COLUMNS).where(customer_scores.c.customer_id == customer["id"]))
        .mappings()
        .first()
    )
    since = connection.execute(
        select(_AT_RISK_SINCE).where(
            customers_at_risk.c.customer_id == customer["id"], customers_at_risk.c.cleared_at.is_(None)
        )
    ).scalar()
    scores = dict(scored) if scored else dict.fromkeys(_SCORE_KEYS)
    view = customer_view({**customer, **scores, "at_risk_since": since})
    view["complaints"] = [complaint_view(store.from_row(r)) for r in found]
    return view
