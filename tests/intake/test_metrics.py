"""``/metrics`` over real HTTP on loopback: each figure on a small known data set, SQLite and PostgreSQL.

The exposition is parsed by prometheus_client's own parser, so a malformed line fails the test.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from prometheus_client.parser import text_string_to_metric_families

from intake.server import serve
from recovery.clock import SettableClock
from recovery.config import Settings
from recovery.core.commands import FireTrigger, OpenComplaint, PauseComplaint
from recovery.daemon import Daemon
from recovery.engine import fire, open_complaint, pause, sla
from recovery.engine.context import Context
from recovery.engine.people import add_customer
from recovery.errors import TransitionRefused
from recovery.intake.app import create_app
from recovery.intake.metrics import JobMetrics, TransitionCounts
from recovery.notify.dispatcher import dispatch
from recovery.notify.sinks import LogSink, Message, PermanentDeliveryError
from recovery.store.outbox import enqueue
from recovery.store.schema import inbox

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
Scrape = Callable[..., Samples]
Opener = Callable[..., int]


@pytest.fixture
def scrape(app_ctx: Context, settings: Settings) -> Scrape:
    """GET /metrics from the app served on loopback; every sample by name and sorted labels."""

    def get(job_metrics: JobMetrics | None = None) -> Samples:
        with serve(create_app(app_ctx, settings, job_metrics=job_metrics)) as base_url:
            answer = httpx.get(f"{base_url}/metrics", timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain; version="), answer.headers
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text)
            for s in family.samples
        }

    return get


def by(samples: Samples, name: str, label: str) -> dict[str, float]:
    """The samples of ``name`` by the value of their one label ``label``."""
    return {dict(labels)[label]: value for (found, labels), value in samples.items() if found == name}


@pytest.fixture
def opener(app_ctx: Context) -> Opener:
    """Open a complaint for one customer; its id."""
    customer = add_customer(app_ctx, "ann@example.com", "Ann")

    def open_one(workflow: str | None = None) -> int:
        return open_complaint(app_ctx, OpenComplaint(customer_id=customer, summary="late", workflow=workflow))

    return open_one


def test_complaints_are_counted_by_state_and_workflow(app_ctx: Context, opener: Opener, scrape: Scrape) -> None:
    opener()
    fire(app_ctx, FireTrigger(opener(), "apologize"))
    opener("minor")
    fire(app_ctx, FireTrigger(opener(), "defect"))  # closed: still counted, in its final state

    samples = scrape()

    found = {
        (dict(labels)["state"], dict(labels)["workflow"]): value
        for (name, labels), value in samples.items()
        if name == "recovery_complaints"
    }
    assert found == {
        ("received", "standard"): 1,
        ("apologized", "standard"): 1,
        ("received", "minor"): 1,
        ("lost", "standard"): 1,
        ("to_reach", "win_back"): 1,  # the lost customer's win-back case
    }


def test_overdue_counts_open_complaints_past_their_deadline_unless_paused(
    app_ctx: Context, clock: SettableClock, opener: Opener, scrape: Scrape
) -> None:
    opener()  # standard, received: 4 business hours, due at 14:00 Amsterdam (13:00 UTC)
    pause(app_ctx, PauseComplaint(opener(), "waiting_on_customer"))
    fire(app_ctx, FireTrigger(opener(), "defect"))
    opener("minor")  # one business day: not due yet
    clock.advance(timedelta(hours=5))

    assert scrape()[("recovery_complaints_overdue", ())] == 1


def test_open_complaints_are_counted_by_escalation_level(
    app_ctx: Context, clock: SettableClock, opener: Opener, scrape: Scrape
) -> None:
    opener()
    opener()
    opener("minor")
    fire(app_ctx, FireTrigger(opener(), "defect"))  # closed: not among the open ones
    clock.advance(timedelta(hours=5))  # the standard ones are an hour overdue: level 1
    sla.scan(app_ctx)

    # Level 0: the minor one and the lost customer's win-back case (two business days to reach them).
    assert by(scrape(), "recovery_complaints_escalation_level", "level") == {"0": 2, "1": 2}


def test_inbox_events_are_counted_by_status_every_status_shown(app_ctx: Context, scrape: Scrape) -> None:
    now = app_ctx.clock.now()
    rows = [
        {"source": "generic", "delivery_id": f"d{n}", "received_at": now, "body": {}, "status": status}
        for n, status in enumerate(["pending", "pending", "applied", "dead"])
    ]
    with app_ctx.db.begin() as connection:
        connection.execute(inbox.insert(), rows)

    found = by(scrape(), "recovery_inbox_events", "status")

    assert found == {"pending": 2, "applied": 1, "dead": 1, "held": 0, "skipped": 0, "failed": 0, "ignored": 0}


class RefusingM2:
    """A sink that delivers every message but ``m2``, which it refuses for good."""

    def deliver(self, message: Message) -> None:
        if message.key == "m2":
            raise PermanentDeliveryError("550 no such user")


def test_outbox_messages_are_counted_by_status(app_ctx: Context, scrape: Scrape) -> None:
    with app_ctx.db.begin() as connection:
        for key in ("m1", "m2"):
            enqueue(connection, key, "customer.at_risk", {}, app_ctx.clock.now(), "lead")
    dispatch(app_ctx, RefusingM2())
    with app_ctx.db.begin() as connection:
        enqueue(connection, "m3", "customer.at_risk", {}, app_ctx.clock.now(), "lead")

    assert by(scrape(), "recovery_outbox_messages", "status") == {"pending": 1, "sent": 1, "dead": 1}


def test_transitions_count_applied_audit_entries_by_trigger_not_refusals(
    app_ctx: Context, opener: Opener, scrape: Scrape
) -> None:
    first, second = opener(), opener()
    fire(app_ctx, FireTrigger(first, "apologize"))
    fire(app_ctx, FireTrigger(second, "apologize"))
    fire(app_ctx, FireTrigger(second, "act"))
    with pytest.raises(TransitionRefused):
        fire(app_ctx, FireTrigger(first, "resolve"))

    found = by(scrape(), "recovery_transitions_total", "trigger")

    assert found == {"open": 2, "apologize": 2, "act": 1}


def test_an_empty_database_shows_zeros_and_up(scrape: Scrape) -> None:
    samples = scrape()

    assert samples[("recovery_database_up", ())] == 1
    assert samples[("recovery_complaints_overdue", ())] == 0
    assert by(samples, "recovery_outbox_messages", "status") == {"pending": 0, "sent": 0, "dead": 0}
    assert by(samples, "recovery_complaints", "state") == {}


def test_job_durations_and_failures_are_shown(scrape: Scrape) -> None:
    jobs = JobMetrics()
    jobs.observe("overdue_scan", 0.2)
    jobs.observe("overdue_scan", 3.0)
    jobs.observe("outbox_dispatch", 0.02)
    jobs.failed("outbox_dispatch")

    samples = scrape(jobs)

    assert by(samples, "recovery_job_duration_seconds_count", "job") == {"overdue_scan": 2, "outbox_dispatch": 1}
    assert samples[("recovery_job_duration_seconds_sum", (("job", "overdue_scan"),))] == pytest.approx(3.2)
    assert samples[("recovery_job_duration_seconds_bucket", (("job", "overdue_scan"), ("le", "0.25")))] == 1
    assert by(samples, "recovery_job_failures_total", "job") == {"overdue_scan": 0, "outbox_dispatch": 1}


def test_the_daemon_records_each_job_tick_and_each_failure(app_ctx: Context) -> None:
    daemon = Daemon(app_ctx, Settings(daemon={"tick": "1s"}), sink=LogSink(), webhook=False)

    daemon.dispatch_job()
    failed = JobExecutionEvent(
        EVENT_JOB_ERROR, "overdue_scan", "default", app_ctx.clock.now(), exception=RuntimeError("gone")
    )
    daemon._on_event(failed)  # as the scheduler's error listener is called

    samples = {(s.name, s.labels.get("job")): s.value for f in daemon.job_metrics.collect() for s in f.samples}
    assert samples[("recovery_job_duration_seconds_count", "outbox_dispatch")] == 1
    assert samples[("recovery_job_failures_total", "overdue_scan")] == 1
    assert samples[("recovery_job_failures_total", "outbox_dispatch")] == 0


def test_without_job_metrics_the_app_shows_no_job_series(scrape: Scrape) -> None:
    assert not [name for name, _ in scrape() if name.startswith("recovery_job_")]


class Ticking:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_settled_audit_rows_are_counted_once_and_the_total_stays_exact(app_ctx: Context, opener: Opener) -> None:
    clock = Ticking()
    counts = TransitionCounts(settle=10, clock=clock)
    opener()
    opener()
    with app_ctx.read() as connection:
        first = counts.read(connection)
    clock.now = 11  # the rows seen by the first read are settled now
    third = opener()
    fire(app_ctx, FireTrigger(third, "apologize"))

    with app_ctx.read() as connection:
        second = counts.read(connection)

    assert (first, second) == ({"open": 2}, {"open": 3, "apologize": 1})
    assert (counts.settled_id, dict(counts.settled)) == (2, {"open": 2})


def test_a_database_with_fewer_audit_rows_than_settled_is_counted_afresh(app_ctx: Context, opener: Opener) -> None:
    counts = TransitionCounts(settle=0)
    counts.settled_id, counts.settled["open"] = 1000, 1000  # as if read from a database since replaced
    opener()

    with app_ctx.read() as connection:
        assert counts.read(connection) == {"open": 1}
