"""A complaint's prescription: the care its customer's loyalty class is owed, read where the engine acts.

At open the class may raise the severity; at compensation it sets the budget a lead must approve
going beyond; at resolution it may ask for a second follow-up. The class and CLV are the customer's
latest score (``customer_scores``); a customer never scored is ``unknown``, with the floor as budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from recovery.core.calendar import BusinessCalendar
from recovery.core.complaint import Complaint
from recovery.core.guards import Compensation
from recovery.core.loyalty import LoyaltyClass
from recovery.core.retention import CENT, Prescription, RetentionRules
from recovery.core.workflow import Workflow
from recovery.store.schema import customer_scores, follow_up_reminders, staff
from recovery.store.sql import insert_ignoring_duplicates

APPROVERS = ("lead", "manager")  # staff roles that may approve a compensation above the budget


@dataclass(frozen=True, slots=True)
class Prescribed:
    """A customer's class, what it prescribes, and the compensation budget it gives them."""

    kind: str
    prescription: Prescription
    budget: Decimal

    def view(self) -> dict[str, Any]:
        """As ``complaint show --json`` shows it; the budget as a string decimal (JSON has no exact number)."""
        p = self.prescription
        return {
            "class": self.kind,
            "budget": str(self.budget),
            "advice": p.advice,
            "severity": p.severity,
            "second_follow_up": p.second_follow_up,
        }


@dataclass(frozen=True, slots=True)
class Opening:
    """The severity a complaint opens with, and why it differs from the one asked for (None when it does not)."""

    prescribed: Prescribed
    severity: str
    raised: str | None = None


@dataclass(frozen=True, slots=True)
class Budgeted:
    """The budget in force when a compensation was given, and who approved going beyond it."""

    budget: Decimal
    approved_by: str | None

    def columns(self) -> dict[str, Any]:
        """The compensation row's budget columns."""
        return {"budget": self.budget, "approved_by": self.approved_by}

    def audit(self) -> dict[str, Any]:
        """What the audit row's payload carries."""
        return {"budget": str(self.budget), "approved_by": self.approved_by}


def prescribed(connection: Connection, rules: RetentionRules, customer_id: int) -> Prescribed:
    """The customer's class (``unknown`` before any score), its prescription and their budget."""
    query = select(customer_scores.c.loyalty_class, customer_scores.c.clv).where(
        customer_scores.c.customer_id == customer_id
    )
    row = connection.execute(query).first()
    kind = str(row.loyalty_class) if row else LoyaltyClass.UNKNOWN.value
    clv = row.clv if row else None
    prescription = rules.prescription(kind)
    return Prescribed(kind, prescription, prescription.budget(clv))


def opening(
    connection: Connection, rules: RetentionRules, workflow: Workflow, customer_id: int, requested: str
) -> Opening:
    """The severity a new complaint opens with: raised to its class's, when the workflow has that one and it is
    more severe (a smaller SLA multiplier); a severity the workflow does not name is ignored."""
    found = prescribed(connection, rules, customer_id)
    wanted = found.prescription.severity
    if wanted is None or wanted not in workflow.severity or requested not in workflow.severity:
        return Opening(found, requested)
    if workflow.severity[wanted] >= workflow.severity[requested]:
        return Opening(found, requested)  # a class raises a severity, never lowers it
    return Opening(found, wanted, raised_note(wanted, found.kind))


def raised_note(severity: str, kind: str) -> str:
    """Why a complaint opened more severe than asked, as its audit row and ``complaint open`` say it."""
    return f"severity raised to {severity}: {kind} customer"


def budgeted(
    connection: Connection, rules: RetentionRules, customer_id: int, trigger: str, given: Compensation
) -> Budgeted | str:
    """The budget ``given`` falls under, or why ``trigger`` is refused: above the budget without approval,
    or approved by someone who is not a lead or a manager."""
    found = prescribed(connection, rules, customer_id)
    refused = f"{trigger!r} refused: "
    if given.approved_by is not None:
        problem = _approver_problem(connection, given.approved_by)
        if problem is not None:
            return refused + problem
    elif given.value > found.budget:  # a money-less compensation (gift:0, a gesture) is always within it
        return (
            f"{refused}compensation {given.value.quantize(CENT)} is above the budget of {found.budget} "
            f"for {_article(found.kind)} {found.kind} customer: a lead must approve it (--approved-by)"
        )
    return Budgeted(found.budget, given.approved_by)


def _approver_problem(connection: Connection, approver: str) -> str | None:
    """Why ``approver`` may not approve a compensation above the budget; None when they may."""
    role = connection.execute(select(staff.c.role).where(staff.c.id == approver)).scalar()
    if role is None:
        return f"no staff member {approver!r} to approve the compensation"
    if role not in APPROVERS:
        return f"{approver!r} is {_article(role)} {role}: only a lead or a manager may approve a compensation"
    return None


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def second_follow_up(
    connection: Connection,
    rules: RetentionRules,
    workflow: Workflow,
    calendar: BusinessCalendar,
    complaint: Complaint,
    resolved_at: datetime,
) -> dict[str, Any] | None:
    """The reminder row a resolved complaint gets when its class asks for a second follow-up; else None."""
    if not prescribed(connection, rules, complaint.customer_id).prescription.second_follow_up:
        return None
    due = calendar.add(resolved_at, workflow.follow_up_after)
    return {"complaint_id": complaint.id, "due_at": due, "raised_at": None}


def add_reminders(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert reminder rows; a complaint that already has one keeps it (one second follow-up a complaint)."""
    if rows:
        connection.execute(insert_ignoring_duplicates(connection, follow_up_reminders), list(rows))
