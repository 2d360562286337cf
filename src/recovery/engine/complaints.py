"""Complaint use cases: open, fire a trigger (one or a batch), pause, resume.

Each runs in one transaction: the state change, its audit row and any compensation,
follow-up or outbox rows commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from recovery.core import deadlines
from recovery.core.commands import CHANNELS, FireTrigger, OpenComplaint, PauseComplaint, ResumeComplaint
from recovery.core.guards import Facts
from recovery.core.machine import Applied, Outcome, Refused
from recovery.core.workflow import Workflow
from recovery.engine import rows
from recovery.engine.context import Context
from recovery.engine.outbox import enqueue
from recovery.errors import ConflictError, InvalidInputError, NotFoundError, TransitionRefused
from recovery.store.schema import compensations, complaints, customers, follow_ups, staff
from recovery.store.sql import inserted_id

ACTOR_MAX = 64  # the length of audit_log.actor
COMPENSATION_MAX = Decimal(10) ** 10  # compensations.value is NUMERIC(12, 2)


@dataclass
class _Changes:
    """Rows a batch will write, gathered in memory first."""

    audit: list[rows.Row] = field(default_factory=list)
    compensations: list[rows.Row] = field(default_factory=list)
    follow_ups: list[rows.Row] = field(default_factory=list)


def open_complaint(ctx: Context, command: OpenComplaint) -> int:
    """Open a complaint in its workflow's initial state; return its id."""
    workflow = ctx.workflows.current(command.workflow or ctx.default_workflow)
    _check_open(workflow, command)
    now = command.at or ctx.clock.now()
    try:
        with ctx.db.begin() as connection:
            ctx.workflows.adopt(connection, workflow, now)
            return insert_complaint(ctx, connection, workflow, command, now)
    except IntegrityError as exc:  # the helpdesk ticket is the only unique key a new complaint can hit
        ticket = f"{command.ticket_source}:{command.ticket_id}"
        raise ConflictError(f"a complaint for ticket {ticket} already exists") from exc


def insert_complaint(
    ctx: Context, connection: Connection, workflow: Workflow, command: OpenComplaint, now: datetime
) -> int:
    """Insert the complaint, its audit row and its assignment notice inside ``connection``'s transaction."""
    _check_refs(connection, command)
    timers = deadlines.opened(workflow, command.severity, now, ctx.calendar)
    row: rows.Row = {
        "customer_id": command.customer_id,
        "summary": command.summary.strip(),
        "severity": command.severity,
        "channel": command.channel,
        "workflow": workflow.name,
        "workflow_version": workflow.version,
        "state": workflow.initial,
        "assignee": command.assignee,
        "opened_at": now,
        "state_entered_at": now,
        "closed_at": None,
        "pause_reason": None,
        "reopen_count": 0,
        "last_score": None,
        "ticket_source": command.ticket_source,
        "ticket_id": command.ticket_id,
        "version": 1,
    }
    rows.put_timers(row, timers, workflow, ctx.calendar)
    complaint_id = inserted_id(connection.execute(complaints.insert().values(row)))
    entry = rows.audit(
        complaint_id,
        now,
        "open",
        workflow.initial,
        workflow.initial,
        command.actor,
        "applied",
        command.summary.strip(),
        {"severity": command.severity, "channel": command.channel},
    )
    rows.write_audit(connection, [entry])
    if command.assignee:
        enqueue(
            connection,
            f"assigned:{complaint_id}:{command.assignee}",
            "complaint.assigned",
            {"complaint_id": complaint_id, "staff": command.assignee, "summary": row["summary"]},
            now,
        )
    return complaint_id


def _check_actor(actor: str | None) -> None:
    # PostgreSQL would refuse a longer one with a DataError; SQLite would silently keep it.
    if actor is not None and len(actor) > ACTOR_MAX:
        raise InvalidInputError(f"actor: at most {ACTOR_MAX} characters, got {len(actor)}")


def _check_open(workflow: Workflow, command: OpenComplaint) -> None:
    _check_actor(command.actor)
    if not command.summary.strip():
        raise InvalidInputError("summary: a complaint needs a summary")
    if command.severity not in workflow.severity:
        raise InvalidInputError(f"severity: unknown {command.severity!r}; known: {', '.join(workflow.severity)}")
    if command.channel not in CHANNELS:
        raise InvalidInputError(f"channel: unknown {command.channel!r}; known: {', '.join(CHANNELS)}")


def _check_refs(connection: Connection, command: OpenComplaint) -> None:
    found = connection.execute(select(customers.c.id).where(customers.c.id == command.customer_id)).first()
    if found is None:
        raise NotFoundError(f"no customer {command.customer_id}")
    assignee = command.assignee
    if assignee is not None and connection.execute(select(staff.c.id).where(staff.c.id == assignee)).first() is None:
        raise NotFoundError(f"no staff member {command.assignee!r}")


def check_fire(command: FireTrigger) -> None:
    """Refuse a command whose values the database cannot hold, before anything is written."""
    _check_actor(command.actor)
    if command.compensation is not None and abs(command.compensation.value) >= COMPENSATION_MAX:
        raise InvalidInputError(f"compensation: the value must be below {COMPENSATION_MAX:,}")


def fire(ctx: Context, command: FireTrigger) -> rows.Row:
    """Fire one trigger in its own transaction; a refusal is audited, then raised."""
    check_fire(command)
    with ctx.db.begin() as connection:
        row = rows.load(connection, command.complaint_id)
        if command.expected_version is not None and row["version"] != command.expected_version:
            raise ConflictError(
                f"complaint {row['id']} is at version {row['version']}, not {command.expected_version}: "
                "someone else changed it; reload and try again"
            )
        outcome = apply_in(ctx, connection, {row["id"]: row}, [command])[0]
    if isinstance(outcome, Refused):
        raise TransitionRefused(f"complaint {command.complaint_id}: {outcome.reason}", outcome.allowed)
    return row


def fire_batch(ctx: Context, commands: Sequence[FireTrigger]) -> list[Outcome]:
    """Apply many triggers in one transaction, in order; refusals are audited and returned, not raised."""
    for command in commands:
        check_fire(command)
    with ctx.db.begin() as connection:
        loaded = rows.load_many(connection, sorted({c.complaint_id for c in commands}))
        missing = [c.complaint_id for c in commands if c.complaint_id not in loaded]
        if missing:
            raise NotFoundError(f"no complaint {missing[0]}")
        return apply_in(ctx, connection, loaded, commands)


def apply_in(
    ctx: Context, connection: Connection, loaded: dict[int, rows.Row], commands: Sequence[FireTrigger]
) -> list[Outcome]:
    """Apply ``commands`` to rows already read inside ``connection``'s transaction and write the result."""
    changes = _Changes()
    before = {complaint_id: dict(row) for complaint_id, row in loaded.items()}
    changed: dict[int, rows.Row] = {}
    outcomes = []
    now = ctx.clock.now()  # one transaction, one moment
    for command in commands:
        row = loaded[command.complaint_id]
        outcome = _apply(ctx, connection, row, command, command.at or now, changes)
        if isinstance(outcome, Applied):
            changed[row["id"]] = row
        outcomes.append(outcome)
    rows.save(connection, list(changed.values()), before)
    rows.write_audit(connection, changes.audit)
    if changes.compensations:
        connection.execute(compensations.insert(), changes.compensations)
    if changes.follow_ups:
        connection.execute(follow_ups.insert(), changes.follow_ups)
    return outcomes


def _apply(
    ctx: Context, connection: Connection, row: rows.Row, command: FireTrigger, now: datetime, changes: _Changes
) -> Outcome:
    """Fire on the in-memory row; on success update it and gather the rows to write."""
    workflow = ctx.workflows.get(connection, row["workflow"], row["workflow_version"])
    facts = Facts(
        command.compensation, command.score, command.reason, row["last_score"], workflow.satisfaction_threshold
    )
    outcome = ctx.workflows.machine(workflow).fire(row["state"], command.trigger, facts)
    payload = _payload(command)
    if isinstance(outcome, Refused):
        changes.audit.append(
            rows.audit(
                row["id"], now, command.trigger, row["state"], None, command.actor, "refused", outcome.reason, payload
            )
        )
        return outcome
    _record_facts(row, command, now, changes)
    _enter(ctx, workflow, row, outcome, now)
    note = command.note or command.comment or (command.reason or "")
    changes.audit.append(
        rows.audit(
            row["id"], now, command.trigger, outcome.source, outcome.dest, command.actor, "applied", note, payload
        )
    )
    return outcome


def _record_facts(row: rows.Row, command: FireTrigger, now: datetime, changes: _Changes) -> None:
    if command.trigger == "compensate" and command.compensation is not None:
        c = command.compensation
        changes.compensations.append(
            {
                "complaint_id": row["id"],
                "kind": c.kind,
                "value": c.value,
                "description": c.description,
                "recorded_by": command.actor,
                "recorded_at": now,
            }
        )
    if command.score is not None and command.trigger == "follow_up":
        changes.follow_ups.append(
            {
                "complaint_id": row["id"],
                "score": command.score,
                "comment": command.comment,
                "recorded_by": command.actor,
                "recorded_at": now,
            }
        )
        row["last_score"] = command.score
    if command.trigger == "reopen":
        row["reopen_count"] += 1


def _enter(ctx: Context, workflow: Workflow, row: rows.Row, outcome: Applied, now: datetime) -> None:
    """Put the row in its new state with fresh step deadlines; a transition ends any pause."""
    timers = deadlines.entered(workflow, outcome.dest, row["severity"], now, rows.timers_of(row), ctx.calendar)
    row["state"] = outcome.dest
    row["state_entered_at"] = now
    row["pause_reason"] = None
    if workflow.is_final(outcome.dest):
        row["closed_at"] = now
    rows.put_timers(row, timers, workflow, ctx.calendar)


def _payload(command: FireTrigger) -> dict[str, Any] | None:
    payload: dict[str, Any] = {}
    if command.compensation is not None:
        c = command.compensation
        payload["compensation"] = {"kind": c.kind, "value": str(c.value), "description": c.description}
    if command.score is not None:
        payload["score"] = command.score
    if command.comment:
        payload["comment"] = command.comment
    if command.reason:
        payload["reason"] = command.reason
    return payload or None


def pause(ctx: Context, command: PauseComplaint) -> rows.Row:
    """Stop the step clock; without a known reason the attempt is audited and refused."""
    _check_actor(command.actor)
    with ctx.db.begin() as connection:
        row = rows.load(connection, command.complaint_id)
        workflow = ctx.workflows.get(connection, row["workflow"], row["workflow_version"])
        now = ctx.clock.now()
        problem = _pause_problem(workflow, row, command.reason)
        if problem is None:
            timers = deadlines.paused(workflow, now, rows.timers_of(row), ctx.calendar)
            row["pause_reason"] = command.reason
            rows.put_timers(row, timers, workflow, ctx.calendar)
            rows.save(connection, [row])
        outcome = "applied" if problem is None else "refused"
        note = problem or command.note or (command.reason or "")  # the reason shows in the history
        rows.write_audit(
            connection,
            [
                rows.audit(
                    row["id"],
                    now,
                    "pause",
                    row["state"],
                    row["state"] if problem is None else None,  # a refused attempt goes nowhere
                    command.actor,
                    outcome,
                    note,
                    {"reason": command.reason},
                )
            ],
        )
    if problem is not None:
        raise TransitionRefused(f"complaint {command.complaint_id}: pause refused: {problem}")
    return row


def _pause_problem(workflow: Workflow, row: rows.Row, reason: str | None) -> str | None:
    if row["closed_at"] is not None:
        return f"the complaint is closed ({row['state']})"
    if row["paused_at"] is not None:
        return f"already paused since {row['paused_at']:%Y-%m-%d %H:%M} UTC ({row['pause_reason']})"
    if not reason:
        return f"a pause needs a reason: one of {', '.join(workflow.pause.reasons)}"
    if reason not in workflow.pause.reasons:
        return f"unknown reason {reason!r}; known: {', '.join(workflow.pause.reasons)}"
    return None


def resume(ctx: Context, command: ResumeComplaint, *, automatic: bool = False) -> rows.Row:
    """Restart the step clock; the deadlines move later by exactly the paused time."""
    _check_actor(command.actor)
    with ctx.db.begin() as connection:
        row = rows.load(connection, command.complaint_id)
        if row["paused_at"] is not None:
            resume_in(ctx, connection, row, command.actor, command.note, automatic=automatic)
            return row
        refusal = rows.audit(
            row["id"], ctx.clock.now(), "resume", row["state"], None, command.actor, "refused", "it is not paused"
        )
        rows.write_audit(connection, [refusal])
    raise TransitionRefused(f"complaint {command.complaint_id}: resume refused: it is not paused")


def resume_in(
    ctx: Context,
    connection: Connection,
    row: rows.Row,
    actor: str | None,
    note: str,
    *,
    automatic: bool = False,
    at: datetime | None = None,
) -> None:
    """Resume a paused row inside ``connection``'s transaction; the scheduler passes ``at``, the pause cap."""
    workflow = ctx.workflows.get(connection, row["workflow"], row["workflow_version"])
    now = at or ctx.clock.now()
    paused_for = now - row["paused_at"]
    timers = deadlines.resumed(workflow, row["state"], now, rows.timers_of(row), ctx.calendar)
    reason = row["pause_reason"]
    row["pause_reason"] = None
    rows.put_timers(row, timers, workflow, ctx.calendar)
    rows.save(connection, [row])
    text = note or ("pause cap reached" if automatic else "")
    payload = {"reason": reason, "paused_seconds": int(paused_for.total_seconds()), "automatic": automatic}
    rows.write_audit(
        connection, [rows.audit(row["id"], now, "resume", row["state"], row["state"], actor, "applied", text, payload)]
    )
