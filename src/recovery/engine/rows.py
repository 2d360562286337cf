"""Complaint rows in memory: the bridge between the table and the core's Timers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from recovery.core.calendar import BusinessCalendar
from recovery.core.deadlines import Timers, due_at
from recovery.core.workflow import Workflow
from recovery.errors import ConflictError, NotFoundError
from recovery.store.schema import audit_log, complaints

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
MUTABLE = (
    *TIMER_FIELDS,
    "state",
    "state_entered_at",
    "closed_at",
    "pause_reason",
    "due_at",
    "reopen_count",
    "last_score",
    "assignee",
)

Row = dict[str, Any]


def timers_of(row: Mapping[str, Any]) -> Timers:
    """The Timers a stored complaint row carries."""
    return Timers(**{f: row[f] for f in TIMER_FIELDS}, closed=row["closed_at"] is not None)


def put_timers(row: Row, timers: Timers, workflow: Workflow, calendar: BusinessCalendar) -> None:
    """Write ``timers`` into ``row`` and recompute when the scheduler must next look."""
    for name in TIMER_FIELDS:
        row[name] = getattr(timers, name)
    row["due_at"] = due_at(workflow, timers, calendar)


_LOAD = select(complaints).where(complaints.c.id == bindparam("complaint_id"))  # built once: the CLI's hot path


def load(connection: Connection, complaint_id: int) -> Row:
    """One complaint row as a dict; NotFoundError names the id."""
    found = connection.execute(_LOAD, {"complaint_id": complaint_id}).mappings().first()
    if found is None:
        raise NotFoundError(f"no complaint {complaint_id}")
    return dict(found)


def load_many(connection: Connection, ids: list[int]) -> dict[int, Row]:
    """Complaint rows by id, in one query per 500 ids."""
    rows: dict[int, Row] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for found in connection.execute(select(complaints).where(complaints.c.id.in_(chunk))).mappings():
            rows[found["id"]] = dict(found)
    return rows


_SAVE = (
    update(complaints)
    .where(complaints.c.id == bindparam("_id"), complaints.c.version == bindparam("_version"))
    .values(version=complaints.c.version + 1)
)  # the SET clause for MUTABLE comes from the parameter keys


def save(connection: Connection, rows: list[Row], before: Mapping[int, Row] | None = None) -> None:
    """Write changed rows, each only if nobody else changed it since it was read.

    With ``before`` (the rows as read), only the columns that changed in some row are written.
    """
    if not rows:
        return
    columns: tuple[str, ...] = MUTABLE
    if before is not None:
        changed: set[str] = set()
        for r in rows:
            old = before[r["id"]]
            changed.update(n for n in MUTABLE if n not in changed and r[n] != old[n])
        columns = tuple(n for n in MUTABLE if n in changed)
    params = [{**{n: r[n] for n in columns}, "_id": r["id"], "_version": r["version"]} for r in rows]
    result = connection.execute(_SAVE, params)
    if result.rowcount != len(rows):
        ids = ", ".join(str(r["id"]) for r in rows[:5])
        raise ConflictError(f"complaint {ids} was changed by someone else meanwhile; reload and try again")
    for r in rows:
        r["version"] += 1


def audit(
    complaint_id: int,
    at: datetime,
    trigger: str,
    source: str,
    dest: str | None,
    actor: str | None,
    outcome: str,
    note: str = "",
    payload: Mapping[str, Any] | None = None,
) -> Row:
    """An audit row, ready to insert."""
    return {
        "complaint_id": complaint_id,
        "at": at,
        "trigger": trigger,
        "source": source,
        "dest": dest,
        "actor": actor,
        "outcome": outcome,
        "note": note,
        "payload": dict(payload) if payload else None,
    }


def write_audit(connection: Connection, entries: list[Row]) -> None:
    """Append audit rows."""
    if entries:
        connection.execute(audit_log.insert(), entries)
