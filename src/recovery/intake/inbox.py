"""Storing accepted deliveries: one ``INSERT … ON CONFLICT DO NOTHING`` per event, before the answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from recovery.engine.inbox import writer
from recovery.intake.events import IntakeEvent
from recovery.store.schema import inbox


@dataclass(frozen=True, slots=True)
class Stored:
    """The inbox id answered to the helpdesk and whether the delivery was seen before."""

    inbox_id: int
    duplicate: bool


def ticket_key(event: IntakeEvent) -> str:
    """The ordering key of an event: its ticket, or its customer for customer-level events."""
    if event.ticket:
        return event.ticket[:200]
    customer = getattr(event, "customer", None)
    return f"customer:{customer.email.lower() if customer else '?'}"[:200]


def rows_of(
    source: str, events: Sequence[IntakeEvent], received_at: datetime, fallback_id: str
) -> list[dict[str, Any]]:
    """Inbox rows for a delivery's events; a delivery with none is kept as one ``ignored`` row."""
    if not events:
        return [
            {
                "source": source,
                "delivery_id": fallback_id,
                "ticket": "-",
                "event_type": "ignored",
                "occurred_at": received_at,
                "received_at": received_at,
                "body": {"type": "ignored"},
                "status": "ignored",
                "attempts": 0,
            }
        ]
    return [
        {
            "source": source,
            "delivery_id": e.delivery_id,
            "ticket": ticket_key(e),
            "event_type": e.type,
            "occurred_at": e.occurred_at,
            "received_at": received_at,
            "body": e.body(),
            "status": "pending",
            "attempts": 0,
        }
        for e in events
    ]


def store(db: Engine, rows: list[dict[str, Any]]) -> Stored:
    """Insert the rows in one transaction; a delivery whose first row exists is a duplicate."""
    with writer(db), db.begin() as connection:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(inbox).on_conflict_do_nothing().returning(inbox.c.id)
        first = connection.execute(statement, rows[0]).scalar()
        if first is None:
            return Stored(_existing(connection, rows[0]), duplicate=True)
        for row in rows[1:]:
            connection.execute(statement, row)
        return Stored(int(first), duplicate=False)


def _existing(connection: Connection, row: dict[str, Any]) -> int:
    found = connection.execute(
        select(inbox.c.id).where(inbox.c.source == row["source"], inbox.c.delivery_id == row["delivery_id"])
    ).scalar_one()
    return int(found)
