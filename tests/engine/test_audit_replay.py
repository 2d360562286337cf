"""Property: whatever triggers are fired, replaying the audit log reproduces the stored state."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from recovery.clock import SettableClock
from recovery.core.calendar import BusinessCalendar
from recovery.core.commands import FireTrigger, OpenComplaint, PauseComplaint, ResumeComplaint
from recovery.core.guards import Compensation
from recovery.engine import fire, open_complaint, pause, resume
from recovery.engine.context import Context
from recovery.engine.people import add_customer
from recovery.engine.registry import WorkflowRegistry
from recovery.errors import TransitionRefused
from recovery.store.complaints import load
from recovery.store.database import connect, upgrade
from recovery.store.schema import audit_log
from recovery.workflow_files import load_dir

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
TRIGGERS = ["apologize", "act", "empathize", "compensate", "follow_up", "resolve", "reopen", "withdraw", "defect"]

compensations = st.none() | st.builds(
    Compensation,
    kind=st.sampled_from(["gift", "refund", "service", "cash"]),
    value=st.sampled_from([Decimal("-1"), Decimal("0"), Decimal("12.50")]),
)
scores = st.none() | st.integers(min_value=0, max_value=6)
reasons = st.sampled_from([None, "", "moved abroad"])
waits = st.integers(min_value=0, max_value=30).map(lambda h: timedelta(hours=h))
ANYTHING = [*TRIGGERS, "pause", "resume"]


def draw_step(data: st.DataObject, allowed: tuple[str, ...]) -> Any:
    """Mostly a trigger the state allows (so walks get deep), sometimes anything at all; random fields."""
    onward = tuple(t for t in allowed if t not in ("withdraw", "defect"))
    names = data.draw(st.sampled_from([onward, onward, onward, allowed, tuple(ANYTHING)]).filter(bool))
    name = data.draw(st.sampled_from(names))
    if name == "pause":
        return ("pause", data.draw(st.sampled_from([None, "other", "lunch"])))
    if name == "resume":
        return ("resume", None)
    return FireTrigger(
        0, name, compensation=data.draw(compensations), score=data.draw(scores), reason=data.draw(reasons)
    )


@pytest.fixture
def engine_ctx(sqlite_url: str, clock: SettableClock, calendar: BusinessCalendar) -> Iterator[Context]:
    """One SQLite file for the whole property: each example opens its own complaint in it."""
    db = connect(sqlite_url)
    upgrade(db)
    yield Context(db=db, workflows=WorkflowRegistry(load_dir(WORKFLOWS)), calendar=calendar, clock=clock)
    db.dispose()


def apply(ctx: Context, complaint_id: int, step: Any) -> None:
    try:
        if isinstance(step, FireTrigger):
            fire(
                ctx,
                FireTrigger(
                    complaint_id, step.trigger, compensation=step.compensation, score=step.score, reason=step.reason
                ),
            )
        elif step[0] == "pause":
            pause(ctx, PauseComplaint(complaint_id, step[1]))
        else:
            resume(ctx, ResumeComplaint(complaint_id))
    except TransitionRefused:
        pass


def replay(entries: list[dict[str, Any]]) -> tuple[str, int]:
    """The state and reopen count the audit log explains; fails on an entry it cannot explain."""
    opened = entries[0]
    assert (opened["trigger"], opened["outcome"]) == ("open", "applied")
    state, reopens = opened["dest"], 0
    for entry in entries[1:]:
        assert entry["source"] == state, entry
        if entry["outcome"] == "refused":
            assert entry["dest"] is None, entry
        elif entry["trigger"] in ("pause", "resume"):
            assert entry["dest"] == state, entry
        else:
            assert entry["outcome"] == "applied", entry
            state = entry["dest"]
            reopens += entry["trigger"] == "reopen"
    return state, reopens


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_replaying_the_audit_log_reproduces_the_stored_state(
    engine_ctx: Context, clock: SettableClock, data: st.DataObject
) -> None:
    customer = add_customer(engine_ctx, f"{uuid.uuid4().hex}@example.com")
    complaint_id = open_complaint(engine_ctx, OpenComplaint(customer, "property"))
    workflow = engine_ctx.workflows.current("standard")
    attempts = data.draw(st.integers(min_value=0, max_value=30))
    for _ in range(attempts):
        with engine_ctx.read() as connection:
            state = load(connection, complaint_id).state
        clock.advance(data.draw(waits))
        apply(engine_ctx, complaint_id, draw_step(data, workflow.triggers_from(state)))
    with engine_ctx.read() as connection:
        stored = load(connection, complaint_id)
        query = select(audit_log).where(audit_log.c.complaint_id == complaint_id).order_by(audit_log.c.id)
        entries = [dict(r) for r in connection.execute(query).mappings()]
    assert len(entries) == attempts + 1  # every attempt left exactly one row
    assert replay(entries) == (stored.state, stored.reopen_count)
    assert (stored.closed_at is not None) == workflow.is_final(stored.state)
    event(stored.state)
