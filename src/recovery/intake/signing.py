"""Checking a helpdesk's signature: HMACs, constant-time comparison, timestamps and the replay window."""

from __future__ import annotations

import hmac
from base64 import b64encode
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from recovery.intake.errors import SignatureError

REPLAY_WINDOW = timedelta(minutes=5)


def hmac_digest(secret: str, message: bytes, algorithm: Callable[..., Any]) -> bytes:
    """The raw HMAC of ``message`` with ``secret`` (UTF-8) as key."""
    return hmac.new(secret.encode(), message, algorithm).digest()


def b64(digest: bytes) -> str:
    """Standard base64 text of a digest."""
    return b64encode(digest).decode()


def require_header(headers: Mapping[str, str], name: str) -> str:
    """A header's value; SignatureError when it is missing or empty."""
    value = headers.get(name.lower(), "").strip()
    if not value:
        raise SignatureError(f"missing {name} header")
    return value


def same(given: str, expected: str) -> None:
    """Constant-time comparison; SignatureError when they differ."""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise SignatureError("signature does not match")


def within_window(sent: datetime, now: datetime, window: timedelta) -> None:
    """SignatureError when ``sent`` is further than ``window`` from ``now`` (a replay or a skewed clock)."""
    if abs(now - sent) > window:
        raise SignatureError(f"timestamp {sent.isoformat()} is outside the {int(window.total_seconds())} s window")


def unix_time(text: str) -> datetime:
    """Unix seconds (or milliseconds, as Front sends) as an aware datetime; SignatureError if not a number."""
    try:
        number = float(text)
    except ValueError:
        raise SignatureError(f"timestamp {text[:40]!r} is not a number") from None
    if number > 1e11:  # milliseconds
        number /= 1000
    if not 0 < number < 1e10:
        raise SignatureError("timestamp out of range")
    return datetime.fromtimestamp(number, UTC)
