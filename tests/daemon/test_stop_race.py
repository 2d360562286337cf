"""A stop asked for while the scheduler is starting is not lost (SIGTERM just after the webhook came up)."""

from __future__ import annotations

import threading
from typing import Any

from recovery.config import Settings
from recovery.daemon import Daemon
from recovery.engine.context import Context
from recovery.notify.sinks import LogSink


def test_a_stop_before_the_scheduler_runs_ends_its_start(ctx: Context) -> None:
    url = ctx.db.url.render_as_string(hide_password=False)
    daemon = Daemon(
        ctx, Settings(**{"database": {"url": url}, "daemon": {"tick": "1h"}}), sink=LogSink(), webhook=False
    )
    daemon.scheduler = daemon.build_scheduler()
    daemon.stop()  # not running yet: nothing to shut down at this moment
    finished = threading.Event()

    def start() -> Any:
        daemon.scheduler.start()  # blocks until shut down
        finished.set()

    threading.Thread(target=start, daemon=True).start()
    assert finished.wait(10), "the scheduler started and ran on, the stop forgotten"
