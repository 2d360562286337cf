"""Complaints to rows and back: the one place that knows the ``complaints`` table's columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select, update

from recovery.core.complaint import Complaint
from recovery.core.deadlines import Timers
from recovery.errors import ConflictError, NotFoundError
from recovery.store.schema import complaints
from recovery.store.sql import chunks, inserted_id

TIMER_FIELDS = (
    "final_deadline",
    "final_warn_at",
    "deadline",
    "warn_at",
    "follow_up_due_at",
    "paused_at",
    "pause_ends_at",
    "escalation_level",
    "warned",
    "follow_up_reminded",
    "final_warned",
    "final_breached",
)
# Columns a change may write; the rest are set once, when the complaint is opened.
MUTABLE = (
    *TIMER_FIELDS,
    "state",
    "state_entered_at",
    "closed_at",
    "closed_as",
    "pause_reason",
    "due_at",
    "reopen_count",
    "last_score",
    "assignee",
)
_PLAIN = tuple(name for name in Complaint.__dataclass_fields__ if name not in ("timers", "id"))


def from_row(row: Mapping[Any, Any]) -> Complaint:
    """The complaint a ``complaints`` row holds."""
    timers = Timers(**{f: row[f] for f in TIMER_FIELDS}, closed=row["closed_at"] is not None)
    return Complaint(id=row["id"], timers=timers, **{name: row[name] for name in _PLAIN})


def values_of(complaint: Complaint, names: Iterable[str] = MUTABLE) -> dict[str, Any]:
    """Column values of ``complaint`` for ``names``."""
    timers = complaint.timers
    return {name: getattr(timers, name) if name in _TIMER_SET else getattr(complaint, name) for name in names}


_TIMER_SET = frozenset(TIMER_FIELDS)
_LOAD = select(complaints).where(complaints.c.id == bindparam("complaint_id"))  # built once: the CLI's hot path


def load(connection: Connection, complaint_id: int) -> Complaint:
    """One complaint; NotFoundError names the id."""
    found = connection.execute(_LOAD, {"complaint_id": complaint_id}).mappings().first()
    if found is None:
        raise NotFoundError(f"no complaint {complaint_id}")
    return from_row(found)


def load_many(connection: Connection, ids: Sequence[int]) -> dict[int, Complaint]:
    """Complaints by id (missing ids are left out)."""
    found: dict[int, Complaint] = {}
    for chunk in chunks(ids):
        for row in connection.execute(select(complaints).where(complaints.c.id.in_(chunk))).mappings():
            found[row["id"]] = from_row(row)
    return found


def load_by_tickets(connection: Connection, source: str, tickets: Sequence[str]) -> dict[str, Complaint]:
    """The complaints opened for helpdesk ``tickets`` of ``source``, by ticket."""
    found: dict[str, Complaint] = {}
    for chunk in chunks(tickets):
        query = select(complaints).where(complaints.c.ticket_source == source, complaints.c.ticket_id.in_(chunk))
        for row in connection.execute(query).mappings():
            found[row["ticket_id"]] = from_row(row)
    return found


def open_ids_of(connection: Connection, customer_id: int) -> list[int]:
    """Ids of a customer's open complaints, oldest first."""
    query = select(complaints.c.id).where(complaints.c.customer_id == customer_id, complaints.c.closed_at.is_(None))
    return [int(i) for i in connection.execute(query.order_by(complaints.c.id)).scalars()]


def claim_due(now: datetime, limit: int) -> Select[Any]:
    """Due complaints, earliest first, locked for this transaction (SQLite ignores the lock clause)."""
    return (
        select(complaints)
        .where(complaints.c.due_at <= now)
        .order_by(complaints.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def insert(connection: Connection, complaint: Complaint) -> Complaint:
    """Insert a new complaint (its ``id`` is ignored); the stored copy, with its id."""
    row = values_of(complaint, (*_PLAIN, *TIMER_FIELDS))
    complaint_id = inserted_id(connection.execute(complaints.insert().values(row)))
    return replace(complaint, id=complaint_id)


_SAVE = (
    update(complaints)
    .where(complaints.c.id == bindparam("_id"), complaints.c.version == bindparam("_version"))
    .values(version=complaints.c.version + 1)
)  # the SET clause comes from the parameter keys


def save(connection: Connection, changed: Sequence[Complaint], before: Mapping[int, Complaint]) -> list[Complaint]:
    """Write ``changed`` complaints, each only if nobody changed it since it was read as in ``before``.

    Only the columns that changed in some complaint are written. Returns the stored copies (version + 1).
    """
    if not changed:
        return []
    new = [values_of(c) for c in changed]
    old = [values_of(before[c.id]) for c in changed]
    columns = tuple(name for name in MUTABLE if any(n[name] != o[name] for n, o in zip(new, old, strict=True)))
    params = [
        {**{name: values[name] for name in columns}, "_id": c.id, "_version": c.version}
        for c, values in zip(changed, new, strict=True)
    ]
    result = connection.execute(_SAVE, params)
    if result.rowcount != len(changed):
        ids = ", ".join(str(c.id) for c in changed[:5])
        raise ConflictError(f"complaint {ids} was changed by someone else meanwhile; reload and try again")
    return [replace(c, version=c.version + 1) for c in changed]
