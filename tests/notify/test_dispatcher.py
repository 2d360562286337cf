"""The outbox dispatcher: sent exactly once, retried with backoff, dead after the last try, leases retaken."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from recovery.clock import SettableClock
from recovery.config import Settings
from recovery.engine.context import Context
from recovery.errors import ConfigError
from recovery.notify.dispatcher import LEASE, Policy, claim, dispatch
from recovery.notify.sinks import DeliveryError, LogSink, Message, PermanentDeliveryError, build_sink

Queue = Callable[..., None]
Box = Callable[[], dict[str, dict[str, Any]]]


class FlakySink:
    """A sink that fails its first ``failures`` deliveries with ``error``, then delivers."""

    def __init__(self, failures: int, error: type[DeliveryError] = DeliveryError) -> None:
        self.failures = failures
        self.error = error
        self.delivered: list[str] = []

    def deliver(self, message: Message) -> None:
        if self.failures:
            self.failures -= 1
            raise self.error("receiver is down")
        self.delivered.append(message.key)


def test_a_message_is_delivered_and_marked_sent_once(
    ctx: Context, queue: Queue, box: Box, caplog: pytest.LogCaptureFixture
) -> None:
    queue("m1")
    caplog.set_level(logging.INFO, logger="recovery.notify")

    first = dispatch(ctx, LogSink())
    second = dispatch(ctx, LogSink())

    row = box()["m1"]
    assert (row["status"], row["attempts"], row["sent_at"], row["claimed_until"]) == ("sent", 1, ctx.clock.now(), None)
    assert (first.sent, second.claimed) == (1, 0)
    assert "notify key=m1 topic=complaint.escalated recipient=ann" in caplog.text


def test_a_failed_delivery_is_retried_with_exponential_backoff(ctx: Context, queue: Queue, box: Box) -> None:
    assert isinstance(ctx.clock, SettableClock)
    queue("m1")
    sink = FlakySink(failures=2)
    start = ctx.clock.now()

    dispatch(ctx, sink)
    assert box()["m1"]["next_attempt_at"] == start + timedelta(seconds=30)
    assert dispatch(ctx, sink).claimed == 0  # not before its time
    ctx.clock.advance(timedelta(seconds=30))
    dispatch(ctx, sink)
    assert box()["m1"]["next_attempt_at"] == start + timedelta(seconds=90)
    ctx.clock.advance(timedelta(seconds=60))
    dispatch(ctx, sink)

    row = box()["m1"]
    assert (row["status"], row["attempts"], sink.delivered) == ("sent", 3, ["m1"])


def test_a_message_is_dead_after_the_last_attempt(ctx: Context, queue: Queue, box: Box) -> None:
    assert isinstance(ctx.clock, SettableClock)
    queue("m1")
    sink = FlakySink(failures=99)
    policy = Policy(max_attempts=3, backoff=timedelta(seconds=1))

    for _ in range(5):
        dispatch(ctx, sink, policy)
        ctx.clock.advance(timedelta(minutes=1))

    row = box()["m1"]
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 3, "receiver is down")
    assert sink.failures == 96


def test_a_permanent_failure_is_dead_at_once(ctx: Context, queue: Queue, box: Box) -> None:
    queue("m1")

    report = dispatch(ctx, FlakySink(failures=1, error=PermanentDeliveryError))

    assert (report.dead, box()["m1"]["status"], box()["m1"]["attempts"]) == (1, "dead", 1)


def test_claims_of_a_killed_dispatcher_are_taken_again_after_the_lease(ctx: Context, queue: Queue, box: Box) -> None:
    assert isinstance(ctx.clock, SettableClock)
    queue("m1")
    [taken] = claim(ctx, Policy())  # a dispatcher claims, then dies before delivering
    sink = FlakySink(failures=0)

    assert dispatch(ctx, sink).claimed == 0
    ctx.clock.advance(LEASE)
    dispatch(ctx, sink)

    assert taken.key == "m1"
    assert (sink.delivered, box()["m1"]["status"]) == (["m1"], "sent")


def test_two_dispatchers_claim_different_messages(ctx: Context, queue: Queue) -> None:
    for n in range(5):
        queue(f"m{n}")

    first = claim(ctx, Policy(batch=3))
    second = claim(ctx, Policy(batch=3))

    assert [m.key for m in first] == ["m0", "m1", "m2"]
    assert [m.key for m in second] == ["m3", "m4"]


def test_a_stop_request_gives_back_the_claims_not_yet_delivered(ctx: Context, queue: Queue, box: Box) -> None:
    for n in range(3):
        queue(f"m{n}")
    sink = FlakySink(failures=0)

    report = dispatch(ctx, sink, stop=lambda: len(sink.delivered) >= 1)

    assert (report.claimed, report.sent) == (3, 1)
    assert [box()[k]["claimed_until"] for k in ("m1", "m2")] == [None, None]
    assert dispatch(ctx, sink).sent == 2


def test_a_message_finished_by_another_dispatcher_is_not_marked_twice(ctx: Context, queue: Queue, box: Box) -> None:
    assert isinstance(ctx.clock, SettableClock)
    queue("m1")
    [stale] = claim(ctx, Policy())
    ctx.clock.advance(LEASE)  # the lease runs out while the first dispatcher is stuck in delivery
    dispatch(ctx, FlakySink(failures=0))

    from recovery.notify.dispatcher import DispatchReport, deliver

    report = DispatchReport()
    deliver(ctx, FlakySink(failures=0), stale, Policy(), report)

    assert (report.sent, report.lost_race, box()["m1"]["attempts"]) == (0, 1, 1)


@pytest.mark.parametrize(
    ("notify", "environ", "problem"),
    [
        ({"sink": "http"}, {}, "notify.http_url"),
        ({"sink": "http", "http_url": "http://127.0.0.1:9/"}, {}, "notify.http_secret_env"),
        ({"sink": "http", "http_url": "http://127.0.0.1:9/", "http_secret_env": "S"}, {}, "notify.http_secret_env"),
    ],
    ids=["no-url", "no-secret-name", "secret-unset"],
)
def test_the_http_sink_needs_a_url_and_a_secret(
    notify: dict[str, str], environ: dict[str, str], problem: str, clock: SettableClock
) -> None:
    settings = Settings(notify=notify)  # type: ignore[arg-type]

    with pytest.raises(ConfigError, match=problem):
        build_sink(settings, clock, environ)


@pytest.mark.parametrize(
    ("notify", "kind"),
    [
        ({"sink": "log"}, "LogSink"),
        ({"sink": "smtp"}, "SMTPSink"),
        ({"sink": "http", "http_url": "http://127.0.0.1:9/", "http_secret_env": "S"}, "HTTPSink"),
    ],
    ids=["log", "smtp", "http"],
)
def test_the_configured_sink_is_built(notify: dict[str, str], kind: str, clock: SettableClock) -> None:
    sink = build_sink(Settings(notify=notify), clock, {"S": "secret"})  # type: ignore[arg-type]

    assert type(sink).__name__ == kind
