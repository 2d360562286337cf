"""The reports at scale: ``recovery report retention --json`` over 100,000 customers, 1,000,000 purchases and
50,000 complaints on SQLite (target under 15 s), against a plain-SQL baseline run in the same process.

``bench_report()`` builds the database (plain sqlite3 ``executemany`` into the migrated schema: seconds, not
minutes), runs the real command as a child process and prints its wall time, its peak RSS and the ratio
to ``SELECT customer_id, count(*), sum(amount) FROM purchases GROUP BY customer_id`` over the same rows.
The dashboard's part goes beside it; ``main()`` runs every part there is.

    .venv/bin/python benchmarks/bench_reports.py [--customers 100000] [--purchases 1000000] [--complaints 50000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2024, 1, 1, tzinfo=UTC)
NOW = "2026-01-01T09:00:00"  # the report's clock: the window is 2025, month by month
DAYS = 730
STEPS = ("apologize", "act", "empathize", "compensate", "follow_up", "resolve")


def stamp(moment: datetime) -> str:
    return moment.isoformat(" ", "microseconds")[:26]


def _purchases(customers: int, purchases: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    """About ``purchases`` rows: each customer starts on a random day and buys at their own pace until they stop."""
    per_customer = purchases / customers
    made = 0
    for customer in range(1, customers + 1):
        left = purchases - made
        count = min(left, max(1, int(rng.expovariate(1 / per_customer)) + 1)) if customer < customers else left
        day = rng.randrange(DAYS)
        gap = rng.randint(3, 60)
        for _ in range(count):
            made += 1
            at = START + timedelta(days=day % DAYS, hours=rng.randrange(8, 20))  # a long habit wraps round
            kind, amount = ("refund", -10.0) if rng.random() < 0.01 else ("purchase", round(rng.uniform(5, 200), 2))
            yield (customer, "bench", str(made), kind, stamp(at), amount, stamp(at), at.date().isoformat())
            day += gap
        if made >= purchases:
            return


def _complaints(
    count: int, customers: int, rng: random.Random
) -> Iterator[tuple[tuple[object, ...], list[tuple[object, ...]]]]:
    """Complaints (a tenth of them win-back cases) with their audit rows: the open, the steps taken, an escalation."""
    for complaint in range(1, count + 1):
        opened = START + timedelta(days=rng.randrange(DAYS), hours=rng.randrange(24))
        winback = complaint % 10 == 0
        taken = rng.randrange(len(STEPS) + 1)
        closed_as = ("repurchase" if rng.random() < 0.4 else "defection") if winback else None
        if not winback and taken == len(STEPS):
            closed_as = "resolution"
        elif not winback and rng.random() < 0.1:
            closed_as = "defection"
        at = opened
        audit: list[tuple[object, ...]] = [(complaint, stamp(at), "open", "received", "received", "system", "applied")]
        for step in STEPS[:taken] if not winback else ():
            if rng.random() < 0.1:
                audit.append((complaint, stamp(at + timedelta(hours=5)), "escalate", "s", "s", "system", "applied"))
            at += timedelta(hours=rng.randrange(1, 30))
            audit.append((complaint, stamp(at), step, "s", "d", "ann", "applied"))
        closed = stamp(at + timedelta(hours=1)) if closed_as else None
        row = (
            rng.randrange(1, customers + 1), "bench", "normal", "email", "win_back" if winback else "standard", 1,
            "closed" if closed_as else "received", stamp(opened), stamp(opened), closed, closed_as,
            stamp(opened + timedelta(weeks=8)), stamp(opened + timedelta(weeks=6)), 0, 0, 0, 0, 0, 0, 1,
        )  # fmt: skip
        yield row, audit


def build(path: Path, customers: int, purchases: int, complaints: int) -> None:
    """A migrated database filled in bulk."""
    from recovery.store.database import connect, upgrade

    engine = connect(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    rng = random.Random(14)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO customers (id, email, name, created_at) VALUES (?, ?, ?, ?)",
        ((i, f"c{i}@example.com", f"Customer {i}", stamp(START)) for i in range(1, customers + 1)),
    )
    db.execute("INSERT INTO staff (id, name, role, created_at) VALUES ('ann', 'Ann', 'agent', ?)", (stamp(START),))
    db.executemany(
        "INSERT INTO purchases (customer_id, source, order_id, kind, ordered_at, amount, imported_at, day)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        _purchases(customers, purchases, rng),
    )
    audit: list[tuple[object, ...]] = []
    rows = []
    for row, entries in _complaints(complaints, customers, rng):
        rows.append(row)
        audit += entries
    db.executemany(
        "INSERT INTO complaints (customer_id, summary, severity, channel, workflow, workflow_version, state, opened_at,"
        " state_entered_at, closed_at, closed_as, final_deadline, final_warn_at, escalation_level, warned,"
        " follow_up_reminded, final_warned, final_breached, reopen_count, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.executemany(
        'INSERT INTO audit_log (complaint_id, at, "trigger", source, dest, actor, outcome, note)'
        " VALUES (?, ?, ?, ?, ?, ?, ?, '')",
        audit,
    )
    db.executemany(
        "INSERT INTO survey_answers (survey, question, kind, customer_id, language, number, source, answered_at)"
        " VALUES ('relationship', 'nps', 'nps', ?, 'en', ?, 'form', ?)",
        ((rng.randrange(1, customers + 1), rng.randrange(11), stamp(START + timedelta(days=rng.randrange(DAYS))))
         for _ in range(20_000)),
    )  # fmt: skip
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def baseline(path: Path) -> float:
    """Seconds for the plain per-customer aggregate over the same purchases."""
    db = sqlite3.connect(path)
    started = time.perf_counter()
    db.execute("SELECT customer_id, count(*), sum(amount) FROM purchases GROUP BY customer_id").fetchall()
    took = time.perf_counter() - started
    db.close()
    return took


def run_report(path: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS (MB) and output size of the real command, as a child process."""
    command = [
        str(ROOT / ".venv" / "bin" / "recovery"), "--database-url", f"sqlite:///{path}",
        "report", "retention", "--json", "--clock-start", NOW,
    ]  # fmt: skip
    env = {**os.environ, "RECOVERY_CONFIG": str(ROOT / "config" / "recovery.toml")}
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=True, env=env)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return took, peak, len(done.stdout)


def bench_report(customers: int = 100_000, purchases: int = 1_000_000, complaints: int = 50_000) -> None:
    """Build the data, time ``report retention --json`` and print it against the baseline."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.db"
        started = time.perf_counter()
        build(path, customers, purchases, complaints)
        print(f"built {customers:,} customers, {purchases:,} purchases, {complaints:,} complaints "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        plain = min(baseline(path) for _ in range(3))
        took, peak, size = run_report(path)
        print(f"report retention --json: {took:.2f} s (target < 15 s), peak RSS {peak} MB, {size:,} bytes of JSON")
        print(f"baseline GROUP BY customer_id over the purchases: {plain:.2f} s; the report is {took / plain:.1f}x it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=50_000)
    args = parser.parse_args()
    bench_report(args.customers, args.purchases, args.complaints)


if __name__ == "__main__":
    sys.exit(main())
