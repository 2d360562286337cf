"""The daily retention run: fit the purchase models, score every customer, mark the silent defectors.

Once per local day of the business calendar, at or after ``retention.score_at``: the first caller
that day claims it with a ``runtime`` row of the day's own key (an insert that only one of several
daemons can win), so a restart or a second daemon runs nothing twice, and a daemon that was down at
that hour catches up when it starts. numpy and scipy are imported only when the run starts.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from recovery.engine.context import Context
from recovery.errors import ModelError
from recovery.store import runtime as runtime_store
from recovery.store.schema import purchases, runtime
from recovery.store.sql import insert_ignoring_duplicates

log = logging.getLogger(__name__)

KEY_PREFIX = "daily_scores:"
WAITING = ("not-due", "done-already")  # outcomes of a call that did nothing
STALE = timedelta(hours=1)  # a run takes seconds; a claim this old was left by a daemon that died


@dataclass
class DailyRun:
    """What one call did: its local day, an outcome and, when it ran, what the fit, scoring and marking did."""

    day: date
    outcome: str  # not-due | done-already | no-purchases | no-fit | scored
    model: str | None = None
    fit_error: str | None = None  # the fit failed; the scores came from the previous fit
    customers: int = 0
    marked: int = 0
    rearmed: int = 0
    notices: int = 0

    @property
    def ran(self) -> bool:
        """True when this call claimed the day (whatever came of it)."""
        return self.outcome not in WAITING

    def summary(self) -> dict[str, Any]:
        """The run as JSON-ready data, for the daemon's tick line and the day's ``runtime`` row."""
        found: dict[str, Any] = {"day": self.day.isoformat(), "outcome": self.outcome}
        if self.ran:
            found |= {"model": self.model, "customers": self.customers, "marked": self.marked}
            found |= {"rearmed": self.rearmed, "notices": self.notices}
        if self.fit_error is not None:
            found["fit_error"] = self.fit_error
        return found


def day_key(day: date) -> str:
    """The ``runtime`` key that records the run of one local day."""
    return f"{KEY_PREFIX}{day.isoformat()}"


def run_daily(ctx: Context) -> DailyRun:
    """Fit, score and mark at risk if today's run is due and not yet claimed; else do nothing and say why."""
    now = ctx.clock.now()
    local = now.astimezone(ctx.calendar.tz)
    day = local.date()
    if local.time() < ctx.retention.score_at:
        return DailyRun(day, "not-due")
    key = day_key(day)
    with ctx.read() as connection:  # a read first: the daemon asks every tick, a write each time would cost
        held = runtime_store.get(connection, key)
    if held is not None and held.get("outcome") != "running":  # a running claim may be a dead daemon's
        return DailyRun(day, "done-already")
    if not _claim(ctx, key, now):
        return DailyRun(day, "done-already")
    try:
        run = _fit_and_score(ctx, day)
    except Exception as exc:
        # The day stays claimed: a failing fit retried every tick would cost more than a day's wait.
        _record(ctx, key, {"day": day.isoformat(), "outcome": "failed", "error": repr(exc)})
        raise
    _record(ctx, key, run.summary())
    return run


def _claim(ctx: Context, key: str, now: datetime) -> bool:
    """Insert the day's row unless a row of that key exists: True for the one caller whose insert landed.

    A claim still ``running`` after ``STALE`` is a daemon killed mid-run (SIGKILL, a lost machine): the
    work is safe to repeat, so one caller takes the day over, by a compare-and-set on its time.
    """
    value = {"outcome": "running", "started_at": now.isoformat(), "pid": os.getpid(), "host": socket.gethostname()}
    with ctx.db.begin() as connection:
        statement = insert_ignoring_duplicates(connection, runtime).values(key=key, value=value, updated_at=now)
        # RETURNING, not rowcount, which psycopg may report as -1 for an INSERT.
        if connection.execute(statement.returning(runtime.c.key)).first() is not None:
            return True
        held = connection.execute(select(runtime.c.value, runtime.c.updated_at).where(runtime.c.key == key)).first()
        if held is None or held.value.get("outcome") != "running" or held.updated_at > now - STALE:
            return False
        taken = (
            update(runtime)
            .where(runtime.c.key == key, runtime.c.updated_at == held.updated_at)
            .values(value={**value, "took_over": held.value}, updated_at=now)
            .returning(runtime.c.key)
        )
        if connection.execute(taken).first() is None:
            return False
    log.warning("daily scores: taking over day %s, claimed at %s and never finished", key, held.updated_at)
    return True


def _record(ctx: Context, key: str, done: dict[str, Any]) -> None:
    now = ctx.clock.now()
    with ctx.db.begin() as connection:
        runtime_store.put(connection, key, {**done, "finished_at": now.isoformat()}, now)


def _fit_and_score(ctx: Context, day: date) -> DailyRun:
    """Fit (or keep the previous fit when this one fails), score, then mark the silent defectors."""
    from recovery.engine.at_risk import mark_at_risk
    from recovery.engine.models import fit
    from recovery.engine.scores import score_customers

    run = DailyRun(day, "scored")
    with ctx.read() as connection:
        any_purchase = connection.execute(select(purchases.c.id).limit(1)).first() is not None
    if not any_purchase:
        log.info("daily scores skipped day=%s reason=no-purchases", day)
        run.outcome = "no-purchases"
        return run
    try:
        run.model = fit(ctx, None, ctx.retention.model).model
    except ModelError as exc:
        # Scores a day older are better than none; the log says the fit failed and which one is used.
        log.warning("daily fit failed day=%s error=%s; scoring with the previous fit, if any", day, exc)
        run.fit_error = str(exc)
    try:
        scored = score_customers(ctx)
    except ModelError as exc:
        log.warning("daily scores skipped day=%s reason=no-fit error=%s", day, exc)
        run.outcome = "no-fit"
        return run
    run.model, run.customers = scored.model, scored.customers
    marks = mark_at_risk(ctx)
    run.marked, run.rearmed, run.notices = marks.marked, marks.rearmed, marks.notices
    log.info("daily scores day=%s model=%s customers=%s marked=%s", day, run.model, run.customers, run.marked)
    return run
