"""One transaction of the applier: a few dozen tickets locked, their pending events applied in order.

PostgreSQL: ``pg_try_advisory_xact_lock`` per ticket, so several processes never apply one
ticket's events out of order; SQLite: the single write lock. An event whose predecessor has not
arrived waits (``claimed_until``) for the reorder window after its arrival, then is
dead-lettered with the reason. A crash rolls the whole transaction back: nothing is half-applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from recovery.core.complaint import Complaint
from recovery.core.definition import Workflow
from recovery.engine.complaints import Steps
from recovery.engine.context import Context
from recovery.engine.inbox.handlers import HANDLERS, Skipped, Waiting
from recovery.errors import ConflictError, InvalidInputError, NotFoundError, RecoveryError
from recovery.store import complaints as complaint_store
from recovery.store import inbox as store
from recovery.store.database import writer
from recovery.store.inbox import Ticket

TICKETS_PER_TRANSACTION = 32  # ~200 events: a short write lock, so webhook commits slip in between
STATUSES = ("pending", "applied", "skipped", "failed", "dead", "ignored")


@dataclass
class Result:
    """What happened to one inbox row."""

    status: str
    error: str | None = None
    parked_until: datetime | None = None


def apply_pending(ctx: Context, limit: int = 500) -> int:
    """Apply about ``limit`` pending events, a few dozen tickets per transaction; return how many applied."""
    applied = processed = 0
    while processed < limit:
        done, seen = _apply_batch(ctx, min(TICKETS_PER_TRANSACTION, max(1, (limit - processed) // 4)))
        applied += done
        processed += seen
        if not seen:
            break
    return applied


def _apply_batch(ctx: Context, tickets_wanted: int) -> tuple[int, int]:
    """One transaction: every pending event of up to ``tickets_wanted`` tickets; (applied, looked at)."""
    now = ctx.clock.now()
    with writer(ctx.db), ctx.db.begin() as connection:
        tickets = store.lock(connection, store.candidates(connection, now, tickets_wanted))
        if not tickets:
            return 0, 0
        pending = store.pending_of(connection, tickets)
        batch = Batch(ctx, connection, now, ctx.reorder_window)
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
    """Apply a failed or dead-lettered event again now (no waiting: its cause is meant to be fixed)."""
    now = ctx.clock.now()
    with writer(ctx.db), ctx.db.begin() as connection:
        row = store.get(connection, inbox_id)
        if row is None:
            raise NotFoundError(f"no inbox event {inbox_id}")
        if row["status"] not in ("failed", "dead"):
            raise InvalidInputError(f"inbox event {inbox_id} is {row['status']}: only failed or dead ones are retried")
        if not store.lock(connection, [(row["source"], row["ticket"])]):
            raise ConflictError(f"ticket {row['ticket']!r} is being applied by another process; retry in a moment")
        batch = Batch(ctx, connection, now, timedelta(0))
        result = batch.apply_row(row, wait=False)
        batch.results[inbox_id] = result
        batch.write()
    return result


class Batch:
    """One transaction's work: the complaints of its tickets, their triggers fired once in ``steps``."""

    def __init__(self, ctx: Context, connection: Connection, now: datetime, window: timedelta) -> None:
        self.ctx = ctx
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
        """Apply a ticket's events in order; from the first that must wait, the rest wait with it."""
        for index, row in enumerate(group):
            result = self.apply_row(row, wait=True)
            if result.status == "pending":
                for later in group[index:]:
                    self.results[later["id"]] = Result("pending", result.error, result.parked_until)
                return
            self.results[row["id"]] = result

    def apply_row(self, row: dict[str, Any], *, wait: bool) -> Result:
        """Apply one event; an event that writes at once does so in a savepoint, so a failure undoes it alone."""
        handler = HANDLERS[row["event_type"]]
        try:
            if handler.in_memory:  # fired on ``steps``: nothing written until write()
                refusal = handler(self, row)
            else:
                if handler.reads_complaints:  # it must see what the earlier triggers changed
                    self.flush()
                with self.connection.begin_nested():
                    refusal = handler(self, row)
        except Waiting as exc:
            deadline = row["received_at"] + self.window
            if wait and self.now < deadline:
                return Result("pending", str(exc), deadline)
            waited = f"waited {int(self.window.total_seconds())} s: " if wait else ""
            return Result("dead" if wait else "failed", f"{waited}{exc}")
        except Skipped as exc:
            return Result("skipped", str(exc))
        except (RecoveryError, IntegrityError, KeyError) as exc:
            if not handler.in_memory:  # a rolled-back savepoint may have left cached complaints stale
                self.forget(row)
            return Result("failed", _reason(exc))
        if refusal is not None:  # audited by the engine, so it is kept
            return Result("failed", refusal)
        self.applied += 1
        return Result("applied")

    def flush(self) -> None:
        """Write what the triggers fired so far changed."""
        self.steps.write()

    def write(self) -> None:
        """Write the triggers' changes, then every event's result in one executemany."""
        self.flush()
        store.record(
            self.connection,
            [
                {
                    "id": inbox_id,
                    "status": r.status,
                    "error": r.error,
                    "until": r.parked_until,
                    "applied_at": self.now if r.status == "applied" else None,
                }
                for inbox_id, r in self.results.items()
            ],
        )

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
        """Drop what a failed savepoint may have left stale about this row's ticket."""
        self.by_ticket.pop((row["source"], row["ticket"]), None)


def _reason(exc: Exception) -> str:
    if isinstance(exc, IntegrityError):
        return f"database refused the change: {str(exc.orig).splitlines()[0]}"
    if isinstance(exc, KeyError):
        return f"stored event lacks field {exc.args[0]!r}"
    return str(exc)
