"""The daemon: a few fixed APScheduler jobs that call the engine, the webhook server beside them, a clean stop.

Jobs (memory job store, one instance each, coalesced): the overdue scan (which also sends follow-up
reminders), the outbox dispatch and the inbox apply every ``daemon.tick``; the reward run every
``daemon.reward_every``; the daily fit and scoring, asked every tick whether its day is due. Every
deadline lives in the database, never in the scheduler, so any number of daemons may run on
PostgreSQL; on SQLite an OS lock beside the database file allows one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import importlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from time import perf_counter
from types import FrameType
from typing import Any

from recovery.clock import SystemClock
from recovery.config import Settings, clock_duration
from recovery.engine import reminders, sla
from recovery.engine.context import Context
from recovery.engine.daily import run_daily
from recovery.engine.runtime import record_tick
from recovery.errors import ConfigError, ConflictError
from recovery.intake.metrics import JobMetrics
from recovery.logs import fields
from recovery.notify.dispatcher import Policy, dispatch
from recovery.notify.sinks import Sink, build_sink
from recovery.store import readiness

log = logging.getLogger("recovery.daemon")

INBOX_BATCH = 500
DAILY_JOB = "daily_scores"
DIGEST_JOB = "daily_digest"
# Tick fields that say how much was looked at, not that anything changed: a tick with only these is idle.
IDLE_FIELDS = frozenset({"looked", "batches", "claimed"})


def lock_path(ctx: Context, settings: Settings) -> Path | None:
    """``daemon.lock_file``, else ``<database file>.daemon.lock`` on SQLite; None on a server database."""
    if settings.daemon.lock_file is not None:
        return settings.daemon.lock_file
    url = ctx.db.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(f"{url.database}.daemon.lock")
    return None


@contextmanager
def hold_lock(path: Path | None) -> Iterator[None]:
    """Hold an exclusive OS lock on ``path`` for the block; ConflictError naming the holder if taken."""
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise ConflictError(
            f"another recovery daemon (pid {holder}) already runs on this database (lock {path}); "
            "one daemon per SQLite file: stop it first, or use PostgreSQL for several"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)  # the OS also drops it if we are killed
        handle.close()


class Daemon:
    """The long-running process: ``run()`` blocks until SIGTERM or SIGINT, then finishes the job in hand."""

    def __init__(
        self,
        ctx: Context,
        settings: Settings,
        *,
        sink: Sink | None = None,
        webhook: bool = True,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.sink = sink or build_sink(settings, ctx.clock)
        self.webhook = webhook
        self.host = host or settings.webhook.host
        self.port = settings.webhook.port if port is None else port
        self.stopping = threading.Event()
        self.scheduler: Any = None
        self._inbox_wanted = threading.Event()  # a delivery was stored since the applier last found nothing
        self._missing: set[str] = set()
        self.job_metrics = JobMetrics()  # shown on /metrics by the webhook app this process serves
        notify = settings.notify
        self.policy = Policy(notify.max_attempts, clock_duration(notify.backoff).clock())

    def run(self) -> None:
        """Take the lock, start the webhook server and the scheduler; return after a clean stop."""
        with hold_lock(lock_path(self.ctx, self.settings)):
            # Read now what commands read on first need, so a bad workflow file or holiday code stops the start.
            self.ctx.workflows.names  # noqa: B018 - read for its side effect: the files are loaded and checked
            self.ctx.calendar.is_business_day(self.ctx.clock.now().date())
            self.scheduler = self.build_scheduler()
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
            server = self._start_webhook() if self.webhook else None
            tick = self.settings.daemon.tick
            log.info("daemon started pid=%s tick=%s webhook=%s", os.getpid(), tick, server is not None)
            try:
                if not self.stopping.is_set():
                    self.scheduler.start()
            finally:
                self._stop_webhook(server)
                log.info("daemon stopped pid=%s", os.getpid())

    def build_scheduler(self) -> Any:
        """A BlockingScheduler in UTC with the fixed jobs, each first run at once."""
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, EVENT_SCHEDULER_STARTED
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.blocking import BlockingScheduler

        scheduler = BlockingScheduler(
            timezone="UTC",
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(4)},
        )
        functions: dict[str, Callable[[], None]] = {
            "overdue_scan": self.scan_job,
            "outbox_dispatch": self.dispatch_job,
            "inbox_apply": self.inbox_job,
            "reward_run": self.reward_job,
            DAILY_JOB: self.daily_job,
            DIGEST_JOB: self.digest_job,
        }
        first = SystemClock().now()  # APScheduler counts in real time, even under a test clock
        # The daily run is not in schedule(): /healthz watches jobs that tick every interval, and it
        # ticks once a day. Asked every tick, it runs at score_at or, after downtime, at the next tick.
        tick = clock_duration(self.settings.daemon.tick).clock()
        every_tick = {**self.schedule(), DAILY_JOB: tick}
        if self.settings.digest.enabled:  # once a day too, asked every tick: not watched by /healthz either
            every_tick[DIGEST_JOB] = tick
        for job_id, every in every_tick.items():
            seconds = every.total_seconds()
            scheduler.add_job(
                functions[job_id],
                "interval",
                seconds=seconds,
                id=job_id,
                name=job_id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=max(1, int(seconds)),
                next_run_time=first,
            )
        scheduler.add_listener(self._on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        scheduler.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)
        return scheduler

    def schedule(self) -> dict[str, timedelta]:
        """Each job's interval: ``daemon.tick``, and ``daemon.reward_every`` for the reward run."""
        tick = clock_duration(self.settings.daemon.tick).clock()
        rewards = clock_duration(self.settings.daemon.reward_every).clock()
        return {"overdue_scan": tick, "outbox_dispatch": tick, "inbox_apply": tick, "reward_run": rewards}

    def stop(self) -> None:
        """Ask the jobs to stop between batches and the scheduler to shut down once they have."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        if self.scheduler is not None and self.scheduler.running:
            # Not in the signal handler itself: shutdown(wait=True) joins the job threads.
            threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True}, name="shutdown").start()

    def _on_started(self, _event: Any) -> None:
        """A stop asked for while the scheduler was starting (it was not running yet to be told): honour it now."""
        if self.stopping.is_set():
            self.scheduler.shutdown(wait=False)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("stop requested signal=%s", signal.Signals(signum).name)
        self.stop()

    def _on_event(self, event: Any) -> None:
        exception = getattr(event, "exception", None)
        if exception is None:
            log.warning("job missed job=%s scheduled=%s", event.job_id, event.scheduled_run_time.isoformat())
            return
        log.error("job failed job=%s error=%r", event.job_id, exception, exc_info=exception)
        self.job_metrics.failed(event.job_id)

    def scan_job(self) -> None:
        """The overdue scan: warnings, escalations, follow-up reminders, pause caps, the final response."""
        started = perf_counter()
        batch, stop = self.settings.daemon.batch, self.stopping.is_set
        report = sla.scan(self.ctx, batch=batch, stop=stop, on_batch=lambda _report, done: log_actions(done))
        second = reminders.raise_due(self.ctx, batch=self.settings.daemon.batch, stop=self.stopping.is_set)
        self.tick("overdue_scan", started, {**report.summary(), "second_follow_up": second})

    def dispatch_job(self) -> None:
        """Deliver the outbox."""
        started = perf_counter()
        report = dispatch(self.ctx, self.sink, self.policy, stop=self.stopping.is_set)
        self.tick("outbox_dispatch", started, report.summary())

    def inbox_job(self) -> None:
        """Apply the helpdesk events the webhook stored, a batch per transaction, until none is ready."""
        apply_pending = self._optional("recovery.engine.inbox", "apply_pending")
        if apply_pending is None:
            return
        started = perf_counter()
        applied = 0
        while not self.stopping.is_set():
            self._inbox_wanted.clear()
            done = int(apply_pending(self.ctx, limit=INBOX_BATCH))
            applied += done
            if done:
                log.info("inbox batch applied", extra=fields(applied=done, so_far=applied))
            if done == 0 and not self._inbox_wanted.is_set():
                break
        self.tick("inbox_apply", started, {"applied": applied})

    def wake_inbox(self) -> None:
        """Run the inbox job now (the webhook stored a delivery); the tick stays as the safety net."""
        if self._inbox_wanted.is_set():
            return  # already asked for; the running job looks again before it stops
        self._inbox_wanted.set()
        scheduler = self.scheduler
        if scheduler is not None and scheduler.running:
            with contextlib.suppress(LookupError):  # JobLookupError: the job is gone (shutting down)
                scheduler.modify_job("inbox_apply", next_run_time=SystemClock().now())

    def reward_job(self) -> None:
        """The reward run (idempotent: each award has its own key)."""
        run_rewards = self._optional("recovery.engine.rewards", "run_rewards")
        if run_rewards is None:
            return
        started = perf_counter()
        previous: dict[str, Any] = {}

        def log_batch(totals: Any) -> None:
            running = dataclasses.asdict(totals)
            if any(running.values()) and running != previous:  # a batch that decided nothing says nothing
                log.info("reward batch", extra=fields(**running))
                previous.update(running)

        result = run_rewards(self.ctx, stop=self.stopping.is_set, on_batch=log_batch)
        is_record = dataclasses.is_dataclass(result) and not isinstance(result, type)
        done = dataclasses.asdict(result) if is_record else {"result": str(result)}
        self.tick("reward_run", started, done)

    def daily_job(self) -> None:
        """Fit, score and mark the silent defectors once per local day (engine/daily.py claims the day)."""
        started = perf_counter()
        run = run_daily(self.ctx)
        if run.ran:
            self.tick(DAILY_JOB, started, run.summary())

    def digest_job(self) -> None:
        """Queue the morning digest for each lead and manager once their local day's ``[digest] at`` has passed."""
        from recovery.notify.digest import send_digests

        started = perf_counter()
        run = send_digests(self.ctx, at=self.settings.digest.at, dashboard_url=self.settings.dashboard.base_url)
        if run.queued:
            self.tick(DIGEST_JOB, started, {"day": run.day.isoformat(), "queued": run.queued})

    def tick(self, job: str, started: float, done: dict[str, Any]) -> None:
        """Log the tick (at info when it changed something, else debug) and record it as the job's last tick."""
        took = perf_counter() - started
        self.job_metrics.observe(job, took)
        changed = any(isinstance(v, int) and v and k not in IDLE_FIELDS for k, v in done.items())
        log.log(
            logging.INFO if changed else logging.DEBUG,
            "tick",
            extra=fields(job=job, took_ms=round(took * 1000), **done),
        )
        record_tick(self.ctx, job, done)
        # One entry per job for /healthz (each job's staleness), with no host or pid: it is shown to anyone.
        now = self.ctx.clock.now()
        with self.ctx.db.begin() as connection:
            readiness.record_tick(connection, job, {"at": now.isoformat(), "job": job, **done}, now)

    def _optional(self, module: str, attribute: str) -> Any:
        """A function another part provides, or None (logged once) when that part is not installed."""
        try:
            return getattr(importlib.import_module(module), attribute)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise
        except AttributeError:
            pass
        if module not in self._missing:
            self._missing.add(module)
            log.warning("skipped job=%s reason=not-installed", f"{module}:{attribute}")
        return None

    def _start_webhook(self) -> Any:
        create_app = self._optional("recovery.intake.app", "create_app")
        if create_app is None:
            return None
        import uvicorn

        from recovery.intake.serving import server_config

        app = create_app(
            self.ctx,
            self.settings,
            jobs=self.schedule(),
            host=self.host,
            on_stored=self.wake_inbox,
            job_metrics=self.job_metrics,
        )
        server = uvicorn.Server(server_config(app, self.settings.webhook, self.host, self.port, log_config=None))
        thread = threading.Thread(target=_serve, args=(server,), name="webhook", daemon=True)
        thread.start()
        waited = threading.Event()
        for _ in range(200):  # up to 10 s for the socket; uvicorn ends the thread if it cannot bind
            if server.started or not thread.is_alive():
                break
            waited.wait(0.05)
        if not server.started:
            self._stop_webhook((server, thread))
            raise ConfigError(f"webhook: cannot listen on {self.host}:{self.port} (in use? see the log above)")
        log.info("webhook listening host=%s port=%s", self.host, self.port)
        return server, thread

    @staticmethod
    def _stop_webhook(serving: Any) -> None:
        if serving is not None:
            server, thread = serving
            server.should_exit = True
            thread.join(timeout=10)


def _serve(server: Any) -> None:
    """Run the web server in this thread; uvicorn exits the thread (SystemExit) when it cannot bind."""
    try:
        server.run()
    except SystemExit:
        log.error("webhook server could not start")


ACTION_WORDS = {
    "resume": "pause ended",
    "warn": "step deadline near",
    "escalate": "escalated",
    "remind_follow_up": "follow-up due",
    "final_warn": "final response deadline near",
    "final_breach": "final response deadline passed",
}


def log_actions(actions: Sequence[sla.Action]) -> None:
    """One info line per committed scan action: which complaint, what happened, at which level, who was told."""
    for action in actions:
        extra = fields(complaint=action.complaint_id, action=action.kind, state=action.state)
        if action.level is not None:
            extra["fields"]["escalation_level"] = action.level  # not "level": every line's log level is
        extra["fields"]["notified"] = list(action.notify)
        log.info(ACTION_WORDS.get(action.kind, action.kind), extra=extra)
