"""Our generic format's purchase.made and purchase.refunded, signed and sent over loopback, stored as purchases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from intake.helpers import settings_for, signed_generic, source
from intake.server import serve
from recovery.bootstrap import configure
from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending
from recovery.store.schema import customers, purchases

MADE = {
    "id": "evt_p1",
    "type": "purchase.made",
    "customer": {"email": "Ann@Example.com", "id": "c-7", "name": "Ann"},
    "order_id": "A-1",
    "ordered_at": "2026-03-01T23:30:00+00:00",
    "amount": 40,
    "currency": "eur",
}


@dataclass
class Sender:
    ctx: Context
    clock: SettableClock
    base_url: str

    def send(self, body: dict[str, Any]) -> httpx.Response:
        answer = httpx.post(f"{self.base_url}/webhooks/generic", **signed_generic(body, self.clock))
        apply_pending(self.ctx)
        return answer

    def purchases(self) -> list[tuple[str, str, str, str, Decimal, date, str | None]]:
        query = (
            select(customers.c.email, customers.c.name, purchases)
            .join(customers, customers.c.id == purchases.c.customer_id)
            .order_by(purchases.c.id)
        )
        with self.ctx.db.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [(r["email"], r["name"], r["order_id"], r["kind"], r["amount"], r["day"], r["currency"]) for r in rows]


@pytest.fixture
def sender(ctx: Context, clock: SettableClock) -> Iterator[Sender]:
    from recovery.intake.app import create_app

    settings = settings_for(source("generic"))
    configure(ctx, settings)
    with serve(create_app(ctx, settings)) as base_url:
        yield Sender(ctx, clock, base_url)


def test_purchase_made_is_stored_for_its_customer_on_the_businesss_local_day(sender: Sender) -> None:
    assert sender.send(MADE).status_code == 202
    # 23:30 UTC is 00:30 the next day in Amsterdam, the business's zone.
    assert sender.purchases() == [
        ("ann@example.com", "Ann", "A-1", "purchase", Decimal("40.00"), date(2026, 3, 2), "EUR")
    ]


def test_purchase_made_for_a_customer_known_only_by_the_senders_id(sender: Sender) -> None:
    sender.send(MADE | {"customer": "c-9"})
    assert sender.purchases()[0][:2] == ("c-9@generic.invalid", "")


def test_purchase_redelivered_changes_nothing(sender: Sender) -> None:
    sender.send(MADE)
    assert sender.send(MADE).status_code == 200
    assert sender.send(MADE | {"id": "evt_p2"}).status_code == 202, "another delivery of the same order"
    assert len(sender.purchases()) == 1


def test_purchase_refunded_without_a_customer_nets_its_order_whatever_sign_is_sent(sender: Sender) -> None:
    sender.send(MADE)
    refund = {"id": "evt_r1", "type": "purchase.refunded", "order_id": "A-1", "amount": "15.5"}
    assert sender.send(refund | {"occurred_at": "2026-03-09T10:00:00Z"}).status_code == 202
    refund_row = ("ann@example.com", "Ann", "A-1", "refund", Decimal("-15.50"), date(2026, 3, 2), None)
    assert sender.purchases()[1] == refund_row, "on the order's day, so it nets that purchase-day"
    second = refund | {"id": "evt_r2", "refund_id": "2", "amount": -4, "occurred_at": "2026-03-10T10:00:00Z"}
    assert sender.send(second).status_code == 202, "a second refund of the order, told apart by its refund_id"
    assert sum(p[4] for p in sender.purchases()) == Decimal("20.50")


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"amount": "twelve"}, "amount", "amount: not a number: 'twelve'"),
        ({"amount": "NaN"}, "amount", "amount: a finite number below 1,000,000,000,000 is needed, got 'NaN'"),
        (
            {"customer": {"name": "Ann"}},
            "customer",
            "customer: a purchase needs its buyer, and customer has neither email nor id",
        ),
        ({"ordered_at": "2026-03-01T23:30:00"}, "ordered_at", "ordered_at: a time needs its UTC offset"),
        ({"currency": "euro"}, "currency", "currency: a three-letter code such as EUR, got 'euro'"),
    ],
    ids=["amount-words", "amount-nan", "no-buyer", "no-offset", "currency"],
)
def test_a_bad_purchase_is_refused_naming_the_field(
    sender: Sender, change: dict[str, Any], field: str, error: str
) -> None:
    answer = sender.send(MADE | change)
    assert answer.status_code == 422
    assert answer.json() == {"error": error, "field": field}
    assert sender.purchases() == []
