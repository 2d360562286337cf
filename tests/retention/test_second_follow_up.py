"""The second follow-up a class prescribes: due after the resolve, raised once as a notice to the assignee;
on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from recovery.clock import SettableClock
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.guards import Compensation
from recovery.engine import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.engine.reminders import raise_due
from recovery.store.schema import customer_scores, follow_up_reminders, outbox

WALK = ("apologize", "act", "empathize", "compensate", "follow_up", "resolve")
FIELDS: dict[str, dict[str, Any]] = {
    "compensate": {"compensation": Compensation("gift", Decimal(0), "flowers")},
    "follow_up": {"score": 5},
}
FOLLOW_UP_AFTER = timedelta(days=3)  # the standard workflow's follow_up_after: 3d, clock time


def customer(ctx: Context, kind: str | None) -> int:
    """A new customer with a latest score of class ``kind`` (None: never scored)."""
    found = add_customer(ctx, f"{uuid.uuid4().hex}@example.com")
    if kind is not None:
        row = {
            "customer_id": found,
            "clv": 500.0,
            "loyalty_class": kind,
            "class_reasons": [],
            "scored_at": ctx.clock.now(),
        }
        with ctx.db.begin() as connection:
            connection.execute(customer_scores.insert().values(row))
    return found


def resolved(ctx: Context, clock: SettableClock, kind: str | None, assignee: str | None = "ann") -> int:
    """A complaint of a ``kind`` customer walked to resolved, an hour a step; its id."""
    complaint = open_complaint(ctx, OpenComplaint(customer(ctx, kind), "cold soup", assignee=assignee))
    for trigger in WALK:
        clock.advance(timedelta(hours=1))
        fire(ctx, FireTrigger(complaint, trigger, **FIELDS.get(trigger, {})))
    return complaint


def reminders(ctx: Context) -> list[dict[str, Any]]:
    with ctx.read() as connection:
        return [dict(r) for r in connection.execute(select(follow_up_reminders)).mappings()]


def notices(ctx: Context) -> list[dict[str, Any]]:
    query = select(outbox).where(outbox.c.topic == "complaint.second_follow_up_due").order_by(outbox.c.id)
    with ctx.read() as connection:
        return [dict(r) for r in connection.execute(query).mappings()]


@pytest.fixture
def staffed(ctx: Context) -> Context:
    """Ann an agent, Lea a lead."""
    add_staff(ctx, "ann", "Ann", "ann@example.com")
    add_staff(ctx, "lea", "Lea", "lea@example.com", role="lead")
    return ctx


@pytest.mark.parametrize("kind", ["loyal", "dissatisfied"])
def test_a_resolve_schedules_the_second_follow_up_after_follow_up_after(
    staffed: Context, clock: SettableClock, kind: str
) -> None:
    complaint = resolved(staffed, clock, kind)
    resolved_at: datetime = clock.now()
    assert reminders(staffed) == [
        {"complaint_id": complaint, "due_at": resolved_at + FOLLOW_UP_AFTER, "raised_at": None}
    ]


@pytest.mark.parametrize("kind", ["satisfied", None], ids=["satisfied", "unknown"])
def test_a_class_without_a_second_follow_up_gets_no_reminder(
    staffed: Context, clock: SettableClock, kind: str | None
) -> None:
    resolved(staffed, clock, kind)
    assert reminders(staffed) == []


def test_nothing_is_raised_before_it_is_due(staffed: Context, clock: SettableClock) -> None:
    resolved(staffed, clock, "loyal")
    clock.advance(FOLLOW_UP_AFTER - timedelta(seconds=1))
    assert raise_due(staffed) == 0
    assert notices(staffed) == []


def test_a_due_reminder_is_a_notice_to_the_assignee(staffed: Context, clock: SettableClock) -> None:
    complaint = resolved(staffed, clock, "loyal")
    clock.advance(FOLLOW_UP_AFTER)
    assert raise_due(staffed) == 1
    [notice] = notices(staffed)
    assert (notice["recipient"], notice["payload"]["email"]) == ("ann", "ann@example.com")
    assert notice["payload"]["text"] == f"second follow-up due for complaint {complaint}: call the customer again"
    assert reminders(staffed)[0]["raised_at"] == clock.now()


def test_a_reminder_is_raised_exactly_once(staffed: Context, clock: SettableClock) -> None:
    resolved(staffed, clock, "loyal")
    clock.advance(FOLLOW_UP_AFTER)
    assert raise_due(staffed) == 1
    clock.advance(timedelta(hours=1))
    assert raise_due(staffed) == 0
    assert len(notices(staffed)) == 1


def test_two_scans_at_once_raise_a_reminder_once(staffed: Context, clock: SettableClock) -> None:
    for _ in range(20):
        resolved(staffed, clock, "loyal")
    clock.advance(FOLLOW_UP_AFTER)
    counts: list[int] = []
    scans = [threading.Thread(target=lambda: counts.append(raise_due(staffed, batch=3))) for _ in range(2)]
    for scan in scans:
        scan.start()
    for scan in scans:
        scan.join()
    assert sum(counts) == 20
    assert len(notices(staffed)) == 20


def test_an_unassigned_complaints_reminder_goes_to_the_leads(staffed: Context, clock: SettableClock) -> None:
    resolved(staffed, clock, "loyal", assignee=None)
    clock.advance(FOLLOW_UP_AFTER)
    raise_due(staffed)
    assert [n["recipient"] for n in notices(staffed)] == ["lea"]
