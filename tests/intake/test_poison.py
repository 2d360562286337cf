"""One bad event never stops the rest: poison refused at the door, or failed alone in the inbox."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from intake.helpers import AppClient, signed_generic
from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending, retry, skip
from recovery.engine.people import ensure_customer
from recovery.errors import InvalidInputError
from recovery.intake.deliveries import rows_of, store
from recovery.intake.delivery import Delivery
from recovery.intake.events import fit_key
from recovery.intake.rules import SourceRules
from recovery.intake.sources import adapter
from recovery.store.schema import complaints, customers, inbox


def event(clock: SettableClock, n: int, kind: str, ticket: str, **fields: Any) -> dict[str, Any]:
    at = clock.now() - timedelta(minutes=30) + timedelta(minutes=n)
    return {"id": f"{ticket}-{n}", "type": kind, "ticket": ticket, "occurred_at": at.isoformat(), **fields}


def opened(clock: SettableClock, ticket: str, **fields: Any) -> dict[str, Any]:
    customer = {"email": f"{ticket.lower()}@example.com", "name": "Ann"}
    return event(clock, 0, "complaint.opened", ticket, customer=customer, summary="cold soup", **fields)


POISON = [
    pytest.param({"summary": "\ud83d cold"}, "summary", id="lone-surrogate-in-a-summary"),
    pytest.param({"summary": "cold\u0000soup"}, "summary", id="nul-in-a-summary"),
    pytest.param({"customer": {"email": "a@example.com", "name": "A\u0000n"}}, "customer.name", id="nul-in-a-name"),
    pytest.param({"occurred_at": "9999-12-31T23:00:00Z"}, "occurred_at", id="a-date-no-deadline-fits-after"),
    pytest.param({"ticket": "T-\ud83d"}, "ticket", id="lone-surrogate-in-the-ticket"),
    pytest.param({"id": "evt-\ud83d"}, "id", id="lone-surrogate-in-the-id"),
]


@pytest.mark.parametrize(("change", "field"), POISON)
def test_an_event_no_database_could_hold_is_refused_at_the_door_naming_the_field(
    client: AppClient, clock: SettableClock, change: dict[str, Any], field: str
) -> None:
    body = json.dumps({**opened(clock, "T-1"), **change}).encode()  # json.dumps keeps a lone surrogate escaped
    answer = client.post("/webhooks/generic", **signed_generic(body, clock))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "lots"])
def test_a_compensation_that_is_not_a_finite_number_is_refused_at_the_door(
    client: AppClient, clock: SettableClock, value: str
) -> None:
    body = event(
        clock, 1, "complaint.trigger", "T-1", trigger="compensate", compensation={"kind": "gift", "value": value}
    )
    answer = client.post("/webhooks/generic", **signed_generic(body, clock))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "compensation.value"


def test_a_score_that_is_not_a_number_is_refused_naming_it(client: AppClient, clock: SettableClock) -> None:
    body = json.dumps(event(clock, 1, "satisfaction.rated", "T-1", score=4)).replace('"score": 4', '"score": NaN')
    answer = client.post("/webhooks/generic", **signed_generic(body.encode(), clock))
    assert (answer.status_code, answer.json()["field"]) == (422, "score"), answer.text


def stored(ctx: Context, body: dict[str, Any]) -> int:
    """Store ``body`` as a generic delivery would be stored, bypassing the door (as an older version did)."""
    now = ctx.clock.now()
    events = adapter("generic").parse(body, SourceRules(), Delivery.of({}, b"{}", now))
    return store(ctx.db, rows_of("generic", events, now, "x")).inbox_id


def status(ctx: Context, inbox_id: int) -> tuple[str, str | None]:
    with ctx.read() as connection:
        row = connection.execute(select(inbox.c.status, inbox.c.error).where(inbox.c.id == inbox_id)).one()
    return row.status, row.error


def poison_stored(ctx: Context, inbox_id: int, body_change: dict[str, Any]) -> None:
    """Change a stored event's body as no door would let it in today."""
    with ctx.db.begin() as connection:
        body = connection.execute(select(inbox.c.body).where(inbox.c.id == inbox_id)).scalar_one()
        connection.execute(inbox.update().where(inbox.c.id == inbox_id).values(body={**body, **body_change}))


STORED_POISON = [
    pytest.param({"summary": "\ud83d cold"}, "summary: contains a lone UTF-16 surrogate", id="lone-surrogate"),
    pytest.param({"summary": "cold\u0000soup"}, "summary: contains a NUL character", id="nul"),
    pytest.param({"customer": ["not", "an", "object"]}, "could not be applied", id="a-shape-no-rule-foresaw"),
]


@pytest.mark.parametrize(("change", "reason"), STORED_POISON)
def test_a_stored_poison_event_fails_alone_and_another_ticket_is_applied_on_the_same_tick(
    app_ctx: Context, clock: SettableClock, change: dict[str, Any], reason: str
) -> None:
    poison = stored(app_ctx, opened(clock, "T-1"))
    poison_stored(app_ctx, poison, change)
    clean = stored(app_ctx, opened(clock, "T-2"))

    apply_pending(app_ctx)

    assert status(app_ctx, clean) == ("applied", None)
    state, error = status(app_ctx, poison)
    assert state == "failed"
    assert reason in (error or "")


def test_a_stored_trigger_no_rule_foresaw_fails_alone_and_holds_its_tickets_later_events(
    app_ctx: Context, clock: SettableClock
) -> None:
    stored(app_ctx, opened(clock, "T-1"))
    stored(app_ctx, opened(clock, "T-2"))
    apply_pending(app_ctx)
    poison = stored(app_ctx, event(clock, 1, "complaint.trigger", "T-1", trigger="apologize"))
    poison_stored(app_ctx, poison, {"compensation": ["a", "list"]})  # the handler cannot read it
    later = stored(app_ctx, event(clock, 2, "complaint.trigger", "T-1", trigger="withdraw", reason="sorted out"))
    other = stored(app_ctx, event(clock, 1, "complaint.trigger", "T-2", trigger="apologize"))

    apply_pending(app_ctx)

    assert status(app_ctx, other) == ("applied", None)
    assert status(app_ctx, poison)[0] == "failed"
    assert status(app_ctx, later) == (
        "held",
        f"held: inbox event {poison} of this ticket failed: {status(app_ctx, poison)[1]}",
    )
    assert apply_pending(app_ctx) == 0, "held events stay held on the next tick"

    assert skip(app_ctx, poison, "sent twice by a broken script").status == "skipped"
    assert status(app_ctx, poison) == ("skipped", "skipped by hand: sent twice by a broken script")
    assert apply_pending(app_ctx) == 1
    assert status(app_ctx, later) == ("applied", None)


def test_retry_applies_a_pending_event_at_once(app_ctx: Context, clock: SettableClock) -> None:
    waiting = stored(app_ctx, event(clock, 1, "complaint.trigger", "T-9", trigger="apologize"))
    apply_pending(app_ctx)
    assert status(app_ctx, waiting)[0] == "pending"
    result = retry(app_ctx, waiting)
    assert (result.status, status(app_ctx, waiting)[0]) == ("failed", "failed")
    assert "no complaint for ticket 'T-9'" in (result.error or "")


def test_skip_needs_a_reason(app_ctx: Context, clock: SettableClock) -> None:
    waiting = stored(app_ctx, event(clock, 1, "complaint.trigger", "T-9", trigger="apologize"))
    with pytest.raises(InvalidInputError, match="reason: say why"):
        skip(app_ctx, waiting, "  ")


def test_two_long_delivery_ids_with_one_prefix_are_two_deliveries(client: AppClient, clock: SettableClock) -> None:
    prefix = "evt-" + "x" * 300
    first = client.post("/webhooks/generic", **signed_generic({**opened(clock, "T-1"), "id": prefix + "a"}, clock))
    second = client.post("/webhooks/generic", **signed_generic({**opened(clock, "T-2"), "id": prefix + "b"}, clock))
    assert (first.status_code, second.status_code) == (202, 202), (first.text, second.text)
    assert first.json()["id"] != second.json()["id"]


def test_two_long_tickets_with_one_prefix_are_two_tickets(
    client: AppClient, app_ctx: Context, clock: SettableClock
) -> None:
    prefix = "T-" + "y" * 300
    for suffix in ("a", "b"):
        body = opened(clock, prefix + suffix, id=f"evt-{suffix}")
        assert client.post("/webhooks/generic", **signed_generic(body, clock)).status_code == 202
    apply_pending(app_ctx)
    with app_ctx.read() as connection:
        tickets = sorted(connection.execute(select(complaints.c.ticket_id)).scalars())
    assert tickets == sorted(fit_key(prefix + s) for s in ("a", "b"))
    assert all(t.startswith("sha256:") for t in tickets)


def test_two_transactions_adding_one_new_customer_at_once_both_get_that_customer(
    db: Engine, clock: SettableClock
) -> None:
    found: list[int] = []
    first_inserted = threading.Event()

    def racer() -> None:
        first_inserted.wait(5)
        with db.begin() as connection:  # waits for the first transaction's unique key, then finds its row
            found.append(ensure_customer(connection, "new@example.com", "New", ("shop", "77"), clock.now()))

    thread = threading.Thread(target=racer)
    thread.start()
    with db.begin() as connection:
        found.append(ensure_customer(connection, "new@example.com", "New", ("shop", "77"), clock.now()))
        first_inserted.set()
        thread.join(timeout=0.5)  # the racer is blocked on our uncommitted row (PostgreSQL) or the write lock
    thread.join(timeout=30)
    with db.connect() as connection:
        count = connection.execute(select(func.count()).select_from(customers)).scalar_one()
    assert (len(found), len(set(found)), count) == (2, 1, 1)
