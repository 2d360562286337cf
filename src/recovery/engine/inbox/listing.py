"""Reading the inbox back: the newest events, one event with its stored body."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from recovery.engine.context import Context
from recovery.engine.queries import iso
from recovery.errors import NotFoundError
from recovery.store import inbox as store
from recovery.store.schema import inbox

LISTED = ("id", "source", "ticket", "event_type", "status", "occurred_at", "received_at", "attempts", "error")
FAILED = ("failed", "dead", "held")  # what `inbox list --failed` shows: the events that need a person


def list_events(
    ctx: Context, *, failed: bool = False, state: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The newest inbox events; with ``failed`` only failed, dead-lettered and held ones, with ``state`` only those."""
    query = select(*(inbox.c[name] for name in LISTED), inbox.c.delivery_id).order_by(inbox.c.id.desc()).limit(limit)
    if failed:
        query = query.where(inbox.c.status.in_(FAILED))
    if state is not None:
        query = query.where(inbox.c.status == state)
    with ctx.read() as connection:
        return [_jsonable(dict(r)) for r in connection.execute(query).mappings()]


def event_detail(ctx: Context, inbox_id: int) -> dict[str, Any]:
    """One inbox event with its stored body; NotFoundError names the id."""
    with ctx.read() as connection:
        found = store.get(connection, inbox_id)
    if found is None:
        raise NotFoundError(f"no inbox event {inbox_id}")
    return _jsonable(found)


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    for key, value in row.items():
        if isinstance(value, datetime):
            row[key] = iso(value)
    return row
