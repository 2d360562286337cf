"""The reward run as real processes: two at once on PostgreSQL, and one killed half-way then restarted.

Each test builds the same shop with the engine: 20 agents, 300 customers flagged twice each (600
flags); 200 customers complain a day later, 50 of them are recovered; the other 100 stay silent,
so their flags are rejected once the window ends. The expected ledger is worked out from that.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from recovery.clock import SettableClock
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.guards import Compensation
from recovery.engine import fire_batch, open_complaint
from recovery.engine.context import Context
from recovery.engine.flags import raise_flag
from recovery.engine.people import add_customer, add_staff
from recovery.engine.registry import WorkflowRegistry
from recovery.store.database import connect, upgrade
from recovery.store.schema import flags, ledger, outbox
from recovery.workflow_files import load_dir

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STAFF = [f"s{n:02d}" for n in range(20)]
CUSTOMERS, COMPLAINING, RECOVERED = 300, 200, 50
CAP = 150
GIFT = Compensation("gift", Decimal("0"), "flowers")
RUN_AT = "2026-12-26T09:00:00+00:00"  # after every 30-day window of flags raised on 25 November


def flaggers(index: int) -> tuple[str, str]:
    """The two staff members who flag customer number ``index``."""
    first = index % len(STAFF)
    return STAFF[first], STAFF[(first + 1 + index % 7) % len(STAFF)]


def expected_totals() -> dict[str, int]:
    """Each staff member's points: 10 per confirmed flag, 25 per recovered customer, cut at the cap."""
    earned: Counter[str] = Counter()
    for index in range(COMPLAINING):
        for staff_id in flaggers(index):
            earned[staff_id] += 10 + (25 if index < RECOVERED else 0)
    return {s: min(CAP, earned[s]) for s in STAFF if earned[s]}


def build_shop(ctx: Context) -> None:
    """The shop described in the module docstring, written through the engine."""
    for staff_id in STAFF:
        add_staff(ctx, staff_id, f"Agent {staff_id}")
    customers = [add_customer(ctx, f"c{n}@example.com") for n in range(CUSTOMERS)]
    with ctx.db.begin() as connection:
        for index, customer_id in enumerate(customers):
            for staff_id in flaggers(index):
                raise_flag(ctx, customer_id, staff_id, "unhappy at the counter", connection=connection)
    assert isinstance(ctx.clock, SettableClock)
    ctx.clock.advance(timedelta(days=1))
    opened = [open_complaint(ctx, OpenComplaint(c, "still unhappy")) for c in customers[:COMPLAINING]]
    fields: dict[str, dict[str, Any]] = {"compensate": {"compensation": GIFT}, "follow_up": {"score": 5}}
    steps = ["apologize", "act", "empathize", "compensate", "follow_up", "resolve"]
    fire_batch(ctx, [FireTrigger(c, t, **fields.get(t, {})) for c in opened[:RECOVERED] for t in steps])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config file for the processes: the shipped workflows, no holidays, a cap of 150 points."""
    path = tmp_path / "recovery.toml"
    path.write_text(
        f'[workflows]\ndir = "{ROOT / "workflows"}"\n[calendar]\nholidays = []\n[rewards]\ncap_per_period = {CAP}\n'
    )
    return path


def shop_on(url: str, clock: SettableClock) -> Iterator[Engine]:
    """A migrated database at ``url`` holding the shop."""
    engine = connect(url)
    upgrade(engine)
    build_shop(Context(db=engine, workflows=WorkflowRegistry(load_dir(ROOT / "workflows")), clock=clock))
    yield engine
    engine.dispose()


@pytest.fixture
def shop_db(db_url: str, clock: SettableClock) -> Iterator[Engine]:
    """The shop on SQLite and on PostgreSQL."""
    yield from shop_on(db_url, clock)


@pytest.fixture
def shop_pg(postgres_url: str, clock: SettableClock) -> Iterator[Engine]:
    """The shop on PostgreSQL only."""
    yield from shop_on(postgres_url, clock)


def reward_run(url: str, config: Path, batch: int, pause: float = 0.0) -> subprocess.Popen[str]:
    """Start ``recovery rewards run`` as a process of its own, its clock at RUN_AT."""
    args = ["--database-url", url, "--config", str(config), "rewards", "run", "--json"]
    args += ["--batch", str(batch), "--pause", str(pause), "--clock-start", RUN_AT]
    return subprocess.Popen(
        [sys.executable, "-m", "recovery", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> dict[str, int]:
    """The run's report once the process has exited cleanly."""
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    report: dict[str, int] = json.loads(out)
    return report


def totals(engine: Engine) -> dict[str, int]:
    """Each staff member's ledger total."""
    query = select(ledger.c.staff_id, func.sum(ledger.c.points)).group_by(ledger.c.staff_id)
    with engine.connect() as connection:
        return {s: int(p) for s, p in connection.execute(query)}


def count(engine: Engine, table: Any) -> int:
    """Rows in ``table``."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def statuses(engine: Engine) -> dict[str, int]:
    """Flags by status."""
    with engine.connect() as connection:
        query = select(flags.c.status, func.count()).group_by(flags.c.status)
        return {s: int(n) for s, n in connection.execute(query)}


def assert_rewarded_exactly_once(engine: Engine) -> None:
    """Every flag decided once, every award written once with its one notice, totals as worked out."""
    assert statuses(engine) == {"confirmed": 2 * COMPLAINING, "rejected": 2 * (CUSTOMERS - COMPLAINING)}
    assert count(engine, ledger) == 2 * COMPLAINING + 2 * RECOVERED
    assert count(engine, outbox) == count(engine, ledger)
    assert totals(engine) == expected_totals()


def test_two_processes_at_once_on_postgresql_award_each_point_once(
    shop_pg: Engine, postgres_url: str, config: Path
) -> None:
    first, second = reward_run(postgres_url, config, 10), reward_run(postgres_url, config, 10)
    reports = [finished(first), finished(second)]
    assert sum(r["confirmed"] for r in reports) == 2 * COMPLAINING  # each flag decided by one process only
    assert sum(r["rejected"] for r in reports) == 2 * (CUSTOMERS - COMPLAINING)
    assert sum(r["recovered"] for r in reports) == 2 * RECOVERED
    assert_rewarded_exactly_once(shop_pg)
    again = finished(reward_run(postgres_url, config, 10))
    assert again == {"confirmed": 0, "rejected": 0, "awards": 0, "recovered": 0, "points": 0}
    assert totals(shop_pg) == expected_totals()


def test_a_run_killed_half_way_is_completed_by_the_next_without_doubling(
    shop_db: Engine, db_url: str, config: Path
) -> None:
    victim = reward_run(db_url, config, 2, pause=0.05)  # 300 commits, 50 ms apart: a kill lands mid-run
    deadline = time.monotonic() + 60
    while statuses(shop_db).get("open") == 2 * CUSTOMERS and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=30)
    written = count(shop_db, ledger)
    assert victim.returncode == -signal.SIGKILL, "the run finished before it was caught half-way"
    assert 0 < statuses(shop_db).get("open", 0) < 2 * CUSTOMERS
    assert written < 2 * COMPLAINING + 2 * RECOVERED
    finished(reward_run(db_url, config, 50))
    assert_rewarded_exactly_once(shop_db)
