"""The reports at scale: ``recovery report retention --json`` over 100,000 customers, 1,000,000 purchases and
50,000 complaints on SQLite (target under 15 s), against a plain-SQL baseline run in the same process.

``bench_report()`` builds the database (plain sqlite3 ``executemany`` into the migrated schema: seconds, not
minutes), runs the real command as a child process and prints its wall time, its peak RSS and the ratio
to ``SELECT customer_id, count(*), sum(amount) FROM purchases GROUP BY customer_id`` over the same rows.
The dashboard's part goes beside it; ``main()`` runs every part there is.

    .venv/bin/python benchmarks/bench_reports.py [--customers 100000] [--purchases 1000000] [--complaints 50000]

``bench_dashboard()`` (``--part dashboard``): the dashboard's overview over 10,000 open complaints, served by
uvicorn on loopback and measured with wrk, against the same server's stylesheet in the same run.
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


WRK_P95 = """
done = function(summary, latency, requests)
  io.write(string.format("p50=%d p95=%d p99=%d requests=%d errors=%d\\n", latency:percentile(50),
    latency:percentile(95), latency:percentile(99), summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


def _open_complaints(path: Path, count: int, now: datetime) -> None:
    """``count`` open complaints over 5,000 customers (half of them scored), deadlines from a day late to two ahead."""
    rng = random.Random(14)
    states = ("received", "apologized", "acting", "empathized", "compensated", "following_up")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO customers (id, email, name, created_at) VALUES (?, ?, ?, ?)",
        ((i, f"c{i}@example.com", f"Customer {i}", stamp(now)) for i in range(1, 5001)),
    )
    db.executemany(
        "INSERT INTO customer_scores (customer_id, p_alive, clv, loyalty_class, class_reasons, scored_at)"
        " VALUES (?, 0.5, ?, 'satisfied', '[]', ?)",
        ((i, round(rng.uniform(10, 2000), 2), stamp(now)) for i in range(1, 2501)),
    )
    db.execute(
        "INSERT INTO staff (id, name, email, role, created_at) VALUES ('lea', 'Lea', 'lea@example.com', 'lead', ?)",
        (stamp(now),),
    )
    rows = []
    for n in range(count):
        opened = now - timedelta(hours=rng.uniform(0, 96))
        deadline = now + timedelta(hours=rng.uniform(-24, 48))
        rows.append((
            rng.randrange(1, 5001), f"Complaint {n}: the soup was cold", "normal", "email", "standard", 1,
            rng.choice(states), stamp(opened), stamp(opened), stamp(deadline), stamp(now + timedelta(days=50)),
            stamp(now + timedelta(days=40)), rng.choice((0, 0, 0, 1, 2)), stamp(deadline),
        ))  # fmt: skip
    db.executemany(
        "INSERT INTO complaints (customer_id, summary, severity, channel, workflow, workflow_version, state, opened_at,"
        " state_entered_at, deadline, final_deadline, final_warn_at, escalation_level, due_at, warned,"
        " follow_up_reminded, final_warned, final_breached, reopen_count, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 1)",
        rows,
    )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def _wrk(url: str, cookie: str, seconds: int, connections: int, script: Path) -> dict[str, int]:
    """wrk against ``url`` with the session cookie: its latency percentiles in microseconds and counts."""
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "-s",
        str(script),
        "-H",
        f"Cookie: {cookie}",
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("p50="))
    return {key: int(value) for key, value in (part.split("=") for part in line.split())}


def bench_dashboard(complaints: int = 10_000, seconds: int = 10, connections: int = 2) -> None:
    """The dashboard's overview over ``complaints`` open complaints (SQLite), served by uvicorn on loopback,
    measured with wrk against the same server's stylesheet in the same run; p95 target under 200 ms."""
    import shutil
    import threading

    import httpx
    import uvicorn

    sys.path.insert(0, str(ROOT / "src"))
    from recovery.config import DashboardSettings, Settings, WebhookSettings, shipped_workflows
    from recovery.engine.context import Context
    from recovery.engine.registry import WorkflowRegistry
    from recovery.engine.sign_ins import print_link
    from recovery.intake.app import create_app
    from recovery.intake.serving import server_config
    from recovery.store.database import connect, upgrade
    from recovery.workflow_files import load_dir

    if shutil.which("wrk") is None:
        sys.exit("bench_dashboard needs wrk: apt-get install -y wrk (make tools)")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "dashboard.db"
        engine = connect(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        now = datetime.now(UTC)
        _open_complaints(path, complaints, now)
        ctx = Context(db=connect(f"sqlite:///{path}"), workflows=WorkflowRegistry(load_dir(shipped_workflows())))
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        settings = Settings(webhook=WebhookSettings(port=port), dashboard=DashboardSettings(base_url=base))
        environ = {"RECOVERY_DASHBOARD_SECRET": "bench-" * 8}
        app = create_app(ctx, settings, environ=environ)
        server = uvicorn.Server(server_config(app, settings.webhook, "127.0.0.1", port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            link = print_link(ctx, "lea", base_url=base, lifetime=timedelta(minutes=15))
            with httpx.Client() as client:
                assert client.post(link.url).status_code == 303, "the sign-in link was refused"
                cookie = f"recovery_dashboard={client.cookies['recovery_dashboard']}"
                shown = client.get(f"{base}/")
                assert shown.status_code == 200, shown.status_code
                assert f'<span class="n">{complaints}</span> open' in shown.text, "the overview did not count them"
            script = Path(directory) / "p95.lua"
            script.write_text(WRK_P95)
            _wrk(f"{base}/", cookie, 2, connections, script)  # warm up: caches, the threadpool
            css = _wrk(f"{base}/dashboard.css", cookie, seconds, connections, script)
            page = _wrk(f"{base}/", cookie, seconds, connections, script)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            ctx.db.dispose()
    for name, figures in (("overview /", page), ("stylesheet /dashboard.css (baseline)", css)):
        rate = figures["requests"] / seconds
        print(
            f"{name}: p50 {figures['p50'] / 1000:.1f} ms, p95 {figures['p95'] / 1000:.1f} ms, "
            f"p99 {figures['p99'] / 1000:.1f} ms, {rate:.0f} req/s, {figures['errors']} errors"
        )
    print(
        f"overview p95 / stylesheet p95: {page['p95'] / max(css['p95'], 1):.1f}x "
        f"({complaints:,} open complaints, wrk -t{min(2, connections)} -c{connections} -d{seconds}s;"
        " target p95 < 200 ms)"
    )


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=50_000)
    parser.add_argument("--part", choices=["all", "report", "dashboard"], default="all")
    parser.add_argument("--open-complaints", type=int, default=10_000, help="the dashboard's open complaints")
    parser.add_argument("--connections", type=int, default=2, help="wrk's connections against the dashboard")
    args = parser.parse_args()
    if args.part in ("all", "report"):
        bench_report(args.customers, args.purchases, args.complaints)
    if args.part in ("all", "dashboard"):
        bench_dashboard(args.open_complaints, connections=args.connections)


if __name__ == "__main__":
    sys.exit(main())
