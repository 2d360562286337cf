"""Complaint use cases: open, and fire a trigger (one or a batch) through ``Steps``.

Each runs in one transaction: the state change, its audit row and any compensation,
follow-up or outbox rows commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from recovery.core import deadlines
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.complaint import Complaint, evolve, moved
from recovery.core.guards import facts_for
from recovery.core.machine import Applied, Outcome, Refused
from recovery.core.roles import Role
from recovery.core.vocabulary import CHANNELS, EXPECTATIONS
from recovery.core.winback import lost_key
from recovery.core.workflow import Workflow
from recovery.engine import prescriptions, winback
from recovery.engine.context import Context
from recovery.engine.input_checks import check_actor, check_moment, check_storable, check_texts
from recovery.errors import ConflictError, InvalidInputError, NotFoundError, TransitionRefused
from recovery.store import audit
from recovery.store import complaints as store
from recovery.store.outbox import enqueue
from recovery.store.schema import compensations, customers, follow_ups, staff


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
    _check_open(workflow, command)  # every way in: the CLI's open and the helpdesk's
    assignee_email = _check_refs(connection, command)
    # The customer's class may raise the severity: here, so a complaint opened from a helpdesk gets it too.
    care = prescriptions.opening(connection, ctx.retention, workflow, command.customer_id, command.severity)
    timers = deadlines.opened(workflow, care.severity, now, ctx.calendar)
    summary = command.summary.strip()
    new = Complaint(
        id=0,
        customer_id=command.customer_id,
        summary=summary,
        severity=care.severity,
        channel=command.channel,
        workflow=workflow.name,
        workflow_version=workflow.version,
        state=workflow.initial,
        assignee=command.assignee,
        opened_at=now,
        state_entered_at=now,
        timers=timers,
        ticket_source=command.ticket_source,
        ticket_id=command.ticket_id,
        due_at=deadlines.due_at(workflow, timers, ctx.calendar),
    )
    complaint_id = store.insert(connection, new, expected=command.expected, open_key=command.open_key).id
    details: dict[str, Any] = {"severity": care.severity, "channel": command.channel}
    if care.raised:
        details.update(requested_severity=command.severity, severity_raised=care.raised)
    opened = audit.entry(
        complaint_id, now, "open", workflow.initial, workflow.initial, command.actor, "applied", summary, details
    )
    audit.append(connection, [opened])
    if command.assignee:
        notice = {"complaint_id": complaint_id, "staff": command.assignee, "email": assignee_email, "summary": summary}
        enqueue(
            connection,
            f"assigned:{complaint_id}:{command.assignee}",
            "complaint.assigned",
            notice,
            now,
            command.assignee,
        )
    return complaint_id


def _check_open(workflow: Workflow, command: OpenComplaint) -> None:
    check_actor(command.actor)
    check_texts(summary=command.summary, ticket=command.ticket_id, ticket_source=command.ticket_source)
    check_moment(command.at)
    if not command.summary.strip():
        raise InvalidInputError("summary: a complaint needs a summary")
    if command.severity not in workflow.severity:
        raise InvalidInputError(f"severity: unknown {command.severity!r}; known: {', '.join(workflow.severity)}")
    if command.channel not in CHANNELS:
        raise InvalidInputError(f"channel: unknown {command.channel!r}; known: {', '.join(CHANNELS)}")
    if command.expected is not None and command.expected not in EXPECTATIONS:
        raise InvalidInputError(f"expected: unknown {command.expected!r}; known: {', '.join(EXPECTATIONS)}")


def _check_refs(connection: Connection, command: OpenComplaint) -> str | None:
    """NotFoundError for an unknown customer or assignee; the assignee's email address."""
    found = connection.execute(select(customers.c.id).where(customers.c.id == command.customer_id)).first()
    if found is None:
        raise NotFoundError(f"no customer {command.customer_id}")
    if command.assignee is None:
        return None
    person = connection.execute(select(staff.c.email).where(staff.c.id == command.assignee)).first()
    if person is None:
        raise NotFoundError(f"no staff member {command.assignee!r}")
    return str(person.email) if person.email else None


def fire(ctx: Context, command: FireTrigger) -> Complaint:
    """Fire one trigger in its own transaction; a refusal is audited, then raised."""
    check_storable(command)
    with ctx.db.begin() as connection:
        complaint = store.load(connection, command.complaint_id)
        if command.expected_version is not None and complaint.version != command.expected_version:
            raise ConflictError(
                f"complaint {complaint.id} is at version {complaint.version}, not {command.expected_version}: "
                "someone else changed it; reload and try again"
            )
        steps = Steps(ctx, connection, [complaint])
        outcome = steps.fire(command)
        steps.write()
    if isinstance(outcome, Refused):
        raise TransitionRefused(f"complaint {command.complaint_id}: {outcome.reason}", outcome.allowed)
    return steps.current[complaint.id]


def fire_batch(ctx: Context, commands: Sequence[FireTrigger]) -> list[Outcome]:
    """Apply many triggers in one transaction, in order; refusals are audited and returned, not raised."""
    for command in commands:
        check_storable(command)
    with ctx.db.begin() as connection:
        loaded = store.load_many(connection, sorted({c.complaint_id for c in commands}))
        missing = [c.complaint_id for c in commands if c.complaint_id not in loaded]
        if missing:
            raise NotFoundError(f"no complaint {missing[0]}")
        steps = Steps(ctx, connection, loaded.values())
        outcomes = [steps.fire(command) for command in commands]
        steps.write(last=True)
        return outcomes


class Steps:
    """Triggers applied in memory, in order, to complaints read in one transaction; ``write`` stores them all.

    Each trigger is fired once and its real outcome kept: later triggers see the complaint as the
    earlier ones left it. Refusals are audited like applied steps.
    """

    def __init__(self, ctx: Context, connection: Connection, complaints: Iterable[Complaint] = ()) -> None:
        self.ctx = ctx
        self.connection = connection
        self.now = ctx.clock.now()  # one transaction, one moment
        self.before: dict[int, Complaint] = {}
        self.current: dict[int, Complaint] = {}
        self._audit: list[audit.AuditRow] = []
        self._compensations: list[dict[str, Any]] = []
        self._follow_ups: list[dict[str, Any]] = []
        self._reminders: list[dict[str, Any]] = []
        self._interviews: list[dict[str, Any]] = []
        self._openings: list[Complaint] = []  # complaints that ended lost: each may open a win-back case
        for complaint in complaints:
            self.add(complaint)

    def add(self, complaint: Complaint) -> None:
        """Take ``complaint`` (as read in this transaction) into the steps' care."""
        self.before[complaint.id] = complaint
        self.current[complaint.id] = complaint

    def amend(self, complaint: Complaint, entry: audit.AuditRow) -> None:
        """Keep a change that is no transition (a new assignee) with its audit row; written with the rest."""
        self.current[complaint.id] = complaint
        self._audit.append(entry)

    def took(self, complaint_id: int, trigger: str) -> bool:
        """Did the complaint ever take ``trigger``: in this transaction's steps so far, or in its history?"""
        fired = (r for r in self._audit if r["complaint_id"] == complaint_id and r["outcome"] == "applied")
        return any(r["trigger"] == trigger for r in fired) or audit.took(self.connection, complaint_id, trigger)

    def fire(self, command: FireTrigger) -> Outcome:
        """Fire ``command`` on the complaint as the earlier steps left it; return the outcome."""
        complaint = self.current[command.complaint_id]
        now = command.at or self.now
        winback.check_codes(self.ctx, command.reasons)
        workflow = self.ctx.workflows.get(self.connection, complaint.workflow, complaint.workflow_version)
        facts = facts_for(command, complaint, workflow)
        outcome = self.ctx.workflows.machine(workflow).fire(complaint.state, command.trigger, facts)
        payload = _payload(command)
        outcome, budget = self._budget(complaint, command, workflow, outcome)
        if isinstance(outcome, Refused):
            refusal = audit.entry(
                complaint.id, now, command.trigger, complaint.state, None, command.actor, "refused", outcome.reason
            )
            self._audit.append({**refusal, "payload": payload})
            return outcome
        recorded = self._record(complaint, command, outcome.role, now, budget)
        if outcome.role == Role.RESOLUTION:  # the class may ask for a second follow-up, committed with the resolve
            self._remind(workflow, complaint, now)
        if outcome.role == Role.DEFECTION and self._wins_back(workflow):
            self._openings.append(complaint)
        self.current[complaint.id] = _enter(self.ctx, workflow, recorded, outcome, now)
        note = command.note or command.comment or (command.reason or "")
        self._audit.append(
            audit.entry(
                complaint.id,
                now,
                command.trigger,
                outcome.source,
                outcome.dest,
                command.actor,
                "applied",
                note,
                {**(payload or {}), **budget.audit()} if budget else payload,
            )
        )
        return outcome

    def _budget(
        self, complaint: Complaint, command: FireTrigger, workflow: Workflow, outcome: Outcome
    ) -> tuple[Outcome, prescriptions.Budgeted | None]:
        """A compensation is checked against the customer's budget like a guard, after it: above the budget
        without a lead's approval the step is refused, audited, and nothing else kept (one row per attempt)."""
        c = command.compensation
        if not isinstance(outcome, Applied) or outcome.role != Role.COMPENSATION or c is None:
            return outcome, None
        rules = self.ctx.retention
        found = prescriptions.budgeted(self.connection, rules, complaint.customer_id, command.trigger, c)
        if isinstance(found, str):
            return Refused(complaint.state, found, workflow.triggers_from(complaint.state)), None
        return outcome, found

    def _record(
        self,
        complaint: Complaint,
        command: FireTrigger,
        role: str | None,
        now: datetime,
        budget: prescriptions.Budgeted | None = None,
    ) -> Complaint:
        """Keep what the step's role records: a compensation with its budget, a follow-up score, a reopening."""
        if role == Role.COMPENSATION and command.compensation is not None:
            c = command.compensation
            self._compensations.append(
                {
                    "complaint_id": complaint.id,
                    "kind": c.kind,
                    "value": c.value,
                    "description": c.description,
                    "recorded_by": command.actor,
                    "recorded_at": now,
                    **(budget.columns() if budget else {}),
                }
            )
        if role == Role.FOLLOW_UP and command.score is not None:
            self._follow_ups.append(
                {
                    "complaint_id": complaint.id,
                    "score": command.score,
                    "comment": command.comment,
                    "perceived": command.perceived,
                    "recorded_by": command.actor,
                    "recorded_at": now,
                }
            )
            return evolve(complaint, last_score=command.score)
        if role == Role.REOPEN:
            return evolve(complaint, reopen_count=complaint.reopen_count + 1)
        if role == Role.INTERVIEW and command.words:
            self._interviews.append(winback.interview_row(self.ctx, complaint, command, now))
        return complaint

    def _wins_back(self, workflow: Workflow) -> bool:
        """A complaint of this workflow ending lost opens a win-back case (never a case of the win-back itself)."""
        rules = self.ctx.winback
        return rules.open_on_lost and workflow.name != rules.workflow and rules.workflow in self.ctx.workflows.names

    def _remind(self, workflow: Workflow, complaint: Complaint, resolved_at: datetime) -> None:
        ctx = self.ctx
        reminder = prescriptions.second_follow_up(
            self.connection, ctx.retention, workflow, ctx.calendar, complaint, resolved_at
        )
        if reminder is not None:
            self._reminders.append(reminder)

    def write(self, *, last: bool = False) -> None:
        """Store every changed complaint and the rows the steps gathered; the steps start afresh.

        ``last``: nothing will be fired or read after this, so the stored copies need not be kept.
        """
        changed = [c for i, c in self.current.items() if c is not self.before[i]]
        store.save(self.connection, changed, self.before)
        if not last:
            self.current.update((c.id, store.stored(c)) for c in changed)
        audit.append(self.connection, self._audit)
        if self._compensations:
            self.connection.execute(compensations.insert(), self._compensations)
        if self._follow_ups:
            self.connection.execute(follow_ups.insert(), self._follow_ups)
        prescriptions.add_reminders(self.connection, self._reminders)
        for interview in self._interviews:
            winback.record_interview(self.ctx, self.connection, interview)
        for lost in self._openings:
            self._open_win_back(lost)
        self.before = dict(self.current)
        self._audit, self._compensations, self._follow_ups, self._reminders = [], [], [], []
        self._interviews, self._openings = [], []

    def _open_win_back(self, lost: Complaint) -> None:
        summary = f"Win back: complaint {lost.id} ended with the customer lost ({lost.summary})"[:1000]
        current = self.current[lost.id]
        winback.open_in(
            self.ctx,
            self.connection,
            lost.customer_id,
            summary=summary,
            actor=winback.SYSTEM,
            key=lost_key(lost.id),
            assignee=lost.assignee,
            at=current.closed_at,
        )


def _enter(ctx: Context, workflow: Workflow, complaint: Complaint, outcome: Applied, now: datetime) -> Complaint:
    """The complaint in its new state with fresh step deadlines; a transition ends any pause."""
    timers = deadlines.entered(workflow, outcome.dest, complaint.severity, now, complaint.timers, ctx.calendar)
    due = deadlines.due_at(workflow, timers, ctx.calendar)
    return moved(complaint, outcome.dest, now, timers, due, outcome.role)


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
    if command.reasons:
        payload["reasons"] = list(command.reasons)
    if command.words:
        payload["words"] = command.words
    return payload or None
