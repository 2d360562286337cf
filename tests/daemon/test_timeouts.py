"""The daemon's web server against slow and half-open clients (issue 9.10): deadlines for headers, bodies and
keep-alive, a cap on header size, and no public listening without the admin token."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from recovery.config import Settings
from recovery.daemon import Daemon
from recovery.engine.context import Context
from recovery.errors import ConfigError
from recovery.notify.sinks import LogSink

SHOP = {"name": "shop", "kind": "generic", "unsigned": True}
LIMITS = {"header_timeout": "1s", "body_timeout": "1s", "keep_alive": "1s", "max_header": "1KiB"}
HEAD = b"POST /webhooks/shop HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


@pytest.fixture
def port(ctx: Context, unused_port: int) -> Iterator[int]:
    """The daemon's web server, as ``recovery daemon`` starts it, with one-second deadlines."""
    settings = Settings(daemon={"tick": "1s"}, webhook={"sources": [SHOP], **LIMITS})
    daemon = Daemon(ctx, settings, sink=LogSink(), host="127.0.0.1", port=unused_port)
    serving = daemon._start_webhook()
    yield unused_port
    daemon._stop_webhook(serving)


def closed_after(connection: socket.socket, trickle: bytes = b"", limit: float = 6.0) -> tuple[float | None, bytes]:
    """Seconds until the server closes the connection (None: still open after ``limit``) and what it sent.

    ``trickle`` is sent a byte every 0.2 s meanwhile, as a slow or hostile client would.
    """
    began = time.monotonic()
    received = b""
    connection.settimeout(0.2)
    while time.monotonic() - began < limit:
        try:
            data = connection.recv(4096)
        except TimeoutError:
            if trickle:
                try:
                    connection.sendall(trickle[:1])
                except OSError:
                    return time.monotonic() - began, received
                trickle = trickle[1:] or trickle
            continue
        except ConnectionResetError:
            return time.monotonic() - began, received
        if not data:
            return time.monotonic() - began, received
        received += data
    return None, received


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(port: int) -> None:
    with connect(port) as connection:
        took, _ = closed_after(connection)

    assert took is not None, "a silent connection stayed open"
    assert 0.8 < took < 3, took


def test_headers_trickled_a_byte_at_a_time_are_cut_off_at_the_header_timeout(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(b"POST /webhooks/shop HTTP/1.1\r\n")
        took, _ = closed_after(connection, trickle=b"X-Slow: " + b"a" * 100)

    assert took is not None, "a client trickling its headers held the connection"
    assert took < 3, took


def test_a_body_that_does_not_arrive_is_cut_off_at_the_body_timeout(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(HEAD + b"Content-Length: 100\r\n\r\n{")
        took, _ = closed_after(connection, trickle=b" ")

    assert took is not None, "a client trickling its body held the connection"
    assert took < 3, took


def test_a_complete_request_is_answered_and_its_idle_connection_closed_after_the_keep_alive(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        took, received = closed_after(connection)

    assert received.startswith(b"HTTP/1.1 200"), received[:80]
    assert took is not None, "an idle keep-alive connection stayed open"
    assert took < 3, took


def test_headers_over_the_size_limit_are_refused(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(HEAD + b"X-Big: " + b"a" * 2048 + b"\r\n\r\n")
        took, received = closed_after(connection)

    assert received.startswith(b"HTTP/1.1 400"), received[:80]
    assert took is not None


def test_a_daemon_listening_beyond_loopback_without_the_admin_token_does_not_start(
    ctx: Context, handlers: Any, unused_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECOVERY_ADMIN_TOKEN", raising=False)
    daemon = Daemon(ctx, Settings(daemon={"tick": "1s"}), sink=LogSink(), host="0.0.0.0", port=unused_port)

    with pytest.raises(ConfigError, match=r"RECOVERY_ADMIN_TOKEN"):
        daemon.run()

    assert daemon.scheduler.state == 0  # never started
