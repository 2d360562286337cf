"""The daily fit and scoring in real daemons: two of them on one PostgreSQL database run the day once."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daemon_support import count, output_of, wait_for
from sqlalchemy import func, select

from recovery.engine.context import Context
from recovery.engine.purchases import import_rows
from recovery.store.schema import customer_scores, model_fits, runtime

Start = Callable[..., subprocess.Popen[str]]
Prepare = Callable[[str, int], Context]
DATA = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"
DUE = "1997-10-01T02:30:00+00:00"  # 04:30 in Amsterdam: past the default score_at, 04:00


def the_day(ctx: Context) -> Any:
    with ctx.read() as connection:
        query = select(runtime.c.value).where(runtime.c.key == "daily_scores:1997-10-01")
        return connection.execute(query).scalar()


def test_two_daemons_fit_score_and_record_the_local_day_once(
    postgres_url: str, recovery_process: Start, prepared: Prepare
) -> None:
    ctx = prepared(postgres_url, 0)
    lines = [line.split() for line in DATA.read_text().splitlines() if line.strip()]
    rows = [
        (n, {"customer": f[1], "order_id": f"{f[1]}-{n}", "ordered_at": f[2], "amount": f[4]})
        for n, f in enumerate(lines, start=1)
        if int(f[1]) <= 300 and f[2] <= "19970930"
    ]
    import_rows(ctx, rows, source="cdnow")
    daemons = [recovery_process(postgres_url, "daemon", "--no-webhook", "--clock-start", DUE) for _ in range(2)]

    wait_for(lambda: (the_day(ctx) or {}).get("outcome") == "scored", 60, "the day's run to finish")
    time.sleep(2)  # two more ticks of each daemon: neither runs the day again
    for daemon in daemons:
        daemon.send_signal(signal.SIGTERM)
    for daemon in daemons:
        assert daemon.wait(timeout=30) == 0, output_of(daemon)

    assert count(ctx, select(func.count()).select_from(model_fits)) == 1
    assert count(ctx, select(func.count()).select_from(customer_scores)) == 301  # and Cy, who bought nothing
    logs = [output_of(daemon) for daemon in daemons]
    assert sorted(log.count("tick job=daily_scores") for log in logs) == [0, 1], logs
    assert the_day(ctx)["customers"] == 301
