"""Wiring: settings in, a ready engine Context out. Adapters call this once at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import TYPE_CHECKING

from recovery.clock import Clock, SystemClock
from recovery.config import RetentionSettings, Settings
from recovery.core.durations import Duration, parse_duration
from recovery.core.loyalty import LoyaltyRules
from recovery.core.retention import DEFAULT_PRESCRIPTIONS, Prescription, RetentionRules
from recovery.core.rewards import RewardRules
from recovery.core.winback import WinBackRules
from recovery.engine.context import Context
from recovery.engine.registry import WorkflowRegistry
from recovery.engine.survey_config import SurveyConfig
from recovery.errors import ConfigError
from recovery.store.database import check_current, connect

if TYPE_CHECKING:
    from recovery.core.workflow import Workflow


def build_context(settings: Settings, clock: Clock | None = None, *, check_schema: bool = True) -> Context:
    """Connect, read the workflow files and the calendar; by default insist the schema is current."""
    db = connect(settings.database.url, create=False)  # only `recovery init` makes a database
    try:
        if check_schema:
            check_current(db)
        registry = WorkflowRegistry(lambda: _workflow_files(settings))
    except BaseException:
        db.dispose()  # the caller never gets the engine, so its pooled connection is closed here
        raise
    ctx = Context(
        db=db,
        workflows=registry,
        calendar=settings.calendar.calendar(),
        clock=clock or SystemClock(),
        default_workflow=settings.workflows.default,
    )
    return configure(ctx, settings)


def _workflow_files(settings: Settings) -> dict[str, Workflow]:
    """The current workflow files, read when a command first needs them (YAML costs every other command)."""
    from recovery.workflow_files import load_dir

    return load_dir(settings.workflows.dir)


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
    ctx.retention = retention_rules(settings.retention)
    w = settings.winback
    ctx.surveys = survey_config(settings)
    ctx.winback = WinBackRules(w.workflow, w.open_on_lost, w.open_on_helpdesk_lost, w.open_on_at_risk)
    return ctx


def survey_config(settings: Settings, environ: Mapping[str, str] | None = None) -> SurveyConfig:
    """``[surveys]`` and ``[reasons]`` as the engine reads them; the link secret from the variable named."""
    s = settings.surveys
    env = os.environ if environ is None else environ
    return SurveyConfig(
        directory=s.dir,
        secret=env.get(s.secret_env) or None,
        secret_env=s.secret_env,
        base_url=s.base_url,
        lifetime=_duration(s.token_lifetime, "surveys.token_lifetime").clock(),
        default_language=s.default_language,
        max_answer=s.max_answer,
        follow_up=s.follow_up,
        reasons_file=settings.reasons.file,
        min_confidence=settings.reasons.min_confidence,
    )


def retention_rules(section: RetentionSettings) -> RetentionRules:
    """The ``[retention]`` section as the core's rules; each class's prescription over its default."""
    prescriptions: dict[str, Prescription] = dict(DEFAULT_PRESCRIPTIONS)
    for kind, given in section.prescriptions.items():
        changes = {k: v for k, v in asdict(given).items() if v is not None}
        prescriptions[kind] = replace(prescriptions[kind], **changes)
    for name, prescription in prescriptions.items():
        if prescription.floor > prescription.cap:
            raise ConfigError(
                f"retention.prescriptions.{name}: floor {prescription.floor} is above cap {prescription.cap}"
            )
    return RetentionRules(
        model=section.model,
        horizon_weeks=section.horizon_weeks,
        margin=section.margin,
        monthly_discount=section.monthly_discount,
        score_at=section.score_at,
        loyalty=LoyaltyRules(
            alive_low=section.alive_low,
            loyal_alive=section.loyal_alive,
            loyal_repeat_purchases=section.loyal_repeat_purchases,
            low_score=section.low_score,
            good_score=section.good_score,
        ),
        prescriptions=prescriptions,
        at_risk_alive_below=section.at_risk_alive_below,
        at_risk_top_share=section.at_risk_top_share,
        leave_probability=section.leave_probability,
        leave_window_days=max(1, _duration(section.leave_window, "retention.leave_window").clock().days),
        leave_min_complainants=section.leave_min_complainants,
    )


def _duration(value: str, key: str) -> Duration:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}") from exc
