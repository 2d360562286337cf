"""A scan SIGKILLed at random moments, again and again, loses nothing and repeats nothing."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable

import pytest
from daemon_support import LEVEL_3_NOTIFIES, PAST_LEVEL_3, escalations_per_complaint
from sqlalchemy import func, select

from recovery.engine.context import Context
from recovery.store.schema import complaints, outbox

Start = Callable[..., subprocess.Popen[str]]
Prepare = Callable[[str, int], Context]
COMPLAINTS = 3000
KILLS = 24


def consistent(ctx: Context) -> tuple[int, int]:
    """Assert every escalated complaint has one audit row and its messages, and nobody else has any.

    Returns (escalated complaints, escalation messages).
    """
    per_complaint = escalations_per_complaint(ctx)
    with ctx.read() as connection:
        escalated = set(connection.execute(select(complaints.c.id).where(complaints.c.escalation_level == 3)).scalars())
        messages = connection.execute(select(func.count()).where(outbox.c.topic == "complaint.escalated")).scalar_one()
    assert set(per_complaint) == escalated, "an escalation without its audit row, or the other way round"
    assert set(per_complaint.values()) <= {1}, "an escalation recorded twice"
    assert messages == len(escalated) * LEVEL_3_NOTIFIES, "a notification lost or doubled"
    return len(escalated), messages


def last_message_id(path: str) -> int:
    """The newest outbox row committed so far, read with the plain driver: cheap to poll often."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return int(connection.execute("SELECT max(id) FROM outbox").fetchone()[0] or 0)
    finally:
        connection.close()


@pytest.mark.slow
def test_a_scan_killed_at_random_moments_loses_nothing_and_repeats_nothing(
    sqlite_url: str, recovery_process: Start, prepared: Prepare
) -> None:
    ctx = prepared(sqlite_url, COMPLAINTS)
    path = sqlite_url.removeprefix("sqlite:///")
    chance = random.Random(20261125)
    scan = ("sla", "scan", "--batch", "10", "--clock-start", PAST_LEVEL_3.isoformat())
    kills = 0
    while kills < KILLS:
        before = last_message_id(path)
        process = recovery_process(sqlite_url, *scan)
        while last_message_id(path) == before and process.poll() is None:
            time.sleep(0.005)  # wait for its first batch to commit: the kill then lands mid-scan
        time.sleep(chance.uniform(0, 0.02))
        if process.poll() is not None:
            break  # it finished all the work first
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        consistent(ctx)

    finish = recovery_process(sqlite_url, *scan)

    assert finish.wait(timeout=60) == 0
    assert kills == KILLS, f"only {kills} kills landed mid-scan: the scans ran out of work"
    assert consistent(ctx) == (COMPLAINTS, COMPLAINTS * LEVEL_3_NOTIFIES)
