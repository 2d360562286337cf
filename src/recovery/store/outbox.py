"""The outbox table: every notification is a row committed with the change that caused it, then leased,
delivered and marked by a dispatcher."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Update, or_, select, update

from recovery.store.schema import outbox
from recovery.store.sql import insert_ignoring_duplicates

# pending until delivered (retried with backoff meanwhile), then sent, or dead once it will not be tried again.
STATUSES = ("pending", "sent", "dead")


def enqueue(
    connection: Connection,
    dedupe_key: str,
    topic: str,
    payload: dict[str, Any],
    now: datetime,
    recipient: str | None = None,
) -> None:
    """Queue one message; a second message with the same ``dedupe_key`` is silently dropped."""
    message = {"dedupe_key": dedupe_key, "topic": topic, "recipient": recipient, "payload": payload}
    enqueue_many(connection, [message], now)


def enqueue_many(connection: Connection, messages: Sequence[dict[str, Any]], now: datetime) -> None:
    """Queue many messages (each with ``dedupe_key``, ``topic``, ``payload``, ``recipient``) in one statement."""
    if messages:
        rows = [{**m, "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now} for m in messages]
        connection.execute(insert_ignoring_duplicates(connection, outbox), rows)


def claim(connection: Connection, now: datetime, lease: timedelta, limit: int) -> Sequence[Row[Any]]:
    """Lease up to ``limit`` due messages until ``now + lease``, in one statement; the leased rows by id."""
    due = (
        select(outbox.c.id)
        .where(
            outbox.c.status == "pending",
            outbox.c.next_attempt_at <= now,
            or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= now),
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(outbox)
        .where(outbox.c.id.in_(due.scalar_subquery()))
        .values(claimed_until=now + lease)
        .returning(
            outbox.c.id, outbox.c.dedupe_key, outbox.c.topic, outbox.c.recipient, outbox.c.payload, outbox.c.attempts
        )
    )
    return sorted(connection.execute(statement).all(), key=lambda r: r.id)


def mark(connection: Connection, message_id: int, **values: object) -> bool:
    """Record an outcome unless the message already left ``pending``; True when this call recorded it."""
    statement: Update = (
        update(outbox)
        .where(outbox.c.id == message_id, outbox.c.status == "pending")
        .values(claimed_until=None, **values)
    )
    return bool(connection.execute(statement).rowcount)


def release(connection: Connection, message_ids: Sequence[int]) -> None:
    """Give back leases not yet delivered, so another dispatcher need not wait for them to run out."""
    if message_ids:
        statement = update(outbox).where(outbox.c.id.in_(list(message_ids)), outbox.c.status == "pending")
        connection.execute(statement.values(claimed_until=None))


def get(connection: Connection, message_id: int) -> dict[str, Any] | None:
    """One message with every column, or None."""
    found = connection.execute(select(outbox).where(outbox.c.id == message_id)).mappings().first()
    return dict(found) if found is not None else None


def requeue(connection: Connection, message_id: int, was: str, now: datetime) -> bool:
    """Put a message back to ``pending`` with no attempts, due ``now``, if it is still ``was``; True when it was."""
    # The status read before is the condition: a dispatcher that finished it meanwhile wins.
    statement = (
        update(outbox)
        .where(outbox.c.id == message_id, outbox.c.status == was)
        .values(status="pending", attempts=0, next_attempt_at=now, claimed_until=None)
    )
    return bool(connection.execute(statement).rowcount)
