"""Transitions per second through the engine on a file-backed SQLite database, against plain sqlite3.

Drives N complaints through the whole standard workflow (6 transitions each) two ways:
one transition per transaction (as the CLI does) and batches in one transaction (as the
inbox and the scheduler do). A plain sqlite3 baseline doing the same row writes (read the
complaint, update it, append an audit row) runs in the same process, both ways.

    .venv/bin/python benchmarks/bench_engine.py [--n 10000] [--batch 500]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from recovery.clock import SettableClock
from recovery.core.calendar import BusinessCalendar
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.guards import Compensation
from recovery.engine import fire, fire_batch, open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer
from recovery.engine.registry import WorkflowRegistry
from recovery.store.database import connect, upgrade
from recovery.workflow_files import load_dir

ROOT = Path(__file__).resolve().parent.parent
STEPS: list[tuple[str, dict[str, object]]] = [
    ("apologize", {}),
    ("act", {}),
    ("empathize", {}),
    ("compensate", {"compensation": Compensation("gift", Decimal(0))}),
    ("follow_up", {"score": 5}),
    ("resolve", {}),
]


def engine_context(path: Path, n: int) -> tuple[Context, list[int]]:
    """A migrated database with one customer and ``n`` open complaints."""
    db = connect(f"sqlite:///{path}")
    upgrade(db)
    ctx = Context(
        db,
        WorkflowRegistry(load_dir(ROOT / "workflows")),
        BusinessCalendar(),
        SettableClock(datetime(2026, 11, 25, 9, tzinfo=UTC)),
    )
    customer = add_customer(ctx, "bench@example.com")
    ids = [open_complaint(ctx, OpenComplaint(customer, f"complaint {i}")) for i in range(n)]
    return ctx, ids


def run_engine_single(ctx: Context, ids: list[int]) -> int:
    """One transition per transaction."""
    for trigger, fields in STEPS:
        for complaint_id in ids:
            fire(ctx, FireTrigger(complaint_id, trigger, "bench", **fields))  # type: ignore[arg-type]
    return len(ids) * len(STEPS)


def run_engine_batched(ctx: Context, ids: list[int], batch: int) -> int:
    """Batches of ``batch`` transitions per transaction."""
    commands = [FireTrigger(i, trigger, "bench", **fields) for trigger, fields in STEPS for i in ids]  # type: ignore[arg-type]
    for start in range(0, len(commands), batch):
        fire_batch(ctx, commands[start : start + batch])
    return len(commands)


def baseline_db(path: Path, n: int) -> sqlite3.Connection:
    """Plain sqlite3 with the same pragmas and a complaint table of the same width."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "CREATE TABLE c (id INTEGER PRIMARY KEY, state TEXT, deadline TEXT, due_at TEXT, version INTEGER);"
        "CREATE TABLE a (id INTEGER PRIMARY KEY, complaint_id INTEGER, at TEXT, trigger TEXT,"
        " source TEXT, dest TEXT, actor TEXT, outcome TEXT, note TEXT);"
    )
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO c VALUES (?, 'received', '', '', 1)", [(i,) for i in range(1, n + 1)])
    conn.execute("COMMIT")
    return conn


def _baseline_step(conn: sqlite3.Connection, complaint_id: int, trigger: str) -> None:
    state, version = conn.execute("SELECT state, version FROM c WHERE id = ?", (complaint_id,)).fetchone()
    conn.execute(
        "UPDATE c SET state = ?, deadline = ?, due_at = ?, version = version + 1 WHERE id = ? AND version = ?",
        (trigger, "2026-11-25 10:00:00", "2026-11-25 10:00:00", complaint_id, version),
    )
    conn.execute(
        "INSERT INTO a (complaint_id, at, trigger, source, dest, actor, outcome, note) VALUES (?,?,?,?,?,?,?,?)",
        (complaint_id, "2026-11-25 09:00:00", trigger, state, trigger, "bench", "applied", ""),
    )


def run_baseline(conn: sqlite3.Connection, n: int, batch: int | None) -> int:
    """The same reads and writes as the engine, without it; ``batch`` None commits each one."""
    count = 0
    for trigger, _ in STEPS:
        for complaint_id in range(1, n + 1):
            if count % (batch or 1) == 0:
                conn.execute("BEGIN IMMEDIATE")
            _baseline_step(conn, complaint_id, trigger)
            count += 1
            if count % (batch or 1) == 0:
                conn.execute("COMMIT")
    if conn.in_transaction:
        conn.execute("COMMIT")
    return count


def timed(label: str, work: Callable[[], int]) -> float:
    """Run ``work`` and return transitions per second."""
    start = time.perf_counter()
    count = work()
    rate = count / (time.perf_counter() - start)
    print(f"  {label:<44} {count:>7} transitions  {rate:>10,.0f}/s")
    return rate


def startup(command: list[str], runs: int = 15) -> float:
    """Median wall time of starting ``command``, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Measure, print each figure and its ratio to the baseline, and whether the targets hold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="complaints (6 transitions each)")
    parser.add_argument("--batch", type=int, default=500, help="transitions per transaction when batched")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{args.n} complaints x {len(STEPS)} transitions, file-backed SQLite (WAL) in {tmp}")
        base_single = timed(
            "plain sqlite3, one per transaction",
            lambda: run_baseline(baseline_db(folder / "b1.db", args.n), args.n, None),
        )
        base_batch = timed(
            f"plain sqlite3, {args.batch} per transaction",
            lambda: run_baseline(baseline_db(folder / "b2.db", args.n), args.n, args.batch),
        )
        ctx, ids = engine_context(folder / "e1.db", args.n)
        single = timed("recovery engine, one per transaction", lambda: run_engine_single(ctx, ids))
        ctx, ids = engine_context(folder / "e2.db", args.n)
        batched = timed(
            f"recovery engine, {args.batch} per transaction", lambda: run_engine_batched(ctx, ids, args.batch)
        )
    bare = startup([sys.executable, "-c", "pass"])
    helps = startup([sys.executable, "-m", "recovery", "--help"])
    print(
        f"recovery --help starts in {helps * 1000:.0f} ms = {helps / bare:.1f}x a bare python start "
        f"({bare * 1000:.0f} ms) (target < 150 ms: {'met' if helps < 0.150 else 'MISSED'})"
    )
    print(
        f"one per transaction: {single:,.0f}/s = {single / base_single:.2f}x the plain baseline "
        f"(target >= 2,000/s: {'met' if single >= 2000 else 'MISSED'})"
    )
    print(
        f"batched:             {batched:,.0f}/s = {batched / base_batch:.2f}x the plain baseline "
        f"(target >= 20,000/s: {'met' if batched >= 20000 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
