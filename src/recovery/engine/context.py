"""What every use case needs: the database, the workflows, the calendar and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from recovery.clock import Clock, SystemClock
from recovery.core.calendar import BusinessCalendar
from recovery.engine.registry import WorkflowRegistry


@dataclass
class Context:
    """The engine's dependencies, passed in, never read from globals."""

    db: Engine
    workflows: WorkflowRegistry
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    clock: Clock = field(default_factory=SystemClock)
    default_workflow: str = "standard"
    options: dict[str, Any] = field(default_factory=dict)

    def read(self) -> Connection:
        """A connection for reading only (on SQLite it takes no write lock)."""
        return self.db.connect().execution_options(readonly=True)
