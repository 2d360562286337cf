"""After a process restart a complaint carries on from its stored state, never the initial one."""

from __future__ import annotations

from pathlib import Path

import pytest

from recovery.clock import SettableClock
from recovery.core.calendar import BusinessCalendar
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.engine import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer
from recovery.engine.queries import get_complaint
from recovery.engine.registry import WorkflowRegistry
from recovery.errors import TransitionRefused
from recovery.store.database import connect, upgrade
from recovery.workflow_files import load_dir

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def start(url: str, clock: SettableClock, calendar: BusinessCalendar) -> Context:
    """What a fresh process does: connect, read the files, build the machines anew."""
    return Context(db=connect(url), workflows=WorkflowRegistry(load_dir(WORKFLOWS)), calendar=calendar, clock=clock)


@pytest.fixture
def acting_complaint(db_url: str, clock: SettableClock, calendar: BusinessCalendar) -> int:
    """A complaint brought to ``acting`` by a process that has since exited."""
    first = start(db_url, clock, calendar)
    upgrade(first.db)
    customer = add_customer(first, "ann@example.com")
    complaint_id = open_complaint(first, OpenComplaint(customer, "broken kettle"))
    fire(first, FireTrigger(complaint_id, "apologize"))
    fire(first, FireTrigger(complaint_id, "act"))
    first.db.dispose()
    return complaint_id


def test_a_new_process_reads_the_stored_state(
    db_url: str, clock: SettableClock, calendar: BusinessCalendar, acting_complaint: int
) -> None:
    second = start(db_url, clock, calendar)
    try:
        assert get_complaint(second, acting_complaint)["state"] == "acting"
    finally:
        second.db.dispose()


def test_a_new_process_continues_from_the_stored_state(
    db_url: str, clock: SettableClock, calendar: BusinessCalendar, acting_complaint: int
) -> None:
    second = start(db_url, clock, calendar)
    try:
        row = fire(second, FireTrigger(acting_complaint, "empathize"))
        assert (row.state, row.version) == ("empathized", 4)
    finally:
        second.db.dispose()


def test_a_new_process_does_not_restart_at_the_initial_state(
    db_url: str, clock: SettableClock, calendar: BusinessCalendar, acting_complaint: int
) -> None:
    second = start(db_url, clock, calendar)
    try:
        with pytest.raises(TransitionRefused, match="'apologize' is not allowed from 'acting'"):
            fire(second, FireTrigger(acting_complaint, "apologize"))
    finally:
        second.db.dispose()


def test_many_complaints_share_one_machine_and_keep_their_own_states(ctx: Context, customer_id: int) -> None:
    first = open_complaint(ctx, OpenComplaint(customer_id, "one"))
    second = open_complaint(ctx, OpenComplaint(customer_id, "two"))
    fire(ctx, FireTrigger(first, "apologize"))
    fire(ctx, FireTrigger(second, "defect"))
    fire(ctx, FireTrigger(first, "act"))
    assert (get_complaint(ctx, first)["state"], get_complaint(ctx, second)["state"]) == ("acting", "lost")
    workflow = ctx.workflows.current("standard")
    assert ctx.workflows.machine(workflow) is ctx.workflows.machine(workflow)
