"""Where notifications go: the message a sink delivers, the errors it may raise, the log sink, the factory."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from recovery.errors import ConfigError

if TYPE_CHECKING:
    from recovery.clock import Clock
    from recovery.config import Settings

log = logging.getLogger("recovery.notify")


@dataclass(frozen=True, slots=True)
class Message:
    """One outbox row on its way out; ``key`` (the dedupe key) lets a receiver drop a repeated delivery."""

    id: int
    key: str
    topic: str
    recipient: str | None
    payload: Mapping[str, Any]
    attempts: int = 0

    def document(self) -> dict[str, Any]:
        """The message as the JSON document the http sink posts."""
        return {"id": self.key, "topic": self.topic, "recipient": self.recipient, "payload": dict(self.payload)}


class DeliveryError(Exception):
    """The sink could not deliver now; the dispatcher tries again later."""


class PermanentDeliveryError(DeliveryError):
    """The message can never be delivered as it is (bad address, refused request): it goes dead at once."""


class Sink(Protocol):
    """Something that delivers one message or raises DeliveryError."""

    def deliver(self, message: Message) -> None: ...


BULKY = frozenset({"html", "images"})


class LogSink:
    """Writes each message as one structured log line: the default, and enough for a log shipper."""

    def deliver(self, message: Message) -> None:
        """Log ``message``; never fails."""
        # An email's HTML and images would fill the log: their presence is enough here.
        shown = {k: ("…" if k in BULKY else v) for k, v in message.payload.items()}
        body = json.dumps(shown, sort_keys=True, separators=(",", ":"), default=str)
        log.info("notify key=%s topic=%s recipient=%s payload=%s", message.key, message.topic, message.recipient, body)


def build_sink(settings: Settings, clock: Clock, environ: Mapping[str, str] | None = None) -> Sink:
    """The sink ``notify.sink`` names, with its secret read from the variable ``notify.http_secret_env`` names."""
    notify = settings.notify
    if notify.sink == "http":
        from recovery.notify.http import HTTPSink

        if not notify.http_url:
            raise ConfigError("notify.http_url: the http sink needs a URL to POST to")
        env = os.environ if environ is None else environ
        if not notify.http_secret_env or not env.get(notify.http_secret_env):
            raise ConfigError("notify.http_secret_env: name an environment variable holding the signing secret")
        return HTTPSink(notify.http_url, env[notify.http_secret_env].encode(), clock)
    if notify.sink == "smtp":
        from recovery.notify.smtp import SMTPSink

        return SMTPSink(notify.smtp_host, notify.smtp_port, notify.smtp_from)
    return LogSink()
