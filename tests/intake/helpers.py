"""Helpers for the intake tests: settings with sources, an in-process client, signed requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import anyio
import httpx
from starlette.applications import Starlette

from recovery.clock import SettableClock
from recovery.config import Settings, WebhookSettings, WebhookSource
from recovery.core.signature import sign

SECRET = "s3cret-for-tests"
KINDS = ("zendesk", "freshdesk", "zammad", "helpscout", "intercom", "front", "generic")


def settings_for(
    *sources: WebhookSource, max_body: str = "64KiB", reorder_window: str = "10m", **sections: Any
) -> Settings:
    """Settings whose webhook section has ``sources`` (and any other ``sections``, as mappings)."""
    webhook = WebhookSettings(sources=list(sources), max_body=max_body, reorder_window=reorder_window)
    return Settings(webhook=webhook, **sections)


def source(kind: str, name: str | None = None, **options: Any) -> WebhookSource:
    """A signed source whose secret lives in RECOVERY_TEST_SECRET."""
    return WebhookSource(name=name or kind, kind=kind, secret_env="RECOVERY_TEST_SECRET", options=options)


class AppClient:
    """A synchronous in-process client (httpx over ASGI; starlette's TestClient warns about httpx)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request to the app and return the answer."""

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
                return await client.request(method, url, **kwargs)

        return anyio.run(send)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST to the app."""
        return self.request("POST", url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET from the app."""
        return self.request("GET", url, **kwargs)


def signed_generic(body: dict[str, Any] | bytes, clock: SettableClock, secret: str = SECRET) -> dict[str, Any]:
    """Keyword arguments for ``client.post`` carrying a correctly signed generic event."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = str(int(clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-Recovery-Timestamp": stamp,
        "X-Recovery-Signature": sign(secret, stamp, raw),
    }
    return {"content": raw, "headers": headers}


def signed_headers(kind: str, raw: bytes, now: datetime, secret: str = SECRET, **extra: str) -> dict[str, str]:
    """Headers that carry a correct signature for ``kind``, computed by that helpdesk's documented algorithm."""
    headers = {"Content-Type": "application/json", **extra}
    unix = str(int(now.timestamp()))
    if kind == "zendesk":
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        digest = hmac.new(secret.encode(), stamp.encode() + raw, hashlib.sha256).digest()
        headers |= {"X-Zendesk-Webhook-Signature-Timestamp": stamp, "X-Zendesk-Webhook-Signature": b64(digest)}
    elif kind == "freshdesk":
        headers["Authorization"] = "Basic " + base64.b64encode(f"recovery:{secret}".encode()).decode()
    elif kind in ("zammad", "intercom"):
        headers["X-Hub-Signature"] = "sha1=" + hmac.new(secret.encode(), raw, hashlib.sha1).hexdigest()
    elif kind == "helpscout":
        headers["X-HelpScout-Signature"] = b64(hmac.new(secret.encode(), raw, hashlib.sha1).digest())
    elif kind == "front":
        millis = str(int(now.timestamp() * 1000))
        digest = hmac.new(secret.encode(), millis.encode() + b":" + raw, hashlib.sha256).digest()
        headers |= {"X-Front-Request-Timestamp": millis, "X-Front-Signature": b64(digest)}
    else:
        message = unix.encode() + b"." + raw
        signature = "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        headers |= {"X-Recovery-Timestamp": unix, "X-Recovery-Signature": signature}
    return headers


def b64(digest: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(digest).decode()


# A generic complaint.opened for ticket T-1, as the HTTP tests send it.
OPENED_EVENT = {
    "id": "evt_1",
    "type": "complaint.opened",
    "occurred_at": "2026-11-25T08:00:00Z",
    "ticket": "T-1",
    "customer": {"email": "ann@example.com", "name": "Ann"},
    "summary": "cold soup",
}
