"""A real dashboard site for tests: the daemon's app on loopback over a real SQLite file, with a team and its work.

The team: two agents (ann, bob), a lead (lea) and a manager (max, who has no email). Ann has three
complaints, one of them overdue and escalated and one whose summary and customer's name are a script;
bob has one; one more has nobody. A win-back case, a customer marked at risk, a confirmed flag.
The server's address is known before the app is built, so the links it sends are the real ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from intake.server import serving
from recovery.clock import SettableClock
from recovery.config import DashboardSettings, Settings, WebhookSettings, shipped_workflows
from recovery.core.calendar import BusinessCalendar
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.engine.complaints import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.flags import confirm_flag, raise_flag
from recovery.engine.people import add_customer, add_staff
from recovery.engine.registry import WorkflowRegistry
from recovery.engine.sla import scan
from recovery.engine.winback import open_case
from recovery.intake.app import create_app
from recovery.store.database import connect, upgrade
from recovery.store.schema import customer_scores, customers_at_risk, outbox
from recovery.workflow_files import load_dir

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Amsterdam
SCRIPT = "<script>alert(1)</script>"
SECRET = "a-long-random-secret-for-the-dashboard-tests"


@dataclass
class Dashboard:
    """The served app's address, the engine context behind it, and the ids the tests look for."""

    url: str
    ctx: Context
    clock: SettableClock
    complaints: dict[str, int] = field(default_factory=dict)

    def sign_in_url(self, email: str) -> str:
        """The link of the newest sign-in message the outbox holds for ``email``."""
        query = (
            select(outbox.c.payload)
            .where(outbox.c.topic == "staff.sign_in", outbox.c.recipient == email)
            .order_by(outbox.c.id.desc())
        )
        with self.ctx.read() as connection:
            payload = connection.execute(query.limit(1)).scalar_one()
        return str(payload["url"])

    def sign_in_messages(self) -> int:
        """How many sign-in messages the outbox holds."""
        with self.ctx.read() as connection:
            return len(connection.execute(select(outbox.c.id).where(outbox.c.topic == "staff.sign_in")).all())


def populate(ctx: Context, clock: SettableClock) -> dict[str, int]:
    """The team and its work, as described above; the ids of the complaints by name."""
    add_staff(ctx, "ann", "Ann Agent", "ann@example.com")
    add_staff(ctx, "bob", "Bob Agent", "bob@example.com")
    add_staff(ctx, "lea", "Lea Lead", "lea@example.com", role="lead")
    add_staff(ctx, "max", "Max Manager", role="manager")
    jo = add_customer(ctx, "jo@example.com", "Jo Customer")
    sly = add_customer(ctx, "sly@example.com", SCRIPT)
    kim = add_customer(ctx, "kim@example.com", "Kim Buyer")
    lou = add_customer(ctx, "lou@example.com", "Lou Loyal")
    ids: dict[str, int] = {}
    clock.set(T0 - timedelta(days=1))  # Tuesday: due the same afternoon, overdue by now
    ids["late"] = open_complaint(ctx, OpenComplaint(jo, "Soup arrived cold", severity="high", assignee="ann"))
    scan(ctx)
    clock.set(T0)
    ids["script"] = open_complaint(ctx, OpenComplaint(sly, SCRIPT, assignee="ann", channel="web"))
    ids["acting"] = open_complaint(ctx, OpenComplaint(kim, "Wrong size sent twice", assignee="ann"))
    for trigger in ("apologize", "act"):
        fire(ctx, FireTrigger(ids["acting"], trigger, actor="ann", note=f"{trigger}: rang {SCRIPT}"))
    ids["bobs"] = open_complaint(ctx, OpenComplaint(kim, "Bob's customer: parcel lost", assignee="bob"))
    ids["nobodys"] = open_complaint(ctx, OpenComplaint(jo, "Nobody's yet: invoice twice"))
    ids["case"] = open_case(ctx, lou, by="lea", assignee="bob")
    scan(ctx)
    with ctx.db.begin() as connection:
        for customer, clv in ((jo, 820.0), (kim, 310.5), (lou, 1460.0)):
            connection.execute(
                insert(customer_scores).values(
                    customer_id=customer,
                    p_alive=0.3,
                    clv=clv,
                    loyalty_class="satisfied",
                    class_reasons=[],
                    scored_at=T0,
                )
            )
        connection.execute(insert(customers_at_risk).values(customer_id=lou, marked_at=T0, p_alive=0.3, clv=1460.0))
    flag = raise_flag(ctx, kim, "ann", "sounded fed up on the phone")
    confirm_flag(ctx, flag, "lea")
    return ids


@contextmanager
def dashboard_site(
    directory: Path, *, environ: Mapping[str, str] | None = None, host: str | None = None, **dashboard: Any
) -> Iterator[Dashboard]:
    """Serve the daemon's whole app on 127.0.0.1 over ``directory``/recovery.db, with the team populated.

    ``host`` is where the app believes it listens (the refusal off loopback); it always listens on loopback.
    """
    db = connect(f"sqlite:///{directory / 'recovery.db'}")
    upgrade(db)
    clock = SettableClock(T0)
    workflows = WorkflowRegistry(load_dir(shipped_workflows()))
    ctx = Context(db=db, workflows=workflows, calendar=BusinessCalendar(ZoneInfo("Europe/Amsterdam")), clock=clock)
    ids = populate(ctx, clock)
    env = {"RECOVERY_ADMIN_TOKEN": "admin"} if environ is None else {"RECOVERY_ADMIN_TOKEN": "admin", **environ}

    def app_at(url: str) -> Any:
        settings = Settings(webhook=WebhookSettings(), dashboard=DashboardSettings(**{"base_url": url, **dashboard}))
        return create_app(ctx, settings, host=host, environ=env)

    try:
        with serving(app_at) as url:
            yield Dashboard(url, ctx, clock, ids)
    finally:
        db.dispose()
