"""An applier killed with SIGKILL mid-work leaves nothing half-applied: a restart applies each event once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending
from recovery.intake.deliveries import rows_of, store_many
from recovery.intake.delivery import Delivery
from recovery.intake.rules import SourceRules
from recovery.intake.sources import generic
from recovery.store.schema import audit_log, inbox

ROOT = Path(__file__).resolve().parents[2]
APPLIER = """
import sys
from pathlib import Path
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending
from recovery.engine.registry import WorkflowRegistry
from recovery.store.database import connect
from recovery.workflow_files import load_dir
ctx = Context(db=connect(sys.argv[1]), workflows=WorkflowRegistry(load_dir(Path(sys.argv[2]))))
while True:
    apply_pending(ctx, limit=20)
"""
STEPS = ["apologize", "act", "empathize"]


def fill(ctx: Context, clock: SettableClock, tickets: int) -> int:
    """Store the walk of ``tickets`` tickets; return the number of events."""
    deliveries = []
    for t in range(tickets):
        start = clock.now() - timedelta(hours=2)
        customer = {"email": f"k{t}@example.com"}
        bodies = [
            {"type": "complaint.opened", "customer": customer, "summary": "broken"},
            *({"type": "complaint.trigger", "trigger": s} for s in STEPS),
        ]
        for n, body in enumerate(bodies):
            body |= {"id": f"K{t}-{n}", "ticket": f"K{t}", "occurred_at": (start + timedelta(minutes=n)).isoformat()}
            raw = json.dumps(body).encode()
            events = generic.parse(body, SourceRules(), Delivery.of({}, raw, clock.now()))
            deliveries.append(rows_of("shop", events, clock.now(), "-"))
    store_many(ctx.db, deliveries)
    return len(deliveries)


def applied(ctx: Context) -> int:
    """How many inbox events are applied (a read-only connection: it must not queue for the write lock)."""
    with ctx.read() as connection:
        query = select(func.count()).select_from(inbox).where(inbox.c.status == "applied")
        return int(connection.execute(query).scalar_one())


def test_a_killed_applier_leaves_every_event_to_be_applied_exactly_once(
    sqlite_ctx: Context, clock: SettableClock, sqlite_url: str
) -> None:
    total = fill(sqlite_ctx, clock, 600)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen([sys.executable, "-c", APPLIER, sqlite_url, str(ROOT / "workflows")], env=env)
    try:
        deadline = time.monotonic() + 60
        while applied(sqlite_ctx) < total // 4 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    partly = applied(sqlite_ctx)
    assert 0 < partly < total, "the kill landed mid-work"

    while apply_pending(sqlite_ctx):
        pass

    with sqlite_ctx.db.connect() as connection:
        statuses = Counter(connection.execute(select(inbox.c.status)).scalars())
        per_complaint = Counter(connection.execute(select(audit_log.c.complaint_id)).scalars())
    assert statuses == {"applied": total}
    assert set(per_complaint.values()) == {1 + len(STEPS)}, "each event left exactly one audit row"
