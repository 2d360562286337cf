"""Applying stored helpdesk events to complaints, per ticket in the events' own order.

Rows of the ``inbox`` table are written by the webhook (recovery.intake.deliveries). ``apply_pending``
takes the tickets with pending events, locks each ticket for its transaction (PostgreSQL:
``pg_try_advisory_xact_lock``, so several processes never apply one ticket's events out of
order; SQLite: the single write lock), and applies every pending event of those tickets sorted
by ``occurred_at``. An event whose predecessor has not arrived waits (``claimed_until``) for
``webhook.reorder_window`` after its arrival, then is dead-lettered with the reason. A crash
rolls the whole batch back: nothing is half-applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text, update
from sqlalchemy.exc import IntegrityError

from recovery.core.commands import CHANNELS, FireTrigger, OpenComplaint
from recovery.core.guards import Compensation, Facts
from recovery.core.machine import Applied, Outcome, Refused
from recovery.core.workflow import Workflow
from recovery.engine import rows
from recovery.engine.complaints import apply_in, check_fire, insert_complaint
from recovery.engine.context import Context
from recovery.engine.people import ensure_customer, normalise_email
from recovery.engine.queries import iso
from recovery.errors import ConflictError, InvalidInputError, NotFoundError, RecoveryError
from recovery.store.database import writer
from recovery.store.schema import complaints, customers, inbox, staff

DEFAULT_WINDOW = timedelta(minutes=10)
STATUSES = ("pending", "applied", "skipped", "failed", "dead", "ignored")


class Waiting(Exception):
    """The event needs an earlier event of its ticket that has not arrived yet."""


class Skipped(Exception):
    """The event changes nothing: the complaint already has what it says (a repeated snapshot)."""


@dataclass
class Result:
    """What happened to one inbox row."""

    status: str
    error: str | None = None
    parked_until: datetime | None = None


def reorder_window(ctx: Context) -> timedelta:
    """``webhook.reorder_window`` from the settings in the context (10 minutes without settings)."""
    settings = ctx.options.get("settings")
    if settings is None:
        return DEFAULT_WINDOW
    from recovery.core.durations import parse_duration

    return parse_duration(settings.webhook.reorder_window).clock()


TICKETS_PER_TRANSACTION = 32  # ~200 events: a short write lock, so webhook commits slip in between


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
        tickets = _lock(connection, _candidates(connection, now, tickets_wanted))
        if not tickets:
            return 0, 0
        pending = _pending_of(connection, tickets)
        batch = _Batch(ctx, connection, now, reorder_window(ctx))
        groups = [list(g) for _, g in groupby(pending, key=lambda r: (r["source"], r["ticket"]))]
        batch.prefetch(tickets)
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
        row = connection.execute(select(inbox).where(inbox.c.id == inbox_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no inbox event {inbox_id}")
        if row["status"] not in ("failed", "dead"):
            raise InvalidInputError(f"inbox event {inbox_id} is {row['status']}: only failed or dead ones are retried")
        if not _lock(connection, [(row["source"], row["ticket"])]):
            raise ConflictError(f"ticket {row['ticket']!r} is being applied by another process; retry in a moment")
        batch = _Batch(ctx, connection, now, timedelta(0))
        result = batch.apply_row(dict(row), wait=False)
        batch.results[inbox_id] = result
        batch.write()
    return result


def _candidates(connection: Connection, now: datetime, wanted: int) -> list[tuple[str, str]]:
    """Tickets with a pending event that is not parked, oldest first."""
    due = (inbox.c.status == "pending") & ((inbox.c.claimed_until.is_(None)) | (inbox.c.claimed_until <= now))
    query = (
        select(inbox.c.source, inbox.c.ticket)
        .where(due)
        .group_by(inbox.c.source, inbox.c.ticket)
        .order_by(func.min(inbox.c.id))
        .limit(wanted)
    )
    return [(r.source, r.ticket) for r in connection.execute(query)]


def _lock(connection: Connection, tickets: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The tickets this transaction may work on; on PostgreSQL, those no other process holds."""
    if connection.dialect.name != "postgresql":
        return tickets  # SQLite: BEGIN IMMEDIATE already made this the only writer
    lock = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")
    return [t for t in tickets if connection.execute(lock, {"key": f"inbox:{t[0]}:{t[1]}"}).scalar()]


def _pending_of(connection: Connection, tickets: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Every pending event of ``tickets`` (parked ones too), by ticket and occurred_at."""
    found: list[dict[str, Any]] = []
    for source in sorted({s for s, _ in tickets}):
        names = [t for s, t in tickets if s == source]
        for start in range(0, len(names), 500):
            query = select(inbox).where(
                inbox.c.status == "pending", inbox.c.source == source, inbox.c.ticket.in_(names[start : start + 500])
            )
            found.extend(dict(r) for r in connection.execute(query).mappings())
    found.sort(key=lambda r: (r["source"], r["ticket"], r["occurred_at"], r["id"]))
    return found


class _Batch:
    """One transaction's work: complaint rows cached by id, results gathered for one bulk update."""

    def __init__(self, ctx: Context, connection: Connection, now: datetime, window: timedelta) -> None:
        self.ctx = ctx
        self.connection = connection
        self.now = now
        self.window = window
        self.loaded: dict[int, rows.Row] = {}
        self.by_ticket: dict[tuple[str, str], int | None] = {}
        self.results: dict[int, Result] = {}
        self.applied = 0
        # Triggers are predicted on a shadow (state, last_score) and written by one apply_in per batch.
        self.shadow: dict[int, tuple[str, int | None]] = {}
        self.deferred: list[FireTrigger] = []

    def prefetch(self, tickets: list[tuple[str, str]]) -> None:
        """Load the complaints of ``tickets`` in one query per source and 500 tickets."""
        for key in tickets:
            self.by_ticket[key] = None
        for source in {s for s, _ in tickets}:
            names = [t for s, t in tickets if s == source]
            for start in range(0, len(names), 500):
                query = select(complaints).where(
                    complaints.c.ticket_source == source, complaints.c.ticket_id.in_(names[start : start + 500])
                )
                for found in self.connection.execute(query).mappings():
                    self.by_ticket[(source, found["ticket_id"])] = found["id"]
                    self.loaded[found["id"]] = dict(found)

    def open_leading(self, group: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Apply the group's leading ``complaint.opened`` events; return the rest."""
        index = 0
        while index < len(group) and group[index]["event_type"] == "complaint.opened":
            self.results[group[index]["id"]] = self.apply_row(group[index], wait=True)
            index += 1
        return group[index:]

    def load_opened(self) -> None:
        """Read the rows of the complaints just opened, in one query per 500."""
        opened = [i for i in self.by_ticket.values() if i is not None and i not in self.loaded]
        self.loaded.update(rows.load_many(self.connection, opened))

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
        """Apply one event in a savepoint; a failure rolls back that event only."""
        handler = _HANDLERS[row["event_type"]]
        try:
            if handler is _trigger:  # only predicts; flush() writes, and a write failure fails the batch
                refusal = handler(self, row)
            else:
                if handler is not _open:  # flags and losses read what the deferred triggers change
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
            if handler is not _trigger:  # a rolled-back savepoint may have left cached rows changed
                self.forget(row)
            return Result("failed", _reason(exc))
        if refusal is not None:  # audited by the engine, so the savepoint was kept
            return Result("failed", refusal)
        self.applied += 1
        return Result("applied")

    def flush(self) -> None:
        """Write the deferred triggers in one apply_in; the outcomes are the ones predicted."""
        if not self.deferred:
            return
        ids = {c.complaint_id for c in self.deferred}
        apply_in(self.ctx, self.connection, {i: self.loaded[i] for i in ids}, self.deferred)
        self.deferred = []
        self.shadow.clear()

    def state_of(self, complaint: rows.Row) -> tuple[str, int | None]:
        """The complaint's state and last score once the deferred triggers are written."""
        return self.shadow.get(complaint["id"], (complaint["state"], complaint["last_score"]))

    def predict(self, complaint: rows.Row, workflow: Workflow, command: FireTrigger) -> Outcome:
        """Fire on the shadow state exactly as apply_in will, and defer the command."""
        state, last_score = self.state_of(complaint)
        facts = Facts(command.compensation, command.score, command.reason, last_score, workflow.satisfaction_threshold)
        outcome = self.ctx.workflows.machine(workflow).fire(state, command.trigger, facts)
        if isinstance(outcome, Applied):
            scored = command.trigger == "follow_up" and command.score is not None
            self.shadow[complaint["id"]] = (outcome.dest, command.score if scored else last_score)
        self.deferred.append(command)
        return outcome

    def write(self) -> None:
        """Flush the deferred triggers, then store every result in one executemany."""
        self.flush()
        if not self.results:
            return
        statement = (
            update(inbox)
            .where(inbox.c.id == bindparam("_id"))
            .values(
                status=bindparam("_status"),
                error=bindparam("_error"),
                claimed_until=bindparam("_until"),
                applied_at=bindparam("_applied_at"),
                attempts=inbox.c.attempts + 1,
            )
        )
        params = [
            {
                "_id": inbox_id,
                "_status": r.status,
                "_error": r.error,
                "_until": r.parked_until,
                "_applied_at": self.now if r.status == "applied" else None,
            }
            for inbox_id, r in self.results.items()
        ]
        self.connection.execute(statement, params)

    # --- complaints of tickets -----------------------------------------------------------------

    def complaint_of(self, row: dict[str, Any]) -> rows.Row | None:
        """The complaint opened for this row's ticket, cached for the batch."""
        key = (row["source"], row["ticket"])
        if key not in self.by_ticket:
            found = self.connection.execute(
                select(complaints).where(complaints.c.ticket_source == key[0], complaints.c.ticket_id == key[1])
            ).mappings()
            first = found.first()
            self.by_ticket[key] = None if first is None else first["id"]
            if first is not None:
                self.loaded.setdefault(first["id"], dict(first))
        complaint_id = self.by_ticket[key]
        if complaint_id is not None and complaint_id not in self.loaded:
            self.loaded[complaint_id] = rows.load(self.connection, complaint_id)
        return None if complaint_id is None else self.loaded[complaint_id]

    def forget(self, row: dict[str, Any]) -> None:
        """Drop cached rows a failed savepoint may have changed in memory."""
        complaint_id = self.by_ticket.pop((row["source"], row["ticket"]), None)
        if complaint_id is not None:
            self.loaded.pop(complaint_id, None)

    def customer_of(self, row: dict[str, Any], *, create: bool) -> int | None:
        """The customer a customer-level event is about: its ticket's complaint's, else the one it names."""
        complaint = self.complaint_of(row)
        if complaint is not None:
            return int(complaint["customer_id"])
        ref = row["body"].get("customer")
        if not ref:
            return None
        external = (row["source"], str(ref["external_id"])) if ref.get("external_id") else None
        if create:
            return ensure_customer(self.connection, ref["email"], ref.get("name") or "", external, self.now)
        email = normalise_email(ref["email"])
        found = self.connection.execute(select(customers.c.id).where(customers.c.email == email)).scalar()
        return None if found is None else int(found)

    def staff_id(self, actor: str | None) -> str:
        """The staff member an actor names, by id or by email."""
        if not actor:
            raise InvalidInputError("actor: a staff flag needs the agent who raised it")
        found = self.connection.execute(
            select(staff.c.id).where((staff.c.id == actor) | (func.lower(staff.c.email) == actor.strip().lower()))
        ).scalar()
        if found is None:
            raise NotFoundError(f"no staff member {actor!r} (add them with `recovery staff add` and retry)")
        return str(found)


def _reason(exc: Exception) -> str:
    if isinstance(exc, IntegrityError):
        return f"database refused the change: {str(exc.orig).splitlines()[0]}"
    if isinstance(exc, KeyError):
        return f"stored event lacks field {exc.args[0]!r}"
    return str(exc)


# --- one handler per event type ------------------------------------------------------------------


def _open(batch: _Batch, row: dict[str, Any]) -> str | None:
    existing = batch.complaint_of(row)
    if existing is not None:
        raise Skipped(f"ticket already has complaint {existing['id']}")
    body = row["body"]
    ctx, connection = batch.ctx, batch.connection
    workflow = ctx.workflows.current(ctx.default_workflow)
    severity, channel = body.get("severity") or "normal", body.get("channel") or "helpdesk"
    if severity not in workflow.severity:
        raise InvalidInputError(f"severity: unknown {severity!r}; known: {', '.join(workflow.severity)}")
    if channel not in CHANNELS:
        raise InvalidInputError(f"channel: unknown {channel!r}; known: {', '.join(CHANNELS)}")
    ctx.workflows.adopt(connection, workflow, batch.now)
    customer_id = batch.customer_of(row, create=True)
    if customer_id is None:
        raise InvalidInputError("customer: a complaint needs the customer's email")
    command = OpenComplaint(
        customer_id=customer_id,
        summary=body.get("summary") or f"ticket {row['ticket']}",
        severity=severity,
        channel=channel,
        workflow=workflow.name,
        actor=body.get("actor"),
        ticket_source=row["source"],
        ticket_id=row["ticket"],
        at=row["occurred_at"],
    )
    complaint_id = insert_complaint(ctx, connection, workflow, command, row["occurred_at"])
    batch.by_ticket[(row["source"], row["ticket"])] = complaint_id  # its row is read when first needed
    return None


def _trigger(batch: _Batch, row: dict[str, Any]) -> str | None:
    body = row["body"]
    complaint = batch.complaint_of(row)
    if complaint is None:
        raise Waiting(f"no complaint for ticket {row['ticket']!r} yet (its complaint.opened has not arrived)")
    rated = row["event_type"] == "satisfaction.rated"
    command = FireTrigger(
        complaint_id=complaint["id"],
        trigger="follow_up" if rated else body["trigger"],
        actor=body.get("actor"),
        note=body.get("note") or "",
        compensation=_compensation(body.get("compensation")),
        score=body.get("score"),
        comment=body.get("comment") or "",
        reason=body.get("reason"),
        at=row["occurred_at"],
    )
    check_fire(command)  # a value the database cannot hold fails this event, not the whole batch
    workflow = batch.ctx.workflows.get(batch.connection, complaint["workflow"], complaint["workflow_version"])
    _check_order(workflow, batch.state_of(complaint)[0], command.trigger, snapshot=bool(body.get("snapshot")))
    outcome = batch.predict(complaint, workflow, command)
    if isinstance(outcome, Refused):
        return f"complaint {complaint['id']}: {outcome.reason}"
    return None


def _check_order(workflow: Workflow, state: str, trigger: str, *, snapshot: bool) -> None:
    """Waiting when an earlier event is missing; Skipped when a repeated snapshot is already behind us."""
    if trigger in workflow.triggers_from(state):
        return
    known = {t.trigger for t in workflow.transitions}
    if trigger not in known:
        raise InvalidInputError(f"trigger: unknown {trigger!r}; known: {', '.join(sorted(known))}")
    sources = {s for t in workflow.transitions if t.trigger == trigger for s in t.sources}
    dests = {t.dest for t in workflow.transitions if t.trigger == trigger}
    if snapshot and any(d == state or _distance(workflow, d, state) is not None for d in dests):
        raise Skipped(f"complaint is already {state}: {trigger!r} happened before")
    # Reachable at all means "maybe later": loops such as reopen make any nearer test guess wrong.
    if not workflow.is_final(state) and any(_distance(workflow, state, s) is not None for s in sources):
        raise Waiting(f"{trigger!r} is not allowed from {state!r} yet: waiting for the events before it")
    raise InvalidInputError(f"{trigger!r} is not allowed from {state!r}")


def _distance(workflow: Workflow, start: str, goal: str) -> int | None:
    """The fewest transitions from ``start`` to ``goal``; None when unreachable."""
    frontier, seen, steps = {start}, {start}, 0
    while frontier:
        steps += 1
        frontier = {t.dest for t in workflow.transitions for s in frontier if s in t.sources} - seen
        if goal in frontier:
            return steps
        seen |= frontier
    return None


def _compensation(value: dict[str, Any] | None) -> Compensation | None:
    if not value:
        return None
    try:
        amount = Decimal(str(value["value"]))
    except InvalidOperation:
        raise InvalidInputError(f"compensation.value: not a number: {value['value']!r}") from None
    return Compensation(str(value["kind"]), amount, str(value.get("description") or ""))


def _flag(batch: _Batch, row: dict[str, Any]) -> str | None:
    from recovery.engine.flags import raise_flag  # written alongside; imported when first needed

    body = row["body"]
    customer_id = batch.customer_of(row, create=True)
    if customer_id is None:
        raise Waiting(f"no complaint for ticket {row['ticket']!r} yet and no customer named")
    staff_id = batch.staff_id(body.get("actor"))
    raise_flag(batch.ctx, customer_id, staff_id, body["reason"], connection=batch.connection, at=row["occurred_at"])
    return None


def _lost(batch: _Batch, row: dict[str, Any]) -> str | None:
    customer_id = batch.customer_of(row, create=False)
    if customer_id is None:
        raise NotFoundError("customer.lost: no such customer")
    ids = [
        int(i)
        for i in batch.connection.execute(
            select(complaints.c.id).where(complaints.c.customer_id == customer_id, complaints.c.closed_at.is_(None))
        ).scalars()
    ]
    missing = [i for i in ids if i not in batch.loaded]
    batch.loaded.update(rows.load_many(batch.connection, missing))
    if not ids:
        raise Skipped("the customer has no open complaint")
    commands = [
        FireTrigger(complaint_id=i, trigger="defect", reason=row["body"].get("reason"), at=row["occurred_at"])
        for i in ids
    ]
    apply_in(batch.ctx, batch.connection, {i: batch.loaded[i] for i in ids}, commands)
    return None


def _ignored(batch: _Batch, row: dict[str, Any]) -> str | None:
    raise Skipped("nothing to apply")


_HANDLERS = {
    "complaint.opened": _open,
    "complaint.trigger": _trigger,
    "satisfaction.rated": _trigger,
    "customer.flagged": _flag,
    "customer.lost": _lost,
    "ignored": _ignored,
}


# --- reading the inbox ----------------------------------------------------------------------------

LISTED = ("id", "source", "ticket", "event_type", "status", "occurred_at", "received_at", "attempts", "error")


def list_events(ctx: Context, *, failed: bool = False, limit: int = 100) -> list[dict[str, Any]]:
    """The newest inbox events (only failed and dead-lettered ones with ``failed``)."""
    query = select(*(inbox.c[name] for name in LISTED), inbox.c.delivery_id).order_by(inbox.c.id.desc()).limit(limit)
    if failed:
        query = query.where(inbox.c.status.in_(("failed", "dead")))
    with ctx.read() as connection:
        return [_jsonable(dict(r)) for r in connection.execute(query).mappings()]


def event_detail(ctx: Context, inbox_id: int) -> dict[str, Any]:
    """One inbox event with its stored body; NotFoundError names the id."""
    with ctx.read() as connection:
        found = connection.execute(select(inbox).where(inbox.c.id == inbox_id)).mappings().first()
    if found is None:
        raise NotFoundError(f"no inbox event {inbox_id}")
    return _jsonable(dict(found))


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    for key, value in row.items():
        if isinstance(value, datetime):
            row[key] = iso(value)
    return row
