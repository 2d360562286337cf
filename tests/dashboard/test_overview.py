"""The dashboard's engine reads on SQLite and PostgreSQL: the overview, the win-back pipeline, sign-in links.

Every figure is worked out by hand from the complaints each test opens; the clock is moved, never slept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from recovery.clock import SettableClock
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.engine.complaints import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.overview import overview
from recovery.engine.people import add_customer, add_staff
from recovery.engine.pipeline import winback_pipeline
from recovery.engine.sla import scan
from recovery.engine.winback import open_case
from recovery.store.schema import customer_scores

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday 10:00 in Amsterdam (the conftest clock)
HOUR = timedelta(hours=1)


@pytest.fixture
def team(ctx: Context) -> Context:
    add_staff(ctx, "ann", "Ann Agent", "ann@example.com")
    add_staff(ctx, "bob", "Bob Agent", "bob@example.com")
    add_staff(ctx, "lea", "Lea Lead", "lea@example.com", role="lead")
    return ctx


def complain(ctx: Context, name: str, assignee: str | None, summary: str = "cold soup", **extra: object) -> int:
    customer = add_customer(ctx, f"{name}@example.com", name.title())
    return open_complaint(ctx, OpenComplaint(customer, summary, assignee=assignee, **extra))  # type: ignore[arg-type]


def score(ctx: Context, complaint_customer: int, clv: float) -> None:
    with ctx.db.begin() as connection:
        connection.execute(
            insert(customer_scores).values(
                customer_id=complaint_customer,
                p_alive=0.9,
                clv=clv,
                loyalty_class="satisfied",
                class_reasons=[],
                scored_at=T0,
            )
        )


def test_an_empty_database_has_an_empty_overview(team: Context) -> None:
    seen = overview(team, None)
    assert seen["open"] == seen["overdue"] == seen["escalated"] == seen["arrivals_today"] == 0
    assert seen["by_step"] == seen["attention"] == seen["arrivals"] == []
    assert seen["revenue_at_risk"] == 0.0
    assert seen["now"] == "2026-11-25T09:00:00Z"
    assert seen["day_started_at"] == "2026-11-24T23:00:00Z"  # midnight in Amsterdam (UTC+1)


def test_the_overview_counts_by_step_with_time_left(team: Context, clock: SettableClock) -> None:
    first = complain(team, "jo", "ann")  # received at 10:00: its 4 business hours end at 14:00 (13:00 UTC)
    clock.set(T0 + HOUR)
    second = complain(team, "kim", "bob", severity="high")  # received at 11:00, high: 2bh, due 13:00 (12:00 UTC)
    fire(team, FireTrigger(second, "apologize", actor="bob"))  # apologized at 11:00, high: due 13:00
    complain(team, "lou", None)  # received at 11:00: due 15:00 (14:00 UTC)
    seen = overview(team, None)
    assert seen["open"] == 3
    assert [(r["workflow"], r["state"], r["open"]) for r in seen["by_step"]] == [
        ("standard", "received", 2),
        ("standard", "apologized", 1),
    ]
    received = seen["by_step"][0]
    assert received["next_deadline"] == "2026-11-25T13:00:00Z"  # the first complaint's, the sooner
    assert received["seconds_left"] == 3 * 3600  # the clock stands at 10:00 UTC
    assert seen["by_step"][1]["next_deadline"] == "2026-11-25T12:00:00Z"
    assert seen["arrivals_today"] == 3
    assert [a["id"] for a in seen["arrivals"]] == [first + 2, second, first]
    assert seen["overdue"] == seen["escalated"] == 0


def test_overdue_and_escalated_now_are_listed_most_urgent_first(team: Context, clock: SettableClock) -> None:
    late = complain(team, "jo", "ann", summary="<script>alert(1)</script>")
    clock.set(T0 + 3 * HOUR)
    later = complain(team, "kim", "bob")  # due 17:00 local (16:00 UTC): not overdue at 14:00 UTC
    clock.set(T0 + 5 * HOUR)  # 15:00 local: the first is an hour past its 14:00 deadline
    seen = overview(team, None)
    assert seen["overdue"] == 1
    assert seen["escalated"] == 0
    assert [row["id"] for row in seen["attention"]] == [late]
    assert seen["attention"][0]["summary"] == "<script>alert(1)</script>"  # as written: escaping is the page's
    assert seen["by_step"][0]["seconds_left"] == -3600
    scan(team)  # the daemon's tick: level 1 for the late one
    seen = overview(team, None)
    assert (seen["overdue"], seen["escalated"]) == (1, 1)
    assert seen["attention"][0]["escalation_level"] == 1
    assert later not in [row["id"] for row in seen["attention"]]


def test_an_agent_sees_only_their_own_complaints(team: Context, clock: SettableClock) -> None:
    mine = complain(team, "jo", "ann")
    complain(team, "kim", "bob")
    complain(team, "lou", None)
    clock.set(T0 + 5 * HOUR)
    ann = overview(team, "ann")
    assert (ann["staff_id"], ann["open"], ann["overdue"], ann["arrivals_today"]) == ("ann", 1, 1, 1)
    assert [row["id"] for row in ann["attention"]] == [mine]
    assert [row["id"] for row in ann["arrivals"]] == [mine]
    everyone = overview(team, None)
    assert (everyone["open"], everyone["overdue"]) == (3, 3)


def test_revenue_at_risk_counts_each_customer_once_and_names_the_unscored(team: Context) -> None:
    customer = add_customer(team, "jo@example.com", "Jo")
    open_complaint(team, OpenComplaint(customer, "cold soup", assignee="ann"))
    open_complaint(team, OpenComplaint(customer, "and late", assignee="ann"))
    complain(team, "kim", "bob")  # no score: unscored
    score(team, customer, 400.0)
    seen = overview(team, None)
    # No complaint has ended yet: the leave probability is the configured default, 0.5.
    assert seen["revenue_at_risk"] == 200.0
    assert seen["revenue_at_risk_unscored"] == 1
    assert overview(team, "bob")["revenue_at_risk"] == 0.0


def test_yesterdays_complaints_are_not_todays_arrivals(team: Context, clock: SettableClock) -> None:
    clock.set(T0 - 11 * HOUR)  # the 24th, 23:00 in Amsterdam: yesterday
    complain(team, "jo", "ann")
    clock.set(T0 - 10 * HOUR)  # the 25th, 00:00 in Amsterdam (23:00 UTC on the 24th): today
    midnight = complain(team, "kim", "ann")
    clock.set(T0)
    assert overview(team, None)["arrivals_today"] == 1
    assert [row["id"] for row in overview(team, None)["arrivals"]] == [midnight]


def test_the_winback_pipeline_counts_cases_by_step(team: Context) -> None:
    jo = add_customer(team, "jo@example.com", "Jo")
    kim = add_customer(team, "kim@example.com", "Kim")
    lou = add_customer(team, "lou@example.com", "Lou")
    first = open_case(team, jo, by="lea", assignee="ann")
    open_case(team, kim, by="lea", assignee="bob")
    gone = open_case(team, lou, by="lea", assignee="ann")
    fire(team, FireTrigger(first, "reach_out", actor="ann"))
    fire(team, FireTrigger(gone, "give_up", actor="ann"))
    seen = winback_pipeline(team, None)
    assert [(s["state"], s["cases"], s["open"]) for s in seen["steps"]] == [
        ("to_reach", 1, True),
        ("reached", 1, True),
        ("gone", 1, False),
    ]
    assert (seen["open"], seen["won"], seen["not_won"], seen["cases"]) == (2, 0, 1, 3)
    ann = winback_pipeline(team, "ann")
    assert (ann["open"], ann["not_won"], ann["cases"]) == (1, 1, 2)


def test_revenue_at_risk_leaves_out_win_back_cases(team: Context) -> None:
    customer = add_customer(team, "jo@example.com", "Jo")
    open_case(team, customer, by="lea", assignee="ann")
    score(team, customer, 400.0)
    seen = overview(team, None)
    assert seen["open"] == 1  # the case is open work, counted by its step
    assert (seen["revenue_at_risk"], seen["revenue_at_risk_unscored"]) == (0.0, 0)
