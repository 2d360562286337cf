"""The readiness check's SQL: a write probe, each job's tick, and the inbox and outbox backlogs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select

from recovery.store import runtime
from recovery.store.schema import inbox, outbox
from recovery.store.schema import runtime as runtime_table

PROBE = "health_probe"


def tick_key(job: str) -> str:
    """The ``runtime`` key under which a job's last run is recorded."""
    return f"tick:{job}"


def probe(connection: Connection, now: datetime) -> None:
    """Write one small row: the database accepts writes (not read-only, not full, reachable)."""
    runtime.put(connection, PROBE, {"at": now.isoformat()}, now)


def record_tick(connection: Connection, job: str, value: dict[str, Any], now: datetime) -> None:
    """Record that ``job`` ran at ``now``, with what it did."""
    runtime.put(connection, tick_key(job), value, now)


def ticks(connection: Connection, jobs: Iterable[str]) -> dict[str, datetime]:
    """When each of ``jobs`` last recorded a run; a job that never did is missing."""
    keys = {tick_key(job): job for job in jobs}
    query = select(runtime_table.c.key, runtime_table.c.updated_at).where(runtime_table.c.key.in_(list(keys)))
    return {keys[row.key]: row.updated_at for row in connection.execute(query)}


def inbox_backlog(connection: Connection, received_before: datetime, now: datetime) -> int:
    """Pending events received before ``received_before`` that no one parked (waiting events are not late)."""
    due = or_(inbox.c.claimed_until.is_(None), inbox.c.claimed_until <= now)
    query = select(func.count()).where(inbox.c.status == "pending", inbox.c.received_at < received_before, due)
    return int(connection.execute(query).scalar_one())


def outbox_counts(connection: Connection) -> dict[str, int]:
    """Pending and dead notifications."""
    query = (
        select(outbox.c.status, func.count()).where(outbox.c.status.in_(["pending", "dead"])).group_by(outbox.c.status)
    )
    found: dict[str, int] = {str(status): int(n) for status, n in connection.execute(query)}
    return {"pending": found.get("pending", 0), "dead": found.get("dead", 0)}
