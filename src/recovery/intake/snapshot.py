"""What a ticket snapshot means: the events a helpdesk's "ticket after a change" body stands for."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from recovery.core import roles
from recovery.core.roles import Role
from recovery.intake.events import (
    AgentRef,
    ComplaintOpened,
    CustomerFlagged,
    CustomerLost,
    CustomerRef,
    DeliveryIgnored,
    IntakeEvent,
    SatisfactionRated,
    TicketAssigned,
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
    priority: str | None = None
    group: str | None = None
    actor: str | None = None
    assignee: AgentRef | None = None
    score: int | None = None
    comment: str = ""
    arrival_time: bool = False  # the helpdesk sent no usable event time: occurred_at is the arrival time

    def fields(self) -> dict[str, str | None]:
        """The fields a complaint rule may match, by the name messages use."""
        return {
            "type": self.ticket_type,
            "form": self.form,
            "status": self.status,
            "priority": self.priority,
            "group": self.group,
        }

    def seen(self) -> str:
        """The values the rules were tried on, for a message: ``type='Question', tags=['billing']``."""
        shown = [f"{name}={value!r}" for name, value in self.fields().items() if value is not None]
        return ", ".join([*shown, f"tags={list(self.tags)}"])


def ticket_events(snap: TicketSnapshot, rules: SourceRules) -> list[IntakeEvent]:
    """The events a ticket snapshot means under ``rules``: open, assignee, steps and rating by role, flag, loss.

    Snapshots repeat what is already true (tags stay on a ticket), so every step derived from one is
    marked ``snapshot``: the inbox skips it when the complaint already took that step. A snapshot that
    means nothing becomes one ``ignored`` event saying which rules were tried on which values.
    """
    made = _Events(snap)
    lowered = [t.lower() for t in snap.tags]
    assignee = _mapped(snap.assignee, rules)
    _open(made, snap, rules, assignee)
    if assignee is not None:
        made.add(TicketAssigned, assignee=assignee, actor=snap.actor)
    _steps(made, snap, rules, lowered)
    if rules.flag_tag.lower() in lowered and snap.actor:
        reason = f"tagged {rules.flag_tag} at the helpdesk"
        made.add(CustomerFlagged, actor=snap.actor, reason=reason, customer=snap.customer)
    if rules.lost_tag.lower() in lowered:
        made.add(CustomerLost, reason=f"tagged {rules.lost_tag}", customer=snap.customer)
    if not made.meaningful:
        made.add(DeliveryIgnored, reason=f"no complaint rule matched {snap.seen()}; rules: {rules.complaint_rules()}")
    return made.events


class _Events:
    """The events of one snapshot, numbered as they are added: the first keeps the delivery id."""

    def __init__(self, snap: TicketSnapshot) -> None:
        self.snap = snap
        self.events: list[IntakeEvent] = []
        self.meaningful = False  # anything but an assignment or an ignored note

    def add(self, kind: type[IntakeEvent], **values: Any) -> None:
        snap = self.snap
        delivery_id = snap.delivery_id if not self.events else f"{snap.delivery_id}#{len(self.events)}"
        common: dict[str, Any] = {
            "ticket": snap.ticket,
            "occurred_at": snap.occurred_at,
            "arrival_time": snap.arrival_time,
        }
        self.events.append(kind(delivery_id=delivery_id, **common, **values))
        self.meaningful |= kind not in (TicketAssigned, DeliveryIgnored)


def _mapped(agent: AgentRef | None, rules: SourceRules) -> AgentRef | None:
    """The agent with the staff id the source's ``assignees`` option gives them; None when nobody is named."""
    if agent is None or not (agent.email or agent.external_id):
        return None
    return replace(agent, staff=rules.staff_for(agent.external_id, agent.email))


def _open(made: _Events, snap: TicketSnapshot, rules: SourceRules, assignee: AgentRef | None) -> None:
    """A complaint.opened when a rule matches and the customer can be named; else an ignored note saying why."""
    rule = rules.complaint_rule(snap.tags, snap.fields())
    if rule is None:
        return
    customer = snap.customer
    if customer is None or not (customer.email or customer.external_id):
        made.add(
            DeliveryIgnored,
            reason=f"ticket {snap.ticket} matches {rule} but the body names no customer email or id "
            "(add the requester's email to the webhook body)",
        )
        made.meaningful = True
        return
    made.add(
        ComplaintOpened,
        customer=customer,
        summary=snap.summary.strip() or f"helpdesk ticket {snap.ticket}",
        severity=rules.severity,
        assignee=assignee,
        default_owner=rules.default_owner,
        rule=rule,
    )


def _steps(made: _Events, snap: TicketSnapshot, rules: SourceRules, lowered: list[str]) -> None:
    """Steps named by tags and status, and the rating (it plays ``follow_up``), in the order the recovery takes roles.

    Tags come unordered, and a rating may arrive with the status that closes the ticket: a bad rating
    under ``solved = "withdrawal"`` must be recorded before the complaint is withdrawn.
    """
    steps = [rules.tag_triggers[t] for t in lowered if t in rules.tag_triggers]
    if snap.status is not None and snap.status.lower() in rules.status_triggers:
        steps.append(rules.status_triggers[snap.status.lower()])
    planned: list[tuple[int, str | None]] = [(roles.order(rules.role_of(s)), s) for s in dict.fromkeys(steps)]
    if snap.score is not None:
        planned.append((roles.order(Role.FOLLOW_UP), None))
    for _, step in sorted(planned, key=lambda p: p[0]):
        if step is None:
            made.add(
                SatisfactionRated,
                score=snap.score,
                comment=snap.comment,
                actor=snap.actor,
                snapshot=True,
                customer=snap.customer,
            )
            continue
        role = rules.role_of(step)
        made.add(
            TriggerFired,
            trigger=None if step in roles.ROLES else step,
            role=step if step in roles.ROLES else None,
            actor=snap.actor,
            compensation=rules.compensation_of() if role == Role.COMPENSATION else None,
            reason="closed at the helpdesk" if role in (Role.WITHDRAWAL, Role.DEFECTION) else None,
            snapshot=True,
        )
