"""Helpers for daemon tests: a prepared database, polling, and what a process wrote."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from recovery.clock import SettableClock
from recovery.core.calendar import BusinessCalendar
from recovery.core.commands import OpenComplaint
from recovery.engine.complaints import insert_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.engine.registry import WorkflowRegistry
from recovery.store.database import connect, upgrade
from recovery.workflow_files import load_dir

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
# Every complaint opened at T0 is past escalation level 3 (deadline + 2 business days) by then.
PAST_LEVEL_3 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
LEVEL_3_NOTIFIES = 4  # the union of levels 1-3: ann, lena, max, mia
# Past the first deadline (13:00 UTC) but not the second level (Thursday 09:00 UTC): level 1, Ann alone is told.
PAST_LEVEL_1 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def prepare(url: str, complaints: int) -> Context:
    """A migrated database with four staff and ``complaints`` complaints opened at T0, assigned to Ann."""
    from zoneinfo import ZoneInfo

    db = connect(url)
    upgrade(db)
    clock = SettableClock(T0)
    ctx = Context(
        db, WorkflowRegistry(load_dir(ROOT / "workflows")), BusinessCalendar(ZoneInfo("Europe/Amsterdam")), clock
    )
    for staff_id, role in (("ann", "agent"), ("lena", "lead"), ("max", "manager"), ("mia", "manager")):
        add_staff(ctx, staff_id, staff_id.title(), f"{staff_id}@example.com", role)
    customer = add_customer(ctx, "cy@example.com", "Cy")
    workflow = ctx.workflows.current("standard")
    with db.begin() as connection:
        ctx.workflows.adopt(connection, workflow, T0)
        for n in range(complaints):
            insert_complaint(ctx, connection, workflow, OpenComplaint(customer, f"complaint {n}", assignee="ann"), T0)
    return ctx


def count(ctx: Context, query: object) -> int:
    with ctx.read() as connection:
        return int(connection.execute(query).scalar_one())  # type: ignore[call-overload]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def output_of(process: subprocess.Popen[str]) -> str:
    """Everything the process wrote so far."""
    log = process.log  # type: ignore[attr-defined]
    log.flush()
    return Path(log.name).read_text()


def escalations_per_complaint(ctx: Context) -> dict[int, int]:
    """How many escalate audit rows each complaint has (complaints with none are left out)."""
    from recovery.store.schema import audit_log

    query = (
        select(audit_log.c.complaint_id, func.count())
        .where(audit_log.c.trigger == "escalate")
        .group_by(audit_log.c.complaint_id)
    )
    with ctx.read() as connection:
        return {int(r[0]): int(r[1]) for r in connection.execute(query)}
