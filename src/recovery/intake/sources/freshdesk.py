"""Freshdesk automation-rule webhooks. Freshdesk signs nothing: the rule sends credentials we check.

``options.auth = "basic"`` (default): the rule's Basic auth, user ``options.basic_user``, password the
secret. ``options.auth = "header"``: a custom header ``options.header`` whose value is the secret.
The body is shaped by the admin: ship config/helpdesk/freshdesk-webhook-body.json. Freshdesk
sends no delivery id, so duplicates are recognised by the body's hash.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.errors import SignatureError
from recovery.intake.events import AgentRef, CustomerRef, IntakeEvent
from recovery.intake.fields import event_time, first_text, obj, rating_score, tag_list, text
from recovery.intake.rules import SourceRules
from recovery.intake.signing import require_header, same
from recovery.intake.snapshot import TicketSnapshot, ticket_events

# Freshdesk's default status and priority ids, as it labels them; rule bodies send labels or ids.
STATUSES = {
    "2": "Open",
    "3": "Pending",
    "4": "Resolved",
    "5": "Closed",
    "6": "Waiting on Customer",
    "7": "Waiting on Third Party",
}
PRIORITIES = {"1": "Low", "2": "Medium", "3": "High", "4": "Urgent"}


def verify(headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules) -> None:
    """Compare the rule's credentials with the secret in constant time."""
    if rules.auth == "header":
        same(require_header(headers, rules.header), secret)
        return
    scheme, _, encoded = require_header(headers, "Authorization").partition(" ")
    if scheme.lower() != "basic":
        raise SignatureError("expected Basic credentials")
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise SignatureError("malformed Basic credentials") from None
    same(f"{user}:{password}", f"{rules.basic_user}:{secret}")


def parse(payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """Map a rule's body to events: our template's ``ticket_*`` keys or the ``requester_*`` keys Freshdesk's
    own examples use, inside ``freshdesk_webhook`` or at the top. Freshdesk has no event-time placeholder:
    the arrival time stands in unless the body carries ``ticket_updated_at``, and the event says so."""
    body = obj(payload, "body")
    where = "freshdesk_webhook" if "freshdesk_webhook" in body else "body"
    hook = obj(body.get("freshdesk_webhook", body), where)
    email = first_text(hook, "ticket_requester_email", "requester_email")
    requester_id = first_text(hook, "ticket_requester_id", "requester_id")
    status = first_text(hook, "ticket_status", "status")
    priority = first_text(hook, "ticket_priority", "priority")
    when, arrival = event_time(hook, ("ticket_updated_at", "updated_at"), delivery.received_at)
    snap = TicketSnapshot(
        delivery_id=delivery.id_from("X-Request-Id", prefix="body:"),
        ticket=text(hook, "ticket_id"),
        occurred_at=when,
        arrival_time=arrival,
        customer=CustomerRef(email, first_text(hook, "ticket_requester_name", "requester_name"), requester_id or None)
        if email or requester_id
        else None,
        summary=first_text(hook, "ticket_subject", "subject"),
        tags=tuple(tag_list(hook.get("ticket_tags", hook.get("tags")), f"{where}.ticket_tags")),
        status=STATUSES.get(status, status) or None,
        ticket_type=first_text(hook, "ticket_type", "type") or None,
        form=first_text(hook, "ticket_form", "form") or None,
        priority=PRIORITIES.get(priority, priority) or None,
        group=first_text(hook, "ticket_group", "group", "ticket_group_name") or None,
        actor=first_text(hook, "ticket_agent_email", "agent_email", "triggered_by_email") or None,
        assignee=AgentRef(
            first_text(hook, "ticket_agent_email", "agent_email", "responder_email"),
            first_text(hook, "ticket_agent_id", "agent_id", "responder_id") or None,
            first_text(hook, "ticket_agent_name", "agent_name", "responder_name"),
        ),
        score=rating_score(hook.get("satisfaction_rating"), f"{where}.satisfaction_rating"),
        comment=first_text(hook, "satisfaction_comment"),
    )
    return ticket_events(snap, rules)
