"""Start-up time of the commands a person types, against importing SQLAlchemy, in the same run.

Creates a temporary SQLite database with 10,000 complaints (copies of complaints opened through
the engine, walked to different steps, bulk-inserted through sqlite3 with their history), then runs
as real subprocesses, ``--repeat`` times each, interleaved so that a busy moment hits all alike:
``python -c "import sqlalchemy"`` (the baseline) and ``recovery complaint list``, ``complaint show
5000`` and ``status``. Prints the median wall time of each and its ratio to the baseline (target
at most 1.3x), and the same for CPU time. A second baseline imports SQLAlchemy with the garbage
collector paused and frozen as recovery's console script does (cli/collector.py): part of what a
command saves that way is the baseline's own collection at exit, and the last column shows the ratio
without it. The checkout's config/recovery.toml is read (holidays "NL" included), the database named
through RECOVERY_DATABASE_URL. The warm-up run writes the bytecode caches even when
PYTHONDONTWRITEBYTECODE is set, as installing the package would.

    .venv/bin/python benchmarks/bench_startup.py [--complaints 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.engine import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.engine.registry import WorkflowRegistry
from recovery.store.database import connect, upgrade
from recovery.workflow_files import load_dir

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET = 1.3
# The baseline with the collector handled as recovery's console script handles it (cli/collector.py).
FROZEN = "import gc; gc.disable(); import sqlalchemy; gc.freeze()"
# Each template complaint is walked this far, so that listings and counts see several states.
WALKS = [[], ["apologize"], ["apologize", "act"], ["apologize", "act", "empathize"]]


def fixture(path: Path, count: int) -> None:
    """A database at ``path`` holding ``count`` complaints with their history rows."""
    url = f"sqlite:///{path}"
    db = connect(url)
    upgrade(db)
    ctx = Context(db, WorkflowRegistry(load_dir(ROOT / "workflows")))
    add_staff(ctx, "ann", "Ann Agent", "ann@example.com", "agent")
    customers = [add_customer(ctx, f"c{i}@example.com", f"Customer {i}") for i in range(50)]
    for walk in WALKS:
        complaint = open_complaint(ctx, OpenComplaint(customers[0], "soup arrived cold", assignee="ann"))
        for trigger in walk:
            fire(ctx, FireTrigger(complaint, trigger, actor="ann"))
    db.dispose()
    _copy(path, count, len(customers))


def _copy(path: Path, count: int, customers: int) -> None:
    """Copy the template complaints and their audit rows until there are ``count`` complaints."""
    connection = sqlite3.connect(path)
    columns = [row[1] for row in connection.execute("PRAGMA table_info(complaints)")]
    audit_columns = [row[1] for row in connection.execute("PRAGMA table_info(audit_log)") if row[1] != "id"]
    templates = connection.execute(f"SELECT {', '.join(columns)} FROM complaints ORDER BY id").fetchall()
    history = {
        template[0]: connection.execute(
            f"SELECT {', '.join(audit_columns)} FROM audit_log WHERE complaint_id = ? ORDER BY id", (template[0],)
        ).fetchall()
        for template in templates
    }
    at_id, at_customer = columns.index("id"), columns.index("customer_id")
    at_complaint = audit_columns.index("complaint_id")
    rows, audits = [], []
    for complaint_id in range(len(templates) + 1, count + 1):
        template = templates[complaint_id % len(templates)]
        row = list(template)
        row[at_id], row[at_customer] = complaint_id, 1 + complaint_id % customers
        rows.append(row)
        for entry in history[template[0]]:
            audit = list(entry)
            audit[at_complaint] = complaint_id
            audits.append(audit)
    with connection:
        connection.executemany(f"INSERT INTO complaints ({', '.join(columns)}) VALUES ({_marks(columns)})", rows)
        connection.executemany(
            f"INSERT INTO audit_log ({', '.join(audit_columns)}) VALUES ({_marks(audit_columns)})", audits
        )
    connection.execute("ANALYZE")
    connection.close()


def _marks(columns: list[str]) -> str:
    return ", ".join("?" * len(columns))


def wall(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one subprocess; a failure stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    recovery = str(BIN / "recovery")
    runs = {
        'python -c "import sqlalchemy"': [sys.executable, "-c", "import sqlalchemy"],
        "  same, collector frozen": [sys.executable, "-c", FROZEN],
        "recovery complaint list": [recovery, "complaint", "list"],
        f"recovery complaint show {args.complaints // 2}": [recovery, "complaint", "show", str(args.complaints // 2)],
        "recovery status": [recovery, "status"],
    }
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "startup.db"
        fixture(database, args.complaints)
        env = {**os.environ, "RECOVERY_DATABASE_URL": f"sqlite:///{database}"}
        env.pop("RECOVERY_DATABASE__URL", None)
        # An installed package has its bytecode; with PYTHONDONTWRITEBYTECODE set (some shells and CI set it)
        # every run would compile each of recovery's modules again, tens of ms the baseline never pays.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for argv in runs.values():  # warm the page cache and the bytecode cache once
            wall(argv, env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for _ in range(args.repeat):
            for name, argv in runs.items():
                times[name].append(wall(argv, env))
    # CPU time is printed beside the wall time: on a shared machine it moves less with the load.
    walls = {name: statistics.median(w for w, _ in values) for name, values in times.items()}
    cpus = {name: statistics.median(c for _, c in values) for name, values in times.items()}
    base, frozen = list(runs)[:2]
    print(f"{args.complaints:,} complaints; median of {args.repeat} runs each, interleaved; ratio to the first line")
    for name in runs:
        ratio = walls[name] / walls[base]
        verdict = "" if name in (base, frozen) else (" ok" if ratio <= TARGET else f" above {TARGET}x")
        print(
            f"  {name:<34} wall {walls[name] * 1000:5.0f} ms {ratio:4.2f}x{verdict:<13} "
            f"cpu {cpus[name] * 1000:5.0f} ms {cpus[name] / cpus[base]:4.2f}x   "
            f"wall to the frozen baseline {walls[name] / walls[frozen]:4.2f}x"
        )


if __name__ == "__main__":
    main()
