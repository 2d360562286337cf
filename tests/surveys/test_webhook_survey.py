"""survey.answered in the generic format: answers to our surveys run elsewhere, stored and applied by the inbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from survey_helpers import rows

from intake.helpers import AppClient, settings_for, signed_generic, source
from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending
from recovery.intake.app import create_app
from recovery.store.schema import complaints, inbox, survey_answers


@pytest.fixture
def client(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> AppClient:
    monkeypatch.setenv("RECOVERY_TEST_SECRET", "s3cret-for-tests")
    return AppClient(create_app(ctx, settings_for(source("generic", "shop"))))


def answered(clock: SettableClock, **fields: Any) -> dict[str, Any]:
    at = (clock.now() - timedelta(minutes=5)).isoformat()
    return {"id": "evt_9", "type": "survey.answered", "occurred_at": at, **fields}


def post(client: AppClient, clock: SettableClock, body: dict[str, Any]) -> int:
    response = client.post("/webhooks/shop", **signed_generic(body, clock))
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def test_answers_for_a_known_customer_are_stored_from_the_webhook(
    ctx: Context, client: AppClient, clock: SettableClock, ann: int
) -> None:
    body = answered(
        clock, customer="ann@example.com", survey="relationship", answers={"recommend": 9, "why_buy": "near"}
    )
    post(client, clock, body)
    apply_pending(ctx)
    stored = {r["question"]: r for r in rows(ctx, survey_answers)}
    assert stored["recommend"]["number"] == 9
    assert stored["why_buy"]["text"] == "near"
    assert {r["source"] for r in stored.values()} == {"webhook"}
    assert {r["customer_id"] for r in stored.values()} == {ann}


def test_a_follow_up_survey_about_a_complaint_fires_its_follow_up_with_the_score(
    ctx: Context, client: AppClient, clock: SettableClock, complaint_at: Callable[..., int]
) -> None:
    complaint_id = complaint_at()
    body = answered(clock, complaint=complaint_id, survey="follow_up", language="nl", answers={"satisfaction": 5})
    post(client, clock, body)
    apply_pending(ctx)
    with ctx.read() as connection:
        found = connection.execute(select(complaints.c.state, complaints.c.last_score)).one()
    assert (found.state, found.last_score) == ("following_up", 5)


def test_a_value_out_of_range_fails_the_event_with_the_reason_and_stores_nothing(
    ctx: Context, client: AppClient, clock: SettableClock, ann: int
) -> None:
    body = answered(clock, customer="ann@example.com", survey="relationship", answers={"recommend": 11})
    inbox_id = post(client, clock, body)
    apply_pending(ctx)
    with ctx.read() as connection:
        row = connection.execute(select(inbox.c.status, inbox.c.error).where(inbox.c.id == inbox_id)).one()
    assert row.status == "failed"
    assert "recommend: a whole number from 0 to 10 is needed, got '11'" in row.error
    assert rows(ctx, survey_answers) == []


def test_answers_that_are_neither_text_nor_numbers_are_refused_at_the_door(
    client: AppClient, clock: SettableClock
) -> None:
    body = answered(clock, customer="ann@example.com", survey="relationship", answers={"recommend": [9]})
    response = client.post("/webhooks/shop", **signed_generic(body, clock))
    assert response.status_code == 422
    assert "answers.recommend" in response.text
