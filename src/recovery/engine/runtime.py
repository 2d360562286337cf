"""What the daemon tells the other processes about itself: its last tick."""

from __future__ import annotations

import os
import socket
from typing import Any

from recovery.engine.context import Context
from recovery.store import runtime

LAST_TICK = "last_tick"


def record_tick(ctx: Context, job: str, done: dict[str, Any]) -> None:
    """Record that ``job`` just ran, with what it did, as the last tick."""
    now = ctx.clock.now()
    value = {"at": now.isoformat(), "job": job, "pid": os.getpid(), "host": socket.gethostname(), **done}
    with ctx.db.begin() as connection:
        runtime.put(connection, LAST_TICK, value, now)


def last_tick(ctx: Context) -> Any:
    """The last tick any daemon recorded, or None."""
    with ctx.read() as connection:
        return runtime.get(connection, LAST_TICK)
