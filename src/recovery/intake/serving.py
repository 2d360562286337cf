"""Serving the webhook app with uvicorn, with the deadlines uvicorn itself lacks.

uvicorn closes idle keep-alive connections and caps the size of headers, but has no timeout for
a request that arrives slowly (its issue #157): a client that opens a connection and sends a byte
now and then holds it for ever. ``TimedH11Protocol`` closes a connection whose request headers do
not arrive within ``webhook.header_timeout``, or whose body does not within ``webhook.body_timeout``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from recovery.config import WebhookSettings, clock_duration, parse_size

log = logging.getLogger("recovery.intake")


class TimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for the headers and one for the body of each request."""

    header_timeout = 10.0
    body_timeout = 30.0
    _phase: str | None = None
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the headers' clock as the connection opens."""
        super().connection_made(transport)
        self._follow()

    def data_received(self, data: bytes) -> None:
        """Parse as uvicorn does, then move to the deadline of the request's new phase."""
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        """After an answer, the next request's headers are awaited (uvicorn's keep-alive closes an idle wait)."""
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        """No deadline outlives its connection."""
        self._disarm()
        super().connection_lost(exc)

    def _follow(self) -> None:
        state = self.conn.their_state
        phase = "headers" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        if phase == self._phase:
            return  # a deadline runs from the start of its phase, not from the latest byte
        self._disarm()
        self._phase = phase
        if phase is not None and not self.transport.is_closing():
            seconds = self.header_timeout if phase == "headers" else self.body_timeout
            self._deadline = self.loop.call_later(seconds, self._expire, phase, seconds)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = None

    def _expire(self, phase: str, seconds: float) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            log.info("event=webhook_timeout phase=%s seconds=%g: connection closed", phase, seconds)
            self.transport.close()


def timed_protocol(header_timeout: float, body_timeout: float) -> type[TimedH11Protocol]:
    """``TimedH11Protocol`` with these deadlines (uvicorn builds one protocol object per connection)."""
    deadlines = {"header_timeout": header_timeout, "body_timeout": body_timeout}
    return type("TimedH11Protocol", (TimedH11Protocol,), deadlines)


def server_config(app: Any, webhook: WebhookSettings, host: str, port: int, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration the daemon serves ``app`` with: ``webhook``'s timeouts and header limit."""
    protocol = timed_protocol(_seconds(webhook.header_timeout), _seconds(webhook.body_timeout))
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        timeout_keep_alive=max(1, math.ceil(_seconds(webhook.keep_alive))),  # uvicorn takes whole seconds
        h11_max_incomplete_event_size=parse_size(webhook.max_header),
        **options,
    )


def _seconds(value: str) -> float:
    return clock_duration(value).clock().total_seconds()
