"""Scoring every customer with the newest fitted model: P(alive), expected purchases and spend, CLV, class.

One run replaces every customer's score in one transaction and keeps each change of class with its
reasons. numpy and scipy are imported here, when a run starts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, select

from recovery.core.loyalty import Evidence, classify
from recovery.core.retention import RetentionRules
from recovery.core.roles import Role
from recovery.engine.context import Context
from recovery.errors import ModelError
from recovery.store.schema import (
    complaints,
    customer_scores,
    customers,
    follow_ups,
    loyalty_history,
    model_fits,
    survey_answers,
)
from recovery.store.sql import insert_many

LOST_LOOKBACK = timedelta(days=365)  # a complaint lost longer ago than this no longer marks the customer
SCORE_COLUMNS = (
    "customer_id",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "clv",
    "loyalty_class",
    "class_reasons",
    "model_fit_id",
    "scored_at",
)
CHANGE_COLUMNS = ("customer_id", "from_class", "to_class", "reasons", "at")


@dataclass
class ScoreRun:
    """What one run did."""

    customers: int = 0
    by_class: dict[str, int] = field(default_factory=dict)
    class_changes: int = 0
    model: str = ""

    def summary(self) -> dict[str, Any]:
        """The run as JSON-ready data."""
        return {
            "customers": self.customers,
            "by_class": dict(sorted(self.by_class.items())),
            "class_changes": self.class_changes,
            "model": self.model,
        }


def score_customers(ctx: Context) -> ScoreRun:
    """Score every customer with the newest fit and ``ctx.retention``; ModelError when nothing is fitted yet."""
    rules = ctx.retention
    now = ctx.clock.now()
    with ctx.db.begin() as connection:
        fit = connection.execute(select(model_fits).order_by(model_fits.c.id.desc()).limit(1)).first()
        if fit is None:
            raise ModelError("no fitted model yet: run `recovery model fit` first")
        numbers = _model_numbers(ctx, fit, rules, now)
        evidence = _evidence(connection, numbers, now)
        run = ScoreRun(model=fit.model)
        _store(connection, evidence, numbers, rules, int(fit.id), now, run)
    return run


def _model_numbers(ctx: Context, fit: Row[Any], rules: RetentionRules, now: datetime) -> dict[int, tuple[float, ...]]:
    """customer id → (repeat purchases, p_alive, expected purchases, expected spend, clv) from the model."""
    import numpy as np

    from recovery.core.purchases import bgnbd, gamma_gamma, pareto_nbd, summarise
    from recovery.core.purchases.value import WEEKS_PER_MONTH, discounted_value
    from recovery.engine.models import purchase_arrays

    customers_, days, amounts = purchase_arrays(ctx)
    summary = summarise(customers_, days, amounts, now.astimezone(ctx.calendar.tz).date())
    if len(summary) == 0:
        return {}
    module: Any = bgnbd if fit.model == "bgnbd" else pareto_nbd
    params = (bgnbd.BGNBDParams if fit.model == "bgnbd" else pareto_nbd.ParetoNBDParams)(**fit.params)
    x, t_x, T = summary.x, summary.t_x, summary.T
    alive = module.p_alive(params, x, t_x, T)
    spend_fit = (fit.spend or {}).get("params")
    if spend_fit:
        spend = gamma_gamma.conditional_expected_spend(gamma_gamma.GammaGammaParams(**spend_fit), x, summary.m_x)
    else:  # no spend model: each customer's own mean, or the population's
        spend = np.where(x > 0, summary.m_x, float(np.mean(amounts)) if amounts.size else 0.0)
    # E[X(T, T + t) | history] = P(alive) × purchases if alive, and only the second depends on t:
    # P(alive), the costly part, is computed once, not once a month of the horizon.
    ahead = alive * module.purchases_if_alive(params, rules.horizon_weeks, x, t_x, T)
    months = max(1, round(rules.horizon_weeks / WEEKS_PER_MONTH))
    if_alive = discounted_value(
        lambda t: module.purchases_if_alive(params, t, x, t_x, T), spend, months, rules.monthly_discount
    )
    clv = rules.margin * alive * if_alive
    ids = summary.customers.astype(np.int64)
    rows = zip(ids.tolist(), x.tolist(), alive.tolist(), ahead.tolist(), spend.tolist(), clv.tolist(), strict=True)
    return {int(c): tuple(values) for c, *values in rows}


def _evidence(connection: Connection, numbers: dict[int, tuple[float, ...]], now: datetime) -> dict[int, Evidence]:
    """Each customer's evidence: the model's numbers, the latest follow-up score, open and lost complaints."""
    previous = dict(connection.execute(select(customer_scores.c.customer_id, customer_scores.c.p_alive)).all())
    latest = _latest_scores(connection)
    nps = _latest_nps(connection)
    open_: dict[int, list[int]] = defaultdict(list)
    lost: dict[int, list[int]] = defaultdict(list)
    for row in connection.execute(
        select(complaints.c.id, complaints.c.customer_id, complaints.c.closed_at, complaints.c.closed_as)
    ):
        if row.closed_at is None:
            open_[row.customer_id].append(row.id)
        elif row.closed_as == Role.DEFECTION and row.closed_at >= now - LOST_LOOKBACK:
            lost[row.customer_id].append(row.id)
    found = {}
    for (customer_id,) in connection.execute(select(customers.c.id)):
        model = numbers.get(customer_id)
        score, complaint = latest.get(customer_id, (None, None))
        found[customer_id] = Evidence(
            p_alive=None if model is None else model[1],
            previous_p_alive=previous.get(customer_id),
            repeat_purchases=None if model is None else int(model[0]),
            latest_score=score,
            scored_complaint=complaint,
            open_complaints=tuple(open_.get(customer_id, ())),
            lost_complaints=tuple(lost.get(customer_id, ())),
            nps=nps.get(customer_id, (None, None))[0],
            nps_survey=nps.get(customer_id, (None, None))[1],
        )
    return found


def _latest_nps(connection: Connection) -> dict[int, tuple[int, str]]:
    """customer id → (their latest NPS answer, its survey)."""
    a = survey_answers.c
    newest = select(func.max(a.id)).where(a.kind == "nps", a.number.is_not(None)).group_by(a.customer_id)
    query = select(a.customer_id, a.number, a.survey).where(a.id.in_(newest.scalar_subquery()))
    return {r.customer_id: (int(r.number), str(r.survey)) for r in connection.execute(query)}


def _latest_scores(connection: Connection) -> dict[int, tuple[int, int]]:
    """customer id → (their latest follow-up score, its complaint)."""
    newest = (
        select(complaints.c.customer_id, func.max(follow_ups.c.id).label("id"))
        .join(follow_ups, follow_ups.c.complaint_id == complaints.c.id)
        .group_by(complaints.c.customer_id)
        .subquery()
    )
    query = select(newest.c.customer_id, follow_ups.c.score, follow_ups.c.complaint_id).join(
        follow_ups, and_(follow_ups.c.id == newest.c.id)
    )
    return {r.customer_id: (r.score, r.complaint_id) for r in connection.execute(query)}


def _store(
    connection: Connection,
    evidence: dict[int, Evidence],
    numbers: dict[int, tuple[float, ...]],
    rules: RetentionRules,
    fit_id: int,
    now: datetime,
    run: ScoreRun,
) -> None:
    before = dict(connection.execute(select(customer_scores.c.customer_id, customer_scores.c.loyalty_class)).all())
    scores: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    for customer_id, facts in evidence.items():
        kind, reasons = classify(facts, rules.loyalty)
        model = numbers.get(customer_id) or (None,) * 5
        scores.append((customer_id, *model[1:], kind.value, list(reasons), fit_id, now))
        if before.get(customer_id) != kind.value:
            changes.append((customer_id, before.get(customer_id), kind.value, list(reasons), now))
        run.by_class[kind.value] = run.by_class.get(kind.value, 0) + 1
    connection.execute(delete(customer_scores))
    insert_many(connection, customer_scores, SCORE_COLUMNS, scores, ignore_duplicates=False)
    insert_many(connection, loyalty_history, CHANGE_COLUMNS, changes, ignore_duplicates=False)
    run.customers = len(scores)
    run.class_changes = len(changes)
