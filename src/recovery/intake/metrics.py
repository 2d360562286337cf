"""What ``/metrics`` shows beyond the webhook deliveries: the database counted at scrape time, the daemon's jobs.

The complaint, inbox and outbox figures are a handful of GROUP BY queries run when Prometheus
scrapes, so they are right after a restart and agree across several daemons on one database. The
audit log only grows, so its rows are counted once: a scrape adds up only the rows written since
the last settled id (``TransitionCounts``). The jobs' durations and failures live in the daemon's
process, which also serves the webhook app: they start from zero at each start, as counters may.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter as Tally
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic
from typing import Any

from prometheus_client import Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import Connection, Select, func, select
from sqlalchemy.exc import SQLAlchemyError

from recovery.engine.context import Context
from recovery.engine.inbox.batch import STATUSES as INBOX_STATUSES
from recovery.engine.queries import overdue_clause
from recovery.store.outbox import STATUSES as OUTBOX_STATUSES
from recovery.store.schema import audit_log, complaints, inbox, outbox

log = logging.getLogger("recovery.intake")

# From a quick inbox batch to a reward run over every flag.
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, float("inf"))


class JobMetrics:
    """Each daemon job's run time and failures; a Prometheus collector of its own."""

    def __init__(self) -> None:
        # Not registered anywhere yet: the webhook app registers this collector in its own registry.
        self.durations = Histogram(
            "recovery_job_duration_seconds", "Run time of a daemon job.", ["job"], registry=None, buckets=JOB_BUCKETS
        )
        self.failures = Counter("recovery_job_failures", "Daemon job runs that raised.", ["job"], registry=None)

    def observe(self, job: str, seconds: float) -> None:
        """Record one finished run of ``job``; its failure counter shows from then on, at 0."""
        self.durations.labels(job).observe(seconds)
        self.failures.labels(job)

    def failed(self, job: str) -> None:
        """Count one run of ``job`` that raised."""
        self.failures.labels(job).inc()

    def describe(self) -> Iterator[Metric]:
        """The metric names, so a registry refuses a second collector of the same ones."""
        yield from self.durations.describe()
        yield from self.failures.describe()

    def collect(self) -> Iterator[Metric]:
        """The histogram and the counter, as they stand."""
        yield from self.durations.collect()
        yield from self.failures.collect()


@dataclass
class Counts:
    """One scrape's figures, read in one connection."""

    complaints: list[tuple[str, str, int]] = field(default_factory=list)  # state, workflow, count
    overdue: int = 0
    escalation: dict[int, int] = field(default_factory=dict)
    inbox: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    transitions: dict[str, int] = field(default_factory=dict)


def read_counts(connection: Connection, now: datetime, transitions: TransitionCounts) -> Counts:
    """Every figure of a scrape: one GROUP BY or count per metric, no row reaches Python."""
    by_state = select(complaints.c.state, complaints.c.workflow, func.count()).group_by(
        complaints.c.state, complaints.c.workflow
    )
    levels = (
        select(complaints.c.escalation_level, func.count())
        .where(complaints.c.closed_at.is_(None))
        .group_by(complaints.c.escalation_level)
    )
    return Counts(
        complaints=[(str(s), str(w), int(n)) for s, w, n in connection.execute(by_state)],
        overdue=int(connection.execute(select(func.count()).where(overdue_clause(now))).scalar_one()),
        escalation={int(level): int(n) for level, n in connection.execute(levels)},
        inbox=_by(connection, select(inbox.c.status, func.count()).group_by(inbox.c.status)),
        outbox=_by(connection, select(outbox.c.status, func.count()).group_by(outbox.c.status)),
        transitions=transitions.read(connection),
    )


def _by(connection: Connection, query: Select[Any]) -> dict[str, int]:
    return {str(key): int(n) for key, n in connection.execute(query)}


class TransitionCounts:
    """Applied audit entries by trigger, each row counted once by this process.

    Ids below the highest id seen ``settle`` seconds ago are settled: their counts are kept, and a
    scrape counts only the rows above them (a primary-key range). The wait is for PostgreSQL, where
    a transaction that drew a lower id may commit after a higher one was seen; ours last seconds.
    """

    def __init__(self, settle: float = 300.0, clock: Callable[[], float] = monotonic) -> None:
        self.settle, self.clock = settle, clock
        self.lock = threading.Lock()  # scrapes run in a thread pool
        self._reset()

    def _reset(self) -> None:
        self.settled_id = 0
        self.settled: Tally[str] = Tally()
        self.seen: deque[tuple[float, int]] = deque()  # (when, the highest id then), oldest first

    def read(self, connection: Connection) -> dict[str, int]:
        """The counts by trigger: the settled ones plus those of the rows written since."""
        with self.lock:
            top = int(connection.execute(select(func.max(audit_log.c.id))).scalar() or 0)
            if top < self.settled_id:  # another database (restored, recreated): start again
                self._reset()
            now = self.clock()
            self.seen.append((now, top))
            boundary = self.settled_id
            while self.seen and self.seen[0][0] <= now - self.settle:
                boundary = max(boundary, self.seen.popleft()[1])
            if boundary > self.settled_id:
                self.settled.update(_applied(connection, self.settled_id, boundary))
                self.settled_id = boundary
            tail = _applied(connection, self.settled_id, None)
            return {trigger: self.settled[trigger] + tail.get(trigger, 0) for trigger in {*self.settled, *tail}}


def _applied(connection: Connection, above: int, upto: int | None) -> dict[str, int]:
    query = select(audit_log.c.trigger, func.count()).where(audit_log.c.outcome == "applied", audit_log.c.id > above)
    if upto is not None:
        query = query.where(audit_log.c.id <= upto)
    return _by(connection, query.group_by(audit_log.c.trigger))


class DatabaseCollector:
    """The gauges read from the database at each scrape; ``recovery_database_up`` 0 when it cannot be read."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.transitions = TransitionCounts()

    def collect(self) -> Iterator[Metric]:
        """Read the counts and yield them; a database error is logged and shown as the up gauge at 0."""
        try:
            with self.ctx.read() as connection:
                counts = read_counts(connection, self.ctx.clock.now(), self.transitions)
        except SQLAlchemyError as exc:
            log.warning("event=metrics_database_failed error=%s", str(exc).splitlines()[0] if str(exc) else exc)
            yield GaugeMetricFamily("recovery_database_up", "1 when /metrics could read the database.", value=0)
            return
        yield GaugeMetricFamily("recovery_database_up", "1 when /metrics could read the database.", value=1)
        yield from families(counts)


def families(counts: Counts) -> Iterator[Metric]:
    """The metric families of one scrape's counts; every known status is shown, at 0 when it has no row."""
    by_state = GaugeMetricFamily(
        "recovery_complaints", "Complaints by state and workflow.", labels=["state", "workflow"]
    )
    for state, workflow, n in sorted(counts.complaints):
        by_state.add_metric([state, workflow], n)
    yield by_state
    yield GaugeMetricFamily(
        "recovery_complaints_overdue",
        "Open complaints past a step deadline (unpaused) or the final one.",
        counts.overdue,
    )
    levels = GaugeMetricFamily(
        "recovery_complaints_escalation_level", "Open complaints by escalation level.", labels=["level"]
    )
    for level, n in sorted(counts.escalation.items()):
        levels.add_metric([str(level)], n)
    yield levels
    yield _statuses("recovery_inbox_events", "Helpdesk events stored, by status.", counts.inbox, INBOX_STATUSES)
    yield _statuses("recovery_outbox_messages", "Notifications, by status.", counts.outbox, OUTBOX_STATUSES)
    # A count of audit rows, not an in-memory counter: it survives restarts and only grows.
    transitions = CounterMetricFamily(
        "recovery_transitions",
        "Applied audit entries by trigger (workflow steps, open, assign, …).",
        labels=["trigger"],
    )
    for trigger, n in sorted(counts.transitions.items()):
        transitions.add_metric([trigger], n)
    yield transitions


def _statuses(name: str, documentation: str, found: dict[str, int], known: tuple[str, ...]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["status"])
    for status in sorted({*known, *found}):
        family.add_metric([status], found.get(status, 0))
    return family
