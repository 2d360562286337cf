"""Applying the inbox: per ticket in the events' order, waiting for late predecessors, keeping failures."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from intake.helpers import settings_for, source
from recovery.bootstrap import configure
from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending, event_detail, list_events, retry
from recovery.engine.people import add_staff
from recovery.errors import InvalidInputError, NotFoundError
from recovery.intake.deliveries import rows_of, store
from recovery.intake.delivery import Delivery
from recovery.intake.rules import SourceRules
from recovery.intake.sources import adapter
from recovery.store.schema import audit_log, complaints, inbox

WALK = ["apologize", "act", "empathize"]


def deliver(ctx: Context, body: dict[str, Any], name: str = "generic", kind: str = "generic", **headers: str) -> int:
    """Store one delivery as the webhook would (parse, then INSERT); return its inbox id."""
    raw = json.dumps(body).encode()
    now = ctx.clock.now()
    events = adapter(kind).parse(body, SourceRules(), Delivery.of(headers, raw, now))
    return store(ctx.db, rows_of(name, events, now, "ignored")).inbox_id


def event(clock: SettableClock, minute: int, kind: str, ticket: str = "T-1", **fields: Any) -> dict[str, Any]:
    """A generic event ``minute`` minutes before now."""
    at = clock.now() - timedelta(hours=1) + timedelta(minutes=minute)
    return {"id": f"{ticket}-{minute}", "type": kind, "ticket": ticket, "occurred_at": at.isoformat(), **fields}


def opened(clock: SettableClock, ticket: str = "T-1", **fields: Any) -> dict[str, Any]:
    """The event opening ``ticket``'s complaint."""
    customer = {"email": f"{ticket.lower()}@example.com", "name": "Ann", "id": f"cust-{ticket}"}
    return event(clock, 0, "complaint.opened", ticket, customer=customer, summary="cold soup", **fields)


def trigger(clock: SettableClock, minute: int, name: str, ticket: str = "T-1", **fields: Any) -> dict[str, Any]:
    """A complaint.trigger event."""
    return event(clock, minute, "complaint.trigger", ticket, trigger=name, actor="agent-1", **fields)


def status_of(ctx: Context, inbox_id: int) -> tuple[str, str | None]:
    """An inbox row's status and error."""
    with ctx.db.connect() as connection:
        row = connection.execute(select(inbox.c.status, inbox.c.error).where(inbox.c.id == inbox_id)).one()
    return row.status, row.error


def state(ctx: Context, ticket: str = "T-1") -> str:
    """The state of the complaint opened for ``ticket``."""
    with ctx.db.connect() as connection:
        return str(connection.execute(select(complaints.c.state).where(complaints.c.ticket_id == ticket)).scalar_one())


@pytest.fixture
def inbox_ctx(ctx: Context) -> Context:
    """The engine context with a 10-minute reorder window."""
    return configure(ctx, settings_for(source("generic"), reorder_window="10m"))


def to_compensated(ctx: Context, clock: SettableClock) -> None:
    """Deliver and apply the events up to compensation for T-1."""
    deliver(ctx, opened(clock))
    for minute, name in enumerate(WALK, start=1):
        deliver(ctx, trigger(clock, minute, name))
    deliver(ctx, trigger(clock, 4, "compensate", compensation={"kind": "refund", "value": "12.50"}))
    apply_pending(ctx)


def test_events_of_a_ticket_are_applied_in_their_own_order_whatever_the_arrival(
    inbox_ctx: Context, clock: SettableClock
) -> None:
    for minute, name in reversed(list(enumerate(WALK, start=1))):
        deliver(inbox_ctx, trigger(clock, minute, name))
    deliver(inbox_ctx, opened(clock))

    assert apply_pending(inbox_ctx) == 4

    with inbox_ctx.db.connect() as connection:
        trail = connection.execute(select(audit_log.c.trigger, audit_log.c.at).order_by(audit_log.c.id)).all()
    assert [t.trigger for t in trail] == ["open", *WALK]
    assert [t.at for t in trail] == sorted(t.at for t in trail)


def test_an_event_whose_predecessor_is_missing_waits_then_is_dead_lettered_after_the_window(
    inbox_ctx: Context, clock: SettableClock
) -> None:
    deliver(inbox_ctx, opened(clock))
    late = deliver(inbox_ctx, trigger(clock, 2, "act"))  # "apologize" never arrives

    apply_pending(inbox_ctx)
    assert status_of(inbox_ctx, late)[0] == "pending"
    clock.advance(timedelta(minutes=9))
    apply_pending(inbox_ctx)
    assert status_of(inbox_ctx, late)[0] == "pending"
    clock.advance(timedelta(minutes=2))
    apply_pending(inbox_ctx)

    status, error = status_of(inbox_ctx, late)
    assert status == "dead"
    assert error is not None
    assert "waited 600 s" in error
    assert "'act' is not allowed from 'received'" in error
    assert state(inbox_ctx) == "received"


def test_a_trigger_for_a_ticket_with_no_complaint_waits_then_is_dead_lettered(
    inbox_ctx: Context, clock: SettableClock
) -> None:
    orphan = deliver(inbox_ctx, trigger(clock, 1, "apologize", ticket="nobody"))
    apply_pending(inbox_ctx)
    clock.advance(timedelta(minutes=11))
    apply_pending(inbox_ctx)
    status, error = status_of(inbox_ctx, orphan)
    assert status == "dead"
    assert error is not None
    assert "no complaint for ticket 'nobody'" in error


def test_later_events_of_a_ticket_wait_behind_a_waiting_one(inbox_ctx: Context, clock: SettableClock) -> None:
    deliver(inbox_ctx, opened(clock))
    behind = deliver(inbox_ctx, trigger(clock, 3, "empathize"))
    deliver(inbox_ctx, trigger(clock, 2, "act"))
    apply_pending(inbox_ctx)
    assert status_of(inbox_ctx, behind)[0] == "pending"

    deliver(inbox_ctx, trigger(clock, 1, "apologize"))
    assert apply_pending(inbox_ctx) == 3
    assert state(inbox_ctx) == "empathized"


def test_a_refused_transition_is_kept_failed_with_the_reason_and_audited(
    inbox_ctx: Context, clock: SettableClock
) -> None:
    deliver(inbox_ctx, opened(clock))
    for minute, name in enumerate(WALK, start=1):
        deliver(inbox_ctx, trigger(clock, minute, name))
    refused = deliver(inbox_ctx, trigger(clock, 4, "compensate"))  # no compensation given
    apply_pending(inbox_ctx)

    status, error = status_of(inbox_ctx, refused)
    assert status == "failed"
    assert error is not None
    assert "needs a compensation" in error
    with inbox_ctx.db.connect() as connection:
        outcomes = connection.execute(select(audit_log.c.outcome).where(audit_log.c.trigger == "compensate")).all()
    assert [o.outcome for o in outcomes] == ["refused"]
    assert [e["id"] for e in list_events(inbox_ctx, failed=True)] == [refused]


def test_retry_applies_a_failed_event_once_its_cause_is_fixed(inbox_ctx: Context, clock: SettableClock) -> None:
    deliver(inbox_ctx, opened(clock))
    flag = deliver(inbox_ctx, event(clock, 1, "customer.flagged", actor="sam", reason="sighed twice"))
    apply_pending(inbox_ctx)
    status, error = status_of(inbox_ctx, flag)
    assert status == "failed"
    assert error is not None
    assert "no staff member 'sam'" in error

    add_staff(inbox_ctx, "sam", "Sam")
    result = retry(inbox_ctx, flag)

    assert result.status == "applied"
    assert status_of(inbox_ctx, flag) == ("applied", None)


def test_retry_of_an_event_that_still_cannot_apply_fails_at_once(inbox_ctx: Context, clock: SettableClock) -> None:
    orphan = deliver(inbox_ctx, trigger(clock, 1, "apologize", ticket="nobody"))
    clock.advance(timedelta(minutes=11))
    apply_pending(inbox_ctx)
    result = retry(inbox_ctx, orphan)
    assert result.status == "failed"
    assert result.error is not None
    assert "no complaint" in result.error


def test_only_failed_or_dead_events_are_retried(inbox_ctx: Context, clock: SettableClock) -> None:
    applied = deliver(inbox_ctx, opened(clock))
    apply_pending(inbox_ctx)
    with pytest.raises(InvalidInputError, match="applied"):
        retry(inbox_ctx, applied)
    with pytest.raises(NotFoundError):
        retry(inbox_ctx, 999)


def test_a_satisfaction_rating_on_a_compensated_complaint_becomes_the_follow_up_score(
    inbox_ctx: Context, clock: SettableClock
) -> None:
    to_compensated(inbox_ctx, clock)
    deliver(inbox_ctx, event(clock, 5, "satisfaction.rated", score=2, comment="meh"))
    apply_pending(inbox_ctx)
    with inbox_ctx.db.connect() as connection:
        row = connection.execute(select(complaints.c.state, complaints.c.last_score)).one()
    assert (row.state, row.last_score) == ("following_up", 2)


def test_a_second_rating_after_the_follow_up_waits_for_a_reopen_then_is_dead_lettered(
    inbox_ctx: Context, clock: SettableClock
) -> None:
    to_compensated(inbox_ctx, clock)
    deliver(inbox_ctx, event(clock, 5, "satisfaction.rated", score=5))
    second = deliver(inbox_ctx, {**event(clock, 6, "satisfaction.rated", score=4), "id": "again"})
    apply_pending(inbox_ctx)
    assert status_of(inbox_ctx, second)[0] == "pending"
    clock.advance(timedelta(minutes=11))
    apply_pending(inbox_ctx)
    status, error = status_of(inbox_ctx, second)
    assert status == "dead"
    assert error is not None
    assert "'follow_up' is not allowed from 'following_up'" in error


def test_a_trigger_from_a_final_state_fails_at_once(inbox_ctx: Context, clock: SettableClock) -> None:
    deliver(inbox_ctx, opened(clock))
    deliver(inbox_ctx, trigger(clock, 1, "withdraw", reason="sorted itself out"))
    late = deliver(inbox_ctx, trigger(clock, 2, "apologize"))
    apply_pending(inbox_ctx)
    status, error = status_of(inbox_ctx, late)
    assert status == "failed"
    assert error == "'apologize' is not allowed from 'withdrawn'"


def test_an_unknown_trigger_fails_naming_the_known_ones(inbox_ctx: Context, clock: SettableClock) -> None:
    deliver(inbox_ctx, opened(clock))
    bad = deliver(inbox_ctx, trigger(clock, 1, "escalate"))
    apply_pending(inbox_ctx)
    status, error = status_of(inbox_ctx, bad)
    assert status == "failed"
    assert error is not None
    assert error.startswith("trigger: unknown 'escalate'; known: act, apologize")


def test_customer_lost_closes_every_open_complaint_of_the_customer_as_lost(
    inbox_ctx: Context, clock: SettableClock
) -> None:
    deliver(inbox_ctx, opened(clock))
    deliver(inbox_ctx, {**opened(clock, "T-2"), "customer": {"email": "t-1@example.com"}})
    apply_pending(inbox_ctx)
    lost = event(clock, 5, "customer.lost", ticket="", customer={"email": "t-1@example.com"}, reason="moved away")
    del lost["ticket"]
    deliver(inbox_ctx, lost)
    apply_pending(inbox_ctx)
    assert (state(inbox_ctx, "T-1"), state(inbox_ctx, "T-2")) == ("lost", "lost")


def test_a_flag_raised_by_a_known_agent_is_recorded_for_the_tickets_customer(
    inbox_ctx: Context, clock: SettableClock
) -> None:
    from recovery.store.schema import flags

    add_staff(inbox_ctx, "sam", "Sam", email="sam@example.com")
    deliver(inbox_ctx, opened(clock))
    deliver(inbox_ctx, event(clock, 1, "customer.flagged", actor="sam@example.com", reason="sighed twice"))
    apply_pending(inbox_ctx)
    with inbox_ctx.db.connect() as connection:
        flag = connection.execute(select(flags.c.staff_id, flags.c.reason, flags.c.raised_at)).one()
    assert (flag.staff_id, flag.reason) == ("sam", "sighed twice")


def test_repeated_helpdesk_snapshots_skip_steps_already_taken(inbox_ctx: Context, clock: SettableClock) -> None:
    ticket = {
        "id": "88",
        "title": "Broken chair",
        "tags": "complaint recovery-apologize",
        "updated_at": (clock.now() - timedelta(minutes=30)).isoformat(),
        "requester": {"email": "cy@example.com", "name": "Cy"},
    }
    deliver(inbox_ctx, {"ticket": ticket}, "zendesk", "zendesk")
    later = {**ticket, "tags": "complaint recovery-apologize recovery-act", "updated_at": clock.now().isoformat()}
    second = deliver(inbox_ctx, {"ticket": later}, "zendesk", "zendesk")
    apply_pending(inbox_ctx)

    assert state(inbox_ctx, "88") == "acting"
    assert status_of(inbox_ctx, second) == ("skipped", "ticket already has complaint 1")
    statuses = {e["status"] for e in list_events(inbox_ctx)}
    assert statuses == {"applied", "skipped"}


def test_a_complaint_with_an_unknown_severity_fails_naming_the_known_ones(
    inbox_ctx: Context, clock: SettableClock
) -> None:
    bad = deliver(inbox_ctx, opened(clock, severity="apocalyptic"))
    apply_pending(inbox_ctx)
    status, error = status_of(inbox_ctx, bad)
    assert status == "failed"
    assert error is not None
    assert "severity: unknown 'apocalyptic'" in error


def test_event_detail_shows_the_stored_body(inbox_ctx: Context, clock: SettableClock) -> None:
    inbox_id = deliver(inbox_ctx, opened(clock))
    detail = event_detail(inbox_ctx, inbox_id)
    assert detail["body"]["summary"] == "cold soup"
    assert detail["occurred_at"].endswith("Z")
    with pytest.raises(NotFoundError):
        event_detail(inbox_ctx, 12345)


def test_two_appliers_at_once_apply_each_event_exactly_once_in_order(inbox_ctx: Context, clock: SettableClock) -> None:
    tickets = [f"P-{n}" for n in range(40)]
    for ticket in tickets:
        deliver(inbox_ctx, opened(clock, ticket))
        for minute, name in enumerate(WALK, start=1):
            deliver(inbox_ctx, trigger(clock, minute, name, ticket))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while apply_pending(inbox_ctx, limit=40):
                pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    while apply_pending(inbox_ctx):
        pass

    assert errors == []
    with inbox_ctx.db.connect() as connection:
        statuses = connection.execute(select(inbox.c.status)).scalars().all()
        trail = connection.execute(
            select(audit_log.c.complaint_id, audit_log.c.trigger).order_by(audit_log.c.complaint_id, audit_log.c.id)
        ).all()
    assert sorted(set(statuses)) == ["applied"]
    assert len(statuses) == 160
    per: dict[int, list[str]] = {}
    for row in trail:
        per.setdefault(row.complaint_id, []).append(row.trigger)
    assert len(per) == 40
    assert all(steps == ["open", *WALK] for steps in per.values())


def test_an_actor_too_long_to_store_fails_that_event_only(inbox_ctx: Context, clock: SettableClock) -> None:
    deliver(inbox_ctx, opened(clock))
    deliver(inbox_ctx, trigger(clock, 1, "apologize"))
    too_long = deliver(inbox_ctx, {**trigger(clock, 2, "act"), "actor": "x" * 65})
    apply_pending(inbox_ctx)

    assert status_of(inbox_ctx, too_long) == ("failed", "actor: at most 64 characters, got 65")
    assert state(inbox_ctx) == "apologized"  # the rest of the batch was written


def test_a_helpdesk_compensation_above_the_budget_is_applied_when_a_lead_approved_it(
    ctx: Context, clock: SettableClock
) -> None:
    add_staff(ctx, "lea", "Lea", role="lead")
    deliver(ctx, opened(clock))
    for minute, name in enumerate(WALK, start=1):
        deliver(ctx, trigger(clock, minute, name))
    above = {"kind": "refund", "value": "80", "approved_by": "lea"}  # an unscored customer's budget is 50
    deliver(ctx, trigger(clock, 4, "compensate", compensation=above))
    apply_pending(ctx)
    assert state(ctx) == "compensated"


def test_a_helpdesk_compensation_above_the_budget_without_approval_fails_naming_the_budget(
    ctx: Context, clock: SettableClock
) -> None:
    deliver(ctx, opened(clock))
    for minute, name in enumerate(WALK, start=1):
        deliver(ctx, trigger(clock, minute, name))
    refused = deliver(ctx, trigger(clock, 4, "compensate", compensation={"kind": "refund", "value": "80"}))
    apply_pending(ctx)
    status, error = status_of(ctx, refused)
    assert (state(ctx), status) == ("empathized", "failed")
    assert "above the budget of 50.00" in str(error)
