"""Help Scout webhooks: ``X-HelpScout-Signature`` = base64(HMAC-SHA1(body)) with the webhook's secret key;
``X-HelpScout-Event`` names the event (convo.created, convo.tags, convo.status, satisfaction.ratings, …).
The body is a Conversation object (v2, or the v1 shape many accounts still get), or a Rating object.
No delivery id is sent: the event name plus the body's hash identify a delivery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.errors import ShapeError
from recovery.intake.events import AgentRef, CustomerRef, DeliveryIgnored, IntakeEvent, SatisfactionRated
from recovery.intake.fields import event_time, first_text, get, obj, rating_score, tag_list, text
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
        return _rating(body, delivery_id, delivery)
    if not event.startswith("convo.") or event == "convo.deleted":
        reason = f"Help Scout event {event[:60]!r} carries nothing for complaints"
        when = delivery.received_at
        return [DeliveryIgnored.about_nothing(delivery_id, reason, when, arrival_time=True)]
    # v2 objects: primaryCustomer {first, last}, assignee, userUpdatedAt; v1: customer {firstName, lastName}, owner,
    # modifiedAt, closedAt. The key is the conversation id: ratings name it (ticketId), never the number.
    customer = get(body, "primaryCustomer", dict, required=False) or get(body, "customer", dict, required=False) or {}
    owner = get(body, "assignee", dict, required=False) or get(body, "owner", dict, required=False) or {}
    when, arrival = event_time(body, TIMES, delivery.received_at)
    snap = TicketSnapshot(
        delivery_id=delivery_id,
        ticket=text(body, "id"),
        occurred_at=when,
        arrival_time=arrival,
        customer=_person(customer),
        summary=text(body, "subject", required=False) or f"Help Scout #{text(body, 'number', required=False)}",
        tags=tuple(tag_list(body.get("tags"), "tags")),
        status=text(body, "status", required=False) or None,
        actor=first_text(owner, "email") or None,
        assignee=AgentRef(first_text(owner, "email"), first_text(owner, "id") or None, _name(owner)) if owner else None,
    )
    return ticket_events(snap, rules)


TIMES = ("userUpdatedAt", "modifiedAt", "closedAt", "createdAt")


def _name(person: Mapping[str, Any]) -> str:
    parts = (first_text(person, "first", "firstName"), first_text(person, "last", "lastName"))
    return " ".join(p for p in parts if p)


def _person(person: Mapping[str, Any]) -> CustomerRef | None:
    """A v1 or v2 customer: ``email``, or the first of ``emails[].value`` (the Rating object's)."""
    email = first_text(person, "email")
    emails = person.get("emails")
    if not email and isinstance(emails, list) and emails and isinstance(emails[0], dict):
        email = first_text(emails[0], "value")
    external = first_text(person, "id") or None
    return CustomerRef(email, _name(person), external) if email or external else None


def _rating(body: Mapping[str, Any], delivery_id: str, delivery: Delivery) -> list[IntakeEvent]:
    score = rating_score(get(body, "rating", (str, int)), "rating")
    if score is None:
        raise ShapeError("rating", "expected great, okay or bad")
    conversation = first_text(body, "ticketId", "conversationId", "conversation.id")
    if not conversation:
        raise ShapeError("ticketId", "is required (the rated conversation's id)")
    user = get(body, "user", dict, required=False) or {}
    when, arrival = event_time(body, ("createdAt", "modifiedAt"), delivery.received_at)
    return [
        SatisfactionRated(
            delivery_id=delivery_id,
            ticket=conversation,
            occurred_at=when,
            arrival_time=arrival,
            score=score,
            comment=text(body, "comments", required=False),
            actor=text(user, "email", required=False) or None,
            customer=_person(get(body, "customer", dict, required=False) or {}),
        )
    ]
