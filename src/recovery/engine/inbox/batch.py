"""One transaction of the applier: a few dozen tickets locked, their pending events applied in order.

PostgreSQL: ``pg_try_advisory_xact_lock`` per ticket, so several processes never apply one
ticket's events out of order; SQLite: the single write lock. An event whose predecessor has not
arrived waits (``claimed_until``) for the reorder window after its arrival, then is
dead-lettered with the reason. A crash rolls the whole transaction back: nothing is half-applied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from recovery.core.complaint import Complaint
from recovery.core.definition import Workflow
from recovery.engine.complaints import Steps
from recovery.engine.context import Context
from recovery.engine.inbox.handlers import HANDLERS, Handler, Ignored, Skipped, Waiting
from recovery.engine.inbox.purchases import PURCHASE_HANDLERS
from recovery.errors import ConflictError, InvalidInputError, NotFoundError, RecoveryError
from recovery.store import complaints as complaint_store
from recovery.store import inbox as store
from recovery.store.database import writer
from recovery.store.inbox import Ticket

log = logging.getLogger(__name__)

EVENT_HANDLERS = {**HANDLERS, **PURCHASE_HANDLERS}

TICKETS_PER_TRANSACTION = 32  # ~200 events: a short write lock, so webhook commits slip in between
# held: a later event of a ticket whose event failed unexpectedly, kept back until that one is retried or skipped.
STATUSES = ("pending", "held", "applied", "skipped", "failed", "dead", "ignored")
MENDABLE = ("pending", "held", "failed", "dead")  # what retry and skip may act on


@dataclass
class Result:
    """What happened to one inbox row."""

    status: str
    error: str | None = None
    parked_until: datetime | None = None
    unexpected: bool = False  # failed for a reason no rule foresaw (poison data): the ticket's later events wait


def apply_pending(ctx: Context, limit: int = 500) -> int:
    """Apply about ``limit`` pending events, a few dozen tickets per transaction; return how many applied."""
    applied = processed = 0
    while processed < limit:
        wanted = min(TICKETS_PER_TRANSACTION, max(1, (limit - processed) // 4))
        try:
            done, seen = _apply_batch(ctx, wanted)
        except Exception as exc:
            # The fast path writes a batch at once; again, each event in a savepoint of its own, so a
            # failing one is marked failed and the rest commit.
            log.warning("event=inbox_batch_failed error=%r: applying its events one by one", exc)
            done, seen = _apply_batch(ctx, wanted, careful=True)
        applied += done
        processed += seen
        if not seen:
            break
    return applied


def _apply_batch(ctx: Context, tickets_wanted: int, *, careful: bool = False) -> tuple[int, int]:
    """One transaction: every pending event of up to ``tickets_wanted`` tickets; (applied, looked at)."""
    now = ctx.clock.now()
    with writer(ctx.db), ctx.db.begin() as connection:
        tickets = store.lock(connection, store.candidates(connection, now, tickets_wanted))
        if not tickets:
            return 0, 0
        pending = store.pending_of(connection, tickets)
        batch = Batch(ctx, connection, now, ctx.reorder_window, careful=careful)
        batch.prefetch(tickets)
        groups = [list(g) for _, g in groupby(pending, key=lambda r: (r["source"], r["ticket"]))]
        # Opening events come first in their ticket; applying them all first lets one query load the rows.
        groups = [batch.open_leading(group) for group in groups]
        batch.load_opened()
        for group in groups:
            batch.run_ticket(group)
        batch.write()
        return batch.applied, len(pending)


def retry(ctx: Context, inbox_id: int) -> Result:
    """Apply a pending, held, failed or dead-lettered event again now (no waiting: its cause is meant to be fixed)."""
    now = ctx.clock.now()
    with writer(ctx.db), ctx.db.begin() as connection:
        row = _mendable(connection, inbox_id)
        batch = Batch(ctx, connection, now, timedelta(0), careful=True)
        result = batch.apply_row(row, wait=False)
        batch.results[inbox_id] = result
        batch.write()
        if result.status != "failed":
            store.release_held(connection, row["source"], row["ticket"])
    log.info("event=inbox_retried id=%s status=%s error=%s", inbox_id, result.status, result.error)
    return result


def skip(ctx: Context, inbox_id: int, reason: str) -> Result:
    """Give up on an event by hand, with the reason; the ticket's held events go on."""
    if not reason.strip():
        raise InvalidInputError("reason: say why the event is skipped")
    with writer(ctx.db), ctx.db.begin() as connection:
        row = _mendable(connection, inbox_id)
        result = Result("skipped", f"skipped by hand: {reason.strip()}")
        store.record(connection, [_outcome(inbox_id, result, None)])
        store.release_held(connection, row["source"], row["ticket"])
    log.info("event=inbox_skipped id=%s reason=%r", inbox_id, reason)
    return result


def _mendable(connection: Connection, inbox_id: int) -> dict[str, Any]:
    """The event, locked by its ticket, if retry or skip may act on it."""
    row = store.get(connection, inbox_id)
    if row is None:
        raise NotFoundError(f"no inbox event {inbox_id}")
    if row["status"] not in MENDABLE:
        raise InvalidInputError(f"inbox event {inbox_id} is {row['status']}: only {', '.join(MENDABLE)} ones")
    if not store.lock(connection, [(row["source"], row["ticket"])]):
        raise ConflictError(f"ticket {row['ticket']!r} is being applied by another process; retry in a moment")
    return row


def _outcome(inbox_id: int, r: Result, now: datetime | None) -> dict[str, Any]:
    applied_at = now if r.status == "applied" else None
    return {"id": inbox_id, "status": r.status, "error": r.error, "until": r.parked_until, "applied_at": applied_at}


class Batch:
    """One transaction's work: the complaints of its tickets, their triggers fired once in ``steps``."""

    def __init__(
        self, ctx: Context, connection: Connection, now: datetime, window: timedelta, *, careful: bool = False
    ) -> None:
        self.ctx = ctx
        self.careful = careful  # every event in a savepoint of its own, written at once
        self.connection = connection
        self.now = now
        self.window = window
        self.steps = Steps(ctx, connection)
        self.by_ticket: dict[Ticket, int | None] = {}
        self.results: dict[int, Result] = {}
        self.applied = 0

    def prefetch(self, tickets: list[Ticket]) -> None:
        """Load the complaints of ``tickets`` in one query per source and 500 tickets."""
        for key in tickets:
            self.by_ticket[key] = None
        for source in {s for s, _ in tickets}:
            found = complaint_store.load_by_tickets(self.connection, source, [t for s, t in tickets if s == source])
            for ticket, complaint in found.items():
                self.by_ticket[(source, ticket)] = complaint.id
                self.steps.add(complaint)

    def open_leading(self, group: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Apply the group's leading ``complaint.opened`` events; return the rest."""
        index = 0
        while index < len(group) and group[index]["event_type"] == "complaint.opened":
            self.results[group[index]["id"]] = self.apply_row(group[index], wait=True)
            index += 1
        return group[index:]

    def load_opened(self) -> None:
        """Read the complaints just opened, in one query per 500."""
        opened = [i for i in self.by_ticket.values() if i is not None and i not in self.steps.current]
        for complaint in complaint_store.load_many(self.connection, opened).values():
            self.steps.add(complaint)

    def run_ticket(self, group: list[dict[str, Any]]) -> None:
        """Apply a ticket's events in order; from the first that must wait, the rest wait with it.

        After an event that failed unexpectedly, the ticket's later events are held (in order) until it is
        retried or skipped; another ticket's are never held.
        """
        for index, row in enumerate(group):
            result = self.apply_row(row, wait=True)
            if result.status == "pending":
                for later in group[index:]:
                    self.results[later["id"]] = Result("pending", result.error, result.parked_until)
                return
            self.results[row["id"]] = result
            if result.status == "failed" and result.unexpected:
                held = Result("held", f"held: inbox event {row['id']} of this ticket failed: {result.error}")
                for later in group[index + 1 :]:
                    self.results[later["id"]] = held
                return

    def apply_row(self, row: dict[str, Any], *, wait: bool) -> Result:
        """Apply one event; an event that writes at once does so in a savepoint, so a failure undoes it alone."""
        handler = EVENT_HANDLERS.get(row["event_type"])
        try:
            refusal = self._run(handler, row)
        except Waiting as exc:
            return self._waited(row, exc, wait)
        except Skipped as exc:
            return Result("skipped", str(exc))
        except Ignored as exc:
            return Result("ignored", str(exc))
        except (RecoveryError, IntegrityError, KeyError) as exc:
            if handler is None or not self._in_memory(handler):
                self.forget(row)  # a rolled-back savepoint may have left cached complaints stale
            return Result("failed", _reason(exc))
        except (SQLAlchemyError, ValueError, TypeError, ArithmeticError, AttributeError) as exc:
            if not self.careful:
                raise  # the batch is tried again event by event, where this fails this event alone
            self.forget(row)
            return Result("failed", f"could not be applied: {type(exc).__name__}: {str(exc)[:200]}", unexpected=True)
        if refusal is not None:  # audited by the engine, so it is kept
            return Result("failed", refusal)
        self.applied += 1
        return Result("applied")

    def _in_memory(self, handler: Handler) -> bool:
        """Fired on ``steps``, nothing written until write(): the fast path's triggers."""
        return handler.in_memory and not self.careful

    def _run(self, handler: Handler | None, row: dict[str, Any]) -> str | None:
        if handler is None:
            raise InvalidInputError(f"unknown event type {str(row['event_type'])[:40]!r}")
        if self._in_memory(handler):
            return handler(self, row)
        if handler.reads_complaints or self.careful:  # it must see what the earlier triggers changed
            self.flush()
        with self.connection.begin_nested():
            refusal = handler(self, row)
            if self.careful:
                self.flush()
        return refusal

    def _waited(self, row: dict[str, Any], exc: Waiting, wait: bool) -> Result:
        """Park the event until its reorder window ends; past it (or when told not to wait) it is given up."""
        deadline = row["received_at"] + self.window
        if wait and self.now < deadline:
            return Result("pending", str(exc), deadline)
        waited = f"waited {int(self.window.total_seconds())} s: " if wait else ""
        return Result("dead" if wait else "failed", f"{waited}{exc}")

    def flush(self) -> None:
        """Write what the triggers fired so far changed."""
        self.steps.write()

    def write(self) -> None:
        """Write the triggers' changes, then every event's result in one executemany."""
        self.flush()
        store.record(self.connection, [_outcome(inbox_id, r, self.now) for inbox_id, r in self.results.items()])

    # --- complaints of tickets -----------------------------------------------------------------

    def complaint_of(self, row: dict[str, Any]) -> Complaint | None:
        """The complaint opened for this row's ticket, as the triggers fired so far left it."""
        key = (row["source"], row["ticket"])
        if key not in self.by_ticket:
            found = complaint_store.load_by_tickets(self.connection, key[0], [key[1]]).get(key[1])
            self.by_ticket[key] = None if found is None else found.id
            if found is not None and found.id not in self.steps.current:
                self.steps.add(found)
        complaint_id = self.by_ticket[key]
        if complaint_id is None:
            return None
        if complaint_id not in self.steps.current:
            self.steps.add(complaint_store.load(self.connection, complaint_id))
        return self.steps.current[complaint_id]

    def complaint(self, complaint_id: int) -> Complaint:
        """A complaint by id, as the triggers fired so far left it."""
        if complaint_id not in self.steps.current:
            self.steps.add(complaint_store.load(self.connection, complaint_id))
        return self.steps.current[complaint_id]

    def workflow_of(self, complaint: Complaint) -> Workflow:
        """The rules ``complaint`` follows."""
        return self.ctx.workflows.get(self.connection, complaint.workflow, complaint.workflow_version)

    def forget(self, row: dict[str, Any]) -> None:
        """Drop what a failed savepoint may have left stale about this row's ticket.

        In careful mode everything before the failed event is written, so fresh steps lose nothing.
        """
        self.by_ticket.pop((row["source"], row["ticket"]), None)
        if self.careful:
            self.steps = Steps(self.ctx, self.connection)


def _reason(exc: Exception) -> str:
    if isinstance(exc, IntegrityError):
        return f"database refused the change: {str(exc.orig).splitlines()[0]}"
    if isinstance(exc, KeyError):
        return f"stored event lacks field {exc.args[0]!r}"
    return str(exc)
