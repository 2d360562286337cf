"""Front webhooks, in either signature scheme, told apart by the headers.

Application webhooks: ``X-Front-Signature`` = base64(HMAC-SHA256 of "<X-Front-Request-Timestamp>:<raw
body>") keyed with the app secret, refused outside 5 minutes. Rule webhooks (what most admins set up
under Settings → Rules): base64(HMAC-SHA1(body)) keyed with the secret, and no timestamp. Bodies are
Front events (``id`` evt_…, ``type``, ``emitted_at``, ``conversation``, ``source``, ``target``),
wrapped as ``{"type", "payload"}`` by application webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.events import AgentRef, CustomerRef, DeliveryIgnored, IntakeEvent, fit_key
from recovery.intake.fields import event_time, first_text, get, obj, tag_list, text
from recovery.intake.rules import SourceRules
from recovery.intake.signing import b64, hmac_digest, require_header, same, unix_time, within_window
from recovery.intake.snapshot import TicketSnapshot, ticket_events

EVENT_TYPES = ("inbound", "tag", "untag", "archive", "reopen", "assign", "unassign", "comment", "outbound", "out_reply")


def sign(secret: str, timestamp_text: str, raw_body: bytes) -> str:
    """The current ``X-Front-Signature`` value."""
    return b64(hmac_digest(secret, timestamp_text.encode() + b":" + raw_body, hashlib.sha256))


def sign_legacy(secret: str, raw_body: bytes) -> str:
    """The rule-webhook signature: base64(HMAC-SHA1(body))."""
    return b64(hmac_digest(secret, raw_body, hashlib.sha1))


def verify(headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules) -> None:
    """The timestamped scheme when its signature matches (then within the window), else the rule-webhook one.

    Both need the secret; a rule webhook's signature carries no time, so its replays are caught by event id.
    """
    given = require_header(headers, "X-Front-Signature")
    stamp = headers.get("x-front-request-timestamp", "").strip()
    if stamp and hmac.compare_digest(given.encode(), sign(secret, stamp, raw_body).encode()):
        within_window(unix_time(stamp), now, rules.replay_window)
        return
    same(given, sign_legacy(secret, raw_body))


def parse(payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """Conversation events become a ticket snapshot; the ``sync`` validation request and other types are ignored."""
    body = obj(payload, "body")
    event = obj(body["payload"], "payload") if isinstance(body.get("payload"), dict) else body
    kind = text(event, "type", required=False)
    if text(body, "type") == "sync" or kind not in EVENT_TYPES:
        delivery_id = fit_key(first_text(event, "id")) or f"ignored:{delivery.body_hash}"
        reason = f"Front event type {kind[:40]!r} carries nothing for complaints"
        when = delivery.received_at
        return [DeliveryIgnored.about_nothing(delivery_id, reason, when, arrival_time=True)]
    conversation = obj(get(event, "conversation", dict), "conversation")
    when, arrival = event_time(event, ("emitted_at",), delivery.received_at)
    snap = TicketSnapshot(
        delivery_id=fit_key(text(event, "id")),
        ticket=text(conversation, "id"),
        occurred_at=when,
        arrival_time=arrival,
        customer=_recipient(conversation),
        summary=text(conversation, "subject", required=False),
        tags=tuple(_tags(conversation, event)),
        status=text(conversation, "status", required=False) or None,
        actor=_teammate(event),
        assignee=_assignee(conversation),
    )
    return ticket_events(snap, rules)


def _recipient(conversation: Mapping[str, Any]) -> CustomerRef | None:
    """The conversation's main contact: its handle when it is an address, its id from the ``contact`` link."""
    recipient = get(conversation, "recipient", dict, required=False) or {}
    handle = first_text(recipient, "handle")
    link = first_text(recipient, "_links.related.contact")
    contact = link.rstrip("/").rsplit("/", 1)[-1] if link else ""
    email = handle if "@" in handle else ""
    return CustomerRef(email, first_text(recipient, "name"), contact or None) if email or contact else None


def _assignee(conversation: Mapping[str, Any]) -> AgentRef | None:
    teammate = get(conversation, "assignee", dict, required=False)
    if not teammate:
        return None
    name = " ".join(p for p in (first_text(teammate, "first_name"), first_text(teammate, "last_name")) if p)
    return AgentRef(first_text(teammate, "email"), first_text(teammate, "id") or None, name)


def _tags(conversation: Mapping[str, Any], event: Mapping[str, Any]) -> list[str]:
    """The conversation's tags, with the one a ``tag`` event just added."""
    tags = tag_list(conversation.get("tags"), "conversation.tags")
    if event.get("type") == "tag" and (added := first_text(event, "target.data.name")):
        tags.append(added)
    return list(dict.fromkeys(tags))


def _teammate(event: Mapping[str, Any]) -> str | None:
    """Who acted: a teammate's e-mail; a rule or an inbox acts for nobody we know."""
    source = event.get("source")
    if not isinstance(source, dict) or (source.get("_meta") or {}).get("type") != "teammate":
        return None
    data = source.get("data")
    return str(data["email"]) if isinstance(data, dict) and isinstance(data.get("email"), str) else None
