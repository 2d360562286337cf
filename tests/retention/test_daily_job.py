"""The daily retention run: fit, score and mark at risk once per local day at ``retention.score_at``."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from recovery.clock import SettableClock
from recovery.config import Settings
from recovery.daemon import DAILY_JOB, Daemon
from recovery.engine.context import Context
from recovery.engine.daily import DailyRun, day_key, run_daily
from recovery.engine.people import add_customer
from recovery.engine.purchases import import_rows
from recovery.notify.sinks import LogSink
from recovery.store.schema import customer_scores, model_fits, runtime

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "cdnow" / "CDNOW_sample.txt"
# 1 October 1997, 04:30 in Amsterdam (summer time, UTC+2): just past the default score_at, 04:00.
DUE = datetime(1997, 10, 1, 2, 30, tzinfo=UTC)


def cdnow_purchases(ctx: Context, customers: int = 300) -> None:
    """The first ``customers`` of the CDNOW sample, up to the end of September 1997."""
    lines = [line.split() for line in DATA.read_text().splitlines() if line.strip()]
    rows = [
        (n, {"customer": f[1], "order_id": f"{f[1]}-{n}", "ordered_at": f[2], "amount": f[4]})
        for n, f in enumerate(lines, start=1)
        if int(f[1]) <= customers and f[2] <= "19970930"
    ]
    import_rows(ctx, rows, source="cdnow")


def count(ctx: Context, query: Any) -> int:
    with ctx.read() as connection:
        return int(connection.execute(query).scalar_one())


def recorded(ctx: Context, day: str) -> Any:
    with ctx.read() as connection:
        return connection.execute(select(runtime.c.value).where(runtime.c.key == f"daily_scores:{day}")).scalar()


@pytest.fixture
def bought(ctx: Context, clock: SettableClock) -> Context:
    clock.set(DUE)
    cdnow_purchases(ctx)
    return ctx


def test_before_score_at_local_time_nothing_runs(bought: Context, clock: SettableClock) -> None:
    clock.set(DUE - timedelta(hours=1))  # 03:30 in Amsterdam

    assert run_daily(bought) == DailyRun(DUE.date(), "not-due")
    assert count(bought, select(func.count()).select_from(model_fits)) == 0
    assert recorded(bought, "1997-10-01") is None


def test_at_score_at_it_fits_scores_and_marks_then_records_the_day(bought: Context) -> None:
    run = run_daily(bought)

    assert (run.outcome, run.customers, run.fit_error) == ("scored", 300, None)
    assert count(bought, select(func.count()).select_from(model_fits)) == 1
    assert count(bought, select(func.count()).select_from(customer_scores)) == 300
    done = recorded(bought, "1997-10-01")
    assert (done["outcome"], done["customers"], done["marked"]) == ("scored", 300, run.marked)


def test_a_second_call_the_same_local_day_does_nothing(bought: Context, clock: SettableClock) -> None:
    run_daily(bought)
    clock.set(DUE + timedelta(hours=18))  # 22:30 local, still 1 October

    assert run_daily(bought) == DailyRun(DUE.date(), "done-already")
    assert count(bought, select(func.count()).select_from(model_fits)) == 1


def test_the_next_local_day_runs_again(bought: Context, clock: SettableClock) -> None:
    run_daily(bought)
    clock.set(DUE + timedelta(days=1))

    assert run_daily(bought).outcome == "scored"
    assert count(bought, select(func.count()).select_from(model_fits)) == 2


def test_the_day_and_the_hour_are_the_business_calendars(ctx: Context, clock: SettableClock) -> None:
    # 23:30 UTC on 1 October is 01:30 on 2 October in Amsterdam: that day's run is not due yet …
    clock.set(datetime(1997, 10, 1, 23, 30, tzinfo=UTC))
    assert run_daily(ctx).outcome == "not-due"
    # … and 02:30 UTC is 04:30 there: due, though in UTC it is not yet four.
    clock.set(datetime(1997, 10, 2, 2, 30, tzinfo=UTC))
    assert run_daily(ctx) == DailyRun(datetime(1997, 10, 2).date(), "no-purchases")


def test_without_purchases_the_day_is_skipped_quietly_and_once(
    ctx: Context, clock: SettableClock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.set(DUE)
    caplog.set_level(logging.INFO, logger="recovery.engine.daily")

    assert run_daily(ctx).outcome == "no-purchases"
    assert run_daily(ctx).outcome == "done-already"
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "daily scores skipped day=1997-10-01 reason=no-purchases")
    ]
    assert recorded(ctx, "1997-10-01")["outcome"] == "no-purchases"


def one_time_buyers(ctx: Context) -> None:
    """Three customers who bought once each: no model can be fitted to that."""
    rows = [
        (n, {"customer": f"c{n}", "order_id": f"o{n}", "ordered_at": "1997-03-0" + str(n), "amount": "20"})
        for n in (1, 2, 3)
    ]
    import_rows(ctx, rows, source="shop")


def test_a_fit_that_fails_is_a_warning_and_the_previous_fit_scores(
    ctx: Context, clock: SettableClock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.set(DUE)
    one_time_buyers(ctx)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW's BG/NBD
    with ctx.db.begin() as connection:
        previous = {"model": "bgnbd", "params": published, "log_likelihood": -9582.4, "customers": 2357}
        connection.execute(insert(model_fits).values(**previous, until=DUE - timedelta(days=1), fitted_at=DUE))
    caplog.set_level(logging.INFO, logger="recovery.engine.daily")

    run = run_daily(ctx)

    assert (run.outcome, run.model, run.customers) == ("scored", "bgnbd", 3)
    warning = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning == [f"daily fit failed day=1997-10-01 error={run.fit_error}; scoring with the previous fit, if any"]
    assert run.fit_error  # the model's own words: neither BG/NBD nor Pareto/NBD converged
    assert count(ctx, select(func.count()).select_from(model_fits)) == 1  # nothing stored for the failed fit


def test_a_fit_that_fails_with_no_previous_fit_scores_nothing(ctx: Context, clock: SettableClock) -> None:
    clock.set(DUE)
    one_time_buyers(ctx)

    run = run_daily(ctx)

    assert run.outcome == "no-fit"
    assert count(ctx, select(func.count()).select_from(customer_scores)) == 0
    assert recorded(ctx, "1997-10-01")["outcome"] == "no-fit"


def test_two_daemons_asking_at_once_run_the_day_once(bought: Context) -> None:
    start = threading.Barrier(2)
    runs: list[DailyRun] = []

    def ask() -> None:
        start.wait()
        runs.append(run_daily(bought))  # each thread on its own pooled connection

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(run.outcome for run in runs) == ["done-already", "scored"]
    assert count(bought, select(func.count()).select_from(model_fits)) == 1


def test_the_daemon_asks_every_tick_and_records_a_tick_only_when_the_day_ran(
    ctx: Context, clock: SettableClock
) -> None:
    url = ctx.db.url.render_as_string(hide_password=False)
    daemon = Daemon(ctx, Settings(database={"url": url}, daemon={"tick": "1s"}), sink=LogSink(), webhook=False)
    job = daemon.build_scheduler().get_job(DAILY_JOB)
    assert (job.trigger.interval.total_seconds(), job.coalesce, job.max_instances) == (1, True, 1)
    assert DAILY_JOB not in daemon.schedule()  # /healthz does not expect a tick from it every second

    clock.set(DUE - timedelta(hours=1))
    daemon.daily_job()
    with ctx.read() as connection:
        assert connection.execute(select(runtime.c.value).where(runtime.c.key == "tick:daily_scores")).scalar() is None
    clock.set(DUE)
    add_customer(ctx, "cy@example.com")
    daemon.daily_job()
    with ctx.read() as connection:
        tick = connection.execute(select(runtime.c.value).where(runtime.c.key == "tick:daily_scores")).scalar()
    assert (tick["job"], tick["day"], tick["outcome"]) == (DAILY_JOB, "1997-10-01", "no-purchases")
    assert day_key(DUE.date()) == "daily_scores:1997-10-01"


def test_starting_the_daemon_imports_neither_numpy_nor_scipy() -> None:
    code = "import sys, recovery.daemon; print(sorted({'numpy', 'scipy'} & set(sys.modules)))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert found.stdout.strip() == "[]", found


def left_running(ctx: Context, at: datetime) -> None:
    """The day's claim as a daemon killed mid-run leaves it: running, never finished."""
    with ctx.db.begin() as connection:
        value = {"outcome": "running", "started_at": at.isoformat(), "pid": 1, "host": "gone"}
        connection.execute(insert(runtime).values(key="daily_scores:1997-10-01", value=value, updated_at=at))


def test_a_day_claimed_by_a_daemon_that_died_mid_run_is_taken_over_after_an_hour(
    bought: Context, clock: SettableClock
) -> None:
    left_running(bought, DUE)
    clock.set(DUE + timedelta(hours=1, minutes=1))

    assert run_daily(bought).outcome == "scored"
    assert recorded(bought, "1997-10-01")["outcome"] == "scored"
    assert count(bought, select(func.count()).select_from(model_fits)) == 1


def test_a_day_being_run_now_by_another_daemon_is_left_to_it(bought: Context, clock: SettableClock) -> None:
    left_running(bought, DUE)
    clock.set(DUE + timedelta(minutes=5))

    assert run_daily(bought) == DailyRun(DUE.date(), "done-already")
    assert count(bought, select(func.count()).select_from(model_fits)) == 0
