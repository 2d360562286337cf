"""Second follow-ups: raising each due ``follow_up_reminders`` row once, as an outbox notice to the assignee.

A class's prescription asks for them when a complaint is resolved (``engine/prescriptions``). The daemon's
overdue job calls ``raise_due`` after the overdue scan. Each batch claims its rows with an UPDATE that
only takes a row still unraised, and queues the notices in the same transaction: two daemons, a
repeated run or a run after a crash never raise one twice, and a claimed row is never lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from recovery.engine.context import Context
from recovery.store.outbox import enqueue_many
from recovery.store.schema import complaints, follow_up_reminders, staff

TOPIC = "complaint.second_follow_up_due"
FALLBACK_ROLE = "lead"  # a complaint nobody is assigned to: its notice goes to the leads, as the scan's do


def raise_due(ctx: Context, *, batch: int = 500, stop: Callable[[], bool] | None = None) -> int:
    """Raise every second follow-up due now, ``batch`` per transaction; the number raised."""
    should_stop = stop or (lambda: False)
    raised = 0
    while not should_stop():
        with ctx.db.begin() as connection:
            done = _batch_in(ctx, connection, batch)
        raised += done
        if done < batch:
            break
    return raised


def _batch_in(ctx: Context, connection: Connection, size: int) -> int:
    """Claim up to ``size`` due reminders and queue their notices inside ``connection``'s transaction."""
    now = ctx.clock.now()
    r = follow_up_reminders.c
    due = (
        select(r.complaint_id)
        .where(r.raised_at.is_(None), r.due_at <= now)
        .order_by(r.due_at, r.complaint_id)
        .limit(size)
        .with_for_update(skip_locked=True)  # PostgreSQL: concurrent daemons take different rows
    )
    # ``raised_at IS NULL`` again in the UPDATE: a row another transaction raised meanwhile is not taken
    # (PostgreSQL re-checks it after waiting; SQLite's BEGIN IMMEDIATE lets one writer in at a time).
    claim = (
        update(follow_up_reminders)
        .where(r.complaint_id.in_(due.scalar_subquery()), r.raised_at.is_(None))
        .values(raised_at=now)
        .returning(r.complaint_id)
    )
    claimed = sorted(connection.execute(claim).scalars())
    if claimed:
        enqueue_many(connection, _notices(connection, claimed), now)
    return len(claimed)


def _notices(connection: Connection, complaint_ids: Sequence[int]) -> list[dict[str, Any]]:
    """One outbox message per person to call: the assignee, or the leads when there is none."""
    found = connection.execute(
        select(complaints.c.id, complaints.c.assignee, complaints.c.summary).where(complaints.c.id.in_(complaint_ids))
    ).all()
    people = connection.execute(select(staff.c.id, staff.c.email, staff.c.role).order_by(staff.c.id)).all()
    emails = {p.id: p.email for p in people}
    leads = [p.id for p in people if p.role == FALLBACK_ROLE]
    messages = []
    for complaint in found:
        text = f"second follow-up due for complaint {complaint.id}: call the customer again"
        for person in [complaint.assignee] if complaint.assignee else leads:
            payload = {
                "event": "second_follow_up",
                "complaint_id": complaint.id,
                "summary": complaint.summary,
                "text": text,
                "staff": person,
                "email": emails.get(person),
            }
            key = f"second_follow_up:{complaint.id}:{person}"  # a repeated notice is dropped by the outbox too
            messages.append({"dedupe_key": key, "topic": TOPIC, "recipient": person, "payload": payload})
    return messages
