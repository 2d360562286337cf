"""What a stored purchase event means to the engine: a row of the purchase feed, in the webhook source's name.

An order is stored once per (source, order id): ``orders/create`` then ``orders/paid``, or a
redelivery, is ``skipped``. A refund is stored as a negative row of its order's customer, dated
on the order's day (the models sum a customer's amounts per day, so it nets that purchase), under
``<order id>:<refund id>`` so that two refunds of one order are both kept and each is kept once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from recovery.engine import winback
from recovery.engine.inbox.handlers import Handler, Skipped, Waiting
from recovery.engine.people import ensure_customer
from recovery.engine.purchases import ImportReport, parse_row, store_purchases
from recovery.store.schema import customers, purchases

if TYPE_CHECKING:
    from recovery.engine.inbox.batch import Batch


def _made(batch: Batch, row: dict[str, Any]) -> str | None:
    body = row["body"]
    customer = _reference(batch, row["source"], body["customer"])
    _store(batch, row, customer, str(body["order_id"]), row["occurred_at"])
    _won_back(batch, row["source"], str(body["order_id"]))
    return None


def _won_back(batch: Batch, source: str, order_id: str) -> None:
    """The buyer's open win-back case, if they bought since it opened, is won back by this purchase."""
    p = purchases.c
    query = select(p.customer_id).where(p.source == source, p.order_id == order_id, p.kind == "purchase")
    customer_id = batch.connection.execute(query).scalar_one()
    cases = winback.bought_since_opening(batch.ctx, batch.connection, [int(customer_id)])
    winback.win_back(batch.ctx, batch.steps, [batch.complaint(case.id) for case in cases])


def _refunded(batch: Batch, row: dict[str, Any]) -> str | None:
    body, source = row["body"], row["source"]
    order_id = str(body["order_id"])
    order = batch.connection.execute(
        select(purchases.c.customer_id, purchases.c.ordered_at).where(
            purchases.c.source == source, purchases.c.order_id == order_id, purchases.c.kind == "purchase"
        )
    ).first()
    if order is not None:  # the money goes back to whoever bought, on the day they bought
        customer = _email(batch, int(order.customer_id))
        ordered_at: datetime = order.ordered_at
    elif body.get("customer"):
        customer = _reference(batch, source, body["customer"])
        ordered_at = datetime.fromisoformat(body["ordered_at"]) if body.get("ordered_at") else row["occurred_at"]
    else:
        # Shops do not promise order: the order may arrive within the reorder window, or be imported
        # (`recovery purchases import --source <source>`) and this event retried.
        raise Waiting(f"refund of order {order_id!r}: no such order from {source} is stored yet, and it names no buyer")
    key = f"{order_id}:{body['refund_id']}" if body.get("refund_id") else order_id
    _store(batch, row, customer, key, ordered_at)
    return None


def _reference(batch: Batch, source: str, ref: dict[str, Any]) -> str:
    """The feed's customer reference of a buyer: their stored email, or the shop's id when it sent no email."""
    external = (source, str(ref["external_id"])) if ref.get("external_id") else None
    if not ref.get("email"):
        return str(ref["external_id"])  # found by (source, id), or added as <id>@<source>.invalid by the feed
    found = ensure_customer(batch.connection, ref["email"], ref.get("name") or "", external, batch.now)
    return _email(batch, found)


def _email(batch: Batch, customer_id: int) -> str:
    return str(batch.connection.execute(select(customers.c.email).where(customers.c.id == customer_id)).scalar_one())


def _store(batch: Batch, row: dict[str, Any], customer: str, order_id: str, ordered_at: datetime) -> None:
    """One purchase through the feed's own checks and insert; Skipped when that order is already stored."""
    body = row["body"]
    fields = {
        "customer": customer,
        "order_id": order_id,
        "ordered_at": ordered_at.isoformat(),
        "amount": body["amount"],
        "currency": body.get("currency"),
    }
    purchase = parse_row(int(row["id"]), fields, batch.ctx.calendar.tz)
    report = ImportReport()
    store_purchases(batch.connection, [purchase], row["source"], batch.now, report)
    if report.duplicates:
        kind = "refund" if purchase.amount < 0 else "order"
        raise Skipped(f"{kind} {order_id!r} from {row['source']} is already stored")


PURCHASE_HANDLERS = {"purchase.made": Handler(_made), "purchase.refunded": Handler(_refunded)}
