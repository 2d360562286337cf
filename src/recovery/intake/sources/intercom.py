"""Intercom webhooks: ``X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`` keyed with the app's client
secret. The body is a ``notification_event`` (``id`` notif_…, ``topic``, ``created_at``, ``data.item``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.errors import ShapeError
from recovery.intake.events import AgentRef, CustomerRef, DeliveryIgnored, IntakeEvent, fit_key
from recovery.intake.fields import event_time, first_text, get, obj, rating_score, tag_list, text
from recovery.intake.rules import SourceRules
from recovery.intake.signing import hmac_digest, require_header, same
from recovery.intake.snapshot import TicketSnapshot, ticket_events

TOPICS = ("conversation.", "conversation_part.tag.created", "ticket.")


def sign(secret: str, raw_body: bytes) -> str:
    """The ``X-Hub-Signature`` value Intercom sends."""
    return "sha1=" + hmac_digest(secret, raw_body, hashlib.sha1).hex()


def verify(headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules) -> None:
    """Check the hub signature (constant time); Intercom sends no signed timestamp."""
    same(require_header(headers, "X-Hub-Signature").lower(), sign(secret, raw_body))


def parse(payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """Conversation and ticket topics become a ticket snapshot; ``ping`` and other topics are kept as ignored."""
    body = obj(payload, "body")
    if text(body, "type") != "notification_event":
        raise ShapeError("type", "expected notification_event")
    topic = text(body, "topic")
    delivery_id = fit_key(text(body, "id"))
    if not topic.startswith(TOPICS):
        when, arrival = event_time(body, ("created_at",), delivery.received_at)
        reason = f"Intercom topic {topic[:60]!r} carries nothing for complaints"
        return [DeliveryIgnored.about_nothing(delivery_id, reason, when, arrival_time=arrival)]
    item = obj(get(body, "data.item", dict), "data.item")
    is_ticket = item.get("type") == "ticket"
    rating = get(item, "conversation_rating", dict, required=False) or {}
    when, arrival = event_time(body, ("data.item.updated_at", "created_at"), delivery.received_at)
    snap = TicketSnapshot(
        delivery_id=delivery_id,
        ticket=first_text(item, "ticket_id") if is_ticket else text(item, "id"),
        occurred_at=when,
        arrival_time=arrival,
        customer=_customer(item),
        summary=first_text(item, "title", "ticket_attributes._default_title_", "source.subject"),
        tags=tuple(_tags(item)),
        status=first_text(item, "ticket_state.category", "ticket_state", "state") or None,
        ticket_type=first_text(item, "ticket_type.name") or None,
        priority=first_text(item, "priority") or None,
        actor=_admin(item),
        assignee=_assignee(item),
        score=rating_score(rating.get("rating"), "data.item.conversation_rating.rating"),
        comment=text(rating, "remark", required=False),
    )
    return ticket_events(snap, rules)


CONTACT_TYPES = ("user", "lead", "contact")


def _customer(item: Mapping[str, Any]) -> CustomerRef | None:
    """``user`` (older API versions), else the first of ``contacts.contacts[]`` with ``source.author``'s email."""
    user = get(item, "user", dict, required=False) or {}
    author = get(item, "source.author", dict, required=False) or {}
    if author.get("type") not in CONTACT_TYPES:
        author = {}
    contacts = get(item, "contacts.contacts", list, required=False) or []
    contact = contacts[0] if contacts and isinstance(contacts[0], dict) else {}
    email = first_text(user, "email") or first_text(author, "email")
    external = first_text(contact, "id") or first_text(user, "id") or first_text(author, "id")
    name = first_text(user, "name") or first_text(author, "name")
    return CustomerRef(email, name, external or None) if email or external else None


def _assignee(item: Mapping[str, Any]) -> AgentRef | None:
    """``assignee`` (older versions; ``nobody_admin``: unassigned), else ``admin_assignee_id`` (0 or "0": nobody)."""
    assignee = get(item, "assignee", dict, required=False) or {}
    if assignee.get("type") == "admin":
        return AgentRef(first_text(assignee, "email"), first_text(assignee, "id") or None, first_text(assignee, "name"))
    admin_id = first_text(item, "admin_assignee_id")
    return AgentRef("", admin_id) if admin_id not in ("", "0") else None


def _tags(item: Mapping[str, Any]) -> list[str]:
    tags = tag_list(get(item, "tags.tags", list, required=False), "data.item.tags.tags")
    added = tag_list(get(item, "tags_added.tags", list, required=False), "data.item.tags_added.tags")
    return list(dict.fromkeys([*tags, *added]))


def _admin(item: Mapping[str, Any]) -> str | None:
    """The e-mail of the admin who wrote the latest part (a conversation's or a ticket's)."""
    parts = get(item, "conversation_parts.conversation_parts", list, required=False) or []
    parts = parts or get(item, "ticket_parts.ticket_parts", list, required=False) or []
    for part in reversed(parts):
        author = part.get("author") if isinstance(part, dict) else None
        if isinstance(author, dict) and author.get("type") == "admin" and isinstance(author.get("email"), str):
            return str(author["email"])
    return None
