"""Zammad trigger webhooks: ``X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`` with the webhook's
"HMAC SHA1 Signature Token"; ``X-Zammad-Delivery`` is a unique id per delivery. The default payload
is ``{"ticket": {...}, "article": {...}}``: the ticket's ``number`` (the key people see; ``id`` is
internal), state, priority, group, customer, owner (the assignee) and updated_by. It carries no type
and often no tags: the Zammad trigger decides which tickets are sent, so ``open_all = true`` (or
``complaint_groups``, ``complaint_priorities``, ``complaint_statuses``) makes them complaints.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.events import AgentRef, CustomerRef, IntakeEvent
from recovery.intake.fields import event_time, first_text, get, obj, tag_list, text
from recovery.intake.rules import SourceRules
from recovery.intake.signing import hmac_digest, require_header, same
from recovery.intake.snapshot import TicketSnapshot, ticket_events

NOBODY = "1"  # Zammad's system user "-": the owner of a ticket nobody owns


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
    updated_by = get(ticket, "updated_by", dict, required=False) or {}
    email, customer_id = text(customer, "email", required=False), first_text(customer, "id") or None
    when, arrival = event_time(ticket, ("updated_at",), delivery.received_at)
    snap = TicketSnapshot(
        delivery_id=delivery.id_from("X-Zammad-Delivery"),
        ticket=first_text(ticket, "number") or text(ticket, "id"),
        occurred_at=when,
        arrival_time=arrival,
        customer=CustomerRef(email, _name(customer), customer_id) if email or customer_id else None,
        summary=text(ticket, "title", required=False),
        tags=tuple(tag_list(ticket.get("tags"), "ticket.tags")),
        status=_named(ticket, "state"),
        ticket_type=text(ticket, "type", required=False) or None,
        priority=_named(ticket, "priority"),
        group=_named(ticket, "group"),
        actor=first_text(updated_by, "email", "login") or None,
        assignee=_owner(ticket),
    )
    return ticket_events(snap, rules)


def _name(person: Mapping[str, Any]) -> str:
    return " ".join(p for p in (person.get("firstname"), person.get("lastname")) if isinstance(p, str) and p)


def _named(ticket: Mapping[str, Any], key: str) -> str | None:
    """A state, priority or group: an object with a ``name`` in the default payload, or the name itself."""
    value = get(ticket, key, (str, dict), required=False)
    name = first_text(value, "name") if isinstance(value, dict) else (value or "").strip()
    return name or None


def _owner(ticket: Mapping[str, Any]) -> AgentRef | None:
    owner = get(ticket, "owner", dict, required=False) or {}
    owner_id = first_text(owner, "id") or first_text(ticket, "owner_id")
    if owner_id in ("", NOBODY):
        return None
    return AgentRef(first_text(owner, "email"), owner_id, _name(owner))
