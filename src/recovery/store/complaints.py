"""Complaints to rows and back: the one place that knows the ``complaints`` table's columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, select, update

from recovery.core.complaint import Complaint, evolve
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
_PLAIN_MUTABLE = tuple(name for name in MUTABLE if name not in TIMER_FIELDS)


def from_row(found: Row[Any]) -> Complaint:
    """The complaint a row of ``select(complaints)`` holds.

    Read by position with getters built once: it runs for every complaint read, and a Row's access by
    name costs several times more than the rest of a transition's bookkeeping.
    """
    # The getters give every field in declaration order; mypy cannot count them.
    timers = Timers(*_timer_values(found), found[_CLOSED_AT] is not None)  # type: ignore[call-arg]
    return Complaint(*_head_values(found), timers, *_tail_values(found))  # type: ignore[call-arg]


def values_of(complaint: Complaint, names: Iterable[str] = MUTABLE) -> dict[str, Any]:
    """Column values of ``complaint`` for ``names``."""
    timers = complaint.timers
    return {name: getattr(timers, name) if name in _TIMER_SET else getattr(complaint, name) for name in names}


_TIMER_SET = frozenset(TIMER_FIELDS)
_POSITION = {column.name: i for i, column in enumerate(complaints.columns)}
_FIELDS = tuple(Complaint.__dataclass_fields__)
_timer_values = itemgetter(*(_POSITION[name] for name in TIMER_FIELDS))
_head_values = itemgetter(*(_POSITION[name] for name in _FIELDS[: _FIELDS.index("timers")]))
_tail_values = itemgetter(*(_POSITION[name] for name in _FIELDS[_FIELDS.index("timers") + 1 :]))
_CLOSED_AT = _POSITION["closed_at"]
_LOAD = select(complaints).where(complaints.c.id == bindparam("complaint_id"))  # built once: the CLI's hot path


def load(connection: Connection, complaint_id: int) -> Complaint:
    """One complaint; NotFoundError names the id."""
    found = connection.execute(_LOAD, {"complaint_id": complaint_id}).first()
    if found is None:
        raise NotFoundError(f"no complaint {complaint_id}")
    return from_row(found)


def load_many(connection: Connection, ids: Sequence[int]) -> dict[int, Complaint]:
    """Complaints by id (missing ids are left out)."""
    found: dict[int, Complaint] = {}
    for chunk in chunks(ids):
        for row in connection.execute(select(complaints).where(complaints.c.id.in_(chunk))):
            found[row.id] = from_row(row)
    return found


def load_by_tickets(connection: Connection, source: str, tickets: Sequence[str]) -> dict[str, Complaint]:
    """The complaints opened for helpdesk ``tickets`` of ``source``, by ticket."""
    found: dict[str, Complaint] = {}
    for chunk in chunks(tickets):
        query = select(complaints).where(complaints.c.ticket_source == source, complaints.c.ticket_id.in_(chunk))
        for row in connection.execute(query):
            found[row.ticket_id] = from_row(row)
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


def insert(connection: Connection, complaint: Complaint, **columns: object) -> Complaint:
    """Insert a new complaint (its ``id`` is ignored), with ``columns`` the engine does not keep in memory
    (``expected``, ``open_key``); the stored copy, with its id."""
    row = {**values_of(complaint, (*_PLAIN, *TIMER_FIELDS)), **columns}
    complaint_id = inserted_id(connection.execute(complaints.insert().values(row)))
    return evolve(complaint, id=complaint_id)


_SAVE = (
    update(complaints)
    .where(complaints.c.id == bindparam("_id"), complaints.c.version == bindparam("_version"))
    .values(version=complaints.c.version + 1)
)  # the SET clause comes from the parameter keys


def save(connection: Connection, changed: Sequence[Complaint], before: Mapping[int, Complaint]) -> None:
    """Write ``changed`` complaints, each only if nobody changed it since it was read as in ``before``.

    Only the columns that changed in some complaint are written; ``stored`` gives a saved complaint's copy.
    """
    if not changed:
        return
    columns = _changed_columns(changed, before)
    params = [{**values_of(c, columns), "_id": c.id, "_version": c.version} for c in changed]
    result = connection.execute(_SAVE, params)
    if result.rowcount != len(changed):
        ids = ", ".join(str(c.id) for c in changed[:5])
        raise ConflictError(f"complaint {ids} was changed by someone else meanwhile; reload and try again")


def stored(complaint: Complaint) -> Complaint:
    """``complaint`` as ``save`` left it in the database: its version one higher."""
    return evolve(complaint, version=complaint.version + 1)


def _changed_columns(changed: Sequence[Complaint], before: Mapping[int, Complaint]) -> tuple[str, ...]:
    """The columns that differ in any complaint from how it was read, in table order."""
    names: set[str] = set()
    for new in changed:
        old = before[new.id]
        names.update(n for n in _PLAIN_MUTABLE if n not in names and getattr(new, n) != getattr(old, n))
        if new.timers is not old.timers:  # timers are replaced whole, so an untouched one is the same object
            t, o = new.timers, old.timers
            names.update(n for n in TIMER_FIELDS if n not in names and getattr(t, n) != getattr(o, n))
    return tuple(n for n in MUTABLE if n in names)
