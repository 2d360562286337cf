"""Deadline arithmetic for one complaint: step deadlines, warnings, pauses, the final response.

Pure functions over ``Timers``; the engine stores the result, the scheduler reads ``due_at``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: reading a complaint's timers needs none of them
    from recovery.core.calendar import BusinessCalendar
    from recovery.core.definition import EscalationStep, Workflow
    from recovery.core.durations import Duration


@dataclass(frozen=True, slots=True)
class Timers:
    """Every deadline a complaint carries; ``due_at`` is the next moment the scheduler must look."""

    final_deadline: datetime
    final_warn_at: datetime
    deadline: datetime | None = None
    warn_at: datetime | None = None
    follow_up_due_at: datetime | None = None
    paused_at: datetime | None = None
    pause_ends_at: datetime | None = None
    escalation_level: int = 0
    warned: bool = False
    follow_up_reminded: bool = False
    final_warned: bool = False
    final_breached: bool = False
    closed: bool = False


def step_sla(workflow: Workflow, state: str, severity: str) -> Duration | None:
    """The time allowed in ``state`` for a complaint of ``severity``; None when the state has none."""
    sla = workflow.state(state).sla
    if sla is None:
        return None
    return sla.scaled(workflow.severity.get(severity, 1.0))


def opened(workflow: Workflow, severity: str, at: datetime, calendar: BusinessCalendar) -> Timers:
    """Timers of a complaint opened ``at`` in the workflow's initial state."""
    final = calendar.add(at, workflow.final_response)
    final_warn = calendar.add(at, workflow.final_response.scaled(workflow.warn_at))
    return entered(workflow, workflow.initial, severity, at, Timers(final, final_warn), calendar)


def entered(
    workflow: Workflow, state: str, severity: str, at: datetime, timers: Timers, calendar: BusinessCalendar
) -> Timers:
    """Fresh step timers on entering ``state`` at ``at``: the step's escalation starts over."""
    if workflow.is_final(state):
        return _step(timers, None, None, None, closed=True)
    sla = step_sla(workflow, state, severity)
    deadline = calendar.add(at, sla) if sla else None
    warn_at = calendar.add(at, sla.scaled(workflow.warn_at)) if sla else None
    follow_up = calendar.add(at, workflow.follow_up_after) if workflow.awaits_follow_up(state) else None
    return _step(timers, deadline, warn_at, follow_up, closed=False)


def _step(
    timers: Timers, deadline: datetime | None, warn_at: datetime | None, follow_up: datetime | None, *, closed: bool
) -> Timers:
    """New step timers, unpaused and unescalated; the whole-complaint clock carries over.

    Built directly: dataclasses.replace costs more than the rest of entering a state.
    """
    return Timers(
        final_deadline=timers.final_deadline,
        final_warn_at=timers.final_warn_at,
        deadline=deadline,
        warn_at=warn_at,
        follow_up_due_at=follow_up,
        final_warned=timers.final_warned,
        final_breached=timers.final_breached,
        closed=closed,
    )


def paused(workflow: Workflow, at: datetime, timers: Timers, calendar: BusinessCalendar) -> Timers:
    """Stop the step clock at ``at``; the pause ends by itself after the workflow's cap."""
    cap = workflow.pause.max
    return replace(timers, paused_at=at, pause_ends_at=calendar.add(at, cap) if cap else None)


def resumed(workflow: Workflow, state: str, at: datetime, timers: Timers, calendar: BusinessCalendar) -> Timers:
    """Restart the step clock: the step deadlines move later by exactly the paused time."""
    if timers.paused_at is None:
        return timers
    sla = workflow.state(state).sla
    business = sla is not None and sla.is_business
    return replace(
        timers,
        deadline=_shift(timers.deadline, timers.paused_at, at, business, calendar),
        warn_at=_shift(timers.warn_at, timers.paused_at, at, business, calendar),
        follow_up_due_at=_shift(timers.follow_up_due_at, timers.paused_at, at, False, calendar),
        paused_at=None,
        pause_ends_at=None,
    )


def _shift(
    moment: datetime | None, paused_at: datetime, resumed_at: datetime, business: bool, calendar: BusinessCalendar
) -> datetime | None:
    """Move ``moment`` by the time paused, counted the way the step's SLA is counted."""
    if moment is None:
        return None
    if not business:
        return moment + (resumed_at - paused_at)
    paused_work = calendar.business_between(paused_at, resumed_at)
    if not paused_work:  # else a deadline at closing time would jump to the next opening for nothing
        return moment
    return calendar.add_business(moment, paused_work)


def ladder(workflow: Workflow, timers: Timers, calendar: BusinessCalendar) -> Iterator[tuple[EscalationStep, datetime]]:
    """The escalation steps above the current level, each with the moment it falls due, computed as asked."""
    deadline = timers.deadline
    if deadline is None:
        return
    for step in workflow.escalation:
        if step.level > timers.escalation_level:
            yield step, calendar.add(deadline, step.overdue_by)


def escalation_due(workflow: Workflow, timers: Timers, calendar: BusinessCalendar) -> datetime | None:
    """When the next escalation level above the current one falls due (None: none left)."""
    return next((at for _, at in ladder(workflow, timers, calendar)), None)


def due_at(workflow: Workflow, timers: Timers, calendar: BusinessCalendar) -> datetime | None:
    """The earliest moment something about this complaint must be checked: warn, escalate, remind, resume."""
    if timers.closed:
        return None
    candidates: list[datetime | None] = [
        None if timers.final_warned else timers.final_warn_at,
        None if timers.final_breached else timers.final_deadline,
    ]
    if timers.paused_at is not None:
        candidates.append(timers.pause_ends_at)
    else:
        candidates.append(None if timers.warned else timers.warn_at)
        candidates.append(escalation_due(workflow, timers, calendar))
        candidates.append(None if timers.follow_up_reminded else timers.follow_up_due_at)
    present = [c for c in candidates if c is not None]
    return min(present) if present else None
