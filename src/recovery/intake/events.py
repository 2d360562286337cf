"""The normalised intake events every helpdesk adapter produces, and their stored JSON form.

An event says what happened at the helpdesk, in the helpdesk's own time (``occurred_at``);
the engine's inbox turns the stored form into engine commands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any, ClassVar

from recovery.core.values import moment_problem, problems
from recovery.intake.errors import ShapeError

NO_TICKET = "-"  # the ticket key of a delivery about no ticket (a ping, a customer event): listed as such
KEY_LIMIT = 160  # delivery ids and ticket keys; "#n" marks the n-th event of a delivery, the columns hold 200


def fit_key(value: str, limit: int = KEY_LIMIT) -> str:
    """``value`` as a key that fits its column: itself, or ``sha256:<hex>`` of it when longer.

    Cutting would make two long ids with one prefix the same delivery (or the same ticket).
    """
    if len(value) <= limit:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _plain(value: Any) -> Any:
    """A field value as JSON-ready data (asdict's deep copy costs more than the webhook's whole write)."""
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """Who the helpdesk says the customer is: an email, a name and the helpdesk's own id (either may be blank)."""

    email: str
    name: str = ""
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class AgentRef:
    """Who the helpdesk says a ticket's agent is: an email and the helpdesk's own id (either may be blank).

    ``staff`` is the staff id the source's ``assignees`` option maps that id or email to, when it does.
    """

    email: str = ""
    external_id: str | None = None
    name: str = ""
    staff: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IntakeEvent:
    """One event of one delivery; ``delivery_id`` is unique per source."""

    type: ClassVar[str] = ""
    delivery_id: str
    ticket: str | None
    occurred_at: datetime
    # The helpdesk sent no usable event time: occurred_at is when the delivery arrived.
    arrival_time: bool = False

    def body(self) -> dict[str, Any]:
        """The JSON stored in the inbox (everything but the delivery id; ``arrival_time`` only when true)."""
        data = {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name not in _UNSTORED}
        data["type"] = self.type
        data["occurred_at"] = self.occurred_at.isoformat()
        if self.arrival_time:
            data["arrival_time"] = True
        return data


_UNSTORED = frozenset({"delivery_id", "arrival_time"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ComplaintOpened(IntakeEvent):
    """A ticket that matches the complaint rule was created."""

    type: ClassVar[str] = "complaint.opened"
    customer: CustomerRef
    summary: str
    severity: str = "normal"
    channel: str = "helpdesk"
    actor: str | None = None
    assignee: AgentRef | None = None
    default_owner: str | None = None  # the staff id the source names for complaints nobody is mapped to
    rule: str = ""  # the helpdesk rule that made the ticket a complaint, e.g. "complaint_tags 'complaint'"
    expected: str | None = None  # what the customer expected (refund, replacement, …), where the helpdesk asks


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketAssigned(IntakeEvent):
    """The helpdesk names the ticket's agent: the complaint's assignee follows when it maps to a staff member."""

    type: ClassVar[str] = "ticket.assigned"
    assignee: AgentRef
    actor: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TriggerFired(IntakeEvent):
    """An agent did something the rules map to a step: a trigger by name, or the step playing a role."""

    type: ClassVar[str] = "complaint.trigger"
    trigger: str | None = None
    role: str | None = None
    actor: str | None = None
    note: str = ""
    compensation: dict[str, str] | None = None
    score: int | None = None
    comment: str = ""
    reason: str | None = None
    snapshot: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SatisfactionRated(IntakeEvent):
    """The customer rated the ticket; the score (1-5) becomes the follow-up score."""

    type: ClassVar[str] = "satisfaction.rated"
    score: int
    comment: str = ""
    actor: str | None = None
    snapshot: bool = False
    customer: CustomerRef | None = None  # who rated, as the helpdesk names them (kept with the event)


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerFlagged(IntakeEvent):
    """A staff member marked the customer as unhappy."""

    type: ClassVar[str] = "customer.flagged"
    actor: str
    reason: str
    customer: CustomerRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerLost(IntakeEvent):
    """The customer left; their open complaints are closed as lost."""

    type: ClassVar[str] = "customer.lost"
    reason: str
    customer: CustomerRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyAnswered(IntakeEvent):
    """A customer answered one of our surveys somewhere else (a shop's form, a phone system): {question: value}."""

    type: ClassVar[str] = "survey.answered"
    survey: str
    answers: dict[str, str]
    customer: CustomerRef | None = None
    language: str | None = None
    complaint: int | None = None  # our complaint id, when the answers are about one (or the ticket's)
    actor: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseMade(IntakeEvent):
    """A customer bought: one order of the shop, stored once per (source, order id); ``occurred_at`` is when."""

    type: ClassVar[str] = "purchase.made"
    customer: CustomerRef  # an email, or only the shop's own customer id (``external_id``)
    order_id: str
    amount: str  # a finite decimal, as text: JSON numbers would lose cents
    currency: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseRefunded(IntakeEvent):
    """Money of an order went back: stored as a negative purchase of the order's customer, on the order's day.

    ``order_id`` names the order; ``refund_id`` tells two refunds of one order apart. The customer and
    the day are the stored order's; as sent only when that order is not stored (a Shopify refund names no buyer).
    """

    type: ClassVar[str] = "purchase.refunded"
    order_id: str
    amount: str  # negative, whatever sign the shop sent
    refund_id: str | None = None
    currency: str | None = None
    customer: CustomerRef | None = None
    ordered_at: str | None = None  # the order's time, when the sender names it (ISO 8601 with offset)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryIgnored(IntakeEvent):
    """A delivery that changes nothing, kept with the reason and the values seen (``recovery inbox show``)."""

    type: ClassVar[str] = "ignored"
    reason: str

    @classmethod
    def about_nothing(cls, delivery_id: str, reason: str, at: datetime, *, arrival_time: bool) -> DeliveryIgnored:
        """A delivery about no ticket (a ping, a customer event), kept with why it does nothing."""
        return cls(delivery_id=delivery_id, ticket=NO_TICKET, occurred_at=at, arrival_time=arrival_time, reason=reason)


# What our generic format accepts; helpdesk adapters may also produce ticket.assigned and ignored.
EVENT_TYPES = tuple(
    cls.type
    for cls in (
        ComplaintOpened,
        TriggerFired,
        SatisfactionRated,
        CustomerFlagged,
        CustomerLost,
        PurchaseMade,
        PurchaseRefunded,
        SurveyAnswered,
    )
)


def unstorable(events: Sequence[IntakeEvent]) -> None:
    """ShapeError naming the first field of ``events`` that no database could hold or no deadline use."""
    for event in events:
        if (problem := moment_problem(event.occurred_at)) is not None:
            raise ShapeError("occurred_at", problem)
        for where, problem in problems({"id": event.delivery_id, **event.body()}):
            raise ShapeError(where, problem)
