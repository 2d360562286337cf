"""Storing accepted deliveries: one ``INSERT … ON CONFLICT DO NOTHING`` per event, before the answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from starlette.concurrency import run_in_threadpool

from recovery.intake.events import IntakeEvent
from recovery.store.database import is_embedded, writer
from recovery.store.schema import inbox
from recovery.store.sql import chunks, insert_ignoring_duplicates


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
    """Insert one delivery's rows in one transaction; a delivery whose first row exists is a duplicate."""
    return store_many(db, [rows])[0]


def store_many(db: Engine, deliveries: list[list[dict[str, Any]]]) -> list[Stored]:
    """Insert several deliveries in one transaction (a group commit) with three statements; one answer each.

    A delivery already stored, or earlier in the same batch, is a duplicate. Two processes taking
    the same delivery at the same instant both answer 202, and ON CONFLICT still stores it once.
    """
    keys = [(rows[0]["source"], rows[0]["delivery_id"]) for rows in deliveries]
    with writer(db), db.begin() as connection:
        known = _ids(connection, keys)
        plan: list[tuple[tuple[str, str], bool]] = []
        fresh: list[dict[str, Any]] = []
        for key, rows in zip(keys, deliveries, strict=True):
            duplicate = key in known or any(k == key and not d for k, d in plan)
            plan.append((key, duplicate))
            if not duplicate:
                fresh.extend(rows)
        if fresh:
            connection.execute(insert_ignoring_duplicates(connection, inbox), fresh)
        ids = {**known, **_ids(connection, [k for k, d in plan if not d])}
    return [Stored(ids[key], duplicate) for key, duplicate in plan]


def _ids(connection: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The inbox ids of deliveries by (source, delivery id), where stored."""
    found: dict[tuple[str, str], int] = {}
    for source in {s for s, _ in keys}:
        names = sorted({d for s, d in keys if s == source})
        for chunk in chunks(names):
            query = select(inbox.c.id, inbox.c.delivery_id).where(
                inbox.c.source == source, inbox.c.delivery_id.in_(chunk)
            )
            found.update({(source, r.delivery_id): int(r.id) for r in connection.execute(query)})
    return found


class GroupCommit:
    """Stores deliveries that arrive together in one transaction; each answer waits for its commit.

    Under load many requests wait for the database at once: one BEGIN/COMMIT for all of them
    keeps "stored durably before the answer" while paying the transaction cost once.
    """

    def __init__(self, db: Engine) -> None:
        self.db = db
        self.waiting: list[tuple[list[dict[str, Any]], asyncio.Future[Stored]]] = []
        self.draining: asyncio.Task[None] | None = None
        self.inline = is_embedded(db)  # a local file: a thread hop costs more than the write

    async def store(self, rows: list[dict[str, Any]]) -> Stored:
        """Store one delivery with whatever else is waiting; raise what the database raised."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Stored] = loop.create_future()
        self.waiting.append((rows, future))
        if self.draining is None:
            self.draining = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                deliveries = [rows for rows, _ in batch]
                try:
                    if self.inline:
                        answers = store_many(self.db, deliveries)
                    else:
                        answers = await run_in_threadpool(store_many, self.db, deliveries)
                except Exception as exc:  # every waiting request hears of it (answered 503)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), answer in zip(batch, answers, strict=True):
                    if not future.done():  # a client that hung up cancelled its wait; the row is stored anyway
                        future.set_result(answer)
        finally:
            self.draining = None
