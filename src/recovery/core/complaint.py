"""A complaint as the engine sees it: typed, immutable, with its timers (what its guards see: ``guards.facts_for``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recovery.core.deadlines import Timers


@dataclass(frozen=True, slots=True)
class Complaint:
    """One complaint; ``store.complaints`` maps it to its row, the engine makes changed copies."""

    id: int
    customer_id: int
    summary: str
    severity: str
    channel: str
    workflow: str
    workflow_version: int
    state: str
    assignee: str | None
    opened_at: datetime
    state_entered_at: datetime
    timers: Timers
    closed_at: datetime | None = None
    closed_as: str | None = None  # the role of the transition that closed it: resolution, withdrawal, defection
    pause_reason: str | None = None
    reopen_count: int = 0
    last_score: int | None = None
    ticket_source: str | None = None
    ticket_id: str | None = None
    due_at: datetime | None = None  # the next moment the scheduler must look; None once closed
    version: int = 1

    @property
    def paused_at(self) -> datetime | None:
        """When the step clock stopped; None while it runs."""
        return self.timers.paused_at

    @property
    def ticket(self) -> str | None:
        """``source:id`` of the helpdesk ticket it came from, if any."""
        return f"{self.ticket_source}:{self.ticket_id}" if self.ticket_source else None


def evolve(complaint: Complaint, **changes: Any) -> Complaint:
    """A copy of ``complaint`` with ``changes``; it runs for every transition, so it is built positionally
    (``dataclasses.replace`` costs nearly twice as much)."""
    values = list(_values_of(complaint))
    for name, value in changes.items():
        values[_INDEX[name]] = value
    return Complaint(*values)


def moved(
    complaint: Complaint, state: str, at: datetime, timers: Timers, due_at: datetime | None, closed_as: str | None
) -> Complaint:
    """The complaint entering ``state`` at ``at`` with fresh ``timers``: any pause ends, a final state closes it."""
    if not timers.closed:
        return evolve(complaint, state=state, state_entered_at=at, timers=timers, due_at=due_at, pause_reason=None)
    return evolve(
        complaint,
        state=state,
        state_entered_at=at,
        timers=timers,
        due_at=due_at,
        pause_reason=None,
        closed_at=at,
        closed_as=closed_as,
    )


_FIELDS = tuple(Complaint.__dataclass_fields__)
_INDEX = {name: i for i, name in enumerate(_FIELDS)}
_values_of = attrgetter(*_FIELDS)
