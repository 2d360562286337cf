"""A small shop for reward tests: staff of every role, customers, and complaints walked by the engine."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from recovery.bootstrap import configure
from recovery.config import RewardSettings, Settings
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.guards import Compensation
from recovery.engine import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.store.schema import ledger, outbox

GIFT = Compensation("gift", Decimal("0"), "flowers")
TO_FOLLOW_UP = ["apologize", "act", "empathize", "compensate"]


@pytest.fixture
def shop(ctx: Context) -> Context:
    """``ctx`` with agents ann and bob, lead lea and manager max (with emails) and customers 1 to 3."""
    add_staff(ctx, "ann", "Ann Agent", "ann@shop.example")
    add_staff(ctx, "bob", "Bob Agent", "bob@shop.example")
    add_staff(ctx, "lea", "Lea Lead", role="lead")
    add_staff(ctx, "max", "Max Manager", role="manager")
    for name in ("cat", "dan", "eve"):
        add_customer(ctx, f"{name}@example.com", name.title())
    return ctx


@pytest.fixture
def rewards(shop: Context) -> Callable[..., None]:
    """Use ``[rewards]`` settings changed by keyword values from here on."""

    def use(**values: Any) -> None:
        configure(shop, Settings(rewards=RewardSettings(**values)))

    return use


@pytest.fixture
def complain(shop: Context) -> Callable[[int], int]:
    """Open a complaint for a customer now; its id."""

    def opener(customer_id: int) -> int:
        return open_complaint(shop, OpenComplaint(customer_id=customer_id, summary="rude on the phone"))

    return opener


@pytest.fixture
def walk(shop: Context) -> Callable[..., None]:
    """Fire triggers on a complaint now, with the fields their guards need."""

    def walker(complaint_id: int, *triggers: str, score: int = 5) -> None:
        fields: dict[str, dict[str, Any]] = {
            "compensate": {"compensation": GIFT},
            "follow_up": {"score": score},
            "withdraw": {"reason": "moved away"},
        }
        for trigger in triggers:
            fire(shop, FireTrigger(complaint_id, trigger, **fields.get(trigger, {})))

    return walker


@pytest.fixture
def points_of(shop: Context) -> Callable[[str], int]:
    """The ledger total of a staff member."""

    def total(staff_id: str) -> int:
        with shop.read() as connection:
            found = connection.execute(select(func.sum(ledger.c.points)).where(ledger.c.staff_id == staff_id))
            return int(found.scalar() or 0)

    return total


@pytest.fixture
def ledger_rows(shop: Context) -> Callable[[], list[dict[str, Any]]]:
    """Every ledger row, oldest first."""

    def rows() -> list[dict[str, Any]]:
        with shop.read() as connection:
            return [dict(r) for r in connection.execute(select(ledger).order_by(ledger.c.id)).mappings()]

    return rows


@pytest.fixture
def notices(shop: Context) -> Callable[[], list[dict[str, Any]]]:
    """The reward notifications in the outbox, oldest first."""

    def rows() -> list[dict[str, Any]]:
        query = select(outbox).where(outbox.c.topic.like("reward.%")).order_by(outbox.c.id)
        with shop.read() as connection:
            return [dict(r) for r in connection.execute(query).mappings()]

    return rows
