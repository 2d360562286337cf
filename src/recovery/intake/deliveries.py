"""Storing accepted deliveries: one ``INSERT … ON CONFLICT DO NOTHING`` per event, before the answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import InterfaceError, OperationalError

from recovery.intake.events import IntakeEvent, fit_key
from recovery.store.database import writer
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
        return fit_key(event.ticket)
    customer = getattr(event, "customer", None)
    return fit_key(f"customer:{customer.email.lower() if customer else '?'}")


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


def store_group(db: Engine, deliveries: list[list[dict[str, Any]]]) -> list[Stored | Exception]:
    """Store deliveries together; when that fails for a reason other than an outage, each again on its own.

    One delivery whose values the database refuses then fails alone, and its neighbours are stored.
    """
    try:
        return list(store_many(db, deliveries))
    except Exception as exc:
        if len(deliveries) == 1 or is_outage(exc):
            return [exc] * len(deliveries)
    answers: list[Stored | Exception] = []
    for rows in deliveries:
        try:
            answers.append(store(db, rows))
        except Exception as exc:
            answers.append(exc)
    return answers


def is_outage(exc: BaseException) -> bool:
    """The database cannot be used right now (unreachable, read-only, full, locked): no delivery would store."""
    return isinstance(exc, OperationalError | InterfaceError)


class GroupCommit:
    """Stores deliveries that arrive together in one transaction; each answer waits for its commit.

    Under load many requests wait for the database at once: one BEGIN/COMMIT for all of them
    keeps "stored durably before the answer" while paying the transaction cost once. The writes
    run on one thread of their own, so a slow or locked database delays only the requests that
    wait for it, never the event loop (``/metrics``, ``/healthz`` and the other deliveries' reading).
    """

    def __init__(self, db: Engine) -> None:
        self.db = db
        self.waiting: list[tuple[list[dict[str, Any]], asyncio.Future[Stored]]] = []
        self.draining: asyncio.Task[None] | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox-writer")

    async def store(self, rows: list[dict[str, Any]]) -> Stored:
        """Store one delivery with whatever else is waiting; raise what the database raised for it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Stored] = loop.create_future()
        self.waiting.append((rows, future))
        if self.draining is None:
            self.draining = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                deliveries = [rows for rows, _ in batch]
                try:
                    answers = await loop.run_in_executor(self.executor, store_group, self.db, deliveries)
                except Exception as exc:  # not the database (store_group answers for it): the pool failed
                    answers = [exc] * len(batch)
                for (_, future), answer in zip(batch, answers, strict=True):
                    if future.done():  # a client that hung up cancelled its wait; the row is stored anyway
                        continue
                    if isinstance(answer, Exception):
                        future.set_exception(answer)
                    else:
                        future.set_result(answer)
        finally:
            self.draining = None
