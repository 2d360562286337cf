"""The purchase feed and the models at scale: import 1,000,000 purchases, fit, score 100,000 customers.

Prints each figure with a baseline measured in the same run: the import against plain sqlite3
``executemany`` of the same rows into a table of the same width and keys (target >= 0.25x), the fit
and the scoring in seconds (targets < 5 s and < 10 s) and the peak RSS (target < 500 MB).

The purchases are simulated from a buy-till-you-die process (rates and dropouts drawn per customer,
as the models assume, so that the fits find a real optimum), generated lazily: neither the import
nor the baseline holds the feed in memory.

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
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = date(2024, 1, 1)
DAYS = 730
RATE_SHAPE, RATE_SCALE = 0.9, 0.35  # purchases a week while alive ~ Gamma: a mean of 0.32
DROP_A, DROP_B = 1.0, 9.0  # the chance of leaving after each purchase ~ Beta: a mean of 0.1
SPEND_P, SPEND_Q, SPEND_GAMMA = 6.25, 3.74, 15.44  # Gamma-Gamma spend, CDNOW's published estimates


def purchase_rows(customers: int, purchases: int, seed: int = 7) -> Iterator[tuple[int, dict[str, str]]]:
    """Feed rows (line, row): every customer's first purchase in the first year, repeats until they leave."""
    rng = random.Random(seed)
    line = 1
    for customer in range(customers):
        rate = rng.gammavariate(RATE_SHAPE, RATE_SCALE) / 7  # a day
        drop = rng.betavariate(DROP_A, DROP_B)
        day = rng.randrange(365)
        scale = 1 / rng.gammavariate(SPEND_Q, 1 / SPEND_GAMMA)  # this customer's spend scale
        while day < DAYS and line <= purchases:
            line += 1
            spent = rng.gammavariate(SPEND_P, scale)
            amount = f"{spent:.2f}" if rng.random() > 0.01 else f"-{spent / 2:.2f}"  # one in a hundred refunds
            when = (START + timedelta(days=day)).isoformat()
            yield line, {"customer": f"c{customer}", "order_id": f"o{line}", "ordered_at": when, "amount": amount}
            if rng.random() < drop or rate <= 0:
                break
            day += int(rng.expovariate(rate)) + 1


def baseline(path: Path, rows: Iterator[tuple[int, dict[str, str]]]) -> tuple[float, float, int]:
    """Plain sqlite3: the same rows, as tuples, into a purchases-shaped table, 5,000 at a time, one transaction."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.executescript(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;"
        "CREATE TABLE p (id INTEGER PRIMARY KEY, customer_id INTEGER, source TEXT, order_id TEXT, kind TEXT,"
        " ordered_at TEXT, amount NUMERIC, currency TEXT, imported_at TEXT, day TEXT,"
        " UNIQUE (source, order_id, kind));"
        "CREATE INDEX p_customer ON p (customer_id, ordered_at);"
    )
    count = 0
    took = cpu = 0.0
    while chunk := list(islice(rows, 5000)):
        values = [
            (int(r["customer"][1:]), "bench", r["order_id"], "refund" if r["amount"].startswith("-") else "purchase",
             r["ordered_at"] + " 00:00:00", float(r["amount"]), None, "2026-01-01 00:00:00", r["ordered_at"])
            for _, r in chunk
        ]  # fmt: skip
        started, on_cpu = time.perf_counter(), time.process_time()  # only the database's work: the rows are ready
        if not count:
            connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT OR IGNORE INTO p (customer_id, source, order_id, kind, ordered_at, amount, currency,"
            " imported_at, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        took += time.perf_counter() - started
        cpu += time.process_time() - on_cpu
        count += len(values)
    started, on_cpu = time.perf_counter(), time.process_time()
    connection.execute("COMMIT")
    took += time.perf_counter() - started
    cpu += time.process_time() - on_cpu
    connection.close()
    return took, cpu, count


def timed(step: str, work: object) -> tuple[float, object]:
    """Run ``work()`` and return (seconds, result); the CPU seconds are kept in CPU[step]."""
    started, on_cpu = time.perf_counter(), time.process_time()
    result = work()  # type: ignore[operator]
    CPU[step] = time.process_time() - on_cpu
    return time.perf_counter() - started, result


CPU: dict[str, float] = {}


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

    with tempfile.TemporaryDirectory() as tmp:
        base, base_cpu, n = baseline(Path(tmp) / "plain.db", purchase_rows(args.customers, args.purchases))
        db = connect(f"sqlite:///{tmp}/recovery.db")
        upgrade(db)
        clock = SettableClock(datetime(2026, 1, 1, 12, tzinfo=UTC))
        ctx = Context(db, WorkflowRegistry(load_dir(ROOT / "workflows")), BusinessCalendar(), clock)
        rows = purchase_rows(args.customers, args.purchases)
        imported, report = timed("import", lambda: import_rows(ctx, rows, source="bench"))
        until = date(2025, 12, 31)
        fits = {name: timed(name, lambda name=name: fit(ctx, until, name)) for name in ("pareto_nbd", "auto", "bgnbd")}
        scoring, run = timed("score", lambda: score_customers(ctx))  # with the newest fit: BG/NBD
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    added = report.customers_added  # type: ignore[attr-defined]
    print(f"import {n:,} purchases: {imported:.1f} s ({n / imported:,.0f} rows/s), {added:,} customers added")
    print(f"plain sqlite3 executemany of the same rows: {base:.1f} s ({n / base:,.0f} rows/s)")
    print(f"ratio import / plain: {base / imported:.2f}x (target >= 0.25x)")
    # Both run in this process (SQLite is a library): CPU seconds are what other load on a shared
    # machine disturbs least, so the ratio is given in them too.
    print(f"  in CPU seconds: import {CPU['import']:.1f} s, plain {base_cpu:.1f} s: {base_cpu / CPU['import']:.2f}x")
    for name, (took, fitted) in fits.items():
        print(
            f"fit {name} + Gamma-Gamma on {fitted.customers:,} customers (chose {fitted.model}), "  # type: ignore[attr-defined]
            f"reading the purchases included: {took:.1f} s, {CPU[name]:.1f} s CPU (target < 5 s)"
        )
    print(
        f"score {run.customers:,} customers: {scoring:.1f} s, {CPU['score']:.1f} s CPU (target < 10 s)"  # type: ignore[attr-defined]
    )
    print(f"peak RSS: {rss:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
