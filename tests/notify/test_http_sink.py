"""The http sink against a real HTTP server on loopback: signed POSTs, retries, success, and a dead end."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.notify.dispatcher import Policy, dispatch
from recovery.notify.http import HTTPSink
from recovery.notify.sinks import DeliveryError, Message

SECRET = b"s3cret"
Queue = Callable[..., None]
Box = Callable[[], dict[str, dict[str, Any]]]


class Receiver(ThreadingHTTPServer):
    """Answers each POST with the next status in ``statuses`` (the last one repeats) and keeps what came."""

    def __init__(self, statuses: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/notify"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        status = self.server.statuses.pop(0) if len(self.server.statuses) > 1 else self.server.statuses[0]
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    server = Receiver(list(request.param))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def sink_for(url: str, ctx: Context) -> HTTPSink:
    return HTTPSink(url, SECRET, ctx.clock, timeout=5)


@pytest.mark.parametrize("receiver", [[503, 500, 200]], indirect=True)
def test_the_first_failures_are_retried_until_the_receiver_accepts(
    ctx: Context, queue: Queue, box: Box, receiver: Receiver
) -> None:
    assert isinstance(ctx.clock, SettableClock)
    queue("escalation:7:2:ann")
    sink = sink_for(receiver.url, ctx)

    for _ in range(3):
        dispatch(ctx, sink, Policy(backoff=timedelta(seconds=10)))
        ctx.clock.advance(timedelta(minutes=1))
    sink.close()

    row = box()["escalation:7:2:ann"]
    assert (row["status"], row["attempts"], len(receiver.received)) == ("sent", 3, 3)


@pytest.mark.parametrize("receiver", [[200]], indirect=True)
def test_each_post_is_signed_over_its_timestamp_and_body(ctx: Context, queue: Queue, receiver: Receiver) -> None:
    queue("escalation:7:2:ann")

    dispatch(ctx, sink_for(receiver.url, ctx))

    [(headers, body)] = receiver.received
    timestamp = headers["X-Recovery-Timestamp"]
    expected = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Recovery-Signature"] == f"sha256={expected}"
    assert int(timestamp) == int(ctx.clock.now().timestamp())
    assert headers["X-Recovery-Delivery"] == "escalation:7:2:ann"
    document = json.loads(body)
    assert (document["topic"], document["recipient"], document["payload"]["level"]) == ("complaint.escalated", "ann", 2)


@pytest.mark.parametrize("receiver", [[500]], indirect=True)
def test_a_receiver_that_keeps_failing_leaves_the_message_dead(
    ctx: Context, queue: Queue, box: Box, receiver: Receiver
) -> None:
    assert isinstance(ctx.clock, SettableClock)
    queue("m1")
    sink = sink_for(receiver.url, ctx)

    for _ in range(4):
        dispatch(ctx, sink, Policy(max_attempts=3, backoff=timedelta(seconds=1)))
        ctx.clock.advance(timedelta(minutes=1))

    row = box()["m1"]
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 3, f"POST {receiver.url}: HTTP 500")
    assert len(receiver.received) == 3


@pytest.mark.parametrize("receiver", [[400]], indirect=True)
def test_a_refused_request_is_dead_without_retrying(ctx: Context, queue: Queue, box: Box, receiver: Receiver) -> None:
    queue("m1")

    dispatch(ctx, sink_for(receiver.url, ctx))

    assert (box()["m1"]["status"], len(receiver.received)) == ("dead", 1)


def test_an_unreachable_receiver_is_a_retryable_failure(clock: SettableClock) -> None:
    probe = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = probe.server_address[1]
    probe.server_close()  # nothing listens there now
    sink = HTTPSink(f"http://127.0.0.1:{port}/", SECRET, clock, timeout=2)

    with pytest.raises(DeliveryError) as raised:
        sink.deliver(Message(1, "k", "complaint.escalated", None, {}))

    assert type(raised.value) is DeliveryError
