"""Purchase events as the shop adapters build them, checked at the door as the purchase feed checks a row.

A bad amount, order id or time is refused with a 422 naming the payload's own field, not found
later by the inbox; the engine's ``parse_row`` is the one judge of what a purchase may hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from recovery.engine.purchases import parse_row
from recovery.errors import InvalidInputError
from recovery.intake.errors import ShapeError
from recovery.intake.events import CustomerRef, PurchaseMade, PurchaseRefunded, fit_key
from recovery.intake.fields import get

_UTC = ZoneInfo("UTC")  # the day a purchase counts on is fixed by the engine in the business's zone


def order_ticket(order_id: str) -> str:
    """The ordering key of an order's events: a refund is applied after its order, whichever arrived first."""
    return fit_key(f"order:{order_id}")


def amount_text(payload: Mapping[str, Any], path: str, *, required: bool = True) -> str | None:
    """A money amount given as text or a JSON number, as text (a float's repr keeps what was sent)."""
    value = get(payload, path, (str, int, float), required=required)
    return None if value is None else str(value).strip()


def buyer(email: str, external_id: str, name: str, *, missing: str, where: str = "customer") -> CustomerRef:
    """Who bought: an email, else the shop's own customer id; ShapeError naming ``missing`` when neither is given."""
    email, external_id = email.strip(), external_id.strip()
    if not email and not external_id:
        raise ShapeError(where, f"a purchase needs its buyer, and {missing}")
    if email and "@" not in email:
        raise ShapeError(where, f"not an email address: {email[:40]!r}")
    # The name is a courtesy: cut to its column rather than refuse the purchase for it.
    return CustomerRef(email=email, name=name.strip()[:200], external_id=external_id or None)


def made(
    delivery_id: str,
    customer: CustomerRef,
    order_id: str,
    ordered_at: datetime,
    amount: str,
    currency: str | None,
    fields: Mapping[str, str],
) -> PurchaseMade:
    """A checked purchase; ``fields`` maps the feed's field names to the payload's (for the 422's ``field``)."""
    purchase = _checked(customer, order_id, ordered_at, amount, currency, fields)
    return PurchaseMade(
        delivery_id=delivery_id,
        ticket=order_ticket(purchase.order_id),
        occurred_at=ordered_at,
        customer=customer,
        order_id=purchase.order_id,
        amount=str(purchase.amount),
        currency=purchase.currency,
    )


def refunded(
    delivery_id: str,
    order_id: str,
    refund_id: str | None,
    refunded_at: datetime,
    amount: str,
    currency: str | None,
    fields: Mapping[str, str],
    *,
    customer: CustomerRef | None = None,
    ordered_at: datetime | None = None,
) -> PurchaseRefunded:
    """A checked refund, its amount made negative whatever sign the sender gave."""
    negative = _negative(amount, fields.get("amount", "amount"))
    purchase = _checked(customer, order_id, ordered_at or refunded_at, negative, currency, fields)
    return PurchaseRefunded(
        delivery_id=delivery_id,
        ticket=order_ticket(purchase.order_id),
        occurred_at=refunded_at,
        order_id=purchase.order_id,
        refund_id=refund_id,
        amount=str(purchase.amount),
        currency=purchase.currency,
        customer=customer,
        ordered_at=None if ordered_at is None else ordered_at.isoformat(),
    )


def _negative(amount: str, where: str) -> str:
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise ShapeError(where, f"not a number: {amount[:40]!r}") from None
    return str(-abs(value)) if value.is_finite() else amount  # NaN and Infinity are refused by the check


def _checked(
    customer: CustomerRef | None,
    order_id: str,
    at: datetime,
    amount: str,
    currency: str | None,
    fields: Mapping[str, str],
) -> Any:
    # A refund may name no buyer (its order's is used): a stand-in passes the check of that field.
    ref = "-" if customer is None else customer.email or customer.external_id or "-"
    row = {"customer": ref, "order_id": order_id, "ordered_at": at.isoformat(), "amount": amount, "currency": currency}
    try:
        return parse_row(0, row, _UTC)
    except InvalidInputError as exc:
        name, _, problem = str(exc).partition(": ")
        field = fields.get(name, name)
        raise ShapeError(field, problem or str(exc)) from None
