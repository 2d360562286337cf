"""What each stored event type means to the engine: the command it becomes, read by step roles.

A handler returns None when applied, or the refusal the engine audited; it raises ``Waiting`` when
an earlier event of the ticket is missing, ``Skipped`` when there is nothing to do, ``Ignored`` when
the delivery means nothing for complaints (with why), and a RecoveryError when the event can never apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.complaint import Complaint
from recovery.core.definition import Workflow
from recovery.core.guards import Compensation
from recovery.core.machine import Refused
from recovery.core.ordering import Verdict, verdict
from recovery.core.roles import Role
from recovery.core.winback import helpdesk_key
from recovery.engine import winback
from recovery.engine.complaints import insert_complaint
from recovery.engine.input_checks import check_storable
from recovery.engine.people import ensure_customer, known_customer, staff_by_email
from recovery.errors import InvalidInputError, NotFoundError
from recovery.store import complaints as complaint_store
from recovery.store.schema import staff

if TYPE_CHECKING:
    from recovery.engine.inbox.batch import Batch


class Waiting(Exception):
    """The event needs an earlier event of its ticket that has not arrived yet."""


class Skipped(Exception):
    """The event changes nothing: the complaint already has what it says (a repeated snapshot)."""


class Ignored(Exception):
    """The delivery means nothing for complaints; the reason says which rules were tried on which values."""


@dataclass(frozen=True)
class Handler:
    """A handler and how it must be run: fired in memory, or written at once after the earlier triggers."""

    apply: Callable[[Batch, dict[str, Any]], str | None]
    in_memory: bool = False
    reads_complaints: bool = False

    def __call__(self, batch: Batch, row: dict[str, Any]) -> str | None:
        return self.apply(batch, row)


def _open(batch: Batch, row: dict[str, Any]) -> str | None:
    existing = batch.complaint_of(row)
    if existing is not None:
        raise Skipped(f"ticket already has complaint {existing.id}")
    body = row["body"]
    ctx, connection = batch.ctx, batch.connection
    workflow = ctx.workflows.current(ctx.default_workflow)
    severity, channel = body.get("severity") or "normal", body.get("channel") or "helpdesk"
    ctx.workflows.adopt(connection, workflow, batch.now)
    customer_id = _customer_of(batch, row, create=True)
    if customer_id is None:
        raise InvalidInputError(_unknown_customer(row))
    command = OpenComplaint(
        customer_id=customer_id,
        summary=body.get("summary") or f"ticket {row['ticket']}",
        severity=severity,
        channel=channel,
        workflow=workflow.name,
        assignee=_staff_of(batch, body.get("assignee")) or body.get("default_owner"),
        actor=body.get("actor"),
        ticket_source=row["source"],
        ticket_id=row["ticket"],
        at=row["occurred_at"],
        expected=body.get("expected"),
    )
    complaint_id = insert_complaint(ctx, connection, workflow, command, row["occurred_at"])
    batch.by_ticket[(row["source"], row["ticket"])] = complaint_id  # read when first needed
    return None


def _unknown_customer(row: dict[str, Any]) -> str:
    """Why no customer could be found or added, and how to fix it."""
    ref = row["body"].get("customer") or {}
    if not ref.get("external_id"):
        return "customer: a complaint needs the customer's email or helpdesk id"
    named = f"{row['source']}:{ref['external_id']}"
    return (
        f"customer: no customer has the helpdesk id {named} and the helpdesk sent no email to add one: "
        f"`recovery customer add EMAIL --external {named}`, then `recovery inbox retry {row['id']}`"
    )


def _assigned(batch: Batch, row: dict[str, Any]) -> str | None:
    """The helpdesk's agent becomes the complaint's assignee, when they map to a staff member."""
    from recovery.engine.assignment import reassign  # imported when first needed, like flags

    complaint = batch.complaint_of(row)
    if complaint is None:
        raise Ignored(f"ticket {row['ticket']!r} has no complaint: nothing to assign")
    agent = row["body"].get("assignee") or {}
    staff_id = _staff_of(batch, agent)
    if staff_id is None:
        raise Skipped(
            f"helpdesk agent {_agent(agent)} is no staff member: add one with that email (`recovery staff add`) "
            "or map the agent's id in the source's assignees option"
        )
    if complaint.assignee == staff_id:
        raise Skipped(f"complaint {complaint.id} is already assigned to {staff_id}")
    if complaint.closed_at is not None:
        raise Skipped(f"complaint {complaint.id} is closed ({complaint.state}): its assignee stays as it was")
    reassign(batch.steps, complaint.id, staff_id, actor=row["body"].get("actor"), at=row["occurred_at"])
    return None


def _staff_of(batch: Batch, agent: dict[str, Any] | None) -> str | None:
    """The staff member a helpdesk agent is: as the source's assignees option maps them, else by email."""
    if not agent:
        return None
    if agent.get("staff"):
        return str(agent["staff"])
    return staff_by_email(batch.connection, agent["email"]) if agent.get("email") else None


def _agent(agent: dict[str, Any]) -> str:
    named = [repr(agent[key]) for key in ("email", "external_id") if agent.get(key)]
    return " / ".join(named) or "(unnamed)"


def _trigger(batch: Batch, row: dict[str, Any]) -> str | None:
    body = row["body"]
    complaint = batch.complaint_of(row)
    if complaint is None:
        raise Waiting(f"no complaint for ticket {row['ticket']!r} yet (its complaint.opened has not arrived)")
    workflow = batch.workflow_of(complaint)
    rated = row["event_type"] == "satisfaction.rated"
    role = Role.FOLLOW_UP.value if rated else body.get("role")
    trigger = _trigger_for(workflow, complaint, role) if role else body["trigger"]
    command = FireTrigger(
        complaint_id=complaint.id,
        trigger=trigger,
        actor=body.get("actor"),
        note=body.get("note") or "",
        compensation=_compensation(body.get("compensation")),
        score=body.get("score"),
        comment=body.get("comment") or "",
        reason=body.get("reason"),
        at=row["occurred_at"],
    )
    check_storable(command)  # a value the database cannot hold fails this event, not the whole batch
    taken = partial(batch.steps.took, complaint.id, trigger)  # asked only of a snapshot that looks repeated
    ruling = verdict(workflow, complaint.state, trigger, snapshot=bool(body.get("snapshot")), taken=taken)
    if ruling.verdict is Verdict.WAIT:
        raise Waiting(ruling.reason)
    if ruling.verdict is Verdict.SKIP:
        raise Skipped(ruling.reason)
    if ruling.verdict is Verdict.INVALID:
        raise InvalidInputError(ruling.reason)
    outcome = batch.steps.fire(command)
    return f"complaint {complaint.id}: {outcome.reason}" if isinstance(outcome, Refused) else None


def _trigger_for(workflow: Workflow, complaint: Complaint, role: str) -> str:
    """The trigger that plays ``role`` from the complaint's state, else the first that plays it anywhere."""
    here = workflow.trigger_for(role, complaint.state)
    if here is not None:
        return here
    anywhere = workflow.triggers_with(role)
    if not anywhere:
        raise InvalidInputError(f"workflow {workflow.name} v{workflow.version} has no step with role {role!r}")
    return anywhere[0]


def _compensation(value: dict[str, Any] | None) -> Compensation | None:
    if not value:
        return None
    try:
        amount = Decimal(str(value["value"]))
    except InvalidOperation:
        raise InvalidInputError(f"compensation.value: not a number: {value['value']!r}") from None
    approver = value.get("approved_by") or None  # the lead who approved going beyond the customer's budget
    description = str(value.get("description") or "")
    return Compensation(str(value["kind"]), amount, description, None if approver is None else str(approver))


def _flag(batch: Batch, row: dict[str, Any]) -> str | None:
    from recovery.engine.flags import raise_flag  # written alongside; imported when first needed

    body = row["body"]
    customer_id = _customer_of(batch, row, create=True)
    if customer_id is None:
        raise Waiting(f"no complaint for ticket {row['ticket']!r} yet and no customer named")
    staff_id = _staff_id(batch, body.get("actor"))
    raise_flag(batch.ctx, customer_id, staff_id, body["reason"], connection=batch.connection, at=row["occurred_at"])
    return None


def _lost(batch: Batch, row: dict[str, Any]) -> str | None:
    customer_id = _customer_of(batch, row, create=False)
    if customer_id is None:
        raise NotFoundError("customer.lost: no such customer")
    rules = batch.ctx.winback
    open_ones = [batch.complaint(i) for i in complaint_store.open_ids_of(batch.connection, customer_id)]
    open_ones = [c for c in open_ones if c.workflow != rules.workflow]  # a win-back case is how we answer this
    opened = rules.open_on_helpdesk_lost and _win_back(batch, row, customer_id)
    if not open_ones:
        if opened:
            return None
        raise Skipped("the customer has no open complaint")
    commands = [
        FireTrigger(
            complaint_id=c.id,
            trigger=_trigger_for(batch.workflow_of(c), c, Role.DEFECTION),
            reason=row["body"].get("reason"),
            at=row["occurred_at"],
        )
        for c in open_ones
    ]
    for command in commands:  # every trigger is found before any is fired: a failure fires none
        batch.steps.fire(command)
    return None


def _win_back(batch: Batch, row: dict[str, Any], customer_id: int) -> bool:
    """Open a win-back case for a customer a helpdesk says is lost; False when one is open or this delivery did."""
    if batch.ctx.winback.workflow not in batch.ctx.workflows.names:
        return False
    reason = str(row["body"].get("reason") or "").strip()
    summary = f"Win back: {row['source']} says the customer is lost" + (f" ({reason})" if reason else "")
    opened = winback.open_in(
        batch.ctx,
        batch.connection,
        customer_id,
        summary=summary[:1000],
        actor=f"helpdesk:{row['source']}",
        key=helpdesk_key(row["source"], str(row["delivery_id"])),
        channel="helpdesk",
        at=row["occurred_at"],
    )
    return opened is not None


def _survey(batch: Batch, row: dict[str, Any]) -> str | None:
    """Answers to one of our surveys run elsewhere: stored as from a webhook, about the ticket's complaint if any."""
    from recovery.engine.surveys import record_in  # written alongside; imported when first needed

    body = row["body"]
    complaint = batch.complaint(body["complaint"]) if body.get("complaint") else batch.complaint_of(row)
    customer_id = complaint.customer_id if complaint is not None else _customer_of(batch, row, create=True)
    if customer_id is None:
        raise InvalidInputError("customer: survey answers need the customer's email or id, or a complaint")
    record_in(
        batch.ctx,
        batch.connection,
        batch.steps,
        body["survey"],
        customer_id,
        body["answers"],
        source="webhook",
        by=None,
        at=row["occurred_at"],
        complaint_id=None if complaint is None else complaint.id,
        language=body.get("language"),
    )
    return None


def _ignored(batch: Batch, row: dict[str, Any]) -> str | None:
    raise Ignored(row["body"].get("reason") or "nothing to apply")


def _customer_of(batch: Batch, row: dict[str, Any], *, create: bool) -> int | None:
    """The customer a customer-level event is about: its ticket's complaint's, else the one it names."""
    complaint = batch.complaint_of(row)
    if complaint is not None:
        return complaint.customer_id
    ref = row["body"].get("customer")
    if not ref:
        return None
    external = (row["source"], str(ref["external_id"])) if ref.get("external_id") else None
    email = ref.get("email") or ""
    if create and email:
        return ensure_customer(batch.connection, email, ref.get("name") or "", external, batch.now)
    return known_customer(batch.connection, email, external)


def _staff_id(batch: Batch, actor: str | None) -> str:
    """The staff member an actor names, by id or by email."""
    if not actor:
        raise InvalidInputError("actor: a staff flag needs the agent who raised it")
    found = batch.connection.execute(
        select(staff.c.id).where((staff.c.id == actor) | (func.lower(staff.c.email) == actor.strip().lower()))
    ).scalar()
    if found is None:
        raise NotFoundError(f"no staff member {actor!r} (add them with `recovery staff add` and retry)")
    return str(found)


HANDLERS = {
    "complaint.opened": Handler(_open),
    "complaint.trigger": Handler(_trigger, in_memory=True),
    "satisfaction.rated": Handler(_trigger, in_memory=True),
    "customer.flagged": Handler(_flag, reads_complaints=True),
    "customer.lost": Handler(_lost, reads_complaints=True),
    "ticket.assigned": Handler(_assigned, in_memory=True),
    "survey.answered": Handler(_survey, reads_complaints=True),
    "ignored": Handler(_ignored),
}
