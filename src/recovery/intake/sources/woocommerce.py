"""WooCommerce: orders by webhook, as purchases (see docs/webhooks.md, "Shops").

WooCommerce signs the raw body: ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(the webhook's
secret, body)); the topic is ``X-WC-Webhook-Topic`` and each delivery has ``X-WC-Webhook-Delivery-ID``.
When a webhook is saved, WooCommerce first posts an unsigned form body ``webhook_id=<n>`` and
keeps the webhook only if it is answered 2xx: ``ping`` recognises it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from recovery.intake import purchases
from recovery.intake.delivery import Delivery
from recovery.intake.errors import ShapeError
from recovery.intake.events import DeliveryIgnored, IntakeEvent
from recovery.intake.fields import first_text, get, obj, text
from recovery.intake.rules import SourceRules
from recovery.intake.signing import b64, hmac_digest, require_header, same

ORDER_TOPICS = ("order.created", "order.updated")  # an update of a stored order changes nothing: one per id
_PING = re.compile(rb"webhook_id=[0-9]{1,20}")
_FIELDS = {"amount": "total", "ordered_at": "date_created_gmt", "order_id": "id", "email": "billing.email"}


def ping(headers: Mapping[str, str], raw_body: bytes) -> bool:
    """Whether this is WooCommerce's unsigned ``webhook_id=<n>`` check, to be answered 200 and stored nowhere."""
    return _PING.fullmatch(raw_body.strip()) is not None


def verify(headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules) -> None:
    """Check ``X-WC-Webhook-Signature`` against the body's HMAC-SHA256 (constant time)."""
    given = require_header(headers, "X-WC-Webhook-Signature")
    same(given, b64(hmac_digest(secret, raw_body, hashlib.sha256)))


def parse(payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """An order as ``purchase.made``; other topics are kept as ignored."""
    body = obj(payload, "body")
    topic = delivery.headers.get("x-wc-webhook-topic", "").strip()
    delivery_id = delivery.id_from("X-WC-Webhook-Delivery-ID")
    if topic not in ORDER_TOPICS:
        reason = f"topic {topic[:60]!r} is no purchase; the webhook's topic should be {' or '.join(ORDER_TOPICS)}"
        return [DeliveryIgnored.about_nothing(delivery_id, reason, delivery.received_at, arrival_time=True)]
    customer_id = first_text(body, "customer_id")
    order_id = text(body, "id")
    try:
        customer = purchases.buyer(
            first_text(body, "billing.email"),
            "" if customer_id == "0" else customer_id,  # 0 is a guest checkout: no account to name
            " ".join(filter(None, (first_text(body, "billing.first_name"), first_text(body, "billing.last_name")))),
            missing="billing.email is empty and customer_id is 0 (a guest)",
        )
    except ShapeError as exc:
        # Kept with the reason, answered 2xx: WooCommerce disables a webhook after repeated failures.
        reason = f"order {order_id} is not stored as a purchase: {exc}"
        return [DeliveryIgnored.about_nothing(delivery_id, reason, delivery.received_at, arrival_time=True)]
    amount = purchases.amount_text(body, "total") or ""
    currency = first_text(body, "currency") or None
    return [purchases.made(delivery_id, customer, order_id, _created(body), amount, currency, _FIELDS)]


def _created(body: Mapping[str, Any]) -> datetime:
    """``date_created_gmt``: ISO 8601 without a zone, in UTC as its name says (``date_created`` is the shop's time)."""
    value = get(body, "date_created_gmt", str)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ShapeError("date_created_gmt", f"not a time: {value[:40]!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
