"""The purchase feed and the models at scale: import 1,000,000 purchases, fit, score 100,000 customers.

Prints each figure with a baseline measured in the same run: the import against plain sqlite3
``executemany`` of the same rows into a table of the same width (target >= 0.25x), the fit and the
scoring in seconds (targets < 5 s and < 10 s) and the peak RSS (target < 500 MB).

    .venv/bin/python benchmarks/bench_retention.py [--customers 100000] [--purchases 1000000]
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def purchase_rows(customers: int, purchases: int, seed: int = 7) -> list[tuple[int, dict[str, str]]]:
    """Feed rows: each customer's purchases spread over two years, a few refunds."""
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    rows = []
    for n in range(purchases):
        customer = rng.randrange(customers) if n >= customers else n  # everyone buys at least once
        day = start + timedelta(days=rng.randrange(730))
        amount = f"{rng.uniform(5, 120):.2f}" if rng.random() > 0.01 else f"-{rng.uniform(5, 50):.2f}"
        rows.append(
            (n + 2, {"customer": f"c{customer}", "order_id": f"o{n}", "ordered_at": day.isoformat(), "amount": amount})
        )
    return rows


def baseline(path: Path, rows: list[tuple[int, dict[str, str]]]) -> float:
    """Plain sqlite3: the same rows into a purchases-shaped table, one executemany per 5,000, one transaction."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.executescript(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
        "CREATE TABLE p (id INTEGER PRIMARY KEY, customer_id INTEGER, source TEXT, order_id TEXT, kind TEXT,"
        " ordered_at TEXT, amount NUMERIC, currency TEXT, imported_at TEXT, UNIQUE (source, order_id, kind));"
    )
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    values = [
        (int(r["customer"][1:]), "bench", r["order_id"], "refund" if r["amount"].startswith("-") else "purchase",
         r["ordered_at"] + " 00:00:00+00:00", r["amount"], None, "2026-01-01 00:00:00+00:00")
        for _, r in rows
    ]  # fmt: skip
    for start in range(0, len(values), 5000):
        connection.executemany(
            "INSERT OR IGNORE INTO p (customer_id, source, order_id, kind, ordered_at, amount, currency, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            values[start : start + 5000],
        )
    connection.execute("COMMIT")
    took = time.perf_counter() - started
    connection.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from recovery.clock import SettableClock
    from recovery.core.calendar import BusinessCalendar
    from recovery.engine.context import Context
    from recovery.engine.models import fit
    from recovery.engine.purchases import import_rows
    from recovery.engine.registry import WorkflowRegistry
    from recovery.engine.scores import score_customers
    from recovery.store.database import connect, upgrade
    from recovery.workflow_files import load_dir

    rows = purchase_rows(args.customers, args.purchases)
    with tempfile.TemporaryDirectory() as tmp:
        base = baseline(Path(tmp) / "plain.db", rows)
        db = connect(f"sqlite:///{tmp}/recovery.db")
        upgrade(db)
        clock = SettableClock(datetime(2026, 1, 1, 12, tzinfo=UTC))
        ctx = Context(db, WorkflowRegistry(load_dir(ROOT / "workflows")), BusinessCalendar(), clock)
        started = time.perf_counter()
        report = import_rows(ctx, rows, source="bench")
        imported = time.perf_counter() - started
        started = time.perf_counter()
        fitted = fit(ctx, date(2025, 12, 31), "bgnbd")
        fitting = time.perf_counter() - started
        started = time.perf_counter()
        run = score_customers(ctx)
        scoring = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = len(rows)
    added = report.customers_added
    print(f"import {n:,} purchases: {imported:.1f} s ({n / imported:,.0f} rows/s), {added:,} customers added")
    print(f"plain sqlite3 executemany of the same rows: {base:.1f} s ({n / base:,.0f} rows/s)")
    print(f"ratio import / plain: {base / imported:.2f}x (target >= 0.25x)")
    print(
        f"fit BG/NBD + Gamma-Gamma on {fitted.customers:,} customers, reading the purchases included: {fitting:.1f} s"
    )
    print("  (target < 5 s)")
    print(f"score {run.customers:,} customers: {scoring:.1f} s (target < 10 s)")
    print(f"peak RSS: {rss:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
