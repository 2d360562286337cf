"""Assigning a complaint: the assignee changes, the change is audited, the new assignee hears of it by email."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from recovery.clock import SettableClock
from recovery.core.commands import FireTrigger
from recovery.engine import assign, fire
from recovery.engine.context import Context
from recovery.engine.people import add_staff
from recovery.errors import InvalidInputError, NotFoundError
from recovery.store.schema import outbox


@pytest.fixture
def staff(ctx: Context) -> None:
    add_staff(ctx, "ann", "Ann Agent", "ann@example.com")
    add_staff(ctx, "bob", "Bob Agent", None)


def notices(ctx: Context) -> list[tuple[str | None, dict[str, Any]]]:
    query = select(outbox.c.recipient, outbox.c.payload).where(outbox.c.topic == "complaint.assigned")
    with ctx.read() as connection:
        return [(r.recipient, r.payload) for r in connection.execute(query.order_by(outbox.c.id))]


def test_assigning_changes_the_assignee_audits_it_and_tells_the_new_assignee_with_their_email(
    ctx: Context, staff: None, open_one: Callable[..., int], audit_of: Callable[[int], list[dict[str, Any]]]
) -> None:
    complaint = open_one(assignee="bob")

    assigned = assign(ctx, complaint, "ann", actor="lena")

    assert assigned.assignee == "ann"
    entry = audit_of(complaint)[-1]
    assert (entry["trigger"], entry["source"], entry["dest"], entry["actor"], entry["outcome"]) == (
        "assign",
        "received",
        "received",
        "lena",
        "applied",
    )
    assert entry["payload"] == {"assignee": "ann", "previous": "bob"}
    recipient, payload = notices(ctx)[-1]
    assert (recipient, payload["email"], payload["previous"], payload["complaint_id"]) == (
        "ann",
        "ann@example.com",
        "bob",
        complaint,
    )


def test_assigning_back_to_an_earlier_assignee_tells_them_again(
    ctx: Context, clock: SettableClock, staff: None, open_one: Callable[..., int]
) -> None:
    complaint = open_one(assignee="ann")
    clock.advance(timedelta(minutes=1))
    assign(ctx, complaint, "bob")
    clock.advance(timedelta(minutes=1))
    assign(ctx, complaint, "ann")

    assert [recipient for recipient, _ in notices(ctx)] == ["ann", "bob", "ann"]


def test_assigning_the_current_assignee_changes_nothing(
    ctx: Context, staff: None, open_one: Callable[..., int], audit_of: Callable[[int], list[dict[str, Any]]]
) -> None:
    complaint = open_one(assignee="ann")
    before = audit_of(complaint)

    assert assign(ctx, complaint, "ann").version == 1
    assert audit_of(complaint) == before
    assert len(notices(ctx)) == 1  # the one sent when it was opened


def test_an_unknown_staff_member_is_refused_by_name(ctx: Context, staff: None, open_one: Callable[..., int]) -> None:
    complaint = open_one()
    with pytest.raises(NotFoundError, match="no staff member 'eve'"):
        assign(ctx, complaint, "eve")


def test_a_closed_complaint_keeps_its_assignee(ctx: Context, staff: None, open_one: Callable[..., int]) -> None:
    complaint = open_one(assignee="ann")
    fire(ctx, FireTrigger(complaint, "withdraw", reason="customer changed their mind"))
    with pytest.raises(InvalidInputError, match="is closed"):
        assign(ctx, complaint, "bob")
