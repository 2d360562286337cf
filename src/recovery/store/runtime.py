"""The ``runtime`` table: small facts the processes share, such as the scheduler's last tick."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from recovery.store.schema import runtime
from recovery.store.sql import upsert


def put(connection: Connection, key: str, value: dict[str, Any], now: datetime) -> None:
    """Insert or replace one entry."""
    upsert(connection, runtime, ["key"], {"key": key, "value": value, "updated_at": now})


def get(connection: Connection, key: str) -> Any:
    """One entry's value, or None."""
    return connection.execute(select(runtime.c.value).where(runtime.c.key == key)).scalar()
