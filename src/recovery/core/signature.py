"""Our own signing scheme, used both ways: the generic webhook checks it, the http sink sends it.

``X-Recovery-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`` with the shared secret,
beside ``X-Recovery-Timestamp: <unix seconds>``.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Recovery-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds as text)."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
