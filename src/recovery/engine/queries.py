"""The read side: complaints, history, staff and the status overview, as plain dicts for the CLI and HTTP.

Customers are read in ``customer_queries`` (with the retention half of the schema, which a listing never needs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select

from recovery.engine.runtime import LAST_TICK
from recovery.errors import NotFoundError
from recovery.store import complaints as store
from recovery.store import runtime
from recovery.store.schema import audit_log, complaints, customers, outbox, staff

if TYPE_CHECKING:
    from recovery.core.complaint import Complaint
    from recovery.engine.context import Context


def iso(value: datetime | None) -> str | None:
    """An aware UTC datetime as ISO 8601 with a Z, as every --json and HTTP answer shows times."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def complaint_view(c: Complaint) -> dict[str, Any]:
    """A complaint as the CLI's --json and the HTTP API show it."""
    t = c.timers
    return {
        "id": c.id,
        "state": c.state,
        "workflow": c.workflow,
        "workflow_version": c.workflow_version,
        "severity": c.severity,
        "channel": c.channel,
        "customer_id": c.customer_id,
        "assignee": c.assignee,
        "summary": c.summary,
        "deadline": iso(t.deadline),
        "warn_at": iso(t.warn_at),
        "follow_up_due_at": iso(t.follow_up_due_at),
        "final_deadline": iso(t.final_deadline),
        "paused": t.paused_at is not None,
        "paused_at": iso(t.paused_at),
        "pause_reason": c.pause_reason,
        "escalation_level": t.escalation_level,
        "reopen_count": c.reopen_count,
        "last_score": c.last_score,
        "version": c.version,
        "opened_at": iso(c.opened_at),
        "closed_at": iso(c.closed_at),
        "closed_as": c.closed_as,
        "ticket": c.ticket,
    }


def get_complaint(ctx: Context, complaint_id: int) -> dict[str, Any]:
    """One complaint's view, with the triggers its own workflow version allows next."""
    # Here, not at the top: a listing needs neither the prescriptions nor the value rules.
    from recovery.engine.prescriptions import prescribed
    from recovery.engine.value import complaint_at_risk

    with ctx.read() as connection:
        complaint = store.load(connection, complaint_id)
        workflow = ctx.workflows.get(connection, complaint.workflow, complaint.workflow_version)
        prescription = prescribed(connection, ctx.retention, complaint.customer_id).view()
        at_risk = complaint_at_risk(connection, complaint, ctx)
        expected = connection.execute(select(complaints.c.expected).where(complaints.c.id == complaint_id)).scalar()
    return {
        **complaint_view(complaint),
        "expected": expected,
        **at_risk,
        "prescription": prescription,
        "next_triggers": list(workflow.triggers_from(complaint.state)),
    }


def overdue_clause(now: datetime) -> Any:
    """Open complaints past their step deadline (unpaused) or past the final-response deadline."""
    step_late = and_(complaints.c.deadline < now, complaints.c.paused_at.is_(None))
    return and_(complaints.c.closed_at.is_(None), or_(step_late, complaints.c.final_deadline < now))


def list_complaints(
    ctx: Context, state: str | None = None, overdue: bool = False, customer_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Complaints, newest first, filtered (``find_complaints`` takes every filter)."""
    return find_complaints(
        ctx, ComplaintFilter(states=(state,) if state else (), overdue=overdue, customer_id=customer_id), limit
    )


@dataclass(frozen=True)
class ComplaintFilter:
    """What a listing keeps; every field left empty keeps all. ``since`` is a day in the calendar's zone."""

    states: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    overdue: bool = False
    customer_id: int | None = None
    assignee: str | None = None
    source: str | None = None
    since: date | None = None
    search: str | None = None
    workflow: str | None = None

    def clauses(self, ctx: Context) -> list[Any]:
        """The WHERE clauses of this filter."""
        c = complaints.c
        found: list[Any] = [c.state.in_(self.states)] if self.states else []
        if self.severities:
            found.append(c.severity.in_(self.severities))
        if self.overdue:
            found.append(overdue_clause(ctx.clock.now()))
        for column, value in (
            (c.customer_id, self.customer_id),
            (c.assignee, self.assignee),
            (c.ticket_source, self.source),
            (c.workflow, self.workflow),
        ):
            if value is not None:
                found.append(column == value)
        if self.since is not None:  # the day starts where the team works, not in UTC
            found.append(c.opened_at >= datetime.combine(self.since, time(), ctx.calendar.tz).astimezone(UTC))
        if self.search:
            pattern = f"%{like_escaped(self.search)}%"
            found.append(or_(c.summary.ilike(pattern, escape="\\"), c.ticket_id.ilike(pattern, escape="\\")))
        return found


def like_escaped(text: str) -> str:
    """``text`` with LIKE's wildcards escaped by a backslash, so it matches only itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_complaints(ctx: Context, where: ComplaintFilter, limit: int = 100) -> list[dict[str, Any]]:
    """Complaints, newest first, with their customer's name and email: one query, however many rows."""
    query = (
        select(complaints, customers.c.name.label("customer_name"), customers.c.email.label("customer_email"))
        .join(customers, customers.c.id == complaints.c.customer_id)
        .where(*where.clauses(ctx))
        .order_by(complaints.c.id.desc())
        .limit(limit)
    )
    with ctx.read() as connection:
        return [
            {**complaint_view(store.from_row(r)), "customer_name": r.customer_name, "customer_email": r.customer_email}
            for r in connection.execute(query)
        ]


def complaint_id_for(ctx: Context, source: str, ticket: str) -> int:
    """The id of the complaint opened for helpdesk ``ticket`` of ``source``; NotFoundError names the ticket."""
    with ctx.read() as connection:
        found = store.load_by_tickets(connection, source, [ticket]).get(ticket)
    if found is None:
        raise NotFoundError(f"no complaint for {source}:{ticket}")
    return found.id


def history(ctx: Context, complaint_id: int) -> list[dict[str, Any]]:
    """Every audit entry of a complaint, oldest first."""
    with ctx.read() as connection:
        store.load(connection, complaint_id)
        found = connection.execute(
            select(audit_log).where(audit_log.c.complaint_id == complaint_id).order_by(audit_log.c.id)
        ).mappings()
        return [history_view(dict(r)) for r in found]


def history_view(row: dict[str, Any]) -> dict[str, Any]:
    """An audit entry as the CLI's --json shows it."""
    return {
        "at": iso(row["at"]),
        "trigger": row["trigger"],
        "source": row["source"],
        "dest": row["dest"],
        "actor": row["actor"],
        "outcome": row["outcome"],
        "note": row["note"],
        "payload": row["payload"],
    }


def status(ctx: Context) -> dict[str, Any]:
    """Counts by state, overdue complaints, outbox health, the last scheduler tick and the revenue at risk."""
    from recovery.engine.value import leave_probability, open_clv
    from recovery.store.schema import customer_scores

    now = ctx.clock.now()
    with ctx.read() as connection:
        by_state: dict[str, int] = dict(
            connection.execute(select(complaints.c.state, func.count()).group_by(complaints.c.state)).all()
        )
        overdue = connection.execute(select(func.count()).where(overdue_clause(now))).scalar_one()
        escalated = connection.execute(
            select(func.count()).where(complaints.c.closed_at.is_(None), complaints.c.escalation_level > 0)
        ).scalar_one()
        box: dict[str, int] = dict(
            connection.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
        )
        tick = runtime.get(connection, LAST_TICK)
        at_risk = open_clv(connection, ctx.winback.workflow)
        # The leave probability reads every settled complaint's next purchase: not while no CLV is at stake.
        probability = leave_probability(connection, ctx.retention, now).value if at_risk.clv else 0.0
        scored = connection.execute(select(func.count()).select_from(customer_scores)).scalar_one()
    return {
        "complaints": by_state,
        "overdue": overdue,
        "escalated": escalated,
        "outbox": {"pending": box.get("pending", 0), "dead": box.get("dead", 0), "sent": box.get("sent", 0)},
        "last_tick": tick_view(tick),
        "revenue_at_risk": round(at_risk.clv * probability, 2),
        "revenue_at_risk_unscored": at_risk.unscored,
        "customers_scored": scored,
    }


def tick_view(tick: Any) -> Any:
    """The stored last tick with its ``at`` written as every --json time is (``iso``: UTC, ending in Z)."""
    try:
        return {**tick, "at": iso(datetime.fromisoformat(tick["at"]).astimezone(UTC))}
    except (TypeError, KeyError, ValueError):  # not a tick a daemon wrote: shown as it is
        return tick


def list_staff(ctx: Context, limit: int | None = None) -> list[dict[str, Any]]:
    """Every staff member by id, or the first ``limit``."""
    with ctx.read() as connection:
        found = connection.execute(select(staff).order_by(staff.c.id).limit(limit)).mappings()
        return [{"id": r["id"], "name": r["name"], "email": r["email"], "role": r["role"]} for r in found]
