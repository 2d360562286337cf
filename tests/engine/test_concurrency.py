"""Two sessions firing on one complaint at once: one wins, the other gets a conflict, one transition is audited."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import event

from recovery.core.commands import FireTrigger
from recovery.engine import fire
from recovery.engine.context import Context
from recovery.engine.queries import get_complaint
from recovery.errors import ConflictError


def race(ctx: Context, commands: list[FireTrigger]) -> list[str]:
    """Fire ``commands`` from two threads at once; return how each ended ("won" or "conflict")."""
    start = threading.Barrier(len(commands), timeout=30)

    def attempt(command: FireTrigger) -> str:
        start.wait()
        try:
            fire(ctx, command)
        except ConflictError:
            return "conflict"
        return "won"

    with ThreadPoolExecutor(len(commands)) as pool:
        return sorted(pool.map(attempt, commands))


def applied(audit: list[dict[str, Any]]) -> list[str]:
    return [r["trigger"] for r in audit if r["outcome"] == "applied" and r["trigger"] != "open"]


@pytest.mark.parametrize("triggers", [("apologize", "apologize"), ("apologize", "defect")], ids=["same", "different"])
def test_with_the_version_read_first_one_wins_and_one_conflicts(
    ctx: Context,
    open_one: Callable[..., int],
    audit_of: Callable[[int], list[dict[str, Any]]],
    triggers: tuple[str, str],
) -> None:
    complaint_id = open_one()
    versions = [get_complaint(ctx, complaint_id)["version"] for _ in triggers]  # each session reads first
    commands = [FireTrigger(complaint_id, t, expected_version=v) for t, v in zip(triggers, versions, strict=True)]
    assert race(ctx, commands) == ["conflict", "won"]
    assert len(applied(audit_of(complaint_id))) == 1
    assert get_complaint(ctx, complaint_id)["version"] == 2


@pytest.fixture
def both_read_before_either_writes(ctx: Context) -> Iterator[None]:
    """Hold each session after it has read the complaint until the other has read it too (PostgreSQL only).

    SQLite takes its write lock at BEGIN IMMEDIATE, so there the second session cannot read before the first
    commits; on PostgreSQL both read version 1 and race to the UPDATE.
    """
    both_read = threading.Barrier(2, timeout=30)
    seen: set[int] = set()

    def after_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        is_load = statement.lstrip().upper().startswith("SELECT") and "FROM complaints" in statement
        if is_load and len(seen) < 2 and threading.get_ident() not in seen:  # the two racers' first loads
            seen.add(threading.get_ident())
            both_read.wait()

    event.listen(ctx.db, "after_cursor_execute", after_execute)
    yield
    event.remove(ctx.db, "after_cursor_execute", after_execute)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.usefixtures("both_read_before_either_writes")
def test_without_an_expected_version_the_version_column_still_catches_the_race(
    ctx: Context, audit_of: Callable[[int], list[dict[str, Any]]], customer_id: int
) -> None:
    from recovery.core.commands import OpenComplaint
    from recovery.engine import open_complaint

    complaint_id = open_complaint(ctx, OpenComplaint(customer_id, "raced"))
    outcome = race(ctx, [FireTrigger(complaint_id, "apologize"), FireTrigger(complaint_id, "defect")])
    assert outcome == ["conflict", "won"]
    assert len(applied(audit_of(complaint_id))) == 1
    assert get_complaint(ctx, complaint_id)["version"] == 2


def test_sessions_in_turn_both_apply(ctx: Context, open_one: Callable[..., int]) -> None:
    complaint_id = open_one()
    fire(ctx, FireTrigger(complaint_id, "apologize", expected_version=1))
    fire(ctx, FireTrigger(complaint_id, "act", expected_version=2))
    assert get_complaint(ctx, complaint_id)["state"] == "acting"
