"""Opening a complaint: initial state, deadlines, audit row, the assignment notice, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.people import add_staff
from recovery.engine.queries import get_complaint, list_complaints
from recovery.errors import ConflictError, InvalidInputError, NotFoundError
from recovery.store.schema import outbox


def test_a_complaint_opens_in_the_initial_state(ctx: Context, open_one: Callable[..., int]) -> None:
    view = get_complaint(ctx, open_one())
    assert (view["state"], view["workflow"], view["workflow_version"], view["version"]) == (
        "received",
        "standard",
        1,
        1,
    )


def test_opening_sets_the_step_and_final_deadlines(
    ctx: Context, clock: SettableClock, open_one: Callable[..., int]
) -> None:
    view = get_complaint(ctx, open_one(severity="critical"))
    # Wednesday 10:00 in Amsterdam plus one business hour (a quarter of 4bh).
    assert view["deadline"] == "2026-11-25T10:00:00Z"
    assert view["final_deadline"] == (clock.now() + timedelta(weeks=8)).isoformat().replace("+00:00", "Z")


def test_opening_is_audited(open_one: Callable[..., int], audit_of: Callable[[int], list[dict[str, Any]]]) -> None:
    [row] = audit_of(open_one(actor=None, severity="high", channel="phone"))
    assert (row["trigger"], row["outcome"], row["note"]) == ("open", "applied", "late parcel")
    assert row["payload"] == {"severity": "high", "channel": "phone"}


def test_an_assignee_gets_a_notice_through_the_outbox(ctx: Context, open_one: Callable[..., int]) -> None:
    add_staff(ctx, "bob", "Bob")
    complaint_id = open_one(assignee="bob")
    with ctx.read() as connection:
        [message] = connection.execute(select(outbox)).mappings().all()
    assert (message["topic"], message["status"], message["dedupe_key"]) == (
        "complaint.assigned",
        "pending",
        f"assigned:{complaint_id}:bob",
    )


def test_without_an_assignee_nothing_is_queued(ctx: Context, open_one: Callable[..., int]) -> None:
    open_one()
    with ctx.read() as connection:
        assert connection.execute(select(outbox)).first() is None


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        pytest.param({"summary": "  "}, InvalidInputError, "summary: a complaint needs a summary", id="blank-summary"),
        pytest.param({"severity": "urgent"}, InvalidInputError, "severity: unknown 'urgent'", id="severity"),
        pytest.param({"channel": "fax"}, InvalidInputError, "channel: unknown 'fax'", id="channel"),
        pytest.param({"customer_id": 999}, NotFoundError, "no customer 999", id="customer"),
        pytest.param({"assignee": "nobody"}, NotFoundError, "no staff member 'nobody'", id="assignee"),
        pytest.param(
            {"workflow": "gold"}, NotFoundError, "unknown workflow 'gold'; known: minor, standard, win_back", id="wf"
        ),
    ],
)
def test_bad_input_is_refused(
    ctx: Context, open_one: Callable[..., int], changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        open_one(**changes)
    with ctx.read() as connection:
        assert connection.execute(select(outbox)).first() is None


def test_a_second_complaint_for_the_same_ticket_is_a_conflict(ctx: Context, open_one: Callable[..., int]) -> None:
    open_one(ticket_source="zendesk", ticket_id="9")
    with pytest.raises(ConflictError, match="a complaint for ticket zendesk:9 already exists"):
        open_one(ticket_source="zendesk", ticket_id="9")
    assert len(list_complaints(ctx)) == 1


def test_an_actor_too_long_for_the_audit_log_is_refused(open_one: Callable[..., int]) -> None:
    with pytest.raises(InvalidInputError, match="actor: at most 64 characters, got 65"):
        open_one(actor="x" * 65)
