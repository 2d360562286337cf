"""A complaint keeps the rules of the workflow version it was opened with; changed rules need a new number."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, select

from recovery.clock import SettableClock
from recovery.core.calendar import BusinessCalendar
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.guards import Compensation
from recovery.core.roles import without_roles
from recovery.engine import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer
from recovery.engine.queries import get_complaint
from recovery.engine.registry import WorkflowRegistry
from recovery.errors import NotFoundError, TransitionRefused, WorkflowError
from recovery.store.schema import workflow_definitions
from recovery.workflow_files import load_dir

STANDARD: dict[str, Any] = yaml.safe_load((Path(__file__).resolve().parents[2] / "workflows/standard.yaml").read_text())


def workflow_dir(tmp_path: Path, name: str, **changes: Any) -> Path:
    """A workflows directory holding standard.yaml with ``changes``."""
    directory = tmp_path / name
    directory.mkdir()
    (directory / "standard.yaml").write_text(yaml.safe_dump({**STANDARD, **changes}, sort_keys=False))
    return directory


def context(db: Engine, directory: Path, clock: SettableClock, calendar: BusinessCalendar) -> Context:
    return Context(db=db, workflows=WorkflowRegistry(load_dir(directory)), calendar=calendar, clock=clock)


V2_STATES = [{**s, "sla": "1bh"} if s["name"] == "received" else s for s in STANDARD["states"]]


@pytest.fixture
def v1(db: Engine, tmp_path: Path, clock: SettableClock, calendar: BusinessCalendar) -> Context:
    return context(db, workflow_dir(tmp_path, "v1"), clock, calendar)


@pytest.fixture
def v2(db: Engine, tmp_path: Path, clock: SettableClock, calendar: BusinessCalendar) -> Context:
    """The same database after the file moved to version 2: a stricter threshold and a shorter first step."""
    return context(
        db, workflow_dir(tmp_path, "v2", version=2, satisfaction_threshold=5, states=V2_STATES), clock, calendar
    )


@pytest.fixture
def customer(v1: Context) -> int:
    return add_customer(v1, "ann@example.com")


def to_following_up(ctx: Context, complaint_id: int, score: int) -> None:
    for trigger in ("apologize", "act", "empathize"):
        fire(ctx, FireTrigger(complaint_id, trigger))
    fire(ctx, FireTrigger(complaint_id, "compensate", compensation=Compensation("gift", Decimal(0))))
    fire(ctx, FireTrigger(complaint_id, "follow_up", score=score))


def test_an_old_complaint_keeps_its_version_number(v1: Context, v2: Context, customer: int) -> None:
    old = open_complaint(v1, OpenComplaint(customer, "opened under v1"))
    new = open_complaint(v2, OpenComplaint(customer, "opened under v2"))
    assert (get_complaint(v2, old)["workflow_version"], get_complaint(v2, new)["workflow_version"]) == (1, 2)


def test_an_old_complaint_follows_the_old_threshold(v1: Context, v2: Context, customer: int) -> None:
    old = open_complaint(v1, OpenComplaint(customer, "opened under v1"))
    to_following_up(v2, old, score=4)
    assert fire(v2, FireTrigger(old, "resolve")).state == "resolved"


def test_a_new_complaint_follows_the_new_threshold(v1: Context, v2: Context, customer: int) -> None:
    open_complaint(v1, OpenComplaint(customer, "opened under v1"))
    new = open_complaint(v2, OpenComplaint(customer, "opened under v2"))
    to_following_up(v2, new, score=4)
    with pytest.raises(TransitionRefused, match="below the satisfaction threshold"):
        fire(v2, FireTrigger(new, "resolve"))


def test_each_complaint_gets_the_deadline_of_its_own_version(v1: Context, v2: Context, customer: int) -> None:
    old = open_complaint(v1, OpenComplaint(customer, "opened under v1"))
    new = open_complaint(v2, OpenComplaint(customer, "opened under v2"))
    # Wednesday 10:00 Amsterdam: 4bh under v1, 1bh under v2.
    assert get_complaint(v2, old)["deadline"] == "2026-11-25T13:00:00Z"
    assert get_complaint(v2, new)["deadline"] == "2026-11-25T10:00:00Z"


def test_both_versions_are_stored(v1: Context, v2: Context, customer: int) -> None:
    open_complaint(v1, OpenComplaint(customer, "one"))
    open_complaint(v2, OpenComplaint(customer, "two"))
    with v2.read() as connection:
        stored = connection.execute(select(workflow_definitions.c.name, workflow_definitions.c.version)).all()
    assert sorted(tuple(r) for r in stored) == [("standard", 1), ("standard", 2)]


def test_changed_rules_under_the_same_version_are_refused(
    db: Engine, v1: Context, customer: int, tmp_path: Path, clock: SettableClock, calendar: BusinessCalendar
) -> None:
    open_complaint(v1, OpenComplaint(customer, "opened under v1"))
    edited = context(db, workflow_dir(tmp_path, "edited", satisfaction_threshold=5), clock, calendar)
    with pytest.raises(WorkflowError, match=r"rules of version 1 changed .* give the file version 2"):
        open_complaint(edited, OpenComplaint(customer, "opened after the edit"))


def test_adopt_refuses_changed_rules_under_an_old_number(
    db: Engine, v1: Context, customer: int, tmp_path: Path
) -> None:
    open_complaint(v1, OpenComplaint(customer, "opened under v1"))
    edited = load_dir(workflow_dir(tmp_path, "edited", follow_up_after="1d"))["standard"]
    with db.begin() as connection, pytest.raises(WorkflowError) as refused:
        WorkflowRegistry({}).adopt(connection, edited, v1.clock.now())
    assert refused.value.problems == [
        "standard: version: the rules of version 1 changed but complaints already use it; "
        "give the file version 2 (running complaints keep their version)"
    ]


def test_adopting_the_same_rules_twice_is_harmless(db: Engine, v1: Context, customer: int) -> None:
    open_complaint(v1, OpenComplaint(customer, "one"))
    with db.begin() as connection:
        WorkflowRegistry({}).adopt(connection, v1.workflows.current("standard"), v1.clock.now())
        stored = connection.execute(select(workflow_definitions)).all()
    assert len(stored) == 1


def test_check_unchanged_passes_for_unused_or_equal_rules(db: Engine, v1: Context, customer: int) -> None:
    with v1.read() as connection:
        WorkflowRegistry({}).check_unchanged(connection, v1.workflows.current("standard"))
    open_complaint(v1, OpenComplaint(customer, "one"))
    with v1.read() as connection:
        WorkflowRegistry({}).check_unchanged(connection, v1.workflows.current("standard"))


def test_a_version_missing_from_the_database_is_not_found(v1: Context) -> None:
    with v1.read() as connection, pytest.raises(NotFoundError, match="'standard' version 7 is not stored"):
        v1.workflows.get(connection, "standard", 7)


def test_registry_names_the_current_files(v1: Context) -> None:
    assert v1.workflows.names == ["standard"]
    with pytest.raises(NotFoundError, match="unknown workflow 'minor'; known: standard"):
        v1.workflows.current("minor")


def store_the_definition_from_before_roles(db: Engine, at: datetime) -> None:
    """workflow_definitions as a database written before roles existed holds standard v1: without its roles."""
    bare = without_roles(STANDARD)
    checksum = hashlib.sha256(json.dumps(bare, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    with db.begin() as connection:
        connection.execute(
            workflow_definitions.insert().values(
                name="standard", version=1, checksum=checksum, definition=bare, stored_at=at
            )
        )


def test_a_database_from_before_roles_accepts_the_file_that_now_declares_them(
    db: Engine, v1: Context, customer: int
) -> None:
    store_the_definition_from_before_roles(db, v1.clock.now())
    complaint_id = open_complaint(v1, OpenComplaint(customer, "opened after the upgrade"))
    assert get_complaint(v1, complaint_id)["workflow_version"] == 1


def test_a_complaint_from_before_roles_follows_the_legacy_roles_of_its_stored_rules(
    db: Engine, v1: Context, customer: int, clock: SettableClock, calendar: BusinessCalendar
) -> None:
    store_the_definition_from_before_roles(db, v1.clock.now())
    complaint_id = open_complaint(v1, OpenComplaint(customer, "opened before the upgrade"))
    # Another process that knows no current file reads the rules from the database alone.
    stored_only = Context(db=db, workflows=WorkflowRegistry({}), calendar=calendar, clock=clock)
    to_following_up(stored_only, complaint_id, 2)
    fire(stored_only, FireTrigger(complaint_id, "reopen"))
    view = get_complaint(stored_only, complaint_id)
    assert (view["state"], view["last_score"], view["reopen_count"]) == ("acting", 2, 1)
