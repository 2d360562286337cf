"""Writing to the outbox: every notification is a row committed with the change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from recovery.store.schema import outbox
from recovery.store.sql import insert_ignoring_duplicates


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


def enqueue_many(connection: Connection, messages: list[dict[str, Any]], now: datetime) -> None:
    """Queue many messages (each with ``dedupe_key``, ``topic``, ``payload``, ``recipient``) in one statement."""
    if messages:
        rows = [{**m, "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now} for m in messages]
        connection.execute(insert_ignoring_duplicates(connection, outbox), rows)
