"""The http sink: each message POSTed as JSON, signed with HMAC-SHA256 over the timestamp and the body.

Receivers check ``X-Recovery-Signature: sha256=<hex HMAC of "<timestamp>.<body>">`` with the shared
secret and ``X-Recovery-Timestamp`` against their clock (the scheme of our own generic webhook), and
drop a repeated ``X-Recovery-Delivery`` id: delivery is at least once.
"""

from __future__ import annotations

import json

import httpx

from recovery import __version__
from recovery.clock import Clock
from recovery.core.signature import sign
from recovery.notify.sinks import DeliveryError, Message, PermanentDeliveryError

RETRYABLE = frozenset({408, 425, 429})


class HTTPSink:
    """POSTs messages to one URL; 2xx is delivered, 408/429/5xx and network errors retry, other 4xx are final."""

    def __init__(self, url: str, secret: bytes, clock: Clock, timeout: float = 10.0) -> None:
        self.url = url
        self._secret = secret
        self._clock = clock
        self._client = httpx.Client(timeout=timeout, headers={"User-Agent": f"recovery/{__version__}"})

    def deliver(self, message: Message) -> None:
        """POST ``message``; raise DeliveryError (retry) or PermanentDeliveryError (dead)."""
        body = json.dumps(message.document(), sort_keys=True, separators=(",", ":"), default=str).encode()
        timestamp = str(int(self._clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Recovery-Timestamp": timestamp,
            "X-Recovery-Signature": sign(self._secret, timestamp, body),
            "X-Recovery-Delivery": message.key,
        }
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"POST {self.url}: {exc}") from exc
        if response.is_success:
            return
        problem = f"POST {self.url}: HTTP {response.status_code}"
        if response.status_code >= 500 or response.status_code in RETRYABLE:
            raise DeliveryError(problem)
        raise PermanentDeliveryError(problem)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
