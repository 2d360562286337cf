"""The outbox by hand: listing messages, showing one, and queueing a failed or dead one again.

A retry is audited on the complaint the message is about (its payload's ``complaint_id``), in the
transaction that queues it again; a message about no complaint (a reward, a customer at risk) has
no audit trail to join, so its retry is recorded in the log line only.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from recovery.engine.context import Context
from recovery.engine.input_checks import check_actor
from recovery.engine.people import staff_email
from recovery.engine.queries import iso
from recovery.errors import ConflictError, InvalidInputError, NotFoundError
from recovery.store import audit
from recovery.store import outbox as store
from recovery.store.database import writer
from recovery.store.schema import complaints, outbox

log = logging.getLogger(__name__)

LISTED = ("id", "topic", "recipient", "status", "attempts", "next_attempt_at", "created_at", "sent_at", "last_error")
TRIGGER = "outbox_retry"  # the audit entry of a retry: the complaint's state stays as it was


def list_messages(ctx: Context, *, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest outbox messages, optionally of one status, without their payloads."""
    query = select(*(outbox.c[name] for name in LISTED)).order_by(outbox.c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(outbox.c.status == status)
    with ctx.read() as connection:
        return [_jsonable(dict(r)) for r in connection.execute(query).mappings()]


def message_detail(ctx: Context, message_id: int) -> dict[str, Any]:
    """One message with its payload, attempts, last error and times; NotFoundError names the id."""
    with ctx.read() as connection:
        return _jsonable(_found(connection, message_id))


def retry_message(ctx: Context, message_id: int, *, actor: str | None = None) -> dict[str, Any]:
    """Queue a dead (or failing) message again now with no attempts, audited; the message as it now is."""
    check_actor(actor)
    now = ctx.clock.now()
    with writer(ctx.db), ctx.db.begin() as connection:
        row = _found(connection, message_id)
        _check_retryable(row, now)
        if actor is not None:
            staff_email(connection, actor)  # NotFoundError for someone who is not on the staff
        if not store.requeue(connection, message_id, row["status"], now):
            raise ConflictError(f"outbox message {message_id} changed while it was being retried; look again")
        complaint_id = _audit(connection, row, actor, now)
    log.info(
        "event=outbox_retried id=%s topic=%s was=%s attempts=%s by=%s complaint=%s",
        message_id,
        row["topic"],
        row["status"],
        row["attempts"],
        actor or "-",
        complaint_id or "-",
    )
    return message_detail(ctx, message_id)


def _found(connection: Connection, message_id: int) -> dict[str, Any]:
    row = store.get(connection, message_id)
    if row is None:
        raise NotFoundError(f"no outbox message {message_id}")
    return row


def _check_retryable(row: dict[str, Any], now: datetime) -> None:
    """Refuse a message that is sent, or pending and never tried (it is already on its way)."""
    ident = f"outbox message {row['id']}"
    if row["status"] == "sent":
        raise InvalidInputError(f"{ident} was sent at {iso(row['sent_at'])}: only dead or failing messages are retried")
    if row["status"] == "pending" and row["attempts"] == 0:
        raise InvalidInputError(f"{ident} is pending and was never tried: the dispatcher sends it at its turn")
    if row["status"] not in ("pending", "dead"):
        raise InvalidInputError(f"{ident} is {row['status']}: only dead or failing messages are retried")
    if row["claimed_until"] is not None and row["claimed_until"] > now:
        raise ConflictError(f"{ident} is being delivered right now; look again in a moment")


def _audit(connection: Connection, row: dict[str, Any], actor: str | None, now: datetime) -> int | None:
    """An audit entry on the message's complaint, if it names one that exists; its id or None."""
    complaint_id = row["payload"].get("complaint_id") if isinstance(row["payload"], dict) else None
    if not isinstance(complaint_id, int) or isinstance(complaint_id, bool):
        return None
    state = connection.execute(select(complaints.c.state).where(complaints.c.id == complaint_id)).scalar()
    if state is None:
        return None
    was = f"{row['status']} after {row['attempts']} attempt(s)"
    note = f"outbox message {row['id']} ({row['topic']}) queued again; it was {was}: {row['last_error'] or '-'}"
    details = {
        "outbox_id": row["id"],
        "topic": row["topic"],
        "was": row["status"],
        "attempts": row["attempts"],
        "last_error": row["last_error"],
    }
    audit.append(connection, [audit.entry(complaint_id, now, TRIGGER, state, state, actor, "applied", note, details)])
    return complaint_id


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """Times as ISO 8601 UTC with a Z; the lease is an internal detail of the dispatcher."""
    row.pop("claimed_until", None)
    return {key: iso(value) if isinstance(value, datetime) else value for key, value in row.items()}
