"""The Standard Webhooks signature scheme (https://www.standardwebhooks.com), so senders can use its libraries.

``webhook-id``, ``webhook-timestamp`` (unix seconds) and ``webhook-signature``: space-separated
``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>">`` entries, any of which may match (keys
being rotated). The key is the secret's bytes: ``whsec_<base64>`` decoded, as its libraries do.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

from recovery.intake.errors import SignatureError
from recovery.intake.signing import require_header, unix_time, within_window

PREFIX = "whsec_"
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def applies(headers: Mapping[str, str]) -> bool:
    """Does the request carry a Standard Webhooks signature (lower-case header names)?"""
    return "webhook-signature" in headers


def key_of(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret; SignatureError when the secret is not one."""
    try:
        return base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(
            "a Standard Webhooks signature needs the source's secret as whsec_<base64>; this one is not"
        ) from None


def sign(secret: str, message_id: str, timestamp: str, raw_body: bytes) -> str:
    """The ``webhook-signature`` value for one key: ``v1,<base64>``."""
    message = f"{message_id}.{timestamp}.".encode() + raw_body
    return "v1," + base64.b64encode(hmac.new(key_of(secret), message, hashlib.sha256).digest()).decode()


def verify(headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, window: timedelta) -> None:
    """Check the timestamp window, then every ``v1`` signature given (constant time); one must match."""
    message_id, stamp, given = (require_header(headers, name) for name in HEADERS)
    within_window(unix_time(stamp), now, window)
    expected = sign(secret, message_id, stamp, raw_body).encode()
    matched = False
    for candidate in given.split():
        matched |= candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected)
    if not matched:
        raise SignatureError("no webhook-signature entry matches")
