"""Front webhooks. Current application webhooks: ``X-Front-Signature`` = base64(HMAC-SHA256 of
"<X-Front-Request-Timestamp>:<raw body>") keyed with the app secret, refused outside 5 minutes.
Older rule/API webhooks signed base64(HMAC-SHA1(body)) with the API secret and no timestamp: set
``options.legacy_sha1 = true`` for those. Bodies are Front events (``id`` evt_…, ``type``,
``emitted_at``, ``conversation``), wrapped as ``{"type", "payload"}`` by application webhooks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.events import CustomerRef, IntakeEvent, fit_key
from recovery.intake.fields import get, obj, tag_list, text, timestamp
from recovery.intake.rules import SourceRules
from recovery.intake.signing import b64, hmac_digest, require_header, same, unix_time, within_window
from recovery.intake.snapshot import TicketSnapshot, ticket_events

EVENT_TYPES = ("inbound", "tag", "untag", "archive", "reopen", "assign", "comment", "outbound", "out_reply")


def sign(secret: str, timestamp_text: str, raw_body: bytes) -> str:
    """The current ``X-Front-Signature`` value."""
    return b64(hmac_digest(secret, timestamp_text.encode() + b":" + raw_body, hashlib.sha256))


def sign_legacy(secret: str, raw_body: bytes) -> str:
    """The older rule-webhook signature: base64(HMAC-SHA1(body))."""
    return b64(hmac_digest(secret, raw_body, hashlib.sha1))


def verify(headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules) -> None:
    """Check the replay window and the signature (constant time)."""
    given = require_header(headers, "X-Front-Signature")
    if rules.legacy_sha1:
        same(given, sign_legacy(secret, raw_body))
        return
    stamp = require_header(headers, "X-Front-Request-Timestamp")
    within_window(unix_time(stamp), now, rules.replay_window)
    same(given, sign(secret, stamp, raw_body))


def parse(payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """Conversation events become a ticket snapshot; the ``sync`` validation request carries none."""
    body = obj(payload, "body")
    event = obj(body["payload"], "payload") if isinstance(body.get("payload"), dict) else body
    if text(body, "type") == "sync" or text(event, "type") not in EVENT_TYPES:
        return []
    conversation = obj(get(event, "conversation", dict), "conversation")
    recipient = get(conversation, "recipient", dict, required=False) or {}
    handle = text(recipient, "handle", required=False)
    teammate = _teammate(event)
    snap = TicketSnapshot(
        delivery_id=fit_key(text(event, "id")),
        ticket=text(conversation, "id"),
        occurred_at=timestamp(event, "emitted_at"),
        customer=CustomerRef(handle, text(recipient, "name", required=False)) if "@" in handle else None,
        summary=text(conversation, "subject", required=False),
        tags=tuple(tag_list(conversation.get("tags"), "conversation.tags")),
        status=text(conversation, "status", required=False) or None,
        actor=teammate,
    )
    return ticket_events(snap, rules)


def _teammate(event: Mapping[str, Any]) -> str | None:
    source = event.get("source")
    if not isinstance(source, dict) or (source.get("_meta") or {}).get("type") != "teammate":
        return None
    data = source.get("data")
    return str(data["email"]) if isinstance(data, dict) and isinstance(data.get("email"), str) else None
