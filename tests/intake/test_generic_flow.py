"""A generic event walks through the webhook into the inbox and, applied, through the engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from intake.helpers import AppClient, signed_generic
from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending
from recovery.store.schema import complaints, inbox


def event(n: int, kind: str, clock: SettableClock, ticket: str = "T-1", **fields: Any) -> dict[str, Any]:
    """A generic event ``n`` minutes after the clock's time."""
    at = clock.now() + timedelta(minutes=n)
    return {"id": f"evt_{ticket}_{n}", "type": kind, "occurred_at": at.isoformat(), "ticket": ticket, **fields}


def opened(clock: SettableClock, ticket: str = "T-1") -> dict[str, Any]:
    """A complaint.opened for ``ticket``."""
    customer = {"email": f"{ticket.lower()}@example.com", "name": "Ann"}
    return event(0, "complaint.opened", clock, ticket, customer=customer, summary="cold soup")


def test_an_opened_event_is_stored_then_applied_as_a_complaint_linked_to_its_ticket(
    client: AppClient, app_ctx: Context, clock: SettableClock
) -> None:
    answer = client.post("/webhooks/generic", **signed_generic(opened(clock), clock))
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "accepted"

    assert apply_pending(app_ctx) == 1

    with app_ctx.db.connect() as connection:
        row = connection.execute(select(complaints)).mappings().one()
        stored = connection.execute(select(inbox)).mappings().one()
    assert (row["ticket_source"], row["ticket_id"], row["state"]) == ("generic", "T-1", "received")
    assert stored["id"] == answer.json()["id"]
    assert stored["status"] == "applied"


def test_a_trigger_that_arrives_before_its_complaint_waits_and_is_applied_once_the_complaint_arrives(
    client: AppClient, app_ctx: Context, clock: SettableClock
) -> None:
    client.post("/webhooks/generic", **signed_generic(event(1, "complaint.trigger", clock, trigger="apologize"), clock))
    assert apply_pending(app_ctx) == 0
    client.post("/webhooks/generic", **signed_generic(opened(clock), clock))

    assert apply_pending(app_ctx) == 2

    with app_ctx.db.connect() as connection:
        assert connection.execute(select(complaints.c.state)).scalar() == "apologized"
