"""What every use case needs: the database, the workflows, the calendar, the clock and the engine's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Connection, Engine

from recovery.clock import Clock, SystemClock
from recovery.core.calendar import BusinessCalendar
from recovery.core.retention import DEFAULT_RETENTION, RetentionRules
from recovery.core.rewards import DEFAULT_RULES, RewardRules
from recovery.core.winback import DEFAULT_WINBACK, WinBackRules
from recovery.engine.registry import WorkflowRegistry
from recovery.engine.survey_config import SurveyConfig


@dataclass
class Context:
    """The engine's dependencies and settings, passed in, never read from globals or files."""

    db: Engine
    workflows: WorkflowRegistry
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    clock: Clock = field(default_factory=SystemClock)
    default_workflow: str = "standard"
    reorder_window: timedelta = timedelta(minutes=10)  # how long a helpdesk event waits for its predecessor
    rewards: RewardRules = DEFAULT_RULES
    retention: RetentionRules = DEFAULT_RETENTION
    winback: WinBackRules = DEFAULT_WINBACK
    surveys: SurveyConfig = field(default_factory=SurveyConfig)

    def read(self) -> Connection:
        """A connection for reading only (on SQLite it takes no write lock)."""
        return self.db.connect().execution_options(readonly=True)
