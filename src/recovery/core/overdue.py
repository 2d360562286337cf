"""The overdue rules: which deadlines of one complaint have passed, and the timers after acting on them.

Pure: the scan (``recovery.engine.sla``) claims due complaints, asks ``due_now`` and records what it says.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from recovery.core.calendar import BusinessCalendar
from recovery.core.deadlines import Timers, ladder
from recovery.core.definition import Workflow

FINAL_RECIPIENTS = ("assignee", "manager")


@dataclass(frozen=True, slots=True)
class Due:
    """A deadline that has passed: what to record (``kind``) and whom, by role, to tell."""

    kind: str
    recipients: tuple[str, ...]
    level: int | None = None
    moment: datetime | None = None


def due_now(workflow: Workflow, timers: Timers, now: datetime, calendar: BusinessCalendar) -> tuple[Timers, list[Due]]:
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


def timed_out(workflow: Workflow, state: str, timers: Timers, now: datetime) -> str | None:
    """The trigger to fire because ``state``'s deadline passed and the state declares a timeout; else None."""
    trigger = workflow.state(state).timeout
    running = not timers.closed and timers.paused_at is None
    if trigger is None or not running or timers.deadline is None or timers.deadline > now:
        return None
    return trigger


def pause_over(timers: Timers, now: datetime) -> bool:
    """A pause whose cap has been reached: the complaint resumes as of the cap."""
    ends = timers.pause_ends_at
    return timers.paused_at is not None and not timers.closed and ends is not None and ends <= now


# Each rule below reads the timers as found and adds the fields it changes to ``changes``:
# one replace() per complaint instead of one per rule (the scan's hot path).


def _final_due(timers: Timers, now: datetime, changes: dict[str, object]) -> list[Due]:
    """The final-response breach supersedes its warning when both have passed (the daemon was down)."""
    if not timers.final_breached and timers.final_deadline <= now:
        changes.update(final_warned=True, final_breached=True)
        return [Due("final_breach", FINAL_RECIPIENTS, moment=timers.final_deadline)]
    if not timers.final_warned and timers.final_warn_at <= now:
        changes["final_warned"] = True
        return [Due("final_warn", FINAL_RECIPIENTS, moment=timers.final_warn_at)]
    return []


def _warn_due(timers: Timers, now: datetime, changes: dict[str, object]) -> list[Due]:
    """Warn the assignee once a share of the step's time is used, unless the deadline itself has passed."""
    if timers.warned or timers.warn_at is None or timers.warn_at > now:
        return []
    changes["warned"] = True
    superseded = timers.deadline is not None and timers.deadline <= now
    return [] if superseded else [Due("warn", ("assignee",), moment=timers.deadline)]


def _escalation_due(
    workflow: Workflow, timers: Timers, now: datetime, calendar: BusinessCalendar, changes: dict[str, object]
) -> list[Due]:
    """Jump to the highest level whose threshold has passed; tell everyone the levels crossed name."""
    if timers.deadline is None or timers.deadline > now:
        return []
    crossed = [step for step, at in ladder(workflow, timers, calendar) if at <= now]
    if not crossed:
        return []
    top = max(crossed, key=lambda step: step.level)
    changes["escalation_level"] = top.level
    recipients = tuple(dict.fromkeys(role for step in crossed for role in step.notify))
    return [Due("escalate", recipients, top.level, timers.deadline)]


def _follow_up_due(timers: Timers, now: datetime, changes: dict[str, object]) -> list[Due]:
    """Remind the assignee once when the follow-up date of a compensated complaint has come."""
    if timers.follow_up_reminded or timers.follow_up_due_at is None or timers.follow_up_due_at > now:
        return []
    changes["follow_up_reminded"] = True
    return [Due("remind_follow_up", ("assignee",), moment=timers.follow_up_due_at)]
