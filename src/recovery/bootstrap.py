"""Wiring: settings in, a ready engine Context out. Adapters call this once at start."""

from __future__ import annotations

from recovery.clock import Clock, SystemClock
from recovery.config import Settings
from recovery.engine.context import Context
from recovery.engine.registry import WorkflowRegistry
from recovery.store.database import check_current, connect
from recovery.workflow_files import load_dir


def build_context(settings: Settings, clock: Clock | None = None, *, check_schema: bool = True) -> Context:
    """Connect, read the workflow files and the calendar; by default insist the schema is current."""
    db = connect(settings.database.url)
    if check_schema:
        check_current(db)
    registry = WorkflowRegistry(load_dir(settings.workflows.dir))
    return Context(
        db=db,
        workflows=registry,
        calendar=settings.calendar.calendar(),
        clock=clock or SystemClock(),
        default_workflow=settings.workflows.default,
        options={"settings": settings},
    )
