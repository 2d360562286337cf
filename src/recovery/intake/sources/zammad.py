"""Zammad trigger webhooks: ``X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`` with the webhook's
"HMAC SHA1 Signature Token"; ``X-Zammad-Delivery`` is a unique id per delivery. The default payload
is ``{"ticket": {...}, "article": {...}}`` with the ticket's state, tags, customer and updated_by.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.events import CustomerRef, IntakeEvent
from recovery.intake.fields import get, obj, tag_list, text, timestamp
from recovery.intake.rules import SourceRules
from recovery.intake.signing import hmac_digest, require_header, same
from recovery.intake.snapshot import TicketSnapshot, ticket_events


def sign(secret: str, raw_body: bytes) -> str:
    """The ``X-Hub-Signature`` value Zammad sends."""
    return "sha1=" + hmac_digest(secret, raw_body, hashlib.sha1).hex()


def verify(headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules) -> None:
    """Check the hub signature (constant time); Zammad sends no timestamp, so duplicates are caught by id."""
    same(require_header(headers, "X-Hub-Signature").lower(), sign(secret, raw_body))


def parse(payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """Map the default payload's ticket to events."""
    ticket = obj(obj(payload, "body").get("ticket"), "ticket")
    customer = get(ticket, "customer", dict, required=False) or {}
    email = text(customer, "email", required=False)
    name = " ".join(p for p in (customer.get("firstname"), customer.get("lastname")) if isinstance(p, str))
    updated_by = get(ticket, "updated_by", dict, required=False) or {}
    state = get(ticket, "state", (str, dict), required=False)
    snap = TicketSnapshot(
        delivery_id=delivery.id_from("X-Zammad-Delivery"),
        ticket=text(ticket, "id"),
        occurred_at=timestamp(ticket, "updated_at"),
        customer=CustomerRef(email, name, text(customer, "id", required=False) or None) if email else None,
        summary=text(ticket, "title", required=False),
        tags=tuple(tag_list(ticket.get("tags"), "ticket.tags")),
        status=(state.get("name") if isinstance(state, dict) else state),
        ticket_type=text(ticket, "type", required=False) or None,
        actor=text(updated_by, "email", required=False) or text(updated_by, "login", required=False) or None,
    )
    return ticket_events(snap, rules)
