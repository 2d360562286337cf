"""Zendesk webhooks: ``X-Zendesk-Webhook-Signature`` = base64(HMAC-SHA256(timestamp + body)).

The timestamp is ``X-Zendesk-Webhook-Signature-Timestamp`` (ISO 8601, e.g. 2021-07-25T10:00:00Z).
Zendesk's Event Connectors page writes the same scheme as (BODY)(TIMESTAMP) and its worked example
is signed that way, so that order is accepted too; both need the secret. Two mechanisms send bodies:
a webhook connected to triggers or automations sends the JSON the admin wrote (``zendesk_triggers``),
a webhook subscribed to events sends ``zen:event-type:…`` bodies (``zendesk_events``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recovery.intake.delivery import Delivery
from recovery.intake.errors import ShapeError, SignatureError
from recovery.intake.events import IntakeEvent
from recovery.intake.fields import obj, timestamp
from recovery.intake.rules import SourceRules
from recovery.intake.signing import b64, hmac_digest, require_header, within_window
from recovery.intake.sources import zendesk_events, zendesk_triggers


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
    """An event-subscription body by its ``type``; anything else is a trigger or automation body."""
    body = obj(payload, "body")
    if zendesk_events.is_event(body):
        return zendesk_events.parse(body, rules, delivery)
    return zendesk_triggers.parse(body, rules, delivery)
