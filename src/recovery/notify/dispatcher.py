"""The outbox dispatcher: claim due messages, deliver each, mark it sent exactly once.

A claim is a lease (``outbox.claimed_until``) committed before delivery, so several dispatchers
never hold one message at once, and the claims of a dispatcher killed mid-batch are taken again
once their lease runs out. Delivery is therefore at least once (a kill between delivering and
marking repeats that one message; receivers drop it by its key), while ``status`` moves from
``pending`` to ``sent`` or ``dead`` exactly once. Failures retry with exponential backoff through
``next_attempt_at``; after ``max_attempts`` tries, or at once for a permanent failure, a message is dead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from recovery.engine.context import Context
from recovery.notify.sinks import DeliveryError, Message, PermanentDeliveryError, Sink
from recovery.store import outbox as store

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Policy:
    """How hard to try: ``max_attempts`` tries, waiting ``backoff`` doubled after each failure."""

    max_attempts: int = 8
    backoff: timedelta = timedelta(seconds=30)
    lease: timedelta = LEASE
    batch: int = 100

    def retry_at(self, now: datetime, attempts: int) -> datetime:
        """When to try again after the ``attempts``-th failure."""
        doubled = self.backoff * (1 << min(max(attempts - 1, 0), 20))
        return now + min(doubled, MAX_BACKOFF)


@dataclass
class DispatchReport:
    """What one dispatch run did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost_race: int = 0

    def summary(self) -> dict[str, int]:
        """Flat counts for a log line or JSON."""
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "retried": self.retried,
            "dead": self.dead,
            "lost_race": self.lost_race,
        }


def claim(ctx: Context, policy: Policy) -> list[Message]:
    """Lease up to ``policy.batch`` due messages to this dispatcher, in one committed statement."""
    with ctx.db.begin() as connection:
        found = store.claim(connection, ctx.clock.now(), policy.lease, policy.batch)
    return [Message(r.id, r.dedupe_key, r.topic, r.recipient, r.payload, r.attempts) for r in found]


def dispatch(
    ctx: Context, sink: Sink, policy: Policy | None = None, stop: Callable[[], bool] | None = None
) -> DispatchReport:
    """Deliver every due message, batch by batch, until none is due or ``stop()`` says so."""
    policy = policy or Policy()
    should_stop = stop or (lambda: False)
    report = DispatchReport()
    while not should_stop():
        messages = claim(ctx, policy)
        report.claimed += len(messages)
        for index, message in enumerate(messages):
            if should_stop():
                release(ctx, messages[index:])
                return report
            deliver(ctx, sink, message, policy, report)
        if len(messages) < policy.batch:
            break
    return report


def deliver(ctx: Context, sink: Sink, message: Message, policy: Policy, report: DispatchReport) -> None:
    """Hand one claimed message to the sink and record the outcome."""
    try:
        sink.deliver(message)
    except DeliveryError as exc:
        _failed(ctx, message, exc, policy, report)
        return
    except (ValueError, TypeError, UnicodeError) as exc:  # the message itself is at fault: retrying cannot help
        _failed(ctx, message, PermanentDeliveryError(f"{type(exc).__name__}: {exc}"), policy, report)
        return
    marked = _mark(ctx, message, status="sent", attempts=message.attempts + 1, sent_at=ctx.clock.now())
    if marked:
        report.sent += 1
    else:  # our lease ran out and another dispatcher finished it first: delivered twice, marked once
        report.lost_race += 1
        log.warning("outbox message %s was already finished by another dispatcher", message.id)


def _failed(ctx: Context, message: Message, exc: DeliveryError, policy: Policy, report: DispatchReport) -> None:
    attempts = message.attempts + 1
    final = isinstance(exc, PermanentDeliveryError) or attempts >= policy.max_attempts
    now = ctx.clock.now()
    if final:
        _mark(ctx, message, status="dead", attempts=attempts, last_error=str(exc))
        report.dead += 1
        log.warning("outbox message %s dead after %s attempts: %s", message.id, attempts, exc)
        return
    retry_at = policy.retry_at(now, attempts)
    _mark(ctx, message, status="pending", attempts=attempts, last_error=str(exc), next_attempt_at=retry_at)
    report.retried += 1
    log.info("outbox message %s failed (attempt %s), retry at %s: %s", message.id, attempts, retry_at.isoformat(), exc)


def _mark(ctx: Context, message: Message, **values: object) -> bool:
    """Record an outcome unless the message already left ``pending``; True when this call recorded it."""
    with ctx.db.begin() as connection:
        return store.mark(connection, message.id, **values)


def release(ctx: Context, messages: list[Message]) -> None:
    """Give back claims not yet delivered (at shutdown), so another dispatcher need not wait for the lease."""
    with ctx.db.begin() as connection:
        store.release(connection, [m.id for m in messages])
