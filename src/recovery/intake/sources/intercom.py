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
from recovery.intake.events import CustomerRef, IntakeEvent, fit_key
from recovery.intake.fields import get, obj, rating_score, tag_list, text, timestamp
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
    """Conversation topics become a ticket snapshot; ``ping`` and other topics carry no event."""
    body = obj(payload, "body")
    if text(body, "type") != "notification_event":
        raise ShapeError("type", "expected notification_event")
    topic = text(body, "topic")
    if not topic.startswith(TOPICS):
        return []
    item = obj(get(body, "data.item", dict), "data.item")
    author = get(item, "source.author", dict, required=False) or {}
    email = text(author, "email", required=False) if author.get("type") in ("user", "lead", "contact") else ""
    rating = get(item, "conversation_rating", dict, required=False) or {}
    when = "updated_at" if item.get("updated_at") else "created_at"
    snap = TicketSnapshot(
        delivery_id=fit_key(text(body, "id")),
        ticket=text(item, "id"),
        occurred_at=timestamp(item, when) if item.get(when) else timestamp(body, "created_at"),
        customer=CustomerRef(email, text(author, "name", required=False), text(author, "id", required=False) or None)
        if email
        else None,
        summary=text(item, "title", required=False) or _first_words(author, item),
        tags=tuple(tag_list(get(item, "tags.tags", list, required=False), "data.item.tags.tags")),
        status=text(item, "state", required=False) or None,
        actor=_admin(item),
        score=rating_score(rating.get("rating"), "data.item.conversation_rating.rating"),
        comment=text(rating, "remark", required=False),
    )
    return ticket_events(snap, rules)


def _admin(item: Mapping[str, Any]) -> str | None:
    parts = get(item, "conversation_parts.conversation_parts", list, required=False) or []
    for part in reversed(parts):
        author = part.get("author") if isinstance(part, dict) else None
        if isinstance(author, dict) and author.get("type") == "admin" and isinstance(author.get("email"), str):
            return str(author["email"])
    return None


def _first_words(author: Mapping[str, Any], item: Mapping[str, Any]) -> str:
    source = item.get("source")
    subject = source.get("subject") if isinstance(source, dict) else None
    return subject if isinstance(subject, str) else ""
