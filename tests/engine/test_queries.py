"""The read side: complaint views, listings, history and the status overview."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import insert

from recovery.clock import SettableClock
from recovery.core.commands import FireTrigger
from recovery.engine import fire
from recovery.engine.context import Context
from recovery.engine.customer_queries import customer_detail, list_customers
from recovery.engine.people import add_customer, add_staff, find_customer
from recovery.engine.queries import get_complaint, history, list_complaints, list_staff
from recovery.engine.queries import status as read_status
from recovery.errors import NotFoundError
from recovery.store.outbox import enqueue
from recovery.store.schema import runtime

COMPLAINT_KEYS = {
    "id",
    "state",
    "workflow",
    "workflow_version",
    "severity",
    "customer_id",
    "assignee",
    "deadline",
    "escalation_level",
    "version",
    "opened_at",
}


def test_a_complaint_view_has_the_documented_keys(ctx: Context, open_one: Callable[..., int]) -> None:
    assert set(get_complaint(ctx, open_one())) >= COMPLAINT_KEYS


def test_a_complaint_shows_the_triggers_its_state_allows(ctx: Context, open_one: Callable[..., int]) -> None:
    complaint_id = open_one()
    assert get_complaint(ctx, complaint_id)["next_triggers"] == ["apologize", "withdraw", "defect"]
    fire(ctx, FireTrigger(complaint_id, "defect"))
    assert get_complaint(ctx, complaint_id)["next_triggers"] == []


def test_times_are_iso_utc_with_z(ctx: Context, open_one: Callable[..., int]) -> None:
    assert get_complaint(ctx, open_one())["opened_at"] == "2026-11-25T09:00:00Z"


def test_an_unknown_complaint_is_not_found(ctx: Context) -> None:
    with pytest.raises(NotFoundError, match="no complaint 5"):
        get_complaint(ctx, 5)


def test_a_ticket_shows_as_source_and_id(ctx: Context, open_one: Callable[..., int]) -> None:
    assert get_complaint(ctx, open_one(ticket_source="zendesk", ticket_id="9"))["ticket"] == "zendesk:9"


def test_list_is_newest_first_and_limited(ctx: Context, open_one: Callable[..., int]) -> None:
    ids = [open_one() for _ in range(3)]
    assert [c["id"] for c in list_complaints(ctx)] == ids[::-1]
    assert [c["id"] for c in list_complaints(ctx, limit=2)] == ids[:0:-1]


def test_list_by_state(ctx: Context, open_one: Callable[..., int]) -> None:
    first, second = open_one(), open_one()
    fire(ctx, FireTrigger(first, "apologize"))
    assert [c["id"] for c in list_complaints(ctx, state="received")] == [second]


def test_list_by_customer(ctx: Context, open_one: Callable[..., int]) -> None:
    open_one()
    other = add_customer(ctx, "bob@example.com")
    mine = open_one(customer_id=other)
    assert [c["id"] for c in list_complaints(ctx, customer_id=other)] == [mine]


def test_list_overdue_past_the_step_deadline(ctx: Context, clock: SettableClock, open_one: Callable[..., int]) -> None:
    late = open_one()
    clock.advance(timedelta(hours=3))
    open_one()
    clock.advance(timedelta(hours=2))  # the first is past its 4bh, the second is not
    assert [c["id"] for c in list_complaints(ctx, overdue=True)] == [late]


def test_a_closed_complaint_is_never_overdue(ctx: Context, clock: SettableClock, open_one: Callable[..., int]) -> None:
    complaint_id = open_one()
    fire(ctx, FireTrigger(complaint_id, "defect"))  # lost: a win-back case opens, and is overdue in time
    clock.advance(timedelta(weeks=10))
    assert complaint_id not in [c["id"] for c in list_complaints(ctx, overdue=True)]


def test_past_the_final_response_is_overdue_even_without_a_step_deadline(
    ctx: Context, clock: SettableClock, open_one: Callable[..., int]
) -> None:
    from decimal import Decimal

    from recovery.core.guards import Compensation

    complaint_id = open_one()
    for trigger in ("apologize", "act", "empathize"):
        fire(ctx, FireTrigger(complaint_id, trigger))
    fire(ctx, FireTrigger(complaint_id, "compensate", compensation=Compensation("gift", Decimal(0))))
    clock.advance(timedelta(weeks=8, seconds=1))
    assert [c["id"] for c in list_complaints(ctx, overdue=True)] == [complaint_id]


def test_history_is_oldest_first_with_the_documented_keys(ctx: Context, open_one: Callable[..., int]) -> None:
    complaint_id = open_one()
    fire(ctx, FireTrigger(complaint_id, "apologize", actor="bob", note="called her"))
    entries = history(ctx, complaint_id)
    assert [e["trigger"] for e in entries] == ["open", "apologize"]
    assert {"at", "trigger", "source", "dest", "actor", "outcome", "note"} <= set(entries[1])
    assert (entries[1]["actor"], entries[1]["note"], entries[1]["at"]) == ("bob", "called her", "2026-11-25T09:00:00Z")


def test_history_of_an_unknown_complaint_is_not_found(ctx: Context) -> None:
    with pytest.raises(NotFoundError):
        history(ctx, 5)


def test_status_counts_by_state(ctx: Context, open_one: Callable[..., int]) -> None:
    first, _ = open_one(), open_one()
    fire(ctx, FireTrigger(first, "apologize"))
    data = read_status(ctx)
    assert data["complaints"] == {"received": 1, "apologized": 1}
    assert {"complaints", "overdue", "outbox", "last_tick"} <= set(data)


def test_status_counts_overdue_and_escalated(ctx: Context, clock: SettableClock, open_one: Callable[..., int]) -> None:
    open_one()
    clock.advance(timedelta(hours=5))
    assert (read_status(ctx)["overdue"], read_status(ctx)["escalated"]) == (1, 0)


def test_status_of_an_empty_database(ctx: Context) -> None:
    assert read_status(ctx) == {
        "complaints": {},
        "overdue": 0,
        "escalated": 0,
        "outbox": {"pending": 0, "dead": 0, "sent": 0},
        "last_tick": None,
        "revenue_at_risk": 0.0,
        "revenue_at_risk_unscored": 0,
        "customers_scored": 0,
    }


def test_status_shows_the_outbox_and_the_last_tick(ctx: Context, clock: SettableClock) -> None:
    with ctx.db.begin() as connection:
        enqueue(connection, "k1", "complaint.assigned", {}, clock.now())
        enqueue(connection, "k1", "complaint.assigned", {}, clock.now())  # the same key is dropped
        enqueue(connection, "k2", "complaint.assigned", {}, clock.now())
        connection.execute(insert(runtime).values(key="last_tick", value={"at": "x"}, updated_at=clock.now()))
    data = read_status(ctx)
    assert (data["outbox"]["pending"], data["last_tick"]) == (2, {"at": "x"})


def test_customers_are_listed_with_their_complaint_counts(ctx: Context, open_one: Callable[..., int]) -> None:
    open_one()
    open_one()
    add_customer(ctx, "bob@example.com", "Bob", ("zendesk", "1"))
    rows = list_customers(ctx)
    assert [(c["email"], c["complaints"], c["external"]) for c in rows] == [
        ("ann@example.com", 2, None),
        ("bob@example.com", 0, "zendesk:1"),
    ]


def test_customer_detail_lists_their_complaints(ctx: Context, customer_id: int, open_one: Callable[..., int]) -> None:
    complaint_id = open_one()
    with ctx.read() as connection:
        detail = customer_detail(connection, find_customer(connection, customer_id))
    assert [c["id"] for c in detail["complaints"]] == [complaint_id]


def test_staff_are_listed_by_id(ctx: Context) -> None:
    add_staff(ctx, "zoe", "Zoe", role="manager")
    add_staff(ctx, "bob", "Bob")
    assert list_staff(ctx) == [
        {"id": "bob", "name": "Bob", "email": None, "role": "agent"},
        {"id": "zoe", "name": "Zoe", "email": None, "role": "manager"},
    ]
