"""Helpers for outbox tests: queue a message through the engine, read the outbox back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from recovery.engine.context import Context
from recovery.store.outbox import enqueue
from recovery.store.schema import outbox


@pytest.fixture
def queue(ctx: Context) -> Callable[..., None]:
    """Queue one escalation message for ``recipient`` (with an email address unless told otherwise)."""

    def put(key: str, recipient: str = "ann", email: str | None = "ann@example.com") -> None:
        payload = {"event": "escalate", "complaint_id": 7, "level": 2, "staff": recipient, "email": email}
        with ctx.db.begin() as connection:
            enqueue(connection, key, "complaint.escalated", payload, ctx.clock.now(), recipient)

    return put


@pytest.fixture
def box(ctx: Context) -> Callable[[], dict[str, dict[str, Any]]]:
    """The outbox rows by dedupe key."""

    def read() -> dict[str, dict[str, Any]]:
        with ctx.read() as connection:
            return {r["dedupe_key"]: dict(r) for r in connection.execute(select(outbox)).mappings()}

    return read
