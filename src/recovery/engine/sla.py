"""The overdue scan: step warnings, escalations, follow-up reminders, pause caps and the final response.

The daemon calls ``scan`` every tick and ``recovery sla scan`` calls it by hand. Each batch is one
transaction: the complaints it claims, their audit rows and their outbox messages commit together,
so a crash loses nothing committed and repeats nothing. The scan reads one indexed column,
``complaints.due_at``; after acting it recomputes ``due_at``, so a scan costs what is overdue,
not what is stored. On PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED``: several
daemons share the work and never act on one complaint at once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, select

from recovery.core.calendar import BusinessCalendar
from recovery.core.deadlines import Timers
from recovery.core.workflow import Workflow
from recovery.engine import rows
from recovery.engine.complaints import resume_in
from recovery.engine.context import Context
from recovery.engine.outbox import enqueue_many
from recovery.store.schema import complaints, staff

log = logging.getLogger(__name__)

ACTOR = "scheduler"
TOPICS = {
    "warn": "complaint.warning",
    "escalate": "complaint.escalated",
    "remind_follow_up": "complaint.follow_up_due",
    "final_warn": "complaint.final_warning",
    "final_breach": "complaint.final_breach",
}
FINAL_ROLES = ("assignee", "manager")
KINDS = ("resume", "warn", "escalate", "remind_follow_up", "final_warn", "final_breach")


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the scan did (or, on a dry run, would do) to one complaint."""

    complaint_id: int
    kind: str
    state: str
    level: int | None = None
    notify: tuple[str, ...] = ()


@dataclass
class ScanReport:
    """What one scan did: complaints looked at, counts by action; every action when asked to record."""

    looked: int = 0
    batches: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    actions: list[Action] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Flat counts for a log line or JSON: looked, batches and one key per action kind."""
        return {
            "looked": self.looked,
            "batches": self.batches,
            **{kind: self.counts[kind] for kind in KINDS},
        }


@dataclass(frozen=True, slots=True)
class _Due:
    """A deadline that has passed: what to record and whom (by role) to tell."""

    kind: str
    roles: tuple[str, ...]
    level: int | None = None
    moment: datetime | None = None


@dataclass(frozen=True)
class _People:
    """Staff ids by role and their email addresses, read once per batch."""

    emails: dict[str, str | None]
    by_role: dict[str, tuple[str, ...]]

    def resolve(self, roles: Iterable[str], assignee: str | None) -> tuple[str, ...]:
        """Staff ids named by ``roles`` (assignee, lead, manager), each once, in order."""
        found: list[str] = []
        for role in roles:
            named = ((assignee,) if assignee else ()) if role == "assignee" else self.by_role.get(role, ())
            found.extend(person for person in named if person not in found)
        return tuple(found)


@dataclass
class _Batch:
    """The rows one batch will write, gathered in memory first and written in bulk."""

    now: datetime
    people: _People
    record: bool
    report: ScanReport
    audit: list[rows.Row] = field(default_factory=list)
    messages: list[rows.Row] = field(default_factory=list)

    def count(self, action: Action) -> None:
        self.report.counts[action.kind] += 1
        if self.record:
            self.report.actions.append(action)


def scan(
    ctx: Context,
    *,
    batch: int = 500,
    dry_run: bool = False,
    record: bool = False,
    stop: Callable[[], bool] | None = None,
) -> ScanReport:
    """Act on every complaint due now, ``batch`` per transaction; a dry run rolls everything back.

    ``stop`` is asked between batches (the daemon's shutdown flag); ``record`` keeps every action.
    """
    report = ScanReport()
    should_stop = stop or (lambda: False)
    if dry_run:
        with ctx.db.connect() as connection, connection.begin() as transaction:
            while not should_stop() and _batch_in(ctx, connection, batch, report, record=True):
                pass
            transaction.rollback()
        return report
    while not should_stop():
        # Rows are read under lock in the transaction that writes them, so the optimistic version
        # check in rows.save cannot fail here; a user's concurrent fire waits, then gets ConflictError.
        with ctx.db.begin() as connection:
            if not _batch_in(ctx, connection, batch, report, record=record):
                break
    return report


def _claim(now: datetime, limit: int) -> Select[Any]:
    """Due complaints, earliest first, locked for this transaction (SQLite ignores the lock clause)."""
    return (
        select(complaints)
        .where(complaints.c.due_at <= now)
        .order_by(complaints.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def _batch_in(ctx: Context, connection: Connection, size: int, report: ScanReport, *, record: bool) -> bool:
    """Claim and act on one batch inside ``connection``'s transaction; False when the scan is done."""
    now = ctx.clock.now()
    claimed = [dict(found) for found in connection.execute(_claim(now, size)).mappings()]
    if not claimed:
        return False
    batch = _Batch(now, _people(connection), record, report)
    before = {row["id"]: dict(row) for row in claimed}
    for row in claimed:
        _look(ctx, connection, row, batch)
    rows.save(connection, claimed, before)  # only the columns that changed: usually three
    rows.write_audit(connection, batch.audit)
    enqueue_many(connection, batch.messages, now)
    report.looked += len(claimed)
    report.batches += 1
    progressed = any(row["due_at"] is None or row["due_at"] > now for row in claimed)
    if not progressed:  # every row still due after acting: a calendar bug, not a reason to spin
        log.error("scan made no progress on complaints %s", [row["id"] for row in claimed[:5]])
    return len(claimed) == size and progressed


def _people(connection: Connection) -> _People:
    emails: dict[str, str | None] = {}
    by_role: dict[str, list[str]] = {}
    for person in connection.execute(select(staff.c.id, staff.c.email, staff.c.role).order_by(staff.c.id)):
        emails[person.id] = person.email
        by_role.setdefault(person.role, []).append(person.id)
    return _People(emails, {role: tuple(ids) for role, ids in by_role.items()})


def _look(ctx: Context, connection: Connection, row: rows.Row, batch: _Batch) -> None:
    """Act on one claimed complaint: resume a pause past its cap, then record every deadline passed."""
    workflow = ctx.workflows.get(connection, row["workflow"], row["workflow_version"])
    if _pause_over(row, batch.now):
        _resume_at_cap(ctx, connection, row)
        batch.count(Action(row["id"], "resume", row["state"]))
    timers, dues = due_now(workflow, rows.timers_of(row), batch.now, ctx.calendar)
    for due in dues:
        _record(row, due, batch)
    rows.put_timers(row, timers, workflow, ctx.calendar)


def _pause_over(row: rows.Row, now: datetime) -> bool:
    ends = row["pause_ends_at"]
    return row["paused_at"] is not None and row["closed_at"] is None and ends is not None and ends <= now


def _resume_at_cap(ctx: Context, connection: Connection, row: rows.Row) -> None:
    """Resume as of the moment the cap was reached, not when the scan noticed: downtime extends nothing."""
    resume_in(ctx, connection, row, ACTOR, "", automatic=True, at=row["pause_ends_at"])


def due_now(workflow: Workflow, timers: Timers, now: datetime, calendar: BusinessCalendar) -> tuple[Timers, list[_Due]]:
    """The timers after acting at ``now`` and the deadlines that passed, in the order they are recorded."""
    if timers.closed:
        return timers, []
    changes: dict[str, object] = {}
    dues = _final_due(timers, now, changes)
    if timers.paused_at is None:
        dues += _warn_due(timers, now, changes)
        dues += _escalation_due(workflow, timers, now, calendar, changes)
        dues += _follow_up_due(timers, now, changes)
    return (replace(timers, **changes) if changes else timers), dues  # type: ignore[arg-type]


# Each rule below reads the timers as found and adds the fields it changes to ``changes``:
# one replace() per complaint instead of one per rule (the scan's hot path).


def _final_due(timers: Timers, now: datetime, changes: dict[str, object]) -> list[_Due]:
    """The final-response breach supersedes its warning when both have passed (the daemon was down)."""
    if not timers.final_breached and timers.final_deadline <= now:
        changes.update(final_warned=True, final_breached=True)
        return [_Due("final_breach", FINAL_ROLES, moment=timers.final_deadline)]
    if not timers.final_warned and timers.final_warn_at <= now:
        changes["final_warned"] = True
        return [_Due("final_warn", FINAL_ROLES, moment=timers.final_warn_at)]
    return []


def _warn_due(timers: Timers, now: datetime, changes: dict[str, object]) -> list[_Due]:
    """Warn the assignee once a share of the step's time is used, unless the deadline itself has passed."""
    if timers.warned or timers.warn_at is None or timers.warn_at > now:
        return []
    changes["warned"] = True
    superseded = timers.deadline is not None and timers.deadline <= now
    return [] if superseded else [_Due("warn", ("assignee",), moment=timers.deadline)]


def _escalation_due(
    workflow: Workflow, timers: Timers, now: datetime, calendar: BusinessCalendar, changes: dict[str, object]
) -> list[_Due]:
    """Jump to the highest level whose threshold has passed; tell everyone the levels crossed name."""
    if timers.deadline is None or timers.deadline > now:
        return []
    crossed = [
        step
        for step in workflow.escalation
        if step.level > timers.escalation_level and calendar.add(timers.deadline, step.overdue_by) <= now
    ]
    if not crossed:
        return []
    top = max(crossed, key=lambda step: step.level)
    changes["escalation_level"] = top.level
    roles = tuple(dict.fromkeys(role for step in crossed for role in step.notify))
    return [_Due("escalate", roles, top.level, timers.deadline)]


def _follow_up_due(timers: Timers, now: datetime, changes: dict[str, object]) -> list[_Due]:
    """Remind the assignee once when the follow-up date of a compensated complaint has come."""
    if timers.follow_up_reminded or timers.follow_up_due_at is None or timers.follow_up_due_at > now:
        return []
    changes["follow_up_reminded"] = True
    return [_Due("remind_follow_up", ("assignee",), moment=timers.follow_up_due_at)]


def _record(row: rows.Row, due: _Due, batch: _Batch) -> None:
    """The audit row and one outbox message per person for one passed deadline."""
    recipients = batch.people.resolve(due.roles, row["assignee"])
    payload: dict[str, Any] = {"notify": list(recipients)}
    if due.level is not None:
        payload["level"] = due.level
    if due.moment is not None:
        payload["deadline"] = due.moment.isoformat()
        payload["overdue_by_seconds"] = max(0, int((batch.now - due.moment).total_seconds()))
    state = row["state"]
    batch.audit.append(rows.audit(row["id"], batch.now, due.kind, state, state, ACTOR, "applied", "", payload))
    for person in recipients:
        batch.messages.append(_message(row, due, person, batch, payload))
    batch.count(Action(row["id"], due.kind, state, due.level, recipients))


def _message(row: rows.Row, due: _Due, person: str, batch: _Batch, details: dict[str, Any]) -> rows.Row:
    """One outbox row; its key makes a repeated scan of the same step (or level) send nothing new."""
    step = row["state_entered_at"].isoformat()
    keys = {
        "escalate": f"escalation:{row['id']}:{step}:{due.level}:{person}",
        "warn": f"warn:{row['id']}:{step}:{person}",
        "remind_follow_up": f"remind_follow_up:{row['id']}:{step}:{person}",
    }
    payload = {
        "event": due.kind,
        "complaint_id": row["id"],
        "state": row["state"],
        "summary": row["summary"],
        "staff": person,
        "email": batch.people.emails.get(person),
        **{k: v for k, v in details.items() if k != "notify"},
    }
    return {
        "dedupe_key": keys.get(due.kind, f"{due.kind}:{row['id']}:{person}"),
        "topic": TOPICS[due.kind],
        "recipient": person,
        "payload": payload,
    }
