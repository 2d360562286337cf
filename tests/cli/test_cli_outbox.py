"""``recovery outbox list | show | retry``, in-process, on SQLite and PostgreSQL.

Messages are queued by the engine (a complaint opened with an assignee) or the store, and made
dead or failing by the real dispatcher with a sink that refuses them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from recovery.cli import outbox as cli_outbox
from recovery.clock import SettableClock
from recovery.core.commands import OpenComplaint
from recovery.engine import open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.notify.dispatcher import Policy, dispatch
from recovery.notify.sinks import DeliveryError, LogSink, Message, PermanentDeliveryError
from recovery.store import outbox as store
from recovery.store.schema import audit_log, outbox

Outcome = Any
Run = Callable[..., Outcome]
LATER = "2026-11-25T10:00:00+00:00"  # the clock of a CLI retry: an hour after the messages were queued


class Refusing:
    """A sink that refuses every message, for good (``PermanentDeliveryError``) or for now."""

    def __init__(self, error: type[DeliveryError] = PermanentDeliveryError) -> None:
        self.error = error

    def deliver(self, message: Message) -> None:
        raise self.error("550 mailbox unavailable")


@pytest.fixture
def run(bare: Run, db_url: str, ctx: Context) -> Run:
    """``recovery …`` on the database of ``ctx`` (already migrated), SQLite or PostgreSQL."""

    def recovery(*args: str) -> Outcome:
        return bare(*args, database_url=db_url)

    return recovery


@pytest.fixture
def assigned(ctx: Context) -> int:
    """A complaint opened for bob, whose ``complaint.assigned`` notice is outbox message 1 (pending); its id."""
    add_staff(ctx, "bob", "Bob", "bob@example.com")
    add_staff(ctx, "lead", "Lea", "lea@example.com", role="lead")
    customer = add_customer(ctx, "ann@example.com", "Ann")
    return open_complaint(ctx, OpenComplaint(customer_id=customer, summary="late parcel", assignee="bob"))


def queue(ctx: Context, key: str) -> None:
    """Queue a notice about no complaint (a customer at risk)."""
    with ctx.db.begin() as connection:
        store.enqueue(connection, key, "customer.at_risk", {"customer_id": 1}, ctx.clock.now(), "lead")


def row(ctx: Context, message_id: int) -> dict[str, Any]:
    with ctx.read() as connection:
        return dict(connection.execute(select(outbox).where(outbox.c.id == message_id)).mappings().one())


def soon_after(start: str, moment: datetime) -> bool:
    """Whether ``moment`` is within a few seconds after ``start`` (the CLI's clock runs on from --clock-start)."""
    return timedelta(0) <= moment - datetime.fromisoformat(start) < timedelta(seconds=5)


def test_list_shows_every_message_newest_first(run: Run, ctx: Context, assigned: int) -> None:
    dispatch(ctx, Refusing())  # message 1 dead
    queue(ctx, "m2")
    dispatch(ctx, LogSink())  # message 2 sent
    queue(ctx, "m3")  # message 3 pending

    result = run("outbox", "list", "--json")

    assert result.code == 0, result
    shown = [(m["id"], m["status"]) for m in json.loads(result.out)]
    assert shown == [(3, "pending"), (2, "sent"), (1, "dead")], result


def test_list_dead_shows_only_dead_messages(run: Run, ctx: Context, assigned: int) -> None:
    dispatch(ctx, Refusing())
    queue(ctx, "m2")

    result = run("outbox", "list", "--dead")

    assert result.code == 0, result
    lines = result.out.splitlines()
    assert len(lines) == 3, result  # header, rule, one message
    assert lines[2].split()[:4] == ["1", "complaint.assigned", "bob", "dead"], result
    assert "550 mailbox unavailable" in lines[2], result


def test_list_status_filters_by_status(run: Run, ctx: Context, assigned: int) -> None:
    queue(ctx, "m2")

    result = run("outbox", "list", "--status", "pending", "--json")

    assert result.code == 0, result
    assert [m["id"] for m in json.loads(result.out)] == [2, 1], result


def test_list_with_no_dead_message_says_so(run: Run, assigned: int) -> None:
    result = run("outbox", "list", "--dead")
    assert (result.code, result.out) == (0, "no dead messages\n"), result


def test_dead_with_another_status_is_bad_usage(run: Run, error_line: Callable[[Outcome], str]) -> None:
    result = run("outbox", "list", "--dead", "--status", "sent")
    assert result.code == 2, result
    assert "--dead and --state sent contradict each other" in error_line(result), result


def test_show_prints_the_notice_attempts_last_error_and_payload(run: Run, ctx: Context, assigned: int) -> None:
    dispatch(ctx, Refusing())

    result = run("outbox", "show", "1")

    assert result.code == 0, result
    for line in (
        "status           dead",
        "created_at       2026-11-25 10:00 +01:00",
        "sent_at          -",
        "attempts         1",
        "last_error       550 mailbox unavailable",
        "to               bob@example.com",
        f"subject          Complaint {assigned} is assigned to you",
        "summary: late parcel",
        '  "staff": "bob"',
    ):
        assert line in result.out, result


def test_show_json_has_the_stored_row_the_notice_and_utc_times(run: Run, ctx: Context, assigned: int) -> None:
    dispatch(ctx, Refusing())

    result = run("outbox", "show", "1", "--json")

    assert result.code == 0, result
    data = json.loads(result.out)
    assert set(data) == {
        "id", "dedupe_key", "topic", "recipient", "payload", "status", "attempts",
        "next_attempt_at", "created_at", "sent_at", "last_error", "notice",
    }, result  # fmt: skip
    assert (data["created_at"], data["next_attempt_at"], data["sent_at"]) == (
        "2026-11-25T09:00:00Z",
        "2026-11-25T09:00:00Z",
        None,
    ), result
    assert data["payload"]["complaint_id"] == assigned, result
    assert data["notice"]["to"] == "bob@example.com", result


def test_show_of_an_unknown_id_is_one_error_line(run: Run, error_line: Callable[[Outcome], str]) -> None:
    result = run("outbox", "show", "99")
    assert result.code == 1, result
    assert error_line(result) == "error: no outbox message 99"


def test_retry_queues_a_dead_message_again_now_with_no_attempts(run: Run, ctx: Context, assigned: int) -> None:
    dispatch(ctx, Refusing())

    result = run("outbox", "retry", "1", "--by", "lead", "--clock-start", LATER)

    assert result.code == 0, result
    # In the calendar's zone (Amsterdam, UTC+1 in November), to the minute.
    assert result.out == "outbox message 1 queued again: next attempt at 2026-11-25 11:00 +01:00\n", result
    after = row(ctx, 1)
    assert (after["status"], after["attempts"]) == ("pending", 0)
    assert soon_after(LATER, after["next_attempt_at"])


def test_retry_is_audited_on_the_complaint_of_the_message(run: Run, ctx: Context, assigned: int) -> None:
    dispatch(ctx, Refusing())

    assert run("outbox", "retry", "1", "--by", "lead", "--clock-start", LATER).code == 0

    with ctx.read() as connection:
        query = select(audit_log).where(audit_log.c.trigger == "outbox_retry")
        entry = dict(connection.execute(query).mappings().one())
    assert (entry["complaint_id"], entry["actor"], entry["source"], entry["dest"]) == (
        assigned,
        "lead",
        "received",
        "received",
    )
    assert soon_after(LATER, entry["at"])
    assert entry["payload"] == {
        "outbox_id": 1,
        "topic": "complaint.assigned",
        "was": "dead",
        "attempts": 1,
        "last_error": "550 mailbox unavailable",
    }


def test_retry_json_prints_the_message_as_show_json_does(run: Run, ctx: Context, assigned: int) -> None:
    dispatch(ctx, Refusing())

    retried = run("outbox", "retry", "1", "--by", "lead", "--json", "--clock-start", LATER)
    shown = run("outbox", "show", "1", "--json")

    assert retried.code == 0, retried
    assert json.loads(retried.out) == json.loads(shown.out), retried
    assert json.loads(retried.out)["status"] == "pending", retried


def test_retry_of_a_failing_message_brings_its_next_attempt_forward(run: Run, ctx: Context, assigned: int) -> None:
    dispatch(ctx, Refusing(DeliveryError))  # failed once, next attempt after the backoff
    assert row(ctx, 1)["attempts"] == 1

    result = run("outbox", "retry", "1", "--clock-start", "2026-11-25T09:00:10+00:00")

    assert result.code == 0, result
    after = row(ctx, 1)
    assert (after["status"], after["attempts"]) == ("pending", 0)
    assert soon_after("2026-11-25T09:00:10+00:00", after["next_attempt_at"])  # not at 09:00:30 after the backoff


def test_a_retried_message_is_delivered_by_the_next_dispatch(
    run: Run, ctx: Context, clock: SettableClock, assigned: int
) -> None:
    dispatch(ctx, Refusing())
    assert run("outbox", "retry", "1", "--clock-start", LATER).code == 0
    clock.advance(timedelta(hours=1, minutes=1))  # past the retry's moment (its clock ran on a little)

    report = dispatch(ctx, LogSink(), Policy())

    assert report.sent == 1
    assert (row(ctx, 1)["status"], row(ctx, 1)["attempts"]) == ("sent", 1)


def test_retry_of_a_sent_message_is_refused_and_changes_nothing(
    run: Run, ctx: Context, assigned: int, error_line: Callable[[Outcome], str]
) -> None:
    dispatch(ctx, LogSink())
    before = row(ctx, 1)

    result = run("outbox", "retry", "1", "--by", "lead")

    assert result.code == 1, result
    assert error_line(result) == (
        "error: outbox message 1 was sent at 2026-11-25T09:00:00Z: only dead or failing messages are retried"
    )
    assert row(ctx, 1) == before


def test_retry_of_a_message_never_tried_is_refused(
    run: Run, assigned: int, error_line: Callable[[Outcome], str]
) -> None:
    result = run("outbox", "retry", "1")
    assert result.code == 1, result
    assert "is pending and was never tried" in error_line(result), result


def test_retry_by_someone_not_on_the_staff_is_refused(
    run: Run, ctx: Context, assigned: int, error_line: Callable[[Outcome], str]
) -> None:
    dispatch(ctx, Refusing())

    result = run("outbox", "retry", "1", "--by", "nobody")

    assert result.code == 1, result
    assert error_line(result) == "error: no staff member 'nobody'"
    assert row(ctx, 1)["status"] == "dead"


def test_retry_of_an_unknown_id_is_one_error_line(run: Run, error_line: Callable[[Outcome], str]) -> None:
    result = run("outbox", "retry", "12345678901234567890123")
    assert result.code == 1, result
    assert error_line(result) == "error: no outbox message 12345678901234567890123"


def test_retry_of_a_message_about_no_complaint_writes_no_audit_row(run: Run, ctx: Context) -> None:
    queue(ctx, "at-risk")
    dispatch(ctx, Refusing())

    assert run("outbox", "retry", "1", "--clock-start", LATER).code == 0

    assert row(ctx, 1)["status"] == "pending"
    with ctx.read() as connection:
        assert connection.execute(select(audit_log.c.id)).first() is None


def test_the_cli_offers_the_statuses_the_store_knows() -> None:
    assert tuple(cli_outbox.STATUSES) == store.STATUSES
