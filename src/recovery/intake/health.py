"""The readiness check behind ``GET /healthz``: can this process do its work right now?

Four kinds of check, each named in the answer: ``database`` (a write is accepted), ``tick:<job>``
(each daemon job ran within a few of its intervals), ``inbox`` (no helpdesk event left unapplied for
long) and ``outbox`` (notifications are not piling up or dying). The answer says which failed and
never shows a host name, a process id or a database message; those go to the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from recovery.config import HealthSettings, clock_duration
from recovery.engine.context import Context
from recovery.engine.queries import iso
from recovery.store import readiness
from recovery.store.database import writer

log = logging.getLogger("recovery.intake")

Check = dict[str, Any]


@dataclass(frozen=True)
class Limits:
    """When each check fails (see ``[health]`` in docs/daemon.md)."""

    stale_ticks: int = 3
    inbox_age: timedelta = timedelta(minutes=5)
    inbox_backlog: int = 0
    outbox_pending: int = 1000
    outbox_dead: int = 100
    timeout: float = 2.0

    @classmethod
    def of(cls, settings: HealthSettings) -> Limits:
        """The limits the ``[health]`` settings describe."""
        return cls(
            stale_ticks=settings.stale_ticks,
            inbox_age=clock_duration(settings.inbox_age).clock(),
            inbox_backlog=settings.inbox_backlog,
            outbox_pending=settings.outbox_pending,
            outbox_dead=settings.outbox_dead,
            timeout=clock_duration(settings.timeout).clock().total_seconds(),
        )


class Readiness:
    """Runs the checks off the event loop; callers arriving while a run is under way share it."""

    def __init__(self, ctx: Context, limits: Limits, jobs: Mapping[str, timedelta] | None = None) -> None:
        self.ctx, self.limits, self.jobs = ctx, limits, dict(jobs or {})
        self.started = ctx.clock.now()  # a job that has not ticked yet is given its limit from here
        self.running: asyncio.Task[dict[str, Check]] | None = None

    async def answer(self) -> tuple[int, dict[str, Any]]:
        """200 with every check's state, or 503 naming the failing ones; never waits past ``timeout``."""
        loop = asyncio.get_running_loop()
        if self.running is None or self.running.done() or self.running.get_loop() is not loop:
            self.running = loop.create_task(run_in_threadpool(self.checks))
            # A run that outlives every caller's timeout still has its outcome taken, never "never retrieved".
            self.running.add_done_callback(lambda task: task.cancelled() or task.exception())
        try:
            checks = await asyncio.wait_for(asyncio.shield(self.running), self.limits.timeout)
        except TimeoutError:
            log.warning("event=health_failing check=database error=no answer within %ss", self.limits.timeout)
            checks = {"database": {"ok": False, "error": f"no answer within {self.limits.timeout:g}s"}}
        failing = [name for name, check in checks.items() if not check["ok"]]
        body = {"status": "failing" if failing else "ok", "failing": failing, "checks": checks}
        return (503 if failing else 200), body

    def checks(self) -> dict[str, Check]:
        """Every check, in order; each one that cannot reach the database fails on its own."""
        now = self.ctx.clock.now()
        database = self._database(now)
        return {"database": database, **self._ticks(now), "inbox": self._inbox(now), "outbox": self._outbox()}

    def _database(self, now: datetime) -> Check:
        try:
            with writer(self.ctx.db), self.ctx.db.begin() as connection:
                readiness.probe(connection, now)
        except SQLAlchemyError as exc:
            return _failed("database", exc)
        return {"ok": True}

    def _ticks(self, now: datetime) -> dict[str, Check]:
        if not self.jobs:
            return {}
        try:
            with self.ctx.read() as connection:
                last = readiness.ticks(connection, self.jobs)
        except SQLAlchemyError as exc:
            return {readiness.tick_key(job): _failed(readiness.tick_key(job), exc) for job in self.jobs}
        found: dict[str, Check] = {}
        for job, every in self.jobs.items():
            limit = every * self.limits.stale_ticks
            at = last.get(job)
            since = max(at, self.started) if at is not None else self.started
            found[readiness.tick_key(job)] = {
                "ok": now - since <= limit,
                "last": iso(at),
                "limit_seconds": limit.total_seconds(),
            }
        return found

    def _inbox(self, now: datetime) -> Check:
        try:
            with self.ctx.read() as connection:
                late = readiness.inbox_backlog(connection, now - self.limits.inbox_age, now)
        except SQLAlchemyError as exc:
            return _failed("inbox", exc)
        age = self.limits.inbox_age.total_seconds()
        return {"ok": late <= self.limits.inbox_backlog, "late": late, "limit": self.limits.inbox_backlog, "age": age}

    def _outbox(self) -> Check:
        try:
            with self.ctx.read() as connection:
                counts = readiness.outbox_counts(connection)
        except SQLAlchemyError as exc:
            return _failed("outbox", exc)
        ok = counts["pending"] <= self.limits.outbox_pending and counts["dead"] <= self.limits.outbox_dead
        limits = {"pending_limit": self.limits.outbox_pending, "dead_limit": self.limits.outbox_dead}
        return {"ok": ok, **counts, **limits}


def _failed(check: str, exc: SQLAlchemyError) -> Check:
    """A check the database did not answer: the kind of error in the answer, the message in the log."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    log.warning("event=health_failing check=%s error=%s: %s", check, type(exc).__name__, (text.splitlines() or [""])[0])
    return {"ok": False, "error": type(exc).__name__}
