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
from recovery.intake.events import CustomerRef, IntakeEvent
from recovery.intake.fields import obj, rating_score, tag_list, text, timestamp
from recovery.intake.rules import SourceRules
from recovery.intake.signing import require_header, same
from recovery.intake.snapshot import TicketSnapshot, ticket_events

STATUSES = {"2": "Open", "3": "Pending", "4": "Resolved", "5": "Closed"}  # as Freshdesk labels them


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
    """Map the recommended body (or Freshdesk's simple ``freshdesk_webhook`` body) to events."""
    body = obj(payload, "body")
    where = "freshdesk_webhook" if "freshdesk_webhook" in body else "body"
    hook = obj(body.get("freshdesk_webhook", body), where)
    email = text(hook, "ticket_requester_email", required=False)
    status = text(hook, "ticket_status", required=False).strip() or None
    snap = TicketSnapshot(
        delivery_id=delivery.id_from("X-Request-Id", prefix="body:"),
        ticket=text(hook, "ticket_id"),
        occurred_at=timestamp(hook, "ticket_updated_at") if hook.get("ticket_updated_at") else delivery.received_at,
        customer=CustomerRef(
            email,
            text(hook, "ticket_requester_name", required=False),
            text(hook, "ticket_requester_id", required=False) or None,
        )
        if email
        else None,
        summary=text(hook, "ticket_subject", required=False),
        tags=tuple(tag_list(hook.get("ticket_tags"), f"{where}.ticket_tags")),
        status=STATUSES.get(status, status) if status else None,
        ticket_type=text(hook, "ticket_type", required=False).strip() or None,
        form=text(hook, "ticket_form", required=False).strip() or None,
        actor=text(hook, "ticket_agent_email", required=False).strip() or None,
        score=rating_score(hook.get("satisfaction_rating"), f"{where}.satisfaction_rating"),
    )
    return ticket_events(snap, rules)
