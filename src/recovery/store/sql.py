"""Small statements whose SQL differs by dialect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, CursorResult, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite


def _insert(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's own INSERT, which knows ON CONFLICT."""
    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)


def insert_ignoring_duplicates(connection: Connection, table: Table) -> Insert:
    """An INSERT that skips rows violating a unique key (ON CONFLICT DO NOTHING on both dialects)."""
    return _insert(connection, table).on_conflict_do_nothing()


def upsert(connection: Connection, table: Table, keys: Sequence[str], values: dict[str, Any]) -> None:
    """Insert one row, or update the row with the same ``keys`` to ``values``."""
    statement = _insert(connection, table).values(values)
    changed = {name: value for name, value in values.items() if name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changed))


def chunks(items: Sequence[Any], size: int = 500) -> list[Sequence[Any]]:
    """``items`` cut into slices of at most ``size`` (bind-parameter limits)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row a single-row INSERT created."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - only for executemany results
        raise RuntimeError("no primary key: not a single-row insert")
    return int(key[0])
