"""``/healthz`` tells the truth (issue 9.4): a write probe, each job's tick, the backlogs; and the daemon recovers.

Real daemon processes where the fault is the process's (a read-only database file, a job stuck on a
sink that never answers); the app over real HTTP on loopback where the test moves the clock.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from daemon_support import PAST_LEVEL_3, ROOT, T0, output_of, wait_for
from sqlalchemy import create_engine, select, text, update

from intake.server import serve
from recovery.clock import SettableClock
from recovery.config import Settings
from recovery.daemon import Daemon
from recovery.engine.context import Context
from recovery.engine.registry import WorkflowRegistry
from recovery.intake.app import create_app
from recovery.notify.sinks import LogSink
from recovery.store import outbox as outbox_store
from recovery.store.database import connect, upgrade
from recovery.store.schema import outbox, runtime
from recovery.workflow_files import load_dir

Start = Callable[..., subprocess.Popen[str]]
Prepare = Callable[[str, int], Context]
SHOP = {"name": "shop", "kind": "generic", "unsigned": True}


def event(n: int) -> bytes:
    body = {"id": f"evt-{n}", "type": "satisfaction.rated", "ticket": f"T-{n}", "score": 5}
    return json.dumps({**body, "occurred_at": T0.isoformat()}).encode()


def deliver(base_url: str, n: int) -> int:
    headers = {"Content-Type": "application/json"}
    return httpx.post(f"{base_url}/webhooks/shop", content=event(n), headers=headers, timeout=30).status_code


def health(base_url: str) -> httpx.Response:
    return httpx.get(f"{base_url}/healthz", timeout=30)


def healthy_is(base_url: str, status: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return health(base_url).status_code == status
        except httpx.TransportError:
            return False  # not listening yet

    return check


@pytest.fixture
def read_only() -> Iterator[Callable[[Path, bool], None]]:
    """Make a file read-only or writable again (chattr +i as root, whom modes do not stop; chmod otherwise)."""
    locked: set[Path] = set()

    def change(path: Path, refuse_writes: bool) -> None:
        if os.geteuid() == 0:
            done = subprocess.run(
                ["chattr", "+i" if refuse_writes else "-i", str(path)], capture_output=True, text=True
            )
            if done.returncode != 0:
                pytest.skip(f"cannot make a file read-only for root here: {done.stderr.strip()}")
        else:
            path.chmod(0o444 if refuse_writes else 0o644)
        (locked.add if refuse_writes else locked.discard)(path)

    yield change
    for path in list(locked):
        change(path, False)


def test_a_daemon_on_a_read_only_database_is_unhealthy_then_recovers_without_a_restart(
    sqlite_url: str, recovery_process: Start, prepared: Prepare, read_only: Any, tmp_path: Path, unused_port: int
) -> None:
    ctx = prepared(sqlite_url, 0)
    assert ctx.db.url.database is not None
    path = Path(ctx.db.url.database)
    read_only(path, True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        sqlite3.connect(path).execute("CREATE TABLE probe (x)")
    (tmp_path / "recovery.toml").write_text(
        "[[webhook.sources]]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in SHOP.items())
    )
    daemon = recovery_process(
        sqlite_url, "--config", str(tmp_path / "recovery.toml"), "daemon", "--port", str(unused_port)
    )
    base_url = f"http://127.0.0.1:{unused_port}"
    wait_for(healthy_is(base_url, 503), 30, "/healthz to say 503 on a read-only file")

    refused = health(base_url).json()
    assert "database" in refused["failing"], refused
    assert deliver(base_url, 1) == 503

    read_only(path, False)

    wait_for(healthy_is(base_url, 200), 30, "/healthz to recover once the file is writable")
    assert deliver(base_url, 2) == 202
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=30) == 0, output_of(daemon)


def test_a_job_stuck_for_a_few_ticks_makes_health_503_naming_it_and_shows_no_host_or_pid(
    db_url: str, recovery_process: Start, prepared: Prepare, unused_port: int
) -> None:
    prepared(db_url, 3)  # overdue at PAST_LEVEL_3: twelve messages for the sink
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # connections are taken by the kernel and never answered: every POST hangs 10 s
        hook = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        sink = {"RECOVERY_NOTIFY__SINK": "http", "RECOVERY_NOTIFY__HTTP_URL": hook}
        sink |= {"RECOVERY_NOTIFY__HTTP_SECRET_ENV": "HOOK_SECRET", "HOOK_SECRET": "x"}
        daemon = recovery_process(
            db_url, "daemon", "--port", str(unused_port), "--clock-start", PAST_LEVEL_3.isoformat(), **sink
        )
        base_url = f"http://127.0.0.1:{unused_port}"
        wait_for(healthy_is(base_url, 503), 30, "/healthz to notice the stuck dispatcher")
        answer = health(base_url)
        daemon.kill()  # the dispatcher would finish its batch first: twelve times ten seconds

    found = answer.json()
    assert found["failing"] == ["tick:outbox_dispatch"], found
    assert found["checks"]["tick:overdue_scan"]["ok"] is True
    assert found["checks"]["tick:outbox_dispatch"]["limit_seconds"] == 3.0
    assert socket.gethostname() not in answer.text
    assert "pid" not in answer.text


@pytest.fixture
def daemon_and_app(ctx: Context) -> tuple[Daemon, Any]:
    settings = Settings(daemon={"tick": "1s"}, webhook={"sources": [SHOP]})
    daemon = Daemon(ctx, settings, sink=LogSink(), webhook=False)
    return daemon, create_app(ctx, settings, jobs=daemon.schedule())


def test_a_tick_older_than_three_intervals_fails_health_naming_its_job(
    ctx: Context, clock: SettableClock, daemon_and_app: tuple[Daemon, Any]
) -> None:
    daemon, app = daemon_and_app
    for job in (daemon.scan_job, daemon.dispatch_job, daemon.inbox_job, daemon.reward_job):
        job()
    with serve(app) as base_url:
        clock.set(T0 + timedelta(seconds=3))
        fresh = health(base_url)
        clock.set(T0 + timedelta(seconds=10))
        for job in (daemon.dispatch_job, daemon.inbox_job):
            job()
        stale = health(base_url)

    assert fresh.status_code == 200, fresh.text
    assert stale.status_code == 503
    assert stale.json()["failing"] == ["tick:overdue_scan"]  # the reward run's limit is three days
    assert stale.json()["checks"]["tick:overdue_scan"] == {
        "ok": False,
        "last": "2026-11-25T09:00:00Z",
        "limit_seconds": 3.0,
    }
    with ctx.read() as connection:
        tick = connection.execute(select(runtime.c.value).where(runtime.c.key == "tick:overdue_scan")).scalar()
    assert tick["job"] == "overdue_scan"
    assert not {"pid", "host"} & set(tick)


def test_a_backlog_over_its_limit_fails_health_naming_it(ctx: Context, clock: SettableClock) -> None:
    limits = {"inbox_age": "5m", "inbox_backlog": 1, "outbox_pending": 2, "outbox_dead": 2}
    settings = Settings(webhook={"sources": [SHOP]}, health=limits)
    with serve(create_app(ctx, settings)) as base_url:
        assert [deliver(base_url, n) for n in range(2)] == [202, 202]
        fresh = health(base_url)
        clock.set(T0 + timedelta(minutes=6))  # nobody applied them: two events five minutes late
        late = health(base_url)
        with ctx.db.begin() as connection:
            messages = [{"dedupe_key": f"m{n}", "topic": "t", "payload": {}, "recipient": "ann"} for n in range(3)]
            outbox_store.enqueue_many(connection, messages, clock.now())
        piling = health(base_url)
        with ctx.db.begin() as connection:
            connection.execute(update(outbox).values(status="dead"))
        dying = health(base_url)

    assert fresh.status_code == 200, fresh.text
    assert (late.status_code, late.json()["failing"]) == (503, ["inbox"])
    assert late.json()["checks"]["inbox"] == {"ok": False, "late": 2, "limit": 1, "age": 300.0}
    assert piling.json()["failing"] == ["inbox", "outbox"]
    assert dying.json()["checks"]["outbox"] == {
        "ok": False,
        "pending": 0,
        "dead": 3,
        "pending_limit": 2,
        "dead_limit": 2,
    }


def test_postgresql_connections_dropped_as_a_server_restart_drops_them_are_replaced(
    postgres_url: str, postgres_admin_url: str, clock: SettableClock
) -> None:
    name = f"recovery-health-{uuid.uuid4().hex[:8]}"
    db = connect(f"{postgres_url}&application_name={name}")
    upgrade(db)
    ctx = Context(db=db, workflows=WorkflowRegistry(load_dir(ROOT / "workflows")), clock=clock)
    admin = create_engine(postgres_admin_url)
    kill = text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name")
    with serve(create_app(ctx, Settings(webhook={"sources": [SHOP]}))) as base_url:
        before = (health(base_url).status_code, deliver(base_url, 1))
        with admin.begin() as connection:
            killed = connection.execute(kill, {"name": name}).scalar_one()
        after = (health(base_url).status_code, deliver(base_url, 2))
    admin.dispose()
    db.dispose()

    assert killed >= 1
    assert before == (200, 202)
    assert after == (200, 202)
