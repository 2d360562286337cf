"""Named guards: the conditions a workflow file may put on a transition.

A guard sees the ``Facts`` given with the trigger and the complaint's recorded facts; it
never does I/O. Each has a refusal message that says what was missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recovery.core.commands import FireTrigger
    from recovery.core.complaint import Complaint
    from recovery.core.definition import Workflow

COMPENSATION_KINDS = ("gift", "discount", "refund", "service", "gesture")


@dataclass(frozen=True, slots=True)
class Compensation:
    """What the customer was given; ``value`` may be zero: it need not be money."""

    kind: str
    value: Decimal
    description: str = ""
    approved_by: str | None = None  # the lead or manager who approved going beyond the customer's budget


@dataclass(frozen=True, slots=True)
class Facts:
    """What a guard may look at: the trigger's own fields and what the complaint recorded."""

    compensation: Compensation | None = None
    score: int | None = None
    reason: str | None = None
    last_score: int | None = None
    threshold: int = 4
    reasons: tuple[str, ...] = ()  # reason codes from the taxonomy (a win-back interview's)
    words: str | None = None  # the customer's own words


def facts_for(command: FireTrigger, complaint: Complaint, workflow: Workflow) -> Facts:
    """What the guards of ``command``'s trigger may look at: its own fields and the complaint's record."""
    return Facts(
        command.compensation,
        command.score,
        command.reason,
        complaint.last_score,
        workflow.satisfaction_threshold,
        command.reasons,
        command.words,
    )


def has_compensation(facts: Facts) -> bool:
    """A compensation of a known kind with a value of zero or more was given."""
    c = facts.compensation
    return c is not None and c.kind in COMPENSATION_KINDS and c.value >= 0


def has_satisfaction(facts: Facts) -> bool:
    """A satisfaction score from 1 to 5 was given."""
    return facts.score is not None and 1 <= facts.score <= 5


def customer_satisfied(facts: Facts) -> bool:
    """The latest follow-up score reaches the workflow's threshold."""
    return facts.last_score is not None and facts.last_score >= facts.threshold


def customer_dissatisfied(facts: Facts) -> bool:
    """The latest follow-up score is below the workflow's threshold."""
    return facts.last_score is not None and facts.last_score < facts.threshold


def has_reason(facts: Facts) -> bool:
    """A non-blank reason was given."""
    return bool(facts.reason and facts.reason.strip())


def has_reasons_and_words(facts: Facts) -> bool:
    """At least one reason code and the customer's own words were given."""
    return bool(facts.reasons) and bool(facts.words and facts.words.strip())


GUARDS: dict[str, Callable[[Facts], bool]] = {
    "has_reasons_and_words": has_reasons_and_words,
    "has_compensation": has_compensation,
    "has_satisfaction": has_satisfaction,
    "customer_satisfied": customer_satisfied,
    "customer_dissatisfied": customer_dissatisfied,
    "has_reason": has_reason,
}

REFUSALS: dict[str, str] = {
    "has_compensation": f"needs a compensation KIND:VALUE with KIND one of {', '.join(COMPENSATION_KINDS)} "
    "and a value of 0 or more",
    "has_satisfaction": "needs the customer's satisfaction score, 1 to 5",
    "customer_satisfied": "the customer's latest score is below the satisfaction threshold (or there is none)",
    "customer_dissatisfied": "the customer's latest score reaches the satisfaction threshold: resolve instead",
    "has_reason": "needs a reason",
    "has_reasons_and_words": "needs at least one reason code from the taxonomy (--code) and the customer's "
    "own words (--words)",
}
