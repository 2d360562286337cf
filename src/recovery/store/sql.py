"""Small statements whose SQL differs by dialect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, CursorResult, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_duplicates(connection: Connection, table: Table) -> Insert:
    """An INSERT that skips rows violating a unique key (ON CONFLICT DO NOTHING on both dialects)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def chunks(items: Sequence[Any], size: int = 500) -> list[Sequence[Any]]:
    """``items`` cut into slices of at most ``size`` (bind-parameter limits)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row a single-row INSERT created."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - only for executemany results
        raise RuntimeError("no primary key: not a single-row insert")
    return int(key[0])
