"""Pausing and resuming a complaint's step clock, honestly: a resumed deadline moves by exactly the paused time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from recovery.core import deadlines
from recovery.core.commands import PauseComplaint, ResumeComplaint
from recovery.core.complaint import Complaint, evolve
from recovery.core.workflow import Workflow
from recovery.engine.context import Context
from recovery.engine.input_checks import check_actor, check_texts
from recovery.errors import TransitionRefused
from recovery.store import audit
from recovery.store import complaints as store


def pause(ctx: Context, command: PauseComplaint) -> Complaint:
    """Stop the step clock; without a known reason the attempt is audited and refused."""
    check_actor(command.actor)
    check_texts(note=command.note, reason=command.reason)
    with ctx.db.begin() as connection:
        complaint = store.load(connection, command.complaint_id)
        workflow = ctx.workflows.get(connection, complaint.workflow, complaint.workflow_version)
        now = ctx.clock.now()
        problem = _pause_problem(workflow, complaint, command.reason)
        if problem is None:
            timers = deadlines.paused(workflow, now, complaint.timers, ctx.calendar)
            paused = evolve(
                complaint,
                pause_reason=command.reason,
                timers=timers,
                due_at=deadlines.due_at(workflow, timers, ctx.calendar),
            )
            store.save(connection, [paused], {complaint.id: complaint})
            complaint = store.stored(paused)
        outcome = "applied" if problem is None else "refused"
        note = problem or command.note or (command.reason or "")  # the reason shows in the history
        dest = complaint.state if problem is None else None  # a refused attempt goes nowhere
        entry = audit.entry(
            complaint.id, now, "pause", complaint.state, dest, command.actor, outcome, note, {"reason": command.reason}
        )
        audit.append(connection, [entry])
    if problem is not None:
        raise TransitionRefused(f"complaint {command.complaint_id}: pause refused: {problem}")
    return complaint


def _pause_problem(workflow: Workflow, complaint: Complaint, reason: str | None) -> str | None:
    if complaint.closed_at is not None:
        return f"the complaint is closed ({complaint.state})"
    if complaint.paused_at is not None:
        return f"already paused since {complaint.paused_at:%Y-%m-%d %H:%M} UTC ({complaint.pause_reason})"
    if not reason:
        return f"a pause needs a reason: one of {', '.join(workflow.pause.reasons)}"
    if reason not in workflow.pause.reasons:
        return f"unknown reason {reason!r}; known: {', '.join(workflow.pause.reasons)}"
    return None


def resume(ctx: Context, command: ResumeComplaint, *, automatic: bool = False) -> Complaint:
    """Restart the step clock; the deadlines move later by exactly the paused time."""
    check_actor(command.actor)
    check_texts(note=command.note)
    with ctx.db.begin() as connection:
        complaint = store.load(connection, command.complaint_id)
        if complaint.paused_at is not None:
            return resume_in(ctx, connection, complaint, command.actor, command.note, automatic=automatic)
        refusal = audit.entry(
            complaint.id, ctx.clock.now(), "resume", complaint.state, None, command.actor, "refused", "it is not paused"
        )
        audit.append(connection, [refusal])
    raise TransitionRefused(f"complaint {command.complaint_id}: resume refused: it is not paused")


def resume_in(
    ctx: Context,
    connection: Connection,
    complaint: Complaint,
    actor: str | None,
    note: str,
    *,
    automatic: bool = False,
    at: datetime | None = None,
) -> Complaint:
    """Resume a paused complaint inside ``connection``'s transaction and store it; the scan passes ``at``, the cap."""
    workflow = ctx.workflows.get(connection, complaint.workflow, complaint.workflow_version)
    now = at or ctx.clock.now()
    paused_at = complaint.paused_at
    assert paused_at is not None
    timers = deadlines.resumed(workflow, complaint.state, now, complaint.timers, ctx.calendar)
    resumed = evolve(
        complaint, pause_reason=None, timers=timers, due_at=deadlines.due_at(workflow, timers, ctx.calendar)
    )
    store.save(connection, [resumed], {complaint.id: complaint})
    saved = store.stored(resumed)
    text = note or ("pause cap reached" if automatic else "")
    payload = {
        "reason": complaint.pause_reason,
        "paused_seconds": int((now - paused_at).total_seconds()),
        "automatic": automatic,
    }
    audit.append(
        connection,
        [audit.entry(complaint.id, now, "resume", complaint.state, complaint.state, actor, "applied", text, payload)],
    )
    return saved
