"""The overdue scan at scale: 1,000,000 complaints of which 10,000 are overdue, on SQLite and PostgreSQL.

Figures, each with its ratio to a baseline measured in the same run:
  (a) one scan escalating the 10,000 (audit and outbox rows included), against one plain UPDATE
      of the same rows through the driver (rolled back);
  (b) the time to find the overdue complaints (the scan's own query, every due row) at 1,000,000
      complaints, against the same query at 100,000 with the same 10,000 overdue;
  (c) the peak resident memory (VmHWM) of a process doing the daemon's work (scan the next level
      for all 10,000, then deliver the outbox through the log sink), against the same process idle
      after its imports. SQLite only: the work is the same on PostgreSQL.

Fixture rows are copies of two complaints opened through the engine (one overdue, one due next
week), bulk-inserted through the driver (sqlite3 executemany, PostgreSQL COPY), not the engine.

    .venv/bin/python benchmarks/bench_overdue_scan.py [--small] [--sqlite-only] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, bindparam, create_engine, select, text

from recovery.clock import SettableClock
from recovery.core.calendar import BusinessCalendar
from recovery.core.commands import OpenComplaint
from recovery.engine import open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.engine.registry import WorkflowRegistry
from recovery.engine.sla import scan
from recovery.store.complaints import claim_due
from recovery.store.database import connect, upgrade
from recovery.store.schema import audit_log, complaints, outbox
from recovery.store.types import UTCDateTime
from recovery.workflow_files import load_dir

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday 10:00 in Amsterdam
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # past the first deadline (13:00 UTC): level 1 due
LATER = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # past the second level (Thursday 09:00 UTC)
CHUNK = 50_000


def context(url: str, clock: SettableClock) -> Context:
    db = connect(url)
    return Context(
        db, WorkflowRegistry(load_dir(ROOT / "workflows")), BusinessCalendar(ZoneInfo("Europe/Amsterdam")), clock
    )


def templates(ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two complaints opened through the engine: one overdue at NOW, one not due for a week."""
    for staff_id, role in (("ann", "agent"), ("lena", "lead"), ("max", "manager")):
        add_staff(ctx, staff_id, staff_id.title(), f"{staff_id}@example.com", role)
    customer = add_customer(ctx, "bench@example.com", "Bench")
    assert isinstance(ctx.clock, SettableClock)
    rows = []
    for opened in (T0, T0 + timedelta(days=7)):
        ctx.clock.set(opened)
        complaint = open_complaint(ctx, OpenComplaint(customer, "bench complaint", assignee="ann"))
        with ctx.read() as connection:
            rows.append(
                dict(connection.execute(select(complaints).where(complaints.c.id == complaint)).mappings().one())
            )
    ctx.clock.set(NOW)
    with ctx.db.begin() as connection:
        for table in (audit_log, outbox, complaints):  # only the copies will remain
            connection.execute(table.delete())
    return rows[0], rows[1]


def copies(template: dict[str, Any], first_id: int, count: int, engine: Engine) -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of driver-ready tuples: ``template`` under ids ``first_id``..``first_id + count - 1``."""
    dialect = engine.dialect
    names = [c.name for c in complaints.columns]
    if dialect.name == "sqlite":
        processors = [c.type._cached_bind_processor(dialect) for c in complaints.columns]
        values = [p(template[n]) if p else template[n] for p, n in zip(processors, names, strict=True)]
    else:
        values = [template[n] for n in names]
    at = names.index("id")
    for start in range(first_id, first_id + count, CHUNK):
        chunk = []
        for complaint_id in range(start, min(start + CHUNK, first_id + count)):
            values[at] = complaint_id
            chunk.append(tuple(values))
        yield chunk


def bulk_insert(engine: Engine, template: dict[str, Any], first_id: int, count: int) -> None:
    names = [c.name for c in complaints.columns]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN")
            sql = f"INSERT INTO complaints ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            for chunk in copies(template, first_id, count, engine):
                cursor.executemany(sql, chunk)
            cursor.execute("COMMIT")
            cursor.execute("ANALYZE")
        else:
            with cursor.copy(f"COPY complaints ({', '.join(names)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for chunk in copies(template, first_id, count, engine):
                    for row in chunk:
                        copy.write_row(row)
            raw.commit()
            cursor.execute("ANALYZE complaints")
            raw.commit()
    finally:
        raw.close()


def find_seconds(ctx: Context, overdue: int, repeat: int = 5) -> float:
    """Best of ``repeat``: the scan's own claim query returning every overdue complaint."""
    best = float("inf")
    for _ in range(repeat):
        with ctx.db.connect() as connection, connection.begin() as transaction:
            started = time.perf_counter()
            found = connection.execute(claim_due(NOW, overdue + 1)).all()
            best = min(best, time.perf_counter() - started)
            transaction.rollback()
        assert len(found) == overdue, (len(found), overdue)
    return best


def plain_update_seconds(ctx: Context) -> float:
    """The baseline: one UPDATE of the overdue rows through the driver, rolled back."""
    with ctx.db.connect() as connection, connection.begin() as transaction:
        started = time.perf_counter()
        connection.execute(
            text("UPDATE complaints SET escalation_level = 1, version = version + 1 WHERE due_at <= :now"),
            {"now": UTCDateTime().process_bind_param(NOW, ctx.db.dialect)},
        )
        took = time.perf_counter() - started
        transaction.rollback()
    return took


def plan(ctx: Context) -> str:
    """How the database runs the scan's query: it must walk the due_at index, not the table."""
    prefix = "EXPLAIN QUERY PLAN" if ctx.db.dialect.name == "sqlite" else "EXPLAIN"
    query = text(f"{prefix} SELECT * FROM complaints WHERE due_at <= :now ORDER BY due_at LIMIT 500")
    with ctx.db.connect() as connection:
        found = connection.execute(query.bindparams(bindparam("now", NOW, type_=UTCDateTime))).all()
    return " | ".join(str(r[-1]).strip() for r in found)


def memory_child(url: str) -> None:
    """Do the daemon's work once at LATER (scan every due complaint, deliver the whole outbox); print memory."""
    from recovery.config import Settings
    from recovery.daemon import Daemon
    from recovery.intake.app import create_app
    from recovery.notify.dispatcher import dispatch
    from recovery.notify.sinks import LogSink

    ctx = context(url, SettableClock(LATER))
    settings = Settings(database={"url": url})  # type: ignore[arg-type]
    daemon = Daemon(ctx, settings, sink=LogSink(), webhook=False)
    daemon.build_scheduler()
    create_app(ctx, settings)  # the webhook app the daemon serves, for its share of memory
    idle = _status("VmRSS")
    scanned = scan(ctx, batch=settings.daemon.batch, stop=daemon.stopping.is_set)
    sent = dispatch(ctx, daemon.sink, daemon.policy, stop=daemon.stopping.is_set)
    figures = {"idle_kb": idle, "peak_kb": _status("VmHWM"), "escalated": scanned.counts["escalate"], "sent": sent.sent}
    print(json.dumps(figures))


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def run(url: str, small: int, large: int, overdue: int, label: str, measure_memory: bool) -> None:
    clock = SettableClock(T0)
    ctx = context(url, clock)
    upgrade(ctx.db)
    late, later = templates(ctx)
    started = time.perf_counter()
    bulk_insert(ctx.db, late, 1, overdue)
    bulk_insert(ctx.db, later, overdue + 1, small - overdue)
    find_small = find_seconds(ctx, overdue)
    bulk_insert(ctx.db, later, small + 1, large - small)
    inserted = time.perf_counter() - started
    print(f"[{label}] fixture: {large:,} complaints, {overdue:,} overdue, inserted in {inserted:.1f} s")
    find_large = find_seconds(ctx, overdue)
    print(f"[{label}] plan: {plan(ctx)}")
    print(
        f"[{label}] (b) find {overdue:,} overdue: {find_large * 1000:.1f} ms at {large:,} complaints, "
        f"{find_small * 1000:.1f} ms at {small:,}: ratio {find_large / find_small:.2f}x (target < 2x)"
    )
    baseline = plain_update_seconds(ctx)
    started = time.perf_counter()
    report = scan(ctx, batch=500)
    took = time.perf_counter() - started
    assert report.counts["escalate"] == overdue, report.summary()
    print(
        f"[{label}] (a) one scan escalating {overdue:,} (audit + outbox): {took:.2f} s "
        f"({overdue / took:,.0f}/s); plain UPDATE of the same rows: {baseline * 1000:.0f} ms: "
        f"ratio {took / baseline:.1f}x" + (" (target < 2 s)" if label == "sqlite" else "")
    )
    if measure_memory:
        child = subprocess.run(
            [sys.executable, __file__, "--memory-child", url], capture_output=True, text=True, check=True
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        peak, idle = figures["peak_kb"] / 1024, figures["idle_kb"] / 1024
        print(
            f"[{label}] (c) daemon peak RSS escalating {figures['escalated']:,} and delivering {figures['sent']:,} "
            f"messages: {peak:.0f} MB; "
            f"idle after imports: {idle:.0f} MB: ratio {peak / idle:.2f}x (target < 150 MB)"
        )
    ctx.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="100,000 complaints, 1,000 overdue (a quick run)")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    small, large, overdue = (10_000, 100_000, 1_000) if args.small else (100_000, 1_000_000, 10_000)
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.db", small, large, overdue, "sqlite", measure_memory=True)
    if not args.sqlite_only:
        run_postgres(args.postgres_url, small, large, overdue)


def run_postgres(url: str, small: int, large: int, overdue: int) -> None:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in url else "?"
        run(f"{url}{separator}options=-csearch_path%3D{schema}", small, large, overdue, "postgresql", False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
