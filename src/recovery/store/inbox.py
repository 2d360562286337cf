"""The inbox table from the applying side: which tickets wait, locking a ticket, recording what happened."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text, update

from recovery.store.schema import inbox
from recovery.store.sql import chunks

Ticket = tuple[str, str]  # (source, ticket)


def candidates(connection: Connection, now: datetime, wanted: int) -> list[Ticket]:
    """Tickets with a pending event that is not parked, oldest first."""
    due = (inbox.c.status == "pending") & ((inbox.c.claimed_until.is_(None)) | (inbox.c.claimed_until <= now))
    query = (
        select(inbox.c.source, inbox.c.ticket)
        .where(due)
        .group_by(inbox.c.source, inbox.c.ticket)
        .order_by(func.min(inbox.c.id))
        .limit(wanted)
    )
    return [(r.source, r.ticket) for r in connection.execute(query)]


def lock(connection: Connection, tickets: Sequence[Ticket]) -> list[Ticket]:
    """The tickets this transaction may work on; on PostgreSQL, those no other process holds."""
    if connection.dialect.name != "postgresql":
        return list(tickets)  # SQLite: BEGIN IMMEDIATE already made this the only writer
    statement = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")
    return [t for t in tickets if connection.execute(statement, {"key": f"inbox:{t[0]}:{t[1]}"}).scalar()]


def pending_of(connection: Connection, tickets: Sequence[Ticket]) -> list[dict[str, Any]]:
    """Every pending event of ``tickets`` (parked ones too), by ticket and occurred_at."""
    found: list[dict[str, Any]] = []
    for source in sorted({s for s, _ in tickets}):
        for chunk in chunks([t for s, t in tickets if s == source]):
            query = select(inbox).where(
                inbox.c.status == "pending", inbox.c.source == source, inbox.c.ticket.in_(chunk)
            )
            found.extend(dict(r) for r in connection.execute(query).mappings())
    found.sort(key=lambda r: (r["source"], r["ticket"], r["occurred_at"], r["id"]))
    return found


def get(connection: Connection, inbox_id: int) -> dict[str, Any] | None:
    """One inbox row, or None."""
    found = connection.execute(select(inbox).where(inbox.c.id == inbox_id)).mappings().first()
    return None if found is None else dict(found)


_RECORD = (
    update(inbox)
    .where(inbox.c.id == bindparam("_id"))
    .values(
        status=bindparam("_status"),
        error=bindparam("_error"),
        claimed_until=bindparam("_until"),
        applied_at=bindparam("_applied_at"),
        attempts=inbox.c.attempts + 1,
    )
)


def record(connection: Connection, outcomes: Sequence[dict[str, Any]]) -> None:
    """Store what happened to events in one executemany (each: id, status, error, until, applied_at)."""
    if outcomes:
        params = [
            {
                "_id": o["id"],
                "_status": o["status"],
                "_error": o["error"],
                "_until": o["until"],
                "_applied_at": o["applied_at"],
            }
            for o in outcomes
        ]
        connection.execute(_RECORD, params)


def release_held(connection: Connection, source: str, ticket: str) -> None:
    """The ticket's held events go back to pending, to be applied in order on the next tick."""
    held = (inbox.c.status == "held") & (inbox.c.source == source) & (inbox.c.ticket == ticket)
    connection.execute(update(inbox).where(held).values(status="pending", error=None, claimed_until=None))
