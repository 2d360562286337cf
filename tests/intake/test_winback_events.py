"""Win-back by events, signed and sent over loopback in our generic format: a helpdesk's customer.lost opens one
case however often it is said, and the customer's next purchase.made wins it back. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from intake.helpers import settings_for, signed_generic, source
from intake.server import serve
from recovery.bootstrap import configure
from recovery.clock import SettableClock
from recovery.core.commands import OpenComplaint
from recovery.engine import open_complaint
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending
from recovery.engine.people import add_customer
from recovery.store.schema import complaints, inbox


@dataclass
class Helpdesk:
    ctx: Context
    clock: SettableClock
    base_url: str

    def send(self, body: dict[str, Any]) -> None:
        answer = httpx.post(f"{self.base_url}/webhooks/generic", **signed_generic(body, self.clock))
        assert answer.status_code < 300, answer.text
        apply_pending(self.ctx)

    def lost(self, event_id: str) -> None:
        at = self.clock.now().isoformat()
        customer = {"email": "cy@example.com"}
        self.send(
            {"id": event_id, "type": "customer.lost", "customer": customer, "reason": "went to Bol", "occurred_at": at}
        )

    def cases(self) -> list[tuple[str, str | None, str | None]]:
        c = complaints.c
        query = select(c.state, c.closed_as, c.open_key).where(c.workflow == "win_back").order_by(c.id)
        with self.ctx.db.connect() as connection:
            return [tuple(row) for row in connection.execute(query)]

    def statuses(self) -> list[str]:
        with self.ctx.db.connect() as connection:
            return list(connection.execute(select(inbox.c.status).order_by(inbox.c.id)).scalars())


@pytest.fixture
def helpdesk(ctx: Context, clock: SettableClock) -> Iterator[Helpdesk]:
    from recovery.intake.app import create_app

    settings = settings_for(source("generic"))
    configure(ctx, settings)
    add_customer(ctx, "cy@example.com", "Cy")
    with serve(create_app(ctx, settings)) as base_url:
        yield Helpdesk(ctx, clock, base_url)


def test_customer_lost_opens_a_win_back_case_for_a_customer_without_complaints(helpdesk: Helpdesk) -> None:
    helpdesk.lost("evt-1")
    assert helpdesk.cases() == [("to_reach", None, "winback:helpdesk:generic:evt-1")]
    assert helpdesk.statuses() == ["applied"]


def test_customer_lost_said_twice_opens_one_case(helpdesk: Helpdesk) -> None:
    helpdesk.lost("evt-1")
    helpdesk.lost("evt-2")
    assert len(helpdesk.cases()) == 1


def test_customer_lost_with_an_open_complaint_closes_it_and_opens_one_case(helpdesk: Helpdesk) -> None:
    open_complaint(helpdesk.ctx, OpenComplaint(1, "cold soup", actor="customer"))
    helpdesk.lost("evt-1")
    with helpdesk.ctx.db.connect() as connection:
        states = dict(connection.execute(select(complaints.c.workflow, complaints.c.state)).all())
    assert states == {"standard": "lost", "win_back": "to_reach"}


def test_the_next_purchase_made_wins_the_customer_back(helpdesk: Helpdesk, clock: SettableClock) -> None:
    helpdesk.lost("evt-1")
    clock.advance(timedelta(days=3))
    helpdesk.send(
        {
            "id": "evt-p1",
            "type": "purchase.made",
            "customer": {"email": "cy@example.com"},
            "order_id": "A-9",
            "ordered_at": clock.now().isoformat(),
            "amount": 35,
            "currency": "eur",
        }
    )
    assert helpdesk.cases() == [("won_back", "repurchase", "winback:helpdesk:generic:evt-1")]


def test_a_helpdesk_names_what_the_customer_expected_when_it_asks(helpdesk: Helpdesk) -> None:
    at = helpdesk.clock.now().isoformat()
    customer = {"email": "cy@example.com"}
    helpdesk.send(
        {"id": "e-9", "type": "complaint.opened", "ticket": "T-9", "customer": customer, "summary": "torn sofa",
         "expected": "repair", "occurred_at": at}
    )  # fmt: skip
    with helpdesk.ctx.db.connect() as connection:
        expected = connection.execute(select(complaints.c.expected).where(complaints.c.ticket_id == "T-9")).scalar()
    assert expected == "repair"
