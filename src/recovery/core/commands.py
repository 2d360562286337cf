"""Commands the engine applies, named in the imperative; plain frozen data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recovery.core.guards import Compensation


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
    expected: str | None = None  # what the customer expected: refund, replacement, … (the quality gap)
    open_key: str | None = None  # why an automatic opening happened; each key opens one complaint


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
    reasons: tuple[str, ...] = ()  # reason codes (an interview's)
    words: str | None = None  # the customer's own words (an interview's)
    language: str | None = None  # the language of ``words``: en, nl, de
    perceived: str | None = None  # what the customer felt they received (a follow-up): one of EXPECTATIONS


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
