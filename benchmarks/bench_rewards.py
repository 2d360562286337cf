"""The reward run over 100,000 flags on a file-backed SQLite database, checked against plain SQL.

Bulk-inserts 1,000 staff, 50,000 customers and 100,000 flags raised over the last 40 days,
with complaints for about a third of the customers (some resolved, some lost) and follow-up
scores; then times one full ``run_rewards`` and, as the baseline in the same process, a
plain-SQL recomputation (sqlite3) of what every staff member should have earned. Both totals
are printed and compared staff by staff; any difference fails the benchmark.

    .venv/bin/python benchmarks/bench_rewards.py [--flags 100000] [--staff 1000] [--customers 50000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from recovery.clock import SettableClock
from recovery.core.calendar import BusinessCalendar
from recovery.engine.context import Context
from recovery.engine.registry import WorkflowRegistry
from recovery.engine.rewards import run_rewards
from recovery.store.database import connect, upgrade
from recovery.store.schema import audit_log, complaints, customers, flags, follow_ups, ledger, staff
from recovery.workflow_files import load_dir

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
WINDOW = timedelta(days=30)
POINTS, BONUS, CAP, LOW = 10, 25, 200, 2  # the [rewards] defaults
SIGNALS = ["price", "quality", "responsiveness", "promise", "complaint", "other"]


def populate(db: Engine, n_flags: int, n_staff: int, n_customers: int, seed: int = 5) -> None:
    """Staff, customers, flags and the customers' complaints, follow-ups and losses, in bulk."""
    rng = random.Random(seed)
    created = NOW - timedelta(days=400)
    with db.begin() as connection:
        connection.execute(
            staff.insert(),
            [{"id": f"s{i}", "name": f"S {i}", "email": f"s{i}@x.example", "role": "agent", "created_at": created}
             for i in range(n_staff)],
        )  # fmt: skip
        connection.execute(
            customers.insert(),
            [
                {"id": i, "email": f"c{i}@x.example", "name": "", "created_at": created}
                for i in range(1, n_customers + 1)
            ],
        )
        connection.execute(flags.insert(), list(_flags(rng, n_flags, n_staff, n_customers)))
        rows, scores, losses = _complaints(rng, n_customers)
        connection.execute(complaints.insert(), rows)
        connection.execute(follow_ups.insert(), scores)
        connection.execute(audit_log.insert(), losses)


def _flags(rng: random.Random, n_flags: int, n_staff: int, n_customers: int) -> Any:
    seen: set[tuple[int, str]] = set()
    while len(seen) < n_flags:
        customer, staff_id = rng.randint(1, n_customers), f"s{rng.randrange(n_staff)}"
        if (customer, staff_id) in seen:  # one open flag per staff member per customer
            continue
        seen.add((customer, staff_id))
        raised = NOW - timedelta(seconds=rng.randint(3600, 40 * 86400))
        yield {
            "customer_id": customer,
            "staff_id": staff_id,
            "reason": "looked unhappy",
            "signal": rng.choice(SIGNALS),
            "status": "open",
            "raised_at": raised,
            "window_ends_at": raised + WINDOW,
            "earns": rng.random() > 0.05,
        }


def _complaints(rng: random.Random, n_customers: int) -> tuple[list[dict[str, Any]], list[Any], list[Any]]:
    """A third of the customers complain once; of those a third are resolved, a tenth lost, a fifth score low."""
    rows, scores, losses = [], [], []
    for complaint_id, customer in enumerate(rng.sample(range(1, n_customers + 1), n_customers // 3), start=1):
        opened = NOW - timedelta(seconds=rng.randint(60, 45 * 86400))
        fate = rng.random()
        state = "resolved" if fate < 0.33 else "lost" if fate < 0.43 else "acting"
        rows.append(_complaint(complaint_id, customer, opened, state))
        if state == "lost":
            losses.append(_loss(complaint_id, opened + timedelta(days=2)))
        if fate > 0.8 or state == "resolved":
            score = 5 if state == "resolved" else rng.randint(1, 3)
            scores.append({"complaint_id": complaint_id, "score": score, "comment": "", "recorded_at": opened})
    return rows, scores, losses


def _complaint(complaint_id: int, customer: int, opened: datetime, state: str) -> dict[str, Any]:
    # A loss closes the complaint when its audit row says (two days in), a resolution a day later.
    closed = {"lost": opened + timedelta(days=2), "resolved": opened + timedelta(days=3)}.get(state)
    return {
        "id": complaint_id,
        "customer_id": customer,
        "summary": "bench",
        "severity": "normal",
        "channel": "email",
        "workflow": "standard",
        "workflow_version": 1,
        "state": state,
        "opened_at": opened,
        "state_entered_at": opened,
        "closed_at": closed,
        "closed_as": {"lost": "defection", "resolved": "resolution"}.get(state),
        "final_deadline": opened + timedelta(weeks=8),
        "final_warn_at": opened + timedelta(weeks=6),
        "escalation_level": 0,
        "warned": False,
        "follow_up_reminded": False,
        "final_warned": False,
        "final_breached": False,
        "reopen_count": 0,
        "version": 1,
    }


def _loss(complaint_id: int, at: datetime) -> dict[str, Any]:
    return {"complaint_id": complaint_id, "at": at, "trigger": "defect", "source": "acting", "dest": "lost",
            "actor": None, "outcome": "applied", "note": "", "payload": None}  # fmt: skip


RECOMPUTE = """
WITH signalled AS (
  SELECT f.id, f.staff_id, f.customer_id, f.raised_at, f.window_ends_at, f.earns FROM flags f
  WHERE EXISTS (SELECT 1 FROM complaints c WHERE c.customer_id = f.customer_id
                AND c.opened_at > f.raised_at AND c.opened_at <= f.window_ends_at)
     OR EXISTS (SELECT 1 FROM complaints c JOIN follow_ups u ON u.complaint_id = c.id
                WHERE c.customer_id = f.customer_id AND u.score <= :low
                AND u.recorded_at > f.raised_at AND u.recorded_at <= f.window_ends_at)
     OR EXISTS (SELECT 1 FROM complaints c JOIN audit_log a ON a.complaint_id = c.id
                WHERE c.customer_id = f.customer_id AND a.dest = 'lost' AND a.outcome = 'applied'
                AND a.at > f.raised_at AND a.at <= f.window_ends_at)
),
earned AS (
  SELECT s.staff_id, :points AS points FROM signalled s WHERE s.earns
  UNION ALL
  SELECT s.staff_id, :bonus FROM signalled s WHERE s.earns AND EXISTS (
    SELECT 1 FROM complaints c WHERE c.customer_id = s.customer_id AND c.state = 'resolved'
    AND c.opened_at > s.raised_at AND c.opened_at <= s.window_ends_at)
)
SELECT staff_id, MIN(:cap, SUM(points)) FROM earned GROUP BY staff_id
"""


def recompute(path: Path) -> dict[str, int]:
    """What every staff member should have earned, in one plain SQL statement on the untouched data."""
    connection = sqlite3.connect(path)
    try:
        found = connection.execute(RECOMPUTE, {"low": LOW, "points": POINTS, "bonus": BONUS, "cap": CAP})
        return {s: int(p) for s, p in found if p}
    finally:
        connection.close()


def ledger_totals(db: Engine) -> dict[str, int]:
    """Each staff member's ledger total after the run."""
    query = select(ledger.c.staff_id, func.sum(ledger.c.points)).group_by(ledger.c.staff_id)
    with db.connect() as connection:
        return {s: int(p) for s, p in connection.execute(query) if p}


def main() -> int:
    """Populate, recompute (baseline), run, run again, compare; print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flags", type=int, default=100_000)
    parser.add_argument("--staff", type=int, default=1_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        db = connect(f"sqlite:///{path}")
        upgrade(db)
        started = time.perf_counter()
        populate(db, args.flags, args.staff, args.customers)
        print(f"fixtures: {args.flags} flags, {args.staff} staff, {args.customers} customers "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        started = time.perf_counter()
        expected = recompute(path)
        baseline = time.perf_counter() - started
        ctx = Context(db, WorkflowRegistry(load_dir(ROOT / "workflows")), BusinessCalendar(), SettableClock(NOW))
        started = time.perf_counter()
        result = run_rewards(ctx, batch_size=args.batch)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        again = run_rewards(ctx, batch_size=args.batch)
        rerun = time.perf_counter() - started
        got = ledger_totals(db)
        db.dispose()
    print(f"run: {result}")
    print(f"full reward run: {elapsed:.2f} s ({args.flags / elapsed:,.0f} flags/s; target < 10 s)")
    print(f"plain-SQL recomputation (baseline): {baseline:.2f} s; run / baseline = {elapsed / baseline:.2f}x")
    print(f"second run (nothing left to do): {rerun:.2f} s, {again}; run / baseline = {rerun / baseline:.2f}x")
    print(f"ledger total {sum(got.values())} points vs recomputed {sum(expected.values())} points "
          f"over {len(got)} vs {len(expected)} staff")  # fmt: skip
    wrong = {s for s in expected.keys() | got.keys() if expected.get(s) != got.get(s)}
    if wrong or again.points or again.confirmed:
        print(f"MISMATCH for {len(wrong)} staff, e.g. {sorted(wrong)[:5]}", file=sys.stderr)
        return 1
    print("ledger totals match the recomputation for every staff member")
    return 0


if __name__ == "__main__":
    sys.exit(main())
