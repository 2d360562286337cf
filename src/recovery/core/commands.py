"""Commands the engine applies, named in the imperative; plain frozen data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recovery.core.guards import Compensation

CHANNELS = ("phone", "email", "web", "store", "helpdesk")


@dataclass(frozen=True, slots=True)
class OpenComplaint:
    """Open a complaint for a known customer."""

    customer_id: int
    summary: str
    severity: str = "normal"
    channel: str = "email"
    workflow: str | None = None
    assignee: str | None = None
    actor: str | None = None
    ticket_source: str | None = None
    ticket_id: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FireTrigger:
    """Fire ``trigger`` on a complaint, with the fields its guard may need."""

    complaint_id: int
    trigger: str
    actor: str | None = None
    note: str = ""
    compensation: Compensation | None = None
    score: int | None = None
    comment: str = ""
    reason: str | None = None
    expected_version: int | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PauseComplaint:
    """Stop the step clock of a complaint for a named reason."""

    complaint_id: int
    reason: str | None
    actor: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ResumeComplaint:
    """Restart the step clock of a paused complaint."""

    complaint_id: int
    actor: str | None = None
    note: str = ""
