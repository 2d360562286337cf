"""Survey tests: an engine context that can sign links, customers to invite, a complaint due its follow-up."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from survey_helpers import BASE_URL, SECRET

from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.guards import Compensation
from recovery.engine import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.engine.survey_config import SurveyConfig
from recovery.store.schema import customers

TO_COMPENSATED = ["apologize", "act", "empathize", "compensate"]


@pytest.fixture
def ctx(ctx: Context) -> Context:
    """The shared engine context with a survey secret and a public address."""
    ctx.surveys = SurveyConfig(secret=SECRET, base_url=BASE_URL)
    ctx.surveys.taxonomy()  # the shipped reasons, read once before any test thread needs them
    return ctx


@pytest.fixture
def ann(ctx: Context) -> int:
    """Customer Ann, no language of her own; staff member bob."""
    add_staff(ctx, "bob", "Bob")
    return add_customer(ctx, "ann@example.com", "Ann")


@pytest.fixture
def set_language(ctx: Context) -> Callable[[int, str], None]:
    def setter(customer_id: int, language: str) -> None:
        with ctx.db.begin() as connection:
            connection.execute(customers.update().where(customers.c.id == customer_id).values(language=language))

    return setter


@pytest.fixture
def complaint_at(ctx: Context, ann: int) -> Callable[..., int]:
    """A complaint of Ann's walked through ``triggers`` (by default to ``compensated``, where follow-up applies)."""

    def make(triggers: list[str] = TO_COMPENSATED) -> int:
        complaint_id = open_complaint(ctx, OpenComplaint(customer_id=ann, summary="cold soup"))
        for trigger in triggers:
            fields: dict[str, Any] = {}
            if trigger == "compensate":
                fields["compensation"] = Compensation("gift", Decimal(0), "dessert")
            fire(ctx, FireTrigger(complaint_id, trigger, actor="bob", **fields))
        return complaint_id

    return make
