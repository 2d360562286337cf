"""Three real daemons on one PostgreSQL database share 1,000 overdue complaints without doing anything twice."""

from __future__ import annotations

import re
import signal
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from daemon_support import PAST_LEVEL_1, count, escalations_per_complaint, output_of, wait_for
from sqlalchemy import func, select

from recovery.engine.context import Context
from recovery.store.schema import complaints, outbox

Start = Callable[..., subprocess.Popen[str]]
Prepare = Callable[[str, int], Context]
COMPLAINTS = 1000
KEY = re.compile(r"notify key=(\S+) ")


@pytest.mark.slow
def test_three_daemons_escalate_and_notify_each_complaint_exactly_once(
    postgres_url: str, recovery_process: Start, prepared: Prepare
) -> None:
    ctx = prepared(postgres_url, COMPLAINTS)
    # The complaints fall due a few seconds after start, when all three daemons are up and ticking.
    due_in = timedelta(seconds=3)
    daemons = []
    for _ in range(3):
        start = PAST_LEVEL_1 - due_in
        daemons.append(
            recovery_process(
                postgres_url, "daemon", "--no-webhook", "--clock-start", start.isoformat(), RECOVERY_DAEMON__BATCH="25"
            )
        )
    # The assignment notice and level 1's one to Ann for each complaint, and the morning digest (15:00 in
    # Amsterdam is past 07:30) once to each of the lead and the two managers, whichever daemon sends it.
    expected_messages = COMPLAINTS * 2 + 3

    not_sent = select(func.count()).where(outbox.c.status != "sent")
    wait_for(
        lambda: (
            count(ctx, select(func.count()).where(complaints.c.escalation_level == 1)) == COMPLAINTS
            and count(ctx, not_sent) == 0
        ),
        90,
        "every complaint escalated and every message sent",
    )
    for daemon in daemons:
        daemon.send_signal(signal.SIGTERM)
    codes = [daemon.wait(timeout=60) for daemon in daemons]

    assert codes == [0, 0, 0], [output_of(d)[-2000:] for d in daemons]
    per_complaint = escalations_per_complaint(ctx)
    assert len(per_complaint) == COMPLAINTS
    assert set(per_complaint.values()) == {1}
    assert count(ctx, select(func.count()).select_from(outbox)) == expected_messages
    delivered = Counter(key for daemon in daemons for key in KEY.findall(output_of(daemon)))
    assert len(delivered) == expected_messages
    assert delivered.most_common(1)[0][1] == 1, delivered.most_common(3)
    sharing = [len(KEY.findall(output_of(daemon))) for daemon in daemons]
    assert sum(1 for n in sharing if n) >= 2, sharing  # the outbox really was shared
