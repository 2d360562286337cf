"""The daemon as a real process: it does its work, stops cleanly on SIGTERM, and guards its SQLite file."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Callable
from typing import Any

import httpx
from daemon_support import PAST_LEVEL_3, count, escalations_per_complaint, output_of, wait_for
from sqlalchemy import func, select

from recovery.engine.context import Context
from recovery.store.schema import outbox, runtime

Start = Callable[..., subprocess.Popen[str]]
Prepare = Callable[[str, int], Context]


def last_tick(ctx: Context) -> Any:
    with ctx.read() as connection:
        return connection.execute(select(runtime.c.value).where(runtime.c.key == "last_tick")).scalar()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_daemon_escalates_notifies_serves_health_and_exits_0_on_sigterm(
    sqlite_url: str, recovery_process: Start, prepared: Prepare
) -> None:
    ctx = prepared(sqlite_url, complaints=3)
    port = free_port()
    daemon = recovery_process(sqlite_url, "daemon", "--port", str(port), "--clock-start", PAST_LEVEL_3.isoformat())

    pending = select(func.count()).where(outbox.c.status != "sent")
    wait_for(lambda: count(ctx, pending) == 0 and len(escalations_per_complaint(ctx)) == 3, 30, "the work")
    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    daemon.send_signal(signal.SIGTERM)

    assert daemon.wait(timeout=30) == 0, output_of(daemon)
    assert health.status_code == 200
    assert escalations_per_complaint(ctx) == {1: 1, 2: 1, 3: 1}
    assert last_tick(ctx)["at"].startswith("2026-11-27T14:")
    log = output_of(daemon)
    assert "tick job=overdue_scan" in log
    assert "stop requested signal=SIGTERM" in log
    assert "daemon stopped" in log


def test_a_second_daemon_on_the_same_sqlite_file_refuses_to_start(
    sqlite_url: str, recovery_process: Start, prepared: Prepare
) -> None:
    ctx = prepared(sqlite_url, complaints=0)
    first = recovery_process(sqlite_url, "daemon", "--no-webhook")
    wait_for(lambda: last_tick(ctx) is not None, 30, "the first daemon's first tick")

    second = recovery_process(sqlite_url, "daemon", "--no-webhook")

    assert second.wait(timeout=30) == 1
    assert f"error: another recovery daemon (pid {first.pid}) already runs on this database" in output_of(second)
    assert first.poll() is None
    first.send_signal(signal.SIGINT)
    assert first.wait(timeout=30) == 0
