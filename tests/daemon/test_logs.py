"""The daemon's log: ``[log]`` level and format, one line per action that changed something, quiet when idle.

The lines are read from a real handler on the root logger, put in place by ``recovery.logs.configure``
as ``recovery daemon`` does, writing to a StringIO instead of stderr.
"""

from __future__ import annotations

import io
import json
import logging
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from daemon_support import PAST_LEVEL_1, output_of, wait_for

from recovery.clock import SettableClock
from recovery.config import Settings
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.daemon import Daemon
from recovery.engine import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.logs import LogSettings, configure
from recovery.notify.sinks import LogSink

Lines = Callable[[], list[str]]


@pytest.fixture
def logged() -> Iterator[Callable[..., Lines]]:
    """``logged(level=, format=)``: configure the root logger as the daemon does; a reader of its lines."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in ("transitions", "apscheduler")}

    def start(**settings: str) -> Lines:
        stream = io.StringIO()
        configure(LogSettings(**settings), stream)  # type: ignore[arg-type]
        return lambda: stream.getvalue().splitlines()

    yield start
    root.handlers[:], _ = saved
    root.setLevel(saved[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def daemon(ctx: Context) -> Daemon:
    url = ctx.db.url.render_as_string(hide_password=False)
    settings = Settings(database={"url": url}, daemon={"tick": "1s"})  # type: ignore[arg-type]
    return Daemon(ctx, settings, sink=LogSink(), webhook=False)


@pytest.fixture
def overdue(ctx: Context) -> int:
    """A complaint assigned to Ann, past its first deadline on the test clock."""
    add_staff(ctx, "ann", "Ann", "ann@example.com")
    complaint = open_complaint(ctx, OpenComplaint(add_customer(ctx, "cy@example.com", "Cy"), "late", assignee="ann"))
    assert isinstance(ctx.clock, SettableClock)
    ctx.clock.set(PAST_LEVEL_1)
    return complaint


def test_the_json_format_writes_one_object_per_line_with_the_fields(logged: Callable[..., Lines]) -> None:
    lines = logged(format="json")

    logging.getLogger("recovery.daemon").info("escalated", extra={"fields": {"complaint": 7, "level": 2}})

    [line] = lines()
    record: dict[str, Any] = json.loads(line)
    assert {k: record[k] for k in ("level", "logger", "message", "complaint")} == {
        "level": "info",
        "logger": "recovery.daemon",
        "message": "escalated",
        "complaint": 7,
    }, record
    assert record["time"].endswith("+00:00"), record


def test_a_field_never_hides_the_four_every_line_has(logged: Callable[..., Lines]) -> None:
    lines = logged(format="json")

    logging.getLogger("recovery.daemon").warning("odd", extra={"fields": {"message": "x", "at": 1}})

    record = json.loads(lines()[0])
    assert (record["message"], record["level"], record["at"]) == ("odd", "warning", 1)


def test_the_text_format_puts_the_fields_after_the_message(logged: Callable[..., Lines]) -> None:
    lines = logged()

    logging.getLogger("recovery.daemon").info("escalated", extra={"fields": {"complaint": 7, "notified": ["a", "b"]}})

    assert lines()[0].endswith("level=INFO logger=recovery.daemon escalated complaint=7 notified=a,b"), lines()


def test_an_idle_tick_logs_nothing_at_info_and_a_line_at_debug(
    logged: Callable[..., Lines], daemon: Daemon, ctx: Context
) -> None:
    lines = logged()
    daemon.scan_job()
    daemon.dispatch_job()
    daemon.inbox_job()
    assert lines() == []

    debug = logged(level="debug")
    daemon.scan_job()
    assert any("tick job=overdue_scan" in line for line in debug()), debug()


def test_an_escalation_logs_one_info_line_naming_the_complaint_level_and_who_was_told(
    logged: Callable[..., Lines], daemon: Daemon, overdue: int
) -> None:
    lines = logged(format="json")

    daemon.scan_job()

    records = [json.loads(line) for line in lines()]
    escalations = [r for r in records if r.get("action") == "escalate"]
    assert [(r["level"], r["message"], r["complaint"], r["escalation_level"], r["notified"]) for r in escalations] == [
        ("info", "escalated", overdue, 1, ["ann"])
    ], records
    ticks = [r for r in records if r["message"] == "tick"]
    assert [(t["job"], t["escalate"]) for t in ticks] == [("overdue_scan", 1)], records


def test_transitions_debug_noise_is_not_written_even_at_debug(
    logged: Callable[..., Lines], ctx: Context, overdue: int
) -> None:
    lines = logged(level="debug")

    fire(ctx, FireTrigger(overdue, "apologize", actor="ann"))

    assert not [line for line in lines() if "logger=transitions" in line], lines()


def test_a_real_daemon_writes_json_lines_on_stderr(
    sqlite_url: str, recovery_process: Callable[..., Any], prepared: Callable[[str, int], Context]
) -> None:
    ctx = prepared(sqlite_url, 1)
    daemon = recovery_process(sqlite_url, "daemon", "--no-webhook", RECOVERY_LOG__FORMAT="json")
    wait_for(lambda: '"message": "daemon started' in output_of(daemon), 30, "the start line")
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=30) == 0, output_of(daemon)
    started = next(json.loads(line) for line in output_of(daemon).splitlines() if "daemon started" in line)
    assert (started["level"], started["logger"]) == ("info", "recovery.daemon"), started
    assert ctx.clock.now() is not None  # the database was prepared before the daemon started
