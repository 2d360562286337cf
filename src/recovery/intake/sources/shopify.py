"""Shopify: orders and refunds by webhook, as purchases (see docs/webhooks.md, "Shops").

Shopify signs the raw body: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(the app's client secret,
body)), with no timestamp; a delivery keeps its ``X-Shopify-Webhook-Id`` across retries, so that id
is the inbox's dedupe key. The topic is the ``X-Shopify-Topic`` header.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from recovery.intake import purchases
from recovery.intake.delivery import Delivery
from recovery.intake.errors import ShapeError
from recovery.intake.events import DeliveryIgnored, IntakeEvent
from recovery.intake.fields import first_text, get, obj, text, timestamp
from recovery.intake.rules import SourceRules
from recovery.intake.signing import b64, hmac_digest, require_header, same

ORDER_TOPICS = ("orders/create", "orders/paid")  # both may be subscribed: the order id keeps one purchase
REFUND_TOPIC = "refunds/create"
_ORDER_FIELDS = {"amount": "total_price", "ordered_at": "created_at", "order_id": "id", "email": "customer.email"}
_REFUND_FIELDS = {"amount": "transactions", "order_id": "order_id", "ordered_at": "created_at"}


def verify(headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules) -> None:
    """Check ``X-Shopify-Hmac-Sha256`` against the body's HMAC-SHA256 (constant time)."""
    given = require_header(headers, "X-Shopify-Hmac-Sha256")
    same(given, b64(hmac_digest(secret, raw_body, hashlib.sha256)))


def parse(payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """An order as ``purchase.made``, a refund as ``purchase.refunded``; other topics and test orders are ignored."""
    body = obj(payload, "body")
    topic = delivery.headers.get("x-shopify-topic", "").strip()
    delivery_id = delivery.id_from("X-Shopify-Webhook-Id")
    if topic in ORDER_TOPICS:
        return [_order(body, delivery_id, delivery.received_at)]
    if topic == REFUND_TOPIC:
        return [_refund(body, delivery_id, delivery.received_at)]
    reason = f"topic {topic[:60]!r} is no purchase; subscribe {', '.join((*ORDER_TOPICS, REFUND_TOPIC))}"
    return [DeliveryIgnored.about_nothing(delivery_id, reason, delivery.received_at, arrival_time=True)]


def _order(body: Mapping[str, Any], delivery_id: str, arrived: datetime) -> IntakeEvent:
    order_id = text(body, "id")
    try:
        customer = purchases.buyer(
            first_text(body, "customer.email", "email", "contact_email"),
            first_text(body, "customer.id"),
            " ".join(filter(None, (first_text(body, "customer.first_name"), first_text(body, "customer.last_name")))),
            missing="customer.email, email, contact_email and customer.id are all empty",
        )
    except ShapeError as exc:
        # Kept with the reason, answered 2xx: Shopify retries a refused delivery for hours and then
        # deletes the subscription, so one order nobody can be named for would stop every later one.
        reason = f"order {first_text(body, 'name') or order_id} is not stored as a purchase: {exc}"
        return DeliveryIgnored.about_nothing(delivery_id, reason, arrived, arrival_time=True)
    amount = first_text(body, "total_price", "current_total_price")
    at = timestamp(body, "processed_at" if get(body, "processed_at", str, required=False) else "created_at")
    if get(body, "test", bool, required=False):
        # Shopify's "Send test notification" posts a sample order (and test gateways make test orders):
        # kept with what it says, never counted as what a customer bought.
        who = customer.email or f"customer {customer.external_id}"
        name = first_text(body, "name") or order_id
        reason = f"order {name} of {who}, {amount} {first_text(body, 'currency')}, is a test order (test: true)"
        return DeliveryIgnored.about_nothing(delivery_id, f"{reason}: not a purchase", arrived, arrival_time=True)
    currency = first_text(body, "currency") or None
    return purchases.made(delivery_id, customer, order_id, at, amount, currency, _ORDER_FIELDS)


def _refund(body: Mapping[str, Any], delivery_id: str, arrived: datetime) -> IntakeEvent:
    order_id, refund_id = text(body, "order_id"), text(body, "id")
    moved = _refunded_money(get(body, "transactions", list, required=False) or [])
    if moved is None:
        reason = f"refund {refund_id} of order {order_id} moved no money (no successful refund transaction)"
        return DeliveryIgnored.about_nothing(delivery_id, reason, arrived, arrival_time=True)
    amount, currency = moved
    at = timestamp(body, "processed_at" if get(body, "processed_at", str, required=False) else "created_at")
    return purchases.refunded(delivery_id, order_id, refund_id, at, amount, currency, _REFUND_FIELDS)


def _refunded_money(transactions: list[Any]) -> tuple[str, str | None] | None:
    """The sum of the refund's successful refund transactions (all of them when none states a status)."""
    refunds = [obj(t, "transactions[]") for t in transactions if isinstance(t, dict) and t.get("kind") == "refund"]
    if any("status" in t for t in refunds):
        refunds = [t for t in refunds if t.get("status") == "success"]
    if not refunds:
        return None
    try:
        total = sum((Decimal(str(t.get("amount"))) for t in refunds), Decimal(0))
    except InvalidOperation:
        raise ShapeError("transactions[].amount", "not a number") from None
    currency = next((str(t["currency"]) for t in refunds if isinstance(t.get("currency"), str)), None)
    return str(total), currency
