"""The audit log: one append-only row per attempt on a complaint, applied or refused."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from recovery.store.schema import audit_log

AuditRow = dict[str, Any]


def entry(
    complaint_id: int,
    at: datetime,
    trigger: str,
    source: str,
    dest: str | None,
    actor: str | None,
    outcome: str,
    note: str = "",
    payload: Mapping[str, Any] | None = None,
) -> AuditRow:
    """An audit row, ready to insert; ``dest`` is None for a refused attempt."""
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


def append(connection: Connection, entries: Sequence[AuditRow]) -> None:
    """Append audit rows."""
    if entries:
        connection.execute(audit_log.insert(), list(entries))


def took(connection: Connection, complaint_id: int, trigger: str) -> bool:
    """Did the complaint ever take ``trigger`` (an applied row in its history)?"""
    query = (
        select(audit_log.c.id)
        .where(
            audit_log.c.complaint_id == complaint_id, audit_log.c.trigger == trigger, audit_log.c.outcome == "applied"
        )
        .limit(1)
    )
    return connection.execute(query).first() is not None
