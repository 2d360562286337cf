"""Zendesk webhooks: ``X-Zendesk-Webhook-Signature`` = base64(HMAC-SHA256(timestamp + body)).

The timestamp is ``X-Zendesk-Webhook-Signature-Timestamp`` (ISO 8601, e.g. 2021-07-25T10:00:00Z).
Zendesk's Event Connectors page writes the same scheme as (BODY)(TIMESTAMP) and its worked example
is signed that way, so that order is accepted too; both need the secret. The body is shaped by the
admin with placeholders: ship config/helpdesk/zendesk-webhook-body.json.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.errors import ShapeError, SignatureError
from recovery.intake.events import CustomerRef, IntakeEvent
from recovery.intake.fields import get, obj, rating_score, tag_list, text, timestamp
from recovery.intake.rules import SourceRules
from recovery.intake.signing import b64, hmac_digest, require_header, within_window
from recovery.intake.snapshot import TicketSnapshot, ticket_events


def sign(secret: str, timestamp_text: str, raw_body: bytes) -> str:
    """The signature Zendesk sends: base64 of HMAC-SHA256 over timestamp + body."""
    return b64(hmac_digest(secret, timestamp_text.encode() + raw_body, hashlib.sha256))


def verify(headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules) -> None:
    """Check the replay window on the signature timestamp, then the signature (constant time)."""
    stamp = require_header(headers, "X-Zendesk-Webhook-Signature-Timestamp")
    given = require_header(headers, "X-Zendesk-Webhook-Signature").encode()
    try:
        sent = timestamp({"t": stamp}, "t")
    except ShapeError:
        raise SignatureError("X-Zendesk-Webhook-Signature-Timestamp is not an ISO 8601 time") from None
    within_window(sent, now, rules.replay_window)
    documented = sign(secret, stamp, raw_body).encode()
    connectors = b64(hmac_digest(secret, raw_body + stamp.encode(), hashlib.sha256)).encode()
    if not (hmac.compare_digest(given, documented) | hmac.compare_digest(given, connectors)):
        raise SignatureError("signature does not match")


def parse(payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """Map the recommended body (a ``ticket`` object and ``current_user``) to events."""
    body = obj(payload, "body")
    ticket = obj(body.get("ticket"), "ticket")
    requester = get(ticket, "requester", dict, required=False) or {}
    email = text(requester, "email", required=False)
    satisfaction = get(ticket, "satisfaction", dict, required=False) or {}
    snap = TicketSnapshot(
        delivery_id=delivery.id_from("X-Zendesk-Webhook-Invocation-Id"),
        ticket=text(ticket, "id"),
        occurred_at=timestamp(ticket, "updated_at"),
        customer=CustomerRef(email, text(requester, "name", required=False), _blank(requester, "id"))
        if email
        else None,
        summary=text(ticket, "title", required=False),
        tags=tuple(tag_list(ticket.get("tags"), "ticket.tags")),
        status=_blank(ticket, "status"),
        ticket_type=_blank(ticket, "type"),
        form=_blank(ticket, "form"),
        actor=_blank(get(body, "current_user", dict, required=False) or {}, "email"),
        score=rating_score(satisfaction.get("score"), "ticket.satisfaction.score"),
        comment=text(satisfaction, "comment", required=False),
    )
    return ticket_events(snap, rules)


def _blank(body: Mapping[str, Any], key: str) -> str | None:
    """Zendesk renders an empty placeholder as ""; treat it as absent."""
    return text(body, key, required=False).strip() or None
