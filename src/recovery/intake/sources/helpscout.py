"""Help Scout webhooks: ``X-HelpScout-Signature`` = base64(HMAC-SHA1(body)) with the webhook's secret key;
``X-HelpScout-Event`` names the event (convo.created, convo.tags, convo.status, satisfaction.ratings, …).
The body is a v2 Conversation object, or a Rating object for ratings. No delivery id is sent: the
event name plus the body's hash identify a delivery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.errors import ShapeError
from recovery.intake.events import CustomerRef, IntakeEvent, SatisfactionRated
from recovery.intake.fields import get, obj, rating_score, tag_list, text, timestamp
from recovery.intake.rules import SourceRules
from recovery.intake.signing import b64, hmac_digest, require_header, same
from recovery.intake.snapshot import TicketSnapshot, ticket_events


def sign(secret: str, raw_body: bytes) -> str:
    """The ``X-HelpScout-Signature`` value."""
    return b64(hmac_digest(secret, raw_body, hashlib.sha1))


def verify(headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules) -> None:
    """Check the signature (constant time); Help Scout sends no timestamp."""
    same(require_header(headers, "X-HelpScout-Signature"), sign(secret, raw_body))


def parse(payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """Conversation events become a ticket snapshot; a rating becomes a satisfaction score."""
    body = obj(payload, "body")
    event = delivery.headers.get("x-helpscout-event", "").strip()
    delivery_id = f"{event}:{delivery.body_hash}"
    if event == "satisfaction.ratings":
        return _rating(body, delivery_id)
    if not event.startswith("convo.") or event == "convo.deleted":
        return []
    customer = get(body, "primaryCustomer", dict, required=False) or get(body, "customer", dict, required=False)
    customer = customer or {}
    email = text(customer, "email", required=False)
    name = " ".join(p for p in (customer.get("first"), customer.get("last")) if isinstance(p, str))
    actor = get(body, "assignee", dict, required=False) or {}
    when = "userUpdatedAt" if body.get("userUpdatedAt") else "createdAt"
    snap = TicketSnapshot(
        delivery_id=delivery_id,
        ticket=text(body, "id"),
        occurred_at=timestamp(body, when),
        customer=CustomerRef(email, name, text(customer, "id", required=False) or None) if email else None,
        summary=text(body, "subject", required=False),
        tags=tuple(tag_list(body.get("tags"), "tags")),
        status=text(body, "status", required=False) or None,
        actor=text(actor, "email", required=False) or None,
    )
    return ticket_events(snap, rules)


def _rating(body: Mapping[str, Any], delivery_id: str) -> list[IntakeEvent]:
    score = rating_score(get(body, "rating", (str, int)), "rating")
    if score is None:
        raise ShapeError("rating", "expected great, okay or not good")
    conversation = body.get("conversationId") or (body.get("conversation") or {}).get("id")
    if conversation is None:
        raise ShapeError("conversationId", "is required")
    user = get(body, "user", dict, required=False) or {}
    return [
        SatisfactionRated(
            delivery_id=delivery_id,
            ticket=str(conversation),
            occurred_at=timestamp(body, "createdAt"),
            score=score,
            comment=text(body, "comments", required=False),
            actor=text(user, "email", required=False) or None,
        )
    ]
