"""Win-back cases on the engine: opened by hand or by a cause exactly once, walked through contact, interview
and offer, won back by a real purchase in the window or gone by timeout with the reasons kept.
Every test runs on a fresh SQLite file and a fresh PostgreSQL schema."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from recovery.clock import SettableClock
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.guards import Compensation
from recovery.core.winback import WinBackRules
from recovery.engine import fire, open_complaint
from recovery.engine.at_risk import mark_at_risk
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.engine.purchases import import_rows
from recovery.engine.sla import scan
from recovery.engine.winback import open_case
from recovery.errors import ConflictError, InvalidInputError, TransitionRefused
from recovery.store.schema import answer_reasons, audit_log, complaints, customer_scores, survey_answers

WORDS = "Honestly the price went up twice this year and Bol.com sells the same for less"


@pytest.fixture
def cy(ctx: Context) -> int:
    """Customer Cy, and Ann (an agent) and Lena (a lead) on the staff."""
    add_staff(ctx, "ann", "Ann", "ann@example.com", "agent")
    add_staff(ctx, "lena", "Lena", "lena@example.com", "lead")
    return add_customer(ctx, "cy@example.com", "Cy")


def case_of(ctx: Context, customer_id: int) -> list[dict[str, Any]]:
    """Every win-back case of the customer, oldest first."""
    query = select(complaints).where(complaints.c.customer_id == customer_id, complaints.c.workflow == "win_back")
    with ctx.read() as connection:
        return [dict(r) for r in connection.execute(query.order_by(complaints.c.id)).mappings()]


def step(ctx: Context, case: int, trigger: str, **fields: Any) -> str:
    """Fire ``trigger`` as Ann; the state it leads to."""
    return fire(ctx, FireTrigger(case, trigger, actor="ann", **fields)).state


def interviewed(ctx: Context, case: int) -> None:
    step(ctx, case, "reach_out")
    step(ctx, case, "hear_out", reasons=("price_or_quality", "competitor_offer"), words=WORDS, language="en")


def bought(ctx: Context, email: str, order: str, day: str) -> None:
    import_rows(ctx, [(1, {"customer": email, "order_id": order, "ordered_at": day, "amount": "40"})], source="shop")


def test_a_case_opened_by_hand_starts_in_the_workflows_initial_step(ctx: Context, cy: int) -> None:
    case = open_case(ctx, cy, by="ann", assignee="ann")
    (row,) = case_of(ctx, cy)
    assert (row["id"], row["state"], row["assignee"], row["closed_at"]) == (case, "to_reach", "ann", None)


def test_a_customer_has_one_open_case_at_a_time(ctx: Context, cy: int) -> None:
    first = open_case(ctx, cy, by="ann")
    with pytest.raises(ConflictError, match=f"already has an open win-back case: {first}"):
        open_case(ctx, cy, by="ann")


def test_the_interview_is_refused_without_a_reason_and_audited_as_refused(ctx: Context, cy: int) -> None:
    case = open_case(ctx, cy, by="ann")
    step(ctx, case, "reach_out")
    with pytest.raises(TransitionRefused, match="needs at least one reason code"):
        step(ctx, case, "hear_out", words=WORDS)
    with ctx.read() as connection:
        outcomes = list(connection.execute(select(audit_log.c.trigger, audit_log.c.outcome).order_by(audit_log.c.id)))
        stored = connection.execute(select(survey_answers)).all()
    assert outcomes[-1] == ("hear_out", "refused")
    assert stored == []


def test_the_interview_is_refused_without_the_customers_words(ctx: Context, cy: int) -> None:
    case = open_case(ctx, cy, by="ann")
    step(ctx, case, "reach_out")
    with pytest.raises(TransitionRefused, match="own words"):
        step(ctx, case, "hear_out", reasons=("price_or_quality",), words="  ")


def test_an_unknown_reason_code_is_named_and_nothing_is_audited(ctx: Context, cy: int) -> None:
    case = open_case(ctx, cy, by="ann")
    step(ctx, case, "reach_out")
    with pytest.raises(InvalidInputError, match="unknown 'pricey'; known: price_or_quality"):
        step(ctx, case, "hear_out", reasons=("pricey",), words=WORDS)
    with ctx.read() as connection:
        triggers = list(connection.execute(select(audit_log.c.trigger).where(audit_log.c.complaint_id == case)))
    assert [t for (t,) in triggers] == ["open", "reach_out"]


def test_the_interview_keeps_the_words_with_the_interviewers_codes_and_the_rules_beside_them(
    ctx: Context, cy: int
) -> None:
    case = open_case(ctx, cy, by="ann")
    interviewed(ctx, case)
    with ctx.read() as connection:
        (answer,) = connection.execute(select(survey_answers)).mappings().all()
        codes = connection.execute(select(answer_reasons.c.reason, answer_reasons.c.coded_by)).all()
    assert (answer["complaint_id"], answer["text"], answer["source"], answer["coding"]) == (
        case,
        WORDS,
        "interview",
        "person",
    )
    assert (answer["survey"], answer["question"], answer["recorded_by"]) == ("win_back", "why_stopped", "ann")
    assert {("price_or_quality", "ann"), ("competitor_offer", "ann")} <= set(codes)
    assert all(by in {"ann", "rules"} for _, by in codes)


def test_the_offer_records_a_compensation_within_the_customers_budget(ctx: Context, cy: int) -> None:
    case = open_case(ctx, cy, by="ann")
    interviewed(ctx, case)
    state = step(ctx, case, "make_offer", compensation=Compensation("discount", Decimal("15")))
    assert state == "offer_made"


def test_an_offer_above_the_budget_is_refused_without_a_leads_approval(ctx: Context, cy: int) -> None:
    case = open_case(ctx, cy, by="ann")
    interviewed(ctx, case)
    with pytest.raises(TransitionRefused, match="budget"):
        step(ctx, case, "make_offer", compensation=Compensation("refund", Decimal("5000")))


def test_a_purchase_in_the_window_wins_the_customer_back(ctx: Context, cy: int, clock: SettableClock) -> None:
    case = open_case(ctx, cy, by="ann")
    interviewed(ctx, case)
    step(ctx, case, "make_offer", compensation=Compensation("discount", Decimal("15")))
    clock.advance(timedelta(days=10))
    report = import_rows(
        ctx, [(1, {"customer": "cy@example.com", "order_id": "o-1", "ordered_at": "2026-12-04", "amount": "40"})]
    )
    (row,) = case_of(ctx, cy)
    assert (row["state"], row["closed_as"], report.won_back) == ("won_back", "repurchase", 1)
    with ctx.read() as connection:
        last = connection.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(1)).mappings().one()
    assert (last["trigger"], last["actor"]) == ("bought_again", "system")


def test_a_purchase_from_before_the_case_opened_wins_nobody_back(ctx: Context, cy: int) -> None:
    open_case(ctx, cy, by="ann")
    bought(ctx, "cy@example.com", "o-old", "2026-10-01")
    (row,) = case_of(ctx, cy)
    assert row["state"] == "to_reach"


def test_without_a_purchase_the_offer_times_out_to_gone_and_the_reasons_are_kept(
    ctx: Context, cy: int, clock: SettableClock
) -> None:
    case = open_case(ctx, cy, by="ann")
    interviewed(ctx, case)
    step(ctx, case, "make_offer", compensation=Compensation("gesture", Decimal("0")))
    clock.advance(timedelta(days=61))
    report = scan(ctx)
    (row,) = case_of(ctx, cy)
    assert (row["state"], row["closed_as"], report.counts["timeout"]) == ("gone", "defection", 1)
    with ctx.read() as connection:
        kept = {
            r for (r,) in connection.execute(select(answer_reasons.c.reason).where(answer_reasons.c.coded_by == "ann"))
        }
    assert kept == {"price_or_quality", "competitor_offer"}


def test_the_timeout_counts_from_the_deadline_not_from_when_the_scan_ran(
    ctx: Context, cy: int, clock: SettableClock
) -> None:
    case = open_case(ctx, cy, by="ann")
    interviewed(ctx, case)
    step(ctx, case, "make_offer", compensation=Compensation("gesture", Decimal("0")))
    offered_at = clock.now()
    clock.advance(timedelta(days=90))  # the daemon was down for a month
    scan(ctx)
    with ctx.read() as connection:
        at = connection.execute(select(audit_log.c.at).where(audit_log.c.trigger == "give_up")).scalar_one()
    assert at == offered_at + timedelta(days=60)


def test_a_complaint_ending_lost_opens_one_win_back_case(ctx: Context, cy: int) -> None:
    complaint = open_complaint(ctx, OpenComplaint(cy, "broken chair", assignee="ann", actor="ann"))
    fire(ctx, FireTrigger(complaint, "defect", actor="ann"))
    (row,) = case_of(ctx, cy)
    assert (row["open_key"], row["assignee"], row["state"]) == (f"winback:lost:{complaint}", "ann", "to_reach")


def test_no_case_opens_on_a_lost_complaint_when_switched_off(ctx: Context, cy: int) -> None:
    ctx.winback = WinBackRules(open_on_lost=False)
    complaint = open_complaint(ctx, OpenComplaint(cy, "broken chair", actor="ann"))
    fire(ctx, FireTrigger(complaint, "defect", actor="ann"))
    assert case_of(ctx, cy) == []


def test_a_case_ending_gone_opens_no_further_case(ctx: Context, cy: int) -> None:
    case = open_case(ctx, cy, by="ann")
    step(ctx, case, "give_up")
    assert [r["state"] for r in case_of(ctx, cy)] == ["gone"]


def test_a_second_lost_complaint_while_a_case_is_open_opens_no_second_case(ctx: Context, cy: int) -> None:
    for summary in ("broken chair", "late table"):
        complaint = open_complaint(ctx, OpenComplaint(cy, summary, actor="ann"))
        fire(ctx, FireTrigger(complaint, "defect", actor="ann"))
    assert len(case_of(ctx, cy)) == 1


def scored_at_risk(ctx: Context, customer_id: int) -> None:
    row = {
        "customer_id": customer_id,
        "p_alive": 0.2,
        "clv": 900.0,
        "loyalty_class": "satisfied",
        "class_reasons": [],
        "model_fit_id": None,
        "scored_at": ctx.clock.now(),
    }
    with ctx.db.begin() as connection:
        connection.execute(delete(customer_scores))
        connection.execute(insert(customer_scores), [row])


def test_a_valuable_customer_marked_at_risk_gets_one_case_however_often_the_run_repeats(ctx: Context, cy: int) -> None:
    bought(ctx, "cy@example.com", "o-1", "2026-01-10")
    scored_at_risk(ctx, cy)
    first, second = mark_at_risk(ctx), mark_at_risk(ctx)
    (row,) = case_of(ctx, cy)
    assert (first.cases, second.cases) == (1, 0)
    assert row["open_key"].startswith(f"winback:at_risk:{cy}:")


def test_no_case_opens_for_an_at_risk_customer_when_switched_off(ctx: Context, cy: int) -> None:
    ctx.winback = dataclasses.replace(ctx.winback, open_on_at_risk=False)
    bought(ctx, "cy@example.com", "o-1", "2026-01-10")
    scored_at_risk(ctx, cy)
    assert mark_at_risk(ctx).marked == 1
    assert case_of(ctx, cy) == []
