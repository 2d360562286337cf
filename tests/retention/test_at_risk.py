"""Silent defectors: a valuable customer whose P(alive) fell, with no open case, is marked and their owner told,
exactly once per fall, re-armed by a purchase."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from recovery.clock import SettableClock
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.engine import fire, open_complaint
from recovery.engine.at_risk import AtRiskRun, clv_cutoff, mark_at_risk
from recovery.engine.context import Context
from recovery.engine.customer_queries import customer_detail, list_customers
from recovery.engine.people import add_customer, add_staff, find_customer
from recovery.engine.purchases import import_rows
from recovery.store.schema import customer_scores, customers_at_risk, outbox


def bought(ctx: Context, email: str, *days: str) -> None:
    """``email`` bought 20 on each of ``days`` (YYYY-MM-DD, the business's local days)."""
    rows = [
        (n, {"customer": email, "order_id": f"{email}-{day}", "ordered_at": day, "amount": "20"})
        for n, day in enumerate(days, 1)
    ]
    import_rows(ctx, rows, source="shop")


def scored(ctx: Context, scores: dict[int, tuple[float, float]]) -> None:
    """Every customer's score replaced by ``customer id → (p_alive, clv)``, as a scoring run would."""
    now = ctx.clock.now()
    rows = [
        {
            "customer_id": customer_id,
            "p_alive": p_alive,
            "clv": clv,
            "loyalty_class": "satisfied",
            "class_reasons": [],
            "model_fit_id": None,
            "scored_at": now,
        }
        for customer_id, (p_alive, clv) in scores.items()
    ]
    with ctx.db.begin() as connection:
        connection.execute(delete(customer_scores))
        connection.execute(insert(customer_scores), rows)


def notices(ctx: Context) -> list[Any]:
    with ctx.read() as connection:
        query = select(outbox.c.recipient, outbox.c.payload).where(outbox.c.topic == "customer.at_risk")
        return list(connection.execute(query.order_by(outbox.c.id)))


def marks(ctx: Context) -> dict[int, Any]:
    with ctx.read() as connection:
        return {row.customer_id: row for row in connection.execute(select(customers_at_risk))}


@pytest.fixture
def cy(ctx: Context) -> int:
    """Customer Cy, who bought three times up to 2 March 2026, and two leads and an agent on the staff."""
    add_staff(ctx, "ann", "Ann", "ann@example.com", "agent")
    add_staff(ctx, "lena", "Lena", "lena@example.com", "lead")
    add_staff(ctx, "leo", "Leo", None, "lead")
    customer = add_customer(ctx, "cy@example.com", "Cy")
    bought(ctx, "cy@example.com", "2025-11-02", "2026-01-10", "2026-03-02")
    return customer


def test_a_valuable_silent_customer_is_marked_and_told_to_the_leads_when_nobody_owns_them(
    ctx: Context, cy: int
) -> None:
    scored(ctx, {cy: (0.31, 480.0)})

    run = mark_at_risk(ctx)

    assert run == AtRiskRun(marked=1, rearmed=0, notices=2, cases=1)  # and a win-back case opens
    assert [n.recipient for n in notices(ctx)] == ["lena", "leo"]
    payload = notices(ctx)[0].payload
    assert payload["reason"] == "bought 3 times, last on 2026-03-02; P(alive) fell to 0.31"
    assert (payload["customer_id"], payload["clv"], payload["p_alive"], payload["email"]) == (
        cy,
        480.0,
        0.31,
        "lena@example.com",
    )
    mark = marks(ctx)[cy]
    assert (mark.marked_at, mark.cleared_at, mark.p_alive) == (ctx.clock.now(), None, 0.31)
    assert mark.last_purchase_at.date().isoformat() == "2026-03-01"  # local midnight in Amsterdam, in UTC


def test_the_owner_is_the_assignee_of_their_most_recent_complaint(ctx: Context, cy: int) -> None:
    ctx.winback = dataclasses.replace(ctx.winback, open_on_lost=False)  # a lost complaint's case would be open
    older = open_complaint(ctx, OpenComplaint(cy, "late parcel", assignee="lena"))
    fire(ctx, FireTrigger(older, "defect"))
    ctx.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    newer = open_complaint(ctx, OpenComplaint(cy, "wrong size", assignee="ann"))
    fire(ctx, FireTrigger(newer, "defect"))
    scored(ctx, {cy: (0.31, 480.0)})

    mark_at_risk(ctx)

    assert [(n.recipient, n.payload["email"]) for n in notices(ctx)] == [("ann", "ann@example.com")]


def test_a_second_run_marks_and_tells_nobody_again(ctx: Context, cy: int, clock: SettableClock) -> None:
    scored(ctx, {cy: (0.31, 480.0)})
    mark_at_risk(ctx)
    clock.advance(timedelta(days=1))
    scored(ctx, {cy: (0.25, 470.0)})  # still falling: the same fall

    again = mark_at_risk(ctx)

    assert again == AtRiskRun()
    assert len(notices(ctx)) == 2
    assert marks(ctx)[cy].p_alive == 0.31  # the mark keeps the moment of the fall


def test_a_purchase_rearms_the_mark_and_the_next_fall_notifies_again(
    ctx: Context, cy: int, clock: SettableClock
) -> None:
    ctx.winback = dataclasses.replace(ctx.winback, open_on_at_risk=False)  # an open case would prevent the mark
    scored(ctx, {cy: (0.31, 480.0)})
    mark_at_risk(ctx)
    bought(ctx, "cy@example.com", "2026-11-20")
    clock.advance(timedelta(days=1))

    rearmed = mark_at_risk(ctx)  # the scores have not seen the purchase yet: no new fall in the same run

    assert rearmed == AtRiskRun(rearmed=1)
    assert marks(ctx)[cy].cleared_at == clock.now()
    assert list_customers(ctx, at_risk=True) == []

    clock.advance(timedelta(days=90))
    scored(ctx, {cy: (0.2, 300.0)})
    fell_again = mark_at_risk(ctx)

    assert fell_again == AtRiskRun(marked=1, notices=2)
    assert len(notices(ctx)) == 4
    mark = marks(ctx)[cy]
    assert (mark.marked_at, mark.cleared_at, mark.p_alive) == (clock.now(), None, 0.2)
    assert notices(ctx)[-1].payload["reason"] == "bought 4 times, last on 2026-11-20; P(alive) fell to 0.20"


def test_an_open_complaint_prevents_the_mark(ctx: Context, cy: int) -> None:
    open_complaint(ctx, OpenComplaint(cy, "late parcel", assignee="ann"))
    scored(ctx, {cy: (0.31, 480.0)})

    assert mark_at_risk(ctx) == AtRiskRun()
    assert notices(ctx) == []


def test_p_alive_at_the_threshold_is_not_below_it(ctx: Context, cy: int) -> None:
    ctx.retention = dataclasses.replace(ctx.retention, at_risk_alive_below=0.5)
    scored(ctx, {cy: (0.5, 480.0)})

    assert mark_at_risk(ctx).marked == 0


def ten_customers(ctx: Context) -> list[int]:
    ids = [add_customer(ctx, f"c{n}@example.com") for n in range(10)]
    for n in range(10):
        bought(ctx, f"c{n}@example.com", "2026-01-05")
    return ids


@pytest.mark.parametrize(
    ("share", "cutoff"),
    [
        pytest.param(0.2, 90.0, id="0.2-of-10-is-the-top-2"),
        pytest.param(0.3, 80.0, id="0.3-of-10-is-3-not-4"),  # 0.3 x 10 is 3.0000000000000004 in floating point
        pytest.param(0.25, 80.0, id="a-part-customer-rounds-up"),
        pytest.param(1.0, 10.0, id="everyone"),
        pytest.param(0.0, None, id="nobody"),
    ],
)
def test_the_top_share_is_the_first_ceil_share_times_n_by_clv(ctx: Context, share: float, cutoff: float | None) -> None:
    ids = ten_customers(ctx)
    scored(ctx, {customer: (0.1, 10.0 * (n + 1)) for n, customer in enumerate(ids)})
    with ctx.read() as connection:
        assert clv_cutoff(connection, share) == cutoff


def test_every_customer_tied_at_the_boundary_is_in_the_top_share(ctx: Context) -> None:
    ids = ten_customers(ctx)
    values = [100.0, 90.0, 90.0, 90.0, 50.0, 40.0, 30.0, 20.0, 10.0, 5.0]
    scored(ctx, dict(zip(ids, [(0.1, v) for v in values], strict=True)))

    run = mark_at_risk(ctx)  # the top 20% of 10 is 2 customers, but the second's CLV is shared by two more

    assert run.marked == 4
    assert sorted(marks(ctx)) == ids[:4]


def test_a_customer_worth_nothing_is_not_marked(ctx: Context, cy: int) -> None:
    scored(ctx, {cy: (0.1, 0.0)})

    assert mark_at_risk(ctx).marked == 0


def test_the_at_risk_list_shows_only_marked_customers_by_clv_and_show_says_since_when(ctx: Context) -> None:
    ids = ten_customers(ctx)
    ctx.retention = dataclasses.replace(ctx.retention, at_risk_top_share=0.5)
    # Five in the top half; of them c6 is alive and c9 … c7 are not. c0 … c4 are below the share.
    scored(ctx, {customer: (0.9 if n == 6 else 0.1, 10.0 * (n + 1)) for n, customer in enumerate(ids)})
    mark_at_risk(ctx)

    listed = list_customers(ctx, at_risk=True)

    assert [c["email"] for c in listed] == ["c9@example.com", "c8@example.com", "c7@example.com", "c5@example.com"]
    assert {(c["at_risk"], c["at_risk_since"]) for c in listed} == {(True, "2026-11-25T09:00:00Z")}
    with ctx.read() as connection:
        marked = customer_detail(connection, find_customer(connection, ids[9]))
        alive = customer_detail(connection, find_customer(connection, ids[6]))
    assert (marked["at_risk"], marked["at_risk_since"]) == (True, "2026-11-25T09:00:00Z")
    assert (alive["at_risk"], alive["at_risk_since"]) == (False, None)


def test_concurrent_runs_mark_and_notify_each_customer_once(ctx: Context) -> None:
    add_staff(ctx, "lena", "Lena", "lena@example.com", "lead")
    ids = [add_customer(ctx, f"c{n}@example.com") for n in range(40)]
    for n in range(40):
        bought(ctx, f"c{n}@example.com", "2026-01-05")
    ctx.retention = dataclasses.replace(ctx.retention, at_risk_top_share=1.0)
    scored(ctx, {customer: (0.1, 100.0 + n) for n, customer in enumerate(ids)})
    start = threading.Barrier(2)
    runs: list[AtRiskRun] = []
    errors: list[BaseException] = []

    def one_run() -> None:
        start.wait()
        try:
            runs.append(mark_at_risk(ctx))  # each thread takes its own pooled connection
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(run.marked for run in runs) == 40
    assert sorted(n.payload["customer_id"] for n in notices(ctx)) == ids
