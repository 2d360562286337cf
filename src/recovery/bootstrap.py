"""Wiring: settings in, a ready engine Context out. Adapters call this once at start."""

from __future__ import annotations

from recovery.clock import Clock, SystemClock
from recovery.config import Settings
from recovery.core.durations import Duration, parse_duration
from recovery.core.rewards import RewardRules
from recovery.engine.context import Context
from recovery.engine.registry import WorkflowRegistry
from recovery.errors import ConfigError
from recovery.store.database import check_current, connect
from recovery.workflow_files import load_dir


def build_context(settings: Settings, clock: Clock | None = None, *, check_schema: bool = True) -> Context:
    """Connect, read the workflow files and the calendar; by default insist the schema is current."""
    db = connect(settings.database.url)
    if check_schema:
        check_current(db)
    registry = WorkflowRegistry(load_dir(settings.workflows.dir))
    ctx = Context(
        db=db,
        workflows=registry,
        calendar=settings.calendar.calendar(),
        clock=clock or SystemClock(),
        default_workflow=settings.workflows.default,
    )
    return configure(ctx, settings)


def configure(ctx: Context, settings: Settings) -> Context:
    """Give ``ctx`` the engine's settings, typed; ConfigError names a bad key."""
    rewards = settings.rewards
    ctx.reorder_window = _duration(settings.webhook.reorder_window, "webhook.reorder_window").clock()
    ctx.rewards = RewardRules(
        confirm_window=_duration(rewards.confirm_window, "rewards.confirm_window"),
        points_confirmed_flag=rewards.points_confirmed_flag,
        points_recovered_customer=rewards.points_recovered_customer,
        cap_per_period=rewards.cap_per_period,
        low_score=rewards.low_score,
    )
    return ctx


def _duration(value: str, key: str) -> Duration:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}") from exc
