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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from recovery.core import deadlines
from recovery.core.commands import FireTrigger
from recovery.core.complaint import Complaint, evolve
from recovery.core.machine import Refused
from recovery.core.overdue import Due, due_now, pause_over, timed_out
from recovery.engine.complaints import Steps
from recovery.engine.context import Context
from recovery.engine.pauses import resume_in
from recovery.engine.survey_follow_up import send_follow_up_survey
from recovery.store import audit
from recovery.store import complaints as store
from recovery.store.outbox import enqueue_many
from recovery.store.schema import complaints as complaints_table
from recovery.store.schema import staff

log = logging.getLogger(__name__)

ACTOR = "scheduler"
TOPICS = {
    "warn": "complaint.warning",
    "escalate": "complaint.escalated",
    "remind_follow_up": "complaint.follow_up_due",
    "final_warn": "complaint.final_warning",
    "final_breach": "complaint.final_breach",
}
KINDS = ("resume", "timeout", "warn", "escalate", "remind_follow_up", "final_warn", "final_breach")


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


@dataclass(frozen=True)
class _People:
    """Staff ids by role and their email addresses, read once per batch."""

    emails: dict[str, str | None]
    by_role: dict[str, tuple[str, ...]]

    def resolve(self, recipients: Iterable[str], assignee: str | None) -> tuple[str, ...]:
        """Staff ids named by ``recipients`` (assignee, lead, manager), each once, in order.

        A complaint nobody is assigned to (one opened from a ticket no staff member holds) would reach
        nobody where the ladder says ``assignee``: the leads stand in for its assignee.
        """
        found: list[str] = []
        for role in recipients:
            if role == "assignee":
                named = (assignee,) if assignee else self.by_role.get("lead", ())
            else:
                named = self.by_role.get(role, ())
            found.extend(person for person in named if person not in found)
        return tuple(found)


@dataclass
class _ScanBatch:
    """The rows one batch will write, gathered in memory first and written in bulk."""

    now: datetime
    people: _People
    record: bool
    report: ScanReport
    audit: list[audit.AuditRow] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

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
    on_batch: Callable[[ScanReport, Sequence[Action]], None] | None = None,
) -> ScanReport:
    """Act on every complaint due now, ``batch`` per transaction; a dry run rolls everything back.

    ``stop`` is asked between batches (the daemon's shutdown flag); ``record`` keeps every action;
    ``on_batch`` is told the running report and the batch's actions once they are committed (the daemon logs
    them, the CLI shows how far it is).
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
        mark = len(report.actions)
        # Rows are read under lock in the transaction that writes them, so the optimistic version
        # check in store.save cannot fail here; a user's concurrent fire waits, then gets ConflictError.
        with ctx.db.begin() as connection:
            more = _batch_in(ctx, connection, batch, report, record=record or on_batch is not None)
        if on_batch is not None:
            on_batch(report, report.actions[mark:])  # after the commit: only what is written is told
            if not record:
                del report.actions[mark:]  # a long scan keeps no more than one batch in memory
        if not more:
            break
    return report


def due_count(ctx: Context) -> int:
    """How many complaints are due now: what a scan started now has to look at (its progress bar's total)."""
    with ctx.read() as connection:
        query = select(func.count()).select_from(complaints_table).where(complaints_table.c.due_at <= ctx.clock.now())
        return int(connection.execute(query).scalar_one())


def _batch_in(ctx: Context, connection: Connection, size: int, report: ScanReport, *, record: bool) -> bool:
    """Claim and act on one batch inside ``connection``'s transaction; False when the scan is done."""
    now = ctx.clock.now()
    claimed = [store.from_row(row) for row in connection.execute(store.claim_due(now, size))]
    if not claimed:
        return False
    batch = _ScanBatch(now, _people(connection), record, report)
    before = {c.id: c for c in claimed}
    acted = [_look(ctx, connection, complaint, batch, before) for complaint in claimed]
    store.save(connection, acted, before)  # only the columns that changed: usually three
    audit.append(connection, batch.audit)
    enqueue_many(connection, batch.messages, now)
    report.looked += len(claimed)
    report.batches += 1
    progressed = any(c.due_at is None or c.due_at > now for c in acted)
    if not progressed:  # every complaint still due after acting: a calendar bug, not a reason to spin
        log.error("scan made no progress on complaints %s", [c.id for c in acted[:5]])
    return len(claimed) == size and progressed


def _people(connection: Connection) -> _People:
    emails: dict[str, str | None] = {}
    by_role: dict[str, list[str]] = {}
    for person in connection.execute(select(staff.c.id, staff.c.email, staff.c.role).order_by(staff.c.id)):
        emails[person.id] = person.email
        by_role.setdefault(person.role, []).append(person.id)
    return _People(emails, {role: tuple(ids) for role, ids in by_role.items()})


def _look(
    ctx: Context, connection: Connection, complaint: Complaint, batch: _ScanBatch, before: dict[int, Complaint]
) -> Complaint:
    """Act on one claimed complaint: resume a pause past its cap, then record every deadline passed."""
    workflow = ctx.workflows.get(connection, complaint.workflow, complaint.workflow_version)
    if pause_over(complaint.timers, batch.now):
        # As of the moment the cap was reached, not when the scan noticed: downtime extends nothing.
        complaint = resume_in(ctx, connection, complaint, ACTOR, "", automatic=True, at=complaint.timers.pause_ends_at)
        before[complaint.id] = complaint
        batch.count(Action(complaint.id, "resume", complaint.state))
    trigger = timed_out(workflow, complaint.state, complaint.timers, batch.now)
    if trigger is not None:
        return _time_out(ctx, connection, complaint, trigger, batch, before)
    timers, dues = due_now(workflow, complaint.timers, batch.now, ctx.calendar)
    for due in dues:
        _record(complaint, due, batch)
    if any(due.kind == "remind_follow_up" for due in dues):  # the customer is asked too, in this transaction
        send_follow_up_survey(ctx, connection, complaint, batch.now)
    if timers is complaint.timers:
        return complaint
    return evolve(complaint, timers=timers, due_at=deadlines.due_at(workflow, timers, ctx.calendar))


def _time_out(
    ctx: Context,
    connection: Connection,
    complaint: Complaint,
    trigger: str,
    batch: _ScanBatch,
    before: dict[int, Complaint],
) -> Complaint:
    """Fire the state's timeout trigger as of its deadline (downtime changes nothing), through the engine's steps."""
    steps = Steps(ctx, connection, [complaint])
    command = FireTrigger(complaint.id, trigger, actor=ACTOR, note="timed out", at=complaint.timers.deadline)
    outcome = steps.fire(command)
    steps.write()
    if isinstance(outcome, Refused):  # a guard on a timeout: stop looking until someone acts
        log.warning("complaint %s: timeout %s refused: %s", complaint.id, trigger, outcome.reason)
        stuck = evolve(steps.current[complaint.id], due_at=None)
        before[complaint.id] = steps.current[complaint.id]
        return stuck
    timed = steps.current[complaint.id]
    before[complaint.id] = timed
    batch.count(Action(complaint.id, "timeout", timed.state))
    return timed


def _record(complaint: Complaint, due: Due, batch: _ScanBatch) -> None:
    """The audit row and one outbox message per person for one passed deadline."""
    people = batch.people.resolve(due.recipients, complaint.assignee)
    payload: dict[str, Any] = {"notify": list(people)}
    if due.level is not None:
        payload["level"] = due.level
    if due.moment is not None:
        payload["deadline"] = due.moment.isoformat()
        payload["overdue_by_seconds"] = max(0, int((batch.now - due.moment).total_seconds()))
    state = complaint.state
    batch.audit.append(audit.entry(complaint.id, batch.now, due.kind, state, state, ACTOR, "applied", "", payload))
    for person in people:
        batch.messages.append(_message(complaint, due, person, batch, payload))
    batch.count(Action(complaint.id, due.kind, state, due.level, people))


def _message(complaint: Complaint, due: Due, person: str, batch: _ScanBatch, details: dict[str, Any]) -> dict[str, Any]:
    """One outbox row; its key makes a repeated scan of the same step (or level) send nothing new."""
    step = complaint.state_entered_at.isoformat()
    keys = {
        "escalate": f"escalation:{complaint.id}:{step}:{due.level}:{person}",
        "warn": f"warn:{complaint.id}:{step}:{person}",
        "remind_follow_up": f"remind_follow_up:{complaint.id}:{step}:{person}",
    }
    payload = {
        "event": due.kind,
        "complaint_id": complaint.id,
        "state": complaint.state,
        "summary": complaint.summary,
        "staff": person,
        "email": batch.people.emails.get(person),
        **{k: v for k, v in details.items() if k != "notify"},
    }
    return {
        "dedupe_key": keys.get(due.kind, f"{due.kind}:{complaint.id}:{person}"),
        "topic": TOPICS[due.kind],
        "recipient": person,
        "payload": payload,
    }
