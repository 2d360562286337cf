"""A helpdesk as an admin set it up, on a real database: deliveries parsed, stored and applied, then looked at."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from intake.helpers import settings_for, source
from recovery.bootstrap import configure
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.guards import Compensation
from recovery.engine import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending
from recovery.engine.people import add_customer, add_staff
from recovery.intake.deliveries import rows_of, store
from recovery.intake.delivery import Delivery
from recovery.intake.rules import SourceRules
from recovery.intake.sources import adapter
from recovery.store.schema import complaints, customers, flags, follow_ups, inbox, outbox

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "helpdesk"
WALK_TO_COMPENSATED = ("apologize", "act", "empathize", "compensate")


@dataclass(frozen=True)
class Stored:
    """What became of one stored event of a delivery."""

    event_type: str
    status: str
    error: str | None
    body: dict[str, Any]


class World:
    """One source of ``kind`` with ``options``, bound to the default workflow as the app binds it."""

    def __init__(self, ctx: Context, kind: str, options: dict[str, Any]) -> None:
        self.ctx = configure(ctx, settings_for(source(kind, **options)))
        self.kind = kind
        workflow = ctx.workflows.current(ctx.default_workflow)
        self.rules = SourceRules.from_options(options).bind(workflow)

    # --- what the admin set up ------------------------------------------------------------------------

    def staff(self, staff_id: str, email: str | None = None, role: str = "agent") -> None:
        add_staff(self.ctx, staff_id, staff_id.title(), email, role)

    def customer(self, email: str, external_id: str | None = None) -> int:
        return add_customer(self.ctx, email, "", (self.kind, external_id) if external_id else None)

    def complaint(self, ticket: str, *, assignee: str | None = None, walk: tuple[str, ...] = ()) -> int:
        """A complaint already opened for ``ticket`` (and walked through ``walk``), as an earlier delivery left it."""
        customer = self.customer(f"earlier-{ticket}@example.com".lower())
        command = OpenComplaint(
            customer, "opened earlier", assignee=assignee, ticket_source=self.kind, ticket_id=ticket
        )
        complaint_id = open_complaint(self.ctx, command)
        self.complaint_walk(ticket, walk)
        return complaint_id

    def complaint_walk(self, ticket: str, walk: tuple[str, ...]) -> None:
        """Fire ``walk`` on the complaint of ``ticket``, as its agent would by hand."""
        complaint_id = int(self.ticket(ticket)["id"])
        gift = Compensation("gift", Decimal(0), "flowers")
        for trigger in walk:
            fire(self.ctx, FireTrigger(complaint_id, trigger, compensation=gift if trigger == "compensate" else None))

    # --- a delivery ------------------------------------------------------------------------------------

    def deliver(self, name: str, raw: bytes | None = None, **headers: str) -> list[Stored]:
        """Parse ``name`` (a fixture of this kind, read as bytes) as the webhook would, store it, apply the inbox."""
        body = raw if raw is not None else (FIXTURES / self.kind / name).read_bytes()
        now = self.ctx.clock.now()
        events = adapter(self.kind).parse(json.loads(body), self.rules, Delivery.of(headers, body, now))
        with self.ctx.db.connect() as connection:
            last = connection.execute(select(inbox.c.id).order_by(inbox.c.id.desc())).scalar() or 0
        store(self.ctx.db, rows_of(self.kind, events, now, f"ignored:{name}"))
        apply_pending(self.ctx)
        query = select(inbox).where(inbox.c.id > last).order_by(inbox.c.id)
        with self.ctx.db.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [Stored(r["event_type"], r["status"], r["error"], r["body"]) for r in rows]

    # --- what came of it -------------------------------------------------------------------------------

    def ticket(self, ticket: str) -> dict[str, Any]:
        """The complaint of ``ticket`` with its customer's email, name and helpdesk id."""
        found = self.find(ticket)
        assert found is not None, f"no complaint was opened for ticket {ticket!r}"
        return found

    def find(self, ticket: str) -> dict[str, Any] | None:
        """The complaint of ``ticket``, or None."""
        query = (
            select(complaints, customers.c.email, customers.c.name.label("customer_name"), customers.c.external_id)
            .join(customers, customers.c.id == complaints.c.customer_id)
            .where(complaints.c.ticket_source == self.kind, complaints.c.ticket_id == ticket)
        )
        with self.ctx.db.connect() as connection:
            found = connection.execute(query).mappings().first()
        return None if found is None else dict(found)

    def notices(self, topic: str = "complaint.assigned") -> list[tuple[str | None, dict[str, Any]]]:
        query = select(outbox.c.recipient, outbox.c.payload).where(outbox.c.topic == topic).order_by(outbox.c.id)
        with self.ctx.db.connect() as connection:
            return [(r.recipient, r.payload) for r in connection.execute(query)]

    def scores(self) -> list[tuple[int, str]]:
        with self.ctx.db.connect() as connection:
            return [(r.score, r.comment) for r in connection.execute(select(follow_ups.c.score, follow_ups.c.comment))]

    def flags(self) -> list[tuple[str, str]]:
        with self.ctx.db.connect() as connection:
            return [(r.staff_id, r.reason) for r in connection.execute(select(flags.c.staff_id, flags.c.reason))]


def moment(text: str) -> datetime:
    """An ISO time as the aware UTC datetime the database gives back."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
