"""The daemon in-process: its jobs, its tick record, its lock, and a clean stop on SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from daemon_support import PAST_LEVEL_1
from sqlalchemy import func, select

from recovery.clock import SettableClock
from recovery.config import Settings
from recovery.core.commands import OpenComplaint
from recovery.daemon import Daemon, hold_lock, lock_path
from recovery.engine import open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.errors import ConfigError, ConflictError
from recovery.notify.sinks import LogSink
from recovery.store.schema import outbox, runtime


def settings_for(ctx: Context, **sections: Any) -> Settings:
    url = ctx.db.url.render_as_string(hide_password=False)
    return Settings(**{"database": {"url": url}, "daemon": {"tick": "1s"}, **sections})


@pytest.fixture
def overdue(ctx: Context) -> int:
    """A complaint assigned to Ann, past its first deadline on the test clock."""
    add_staff(ctx, "ann", "Ann", "ann@example.com")
    customer = add_customer(ctx, "cy@example.com", "Cy")
    complaint = open_complaint(ctx, OpenComplaint(customer, "late parcel", assignee="ann"))
    assert isinstance(ctx.clock, SettableClock)
    ctx.clock.set(PAST_LEVEL_1)
    return complaint


@pytest.fixture
def daemon(ctx: Context) -> Daemon:
    return Daemon(ctx, settings_for(ctx), sink=LogSink(), webhook=False)


def last_tick(ctx: Context) -> Any:
    with ctx.read() as connection:
        return connection.execute(select(runtime.c.value).where(runtime.c.key == "last_tick")).scalar()


def test_the_jobs_are_a_few_fixed_interval_jobs_in_utc(daemon: Daemon) -> None:
    scheduler = daemon.build_scheduler()

    jobs = {job.id: job for job in scheduler.get_jobs()}

    assert set(jobs) == {"overdue_scan", "outbox_dispatch", "inbox_apply", "reward_run", "daily_scores", "daily_digest"}
    assert str(scheduler.timezone) == "UTC"
    assert jobs["overdue_scan"].trigger.interval.total_seconds() == 1
    assert jobs["reward_run"].trigger.interval.total_seconds() == 86400
    assert {(j.coalesce, j.max_instances) for j in jobs.values()} == {(True, 1)}
    assert jobs["overdue_scan"].misfire_grace_time == 1


def test_a_tick_is_logged_as_key_values_and_recorded_as_the_last_tick(
    ctx: Context, daemon: Daemon, overdue: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="recovery.daemon")

    daemon.scan_job()

    tick = last_tick(ctx)
    assert (tick["at"], tick["job"], tick["escalate"], tick["pid"]) == (
        PAST_LEVEL_1.isoformat(),
        "overdue_scan",
        1,
        os.getpid(),
    )
    [logged] = [r.fields for r in caplog.records if r.getMessage() == "tick"]  # type: ignore[attr-defined]
    assert (logged["job"], logged["escalate"], "took_ms" in logged) == ("overdue_scan", 1, True), logged


def test_the_dispatch_job_delivers_the_outbox(ctx: Context, daemon: Daemon, overdue: int) -> None:
    daemon.scan_job()

    daemon.dispatch_job()

    with ctx.read() as connection:
        statuses = connection.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
    assert [tuple(s) for s in statuses] == [("sent", 2)]  # the assignment notice and the escalation
    assert last_tick(ctx)["sent"] == 2


def test_the_inbox_and_reward_jobs_run_and_record_their_ticks(ctx: Context, daemon: Daemon) -> None:
    daemon.inbox_job()
    assert last_tick(ctx)["job"] == "inbox_apply"

    daemon.reward_job()
    assert last_tick(ctx)["job"] == "reward_run"


def test_a_part_that_is_not_installed_is_logged_once_and_skipped(
    ctx: Context, daemon: Daemon, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "recovery.engine.inbox", None)  # importing it now fails
    monkeypatch.setitem(sys.modules, "recovery.engine.rewards", None)

    for _ in range(2):
        daemon.inbox_job()
        daemon.reward_job()

    assert caplog.text.count("reason=not-installed") == 2
    assert last_tick(ctx) is None


def test_job_errors_and_missed_runs_are_logged(daemon: Daemon, caplog: pytest.LogCaptureFixture) -> None:
    when = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    failed = JobExecutionEvent(EVENT_JOB_ERROR, "overdue_scan", "default", when, exception=ValueError("boom"))
    missed = JobExecutionEvent(EVENT_JOB_MISSED, "outbox_dispatch", "default", when)

    daemon._on_event(failed)
    daemon._on_event(missed)

    assert "job failed job=overdue_scan error=ValueError('boom')" in caplog.text
    assert "job missed job=outbox_dispatch scheduled=2026-11-25T09:00:00+00:00" in caplog.text


def test_sigterm_stops_the_daemon_after_its_jobs_and_the_webhook_server(
    ctx: Context, overdue: int, handlers: None, unused_port: int
) -> None:
    daemon = Daemon(ctx, settings_for(ctx), sink=LogSink(), host="127.0.0.1", port=unused_port)
    seen: list[int] = []

    def probe_then_stop() -> None:
        for _ in range(200):
            try:
                seen.append(httpx.get(f"http://127.0.0.1:{unused_port}/healthz", timeout=1).status_code)
                break
            except httpx.TransportError:
                threading.Event().wait(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=probe_then_stop).start()
    daemon.run()

    assert seen == [200]
    assert not daemon.scheduler.running
    assert daemon.stopping.is_set()
    daemon.stop()  # a second request is harmless


def test_a_second_holder_of_the_lock_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    path = tmp_path / "recovery.db.daemon.lock"
    with hold_lock(path), pytest.raises(ConflictError, match=f"pid {os.getpid()}"):  # noqa: SIM117
        with hold_lock(path):
            pass

    with hold_lock(path):  # released again
        assert path.read_text() == f"{os.getpid()}\n"


def test_the_lock_sits_beside_an_sqlite_file_or_where_configured(ctx: Context, tmp_path: Path) -> None:
    if ctx.db.url.get_backend_name() == "sqlite":
        assert lock_path(ctx, settings_for(ctx)) == Path(f"{ctx.db.url.database}.daemon.lock")
    else:
        assert lock_path(ctx, settings_for(ctx)) is None
    chosen = tmp_path / "my.lock"
    assert lock_path(ctx, settings_for(ctx, daemon={"tick": "1s", "lock_file": chosen})) == chosen


def test_the_daemon_command_runs_on_a_moved_clock_until_sigterm(
    ctx: Context, overdue: int, handlers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from recovery.cli.main import cli

    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    monkeypatch.delenv("RECOVERY_CONFIG", raising=False)
    monkeypatch.setenv("RECOVERY_DAEMON__TICK", "1s")
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # the command sets up its own log handler
    monkeypatch.setattr(root, "level", root.level)

    def stop_after_first_tick() -> None:
        for _ in range(400):
            if last_tick(ctx) is not None:
                break
            threading.Event().wait(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=stop_after_first_tick).start()
    url = ctx.db.url.render_as_string(hide_password=False)
    args = ["--database-url", url, "daemon", "--no-webhook", "--clock-start", "2026-11-25T14:00:00"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert last_tick(ctx)["at"].startswith("2026-11-25T14:00")


def test_an_offset_clock_runs_on_from_its_start() -> None:
    from recovery.clock import OffsetClock

    clock = OffsetClock.starting_at(PAST_LEVEL_1)

    assert PAST_LEVEL_1 <= clock.now() < PAST_LEVEL_1 + timedelta(minutes=1)
    with pytest.raises(ValueError, match="aware"):
        OffsetClock.starting_at(PAST_LEVEL_1.replace(tzinfo=None))


def test_a_webhook_port_in_use_stops_the_daemon_before_it_starts(ctx: Context, handlers: None) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        daemon = Daemon(ctx, settings_for(ctx), sink=LogSink(), host="127.0.0.1", port=port)

        with pytest.raises(ConfigError, match=f"webhook: cannot listen on 127.0.0.1:{port}"):
            daemon.run()

    assert daemon.scheduler.state == 0  # never started
