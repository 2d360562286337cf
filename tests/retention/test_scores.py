"""Scoring every customer with the newest fit: P(alive) and CLV from the model, a class with its reasons."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from recovery.clock import SettableClock
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.guards import Compensation
from recovery.core.purchases import bgnbd, summarise
from recovery.engine import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.customer_queries import list_customers
from recovery.engine.models import fit
from recovery.engine.purchases import import_rows
from recovery.engine.scores import score_customers
from recovery.errors import ModelError
from recovery.store.schema import customer_scores, loyalty_history

DATA = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"
UNTIL = date(1997, 9, 30)


def cdnow_rows() -> list[tuple[int, dict[str, str]]]:
    lines = [line.split() for line in DATA.read_text().splitlines() if line.strip()]
    return [
        (n, {"customer": f[1], "order_id": f"{f[1]}-{n}", "ordered_at": f[2], "amount": f[4]})
        for n, f in enumerate(lines, start=1)
    ]


@pytest.fixture
def scored(ctx: Context, clock: SettableClock) -> Context:
    """CDNOW imported, fitted until 1997-09-30 and scored as of that day (calendar in UTC)."""
    ctx.calendar = type(ctx.calendar)()  # UTC, so a purchase day is the day in the file
    clock.set(datetime(1997, 9, 30, 12, tzinfo=UTC))
    import_rows(ctx, cdnow_rows(), source="cdnow")
    fit(ctx, UNTIL, "bgnbd")
    score_customers(ctx)
    return ctx


def test_scoring_before_any_fit_says_to_fit_first(ctx: Context) -> None:
    with pytest.raises(ModelError, match="run `recovery model fit` first"):
        score_customers(ctx)


def test_p_alive_is_the_fitted_models_for_each_customer(scored: Context) -> None:
    with scored.read() as connection:
        stored = dict(connection.execute(select(customer_scores.c.customer_id, customer_scores.c.p_alive)).all())
    rows = cdnow_rows()
    summary = summarise(
        [int(r["customer"]) for _, r in rows],
        [datetime.strptime(r["ordered_at"], "%Y%m%d").date() for _, r in rows],
        [float(r["amount"]) for _, r in rows],
        UNTIL,
    )
    with scored.read() as connection:
        fitted = connection.execute(select(customer_scores.c.model_fit_id)).scalar()
    assert fitted is not None
    # Customer ids were assigned in the order the file first names them: sample ids 1, 2, 3 …
    params = bgnbd.BGNBDParams(**_fitted_params(scored))
    expected = bgnbd.p_alive(params, summary.x, summary.t_x, summary.T)
    assert len(stored) == 2357
    assert all(abs(stored[i + 1] - expected[i]) < 1e-9 for i in range(2357))


def _fitted_params(ctx: Context) -> dict[str, float]:
    from recovery.store.schema import model_fits

    with ctx.read() as connection:
        return dict(connection.execute(select(model_fits.c.params)).scalar_one())


def test_a_one_time_buyer_is_satisfied_and_alive_by_bgnbd(scored: Context) -> None:
    # BG/NBD gives every customer without a repeat purchase P(alive) = 1: satisfied, never loyal.
    one_timers = [c for c in list_customers(scored, limit=3000) if c["class_reasons"][0] == "0 repeat purchases"]
    assert len(one_timers) == 1411  # the published sample's 1,411 customers with no repeat by week 39
    assert {c["loyalty_class"] for c in one_timers} == {"satisfied"}
    assert {tuple(c["class_reasons"]) for c in one_timers} == {("0 repeat purchases", "p_alive 1.00")}


def test_the_highest_clv_comes_first_when_sorted_by_it(scored: Context) -> None:
    top = list_customers(scored, limit=5, sort="clv")
    values = [c["clv"] for c in top]
    assert values == sorted(values, reverse=True)
    assert values[0] > 100


def test_a_low_follow_up_score_moves_a_customer_to_dissatisfied_with_the_reason_kept(
    scored: Context, clock: SettableClock
) -> None:
    complaint = open_complaint(scored, OpenComplaint(1, "the CD arrived scratched"))
    for trigger in ("apologize", "act", "empathize"):
        fire(scored, FireTrigger(complaint, trigger))
    fire(scored, FireTrigger(complaint, "compensate", compensation=Compensation("discount", Decimal(5))))
    fire(scored, FireTrigger(complaint, "follow_up", score=2))

    score_customers(scored)

    (one,) = [c for c in list_customers(scored, limit=3000, loyalty_class="dissatisfied") if c["id"] == 1]
    assert one["class_reasons"][0] == f"follow-up score 2 on complaint {complaint}"
    assert f"complaint {complaint} is open" in one["class_reasons"]
    with scored.read() as connection:
        moves = connection.execute(
            select(loyalty_history.c.from_class, loyalty_history.c.to_class).where(loyalty_history.c.customer_id == 1)
        ).all()
    assert moves[-1].to_class == "dissatisfied"
    assert moves[-1].from_class != "dissatisfied"


def test_scoring_twice_without_news_changes_no_class(scored: Context) -> None:
    assert score_customers(scored).class_changes == 0
