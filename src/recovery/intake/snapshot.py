"""What a ticket snapshot means: the events a helpdesk's "ticket after a change" body stands for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recovery.core import roles
from recovery.core.roles import Role
from recovery.intake.events import (
    ComplaintOpened,
    CustomerFlagged,
    CustomerLost,
    CustomerRef,
    IntakeEvent,
    SatisfactionRated,
    TriggerFired,
)
from recovery.intake.rules import SourceRules


@dataclass(frozen=True)
class TicketSnapshot:
    """What a helpdesk says about a ticket after a change, in common terms."""

    delivery_id: str
    ticket: str
    occurred_at: datetime
    customer: CustomerRef | None
    summary: str = ""
    tags: tuple[str, ...] = ()
    status: str | None = None
    ticket_type: str | None = None
    form: str | None = None
    actor: str | None = None
    score: int | None = None
    comment: str = ""


def ticket_events(snap: TicketSnapshot, rules: SourceRules) -> list[IntakeEvent]:
    """The events a ticket snapshot means under ``rules``: open, triggers by tag and status, rating, flag, loss.

    Snapshots repeat what is already true (tags stay on a ticket), so every event derived from
    one is marked ``snapshot``: the inbox skips it when the complaint is already past that step.
    """
    events: list[IntakeEvent] = []
    common: dict[str, Any] = {"ticket": snap.ticket, "occurred_at": snap.occurred_at}

    def next_id() -> str:
        return snap.delivery_id if not events else f"{snap.delivery_id}#{len(events)}"

    lowered = [t.lower() for t in snap.tags]
    if snap.customer is not None and rules.opens_complaint(lowered, snap.ticket_type, snap.form):
        summary = snap.summary.strip() or f"helpdesk ticket {snap.ticket}"
        events.append(
            ComplaintOpened(
                delivery_id=next_id(), customer=snap.customer, summary=summary, severity=rules.severity, **common
            )
        )
    steps = [rules.tag_triggers[t] for t in lowered if t in rules.tag_triggers]
    if snap.status is not None and snap.status.lower() in rules.status_triggers:
        steps.append(rules.status_triggers[snap.status.lower()])
    # Tags come unordered: take the steps in the order the recovery takes their roles.
    for step in sorted(dict.fromkeys(steps), key=lambda s: roles.order(rules.role_of(s))):
        role = rules.role_of(step)
        events.append(
            TriggerFired(
                delivery_id=next_id(),
                trigger=None if step in roles.ROLES else step,
                role=step if step in roles.ROLES else None,
                actor=snap.actor,
                compensation=rules.compensation_of() if role == Role.COMPENSATION else None,
                reason="closed at the helpdesk" if role in (Role.WITHDRAWAL, Role.DEFECTION) else None,
                snapshot=True,
                **common,
            )
        )
    if snap.score is not None:
        events.append(
            SatisfactionRated(
                delivery_id=next_id(),
                score=snap.score,
                comment=snap.comment,
                actor=snap.actor,
                snapshot=True,
                **common,
            )
        )
    if rules.flag_tag.lower() in lowered and snap.actor:
        events.append(
            CustomerFlagged(
                delivery_id=next_id(),
                actor=snap.actor,
                reason=f"tagged {rules.flag_tag} at the helpdesk",
                customer=snap.customer,
                **common,
            )
        )
    if rules.lost_tag.lower() in lowered:
        events.append(
            CustomerLost(delivery_id=next_id(), reason=f"tagged {rules.lost_tag}", customer=snap.customer, **common)
        )
    return events
