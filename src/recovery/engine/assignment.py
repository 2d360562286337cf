"""Who handles a complaint: assigning it to a staff member, audited, with a ``complaint.assigned`` notice."""

from __future__ import annotations

from datetime import datetime

from recovery.core.complaint import Complaint, evolve
from recovery.engine.complaints import Steps
from recovery.engine.context import Context
from recovery.engine.input_checks import check_actor, check_moment
from recovery.engine.people import staff_email
from recovery.errors import InvalidInputError
from recovery.store import audit
from recovery.store import complaints as store
from recovery.store.outbox import enqueue

TOPIC = "complaint.assigned"


def assign(ctx: Context, complaint_id: int, staff_id: str, *, actor: str | None = None) -> Complaint:
    """Make ``staff_id`` the complaint's assignee, in one transaction; the complaint as it now is."""
    with ctx.db.begin() as connection:
        steps = Steps(ctx, connection, [store.load(connection, complaint_id)])
        reassign(steps, complaint_id, staff_id, actor=actor, at=steps.now)
        steps.write()
    return steps.current[complaint_id]


def reassign(steps: Steps, complaint_id: int, staff_id: str, *, actor: str | None, at: datetime) -> bool:
    """Assign within ``steps``' transaction; False when ``staff_id`` already is the assignee.

    InvalidInputError for a closed complaint, NotFoundError for an unknown staff member. The notice's
    key carries the moment, so assigning back to an earlier assignee notifies them again.
    """
    check_actor(actor)
    check_moment(at)
    complaint = steps.current[complaint_id]
    if complaint.assignee == staff_id:
        return False
    if complaint.closed_at is not None:
        raise InvalidInputError(f"complaint {complaint_id} is closed ({complaint.state}): its assignee stays as it was")
    email = staff_email(steps.connection, staff_id)
    state = complaint.state
    details = {"assignee": staff_id, "previous": complaint.assignee}
    entry = audit.entry(complaint_id, at, "assign", state, state, actor, "applied", f"assigned to {staff_id}", details)
    steps.amend(evolve(complaint, assignee=staff_id), entry)
    notice = {"complaint_id": complaint_id, "staff": staff_id, "email": email, "summary": complaint.summary}
    key = f"assigned:{complaint_id}:{staff_id}:{at.isoformat()}"
    enqueue(steps.connection, key, TOPIC, {**notice, "previous": complaint.assignee}, steps.now, staff_id)
    return True
