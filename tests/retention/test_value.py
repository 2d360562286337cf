"""Revenue at risk and the value report on small data sets whose figures are worked out by hand here."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from recovery.cli.main import main
from recovery.clock import SettableClock
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.guards import Compensation
from recovery.engine import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer
from recovery.engine.purchases import import_rows
from recovery.engine.queries import get_complaint, status
from recovery.engine.value import value_report
from recovery.store.schema import customer_scores, customers

ROOT = Path(__file__).resolve().parents[2]
DAY = timedelta(days=1)
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # where the conftest clock stands: "now" in every figure
RESOLVE = ("apologize", "act", "empathize", "compensate", "follow_up", "resolve")


def customer(ctx: Context, name: str) -> int:
    return add_customer(ctx, f"{name}@example.com", name)


def id_of(ctx: Context, name: str) -> int:
    with ctx.read() as connection:
        return int(connection.execute(select(customers.c.id).where(customers.c.name == name)).scalar_one())


def bought(ctx: Context, name: str, days_ago: int, amount: str) -> None:
    """A purchase (a refund when negative) ``days_ago`` days before T0, in the feed as the shop sends it."""
    at = (T0 - days_ago * DAY).isoformat()
    order = f"{name}-{days_ago}-{amount}"
    import_rows(ctx, [(2, {"customer": f"{name}@example.com", "order_id": order, "ordered_at": at, "amount": amount})])


def complained(
    ctx: Context, clock: SettableClock, who: int, opened: int, closed: int | None = None, how: str = ""
) -> int:
    """A complaint opened ``opened`` days before T0, closed ``closed`` days before by ``how``: defect, withdraw or
    the five steps to resolve."""
    clock.set(T0 - opened * DAY)
    complaint = open_complaint(ctx, OpenComplaint(who, "the order came late"))
    if closed is not None:
        clock.set(T0 - closed * DAY)
        for trigger in RESOLVE if how == "resolve" else (how,):
            fire(ctx, _fired(complaint, trigger))
    clock.set(T0)
    return complaint


def _fired(complaint: int, trigger: str) -> FireTrigger:
    if trigger == "compensate":
        return FireTrigger(complaint, trigger, compensation=Compensation("gift", Decimal(5)))
    if trigger == "follow_up":
        return FireTrigger(complaint, trigger, score=5)
    return FireTrigger(complaint, trigger, reason="closed at the helpdesk" if trigger == "withdraw" else None)


def scored(ctx: Context, who: int, clv: float) -> None:
    """The customer's score row as `recovery customers score` leaves it, with a CLV chosen by the test."""
    with ctx.db.begin() as connection:
        connection.execute(
            insert(customer_scores).values(
                customer_id=who, p_alive=0.9, clv=clv, loyalty_class="satisfied", class_reasons=[], scored_at=T0
            )
        )


def cli(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """``recovery …`` in-process on the test's own database; what it printed (it must succeed)."""
    config = tmp_path / "recovery.toml"
    config.write_text(f'[workflows]\ndir = "{ROOT / "workflows"}"\n')
    capsys.readouterr()
    code = main(["--database-url", db_url, "--config", str(config), *args])
    out, err = capsys.readouterr()
    assert code == 0, f"exit {code}\n{out}\n{err}"
    return out


def run(db_url: str, tmp_path: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    """``recovery … --json``: its JSON answer."""
    found: dict[str, object] = json.loads(cli(db_url, tmp_path, capsys, *args, "--json"))
    return found


# --- revenue at risk of one complaint and of them all


def test_an_open_complaint_risks_the_customers_clv_times_the_leave_probability(
    ctx: Context, clock: SettableClock
) -> None:
    ann = customer(ctx, "ann")
    scored(ctx, ann, 400.0)
    complaint = complained(ctx, clock, ann, opened=2)
    shown = get_complaint(ctx, complaint)
    assert shown["revenue_at_risk"] == 200.0  # 400 x the default 0.5
    assert shown["revenue_at_risk_basis"] == "CLV 400.00 x leave probability 0.50 (default)"


def test_an_unscored_customers_complaint_says_unscored_instead_of_a_figure(ctx: Context, clock: SettableClock) -> None:
    complaint = complained(ctx, clock, customer(ctx, "ann"), opened=2)
    shown = get_complaint(ctx, complaint)
    assert shown["revenue_at_risk"] is None
    assert shown["revenue_at_risk_basis"].startswith("unscored")


def test_a_closed_complaint_has_nothing_at_risk(ctx: Context, clock: SettableClock) -> None:
    ann = customer(ctx, "ann")
    scored(ctx, ann, 400.0)
    complaint = complained(ctx, clock, ann, opened=5, closed=2, how="defect")
    assert get_complaint(ctx, complaint)["revenue_at_risk"] is None


def test_status_totals_the_open_complaints_counting_each_customer_once(ctx: Context, clock: SettableClock) -> None:
    ann, bob, cat, dan = (customer(ctx, name) for name in ("ann", "bob", "cat", "dan"))
    for who, clv in ((ann, 400.0), (bob, 100.0), (dan, 1000.0)):
        scored(ctx, who, clv)
    complained(ctx, clock, ann, opened=3)
    complained(ctx, clock, ann, opened=2)  # ann can leave only once
    complained(ctx, clock, bob, opened=2)
    complained(ctx, clock, cat, opened=2)  # unscored: counted as such, not as 0
    complained(ctx, clock, dan, opened=9, closed=1, how="defect")  # closed: nothing at risk
    found = status(ctx)
    assert (found["revenue_at_risk"], found["revenue_at_risk_unscored"]) == (250.0, 1)  # (400 + 100) x 0.5


def test_status_json_shows_the_revenue_at_risk(
    ctx: Context, clock: SettableClock, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ann = customer(ctx, "ann")
    scored(ctx, ann, 300.0)
    complained(ctx, clock, ann, opened=2)
    assert run(db_url, tmp_path, "status", capsys=capsys)["revenue_at_risk"] == 150.0


def test_status_says_the_revenue_at_risk_and_how_many_are_unscored(
    ctx: Context, clock: SettableClock, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ann = customer(ctx, "ann")
    scored(ctx, ann, 3000.0)
    complained(ctx, clock, ann, opened=2)
    complained(ctx, clock, customer(ctx, "bob"), opened=2)
    out = cli(db_url, tmp_path, capsys, "status")
    assert "revenue at risk: 1,500.00 (1 open unscored, not counted)" in out, out


def test_complaint_show_json_shows_its_revenue_at_risk(
    ctx: Context, clock: SettableClock, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ann = customer(ctx, "ann")
    scored(ctx, ann, 300.0)
    complaint = complained(ctx, clock, ann, opened=2)
    assert run(db_url, tmp_path, "complaint", "show", str(complaint), capsys=capsys)["revenue_at_risk"] == 150.0


# --- the leave probability from the business's own history


@pytest.fixture
def history(ctx: Context, clock: SettableClock) -> Context:
    """Complaints ended 250 days ago (window 180): of 4 lost or unresolved, 3 complainants bought nothing within the
    window; of 2 resolved, 1 did. A complaint ended 100 days ago is too recent to count."""
    people = {name: customer(ctx, name) for name in ("ann", "bob", "cat", "dan", "eve", "fay", "gus")}
    complained(ctx, clock, people["ann"], opened=300, closed=250, how="defect")  # left
    complained(ctx, clock, people["bob"], opened=300, closed=250, how="withdraw")  # left
    complained(ctx, clock, people["cat"], opened=250)  # still open after 250 days, left
    complained(ctx, clock, people["dan"], opened=300, closed=250, how="defect")
    bought(ctx, "dan", 230, "20.00")  # back within the window
    bought(ctx, "ann", 60, "20.00")  # back, but 190 days after: too late to count as staying
    complained(ctx, clock, people["eve"], opened=300, closed=250, how="resolve")  # left
    complained(ctx, clock, people["fay"], opened=300, closed=250, how="resolve")
    bought(ctx, "fay", 240, "20.00")
    complained(ctx, clock, people["gus"], opened=120, closed=100, how="defect")  # too recent
    return ctx


@pytest.mark.parametrize(
    ("needed", "expected"),
    [pytest.param(2, (0.75, True), id="2-needed-measured"), pytest.param(3, (0.5, False), id="3-needed-default")],
)
def test_the_leave_probability_is_measured_once_each_side_has_enough(
    history: Context, needed: int, expected: tuple[float, bool]
) -> None:
    history.retention = replace(history.retention, leave_min_complainants=needed)
    found = value_report(history)["leave_probability"]
    assert (found["value"], found["measured"]) == expected
    assert (found["unresolved"], found["resolved"]) == ({"complaints": 4, "left": 3}, {"complaints": 2, "left": 1})


def test_the_measured_probability_is_what_revenue_at_risk_uses(history: Context) -> None:
    history.retention = replace(history.retention, leave_min_complainants=2)
    scored(history, id_of(history, "cat"), 100.0)  # cat, whose complaint is still open
    assert value_report(history)["revenue_at_risk"] == 75.0  # 100 x 0.75


# --- the value report: DOMAIN.md's sum and the 80/20 splits


@pytest.fixture
def shop(ctx: Context, clock: SettableClock) -> Context:
    """A year of purchases and complaints (the period: the 365 days before T0; "last year": the 365 before those).

    This year: ann 300 + 200 = 500, cat 100 - 40 refund = 60, dan 40, eve 100: 4 customers, 700, 175 each.
    Last year's buyers: ann, bob, dan, fay; bob and fay bought nothing this year: defection 2 / 4 = 0.5.
    Complaints this year: ann 3, bob, cat, dan, eve, fay 1 each (8 from 6 complainers); one of gus's is older.
    """
    for name in ("ann", "bob", "cat", "dan", "eve", "fay", "gus"):
        customer(ctx, name)
    for name, days_ago, amount in [
        ("ann", 400, "50.00"),
        ("ann", 100, "300.00"),
        ("ann", 50, "200.00"),
        ("bob", 500, "80.00"),
        ("cat", 30, "100.00"),
        ("cat", 20, "-40.00"),
        ("dan", 600, "10.00"),
        ("dan", 10, "40.00"),
        ("eve", 5, "100.00"),
        ("fay", 380, "20.00"),
        ("gus", 800, "999.00"),  # before both years: in no figure
    ]:
        bought(ctx, name, days_ago, amount)
    for name, days_ago in [("ann", 90), ("ann", 60), ("ann", 30), ("bob", 200), ("cat", 20), ("dan", 9)]:
        complained(ctx, clock, id_of(ctx, name), opened=days_ago)
    for name, days_ago in [("eve", 4), ("fay", 300), ("gus", 400)]:
        complained(ctx, clock, id_of(ctx, name), opened=days_ago)
    return ctx


def test_the_report_sums_what_defection_costs_a_year(shop: Context) -> None:
    found = value_report(shop)
    figures = ("customers", "average_yearly_spend", "yearly_defection_rate", "revenue_lost_per_year")
    assert tuple(found[key] for key in figures) == (4, 175.0, 0.5, 350.0)  # 4 x 0.5 x 175


def test_the_revenue_share_of_the_top_fifth_of_customers(shop: Context) -> None:
    pareto = value_report(shop)["pareto"]
    # 500, 100, 60, 40: the top ceil(4 / 5) = 1 customer brings 500 of 700.
    assert (pareto["revenue_share_top_20"], pareto["customers"]) == (round(500 / 700, 4), 4)


def test_the_complaint_share_of_the_top_fifth_of_complainers(shop: Context) -> None:
    pareto = value_report(shop)["pareto"]
    # 3, 1, 1, 1, 1, 1: the top ceil(6 / 5) = 2 complainers opened 4 of 8.
    assert (pareto["complaint_share_top_20"], pareto["complainers"]) == (0.5, 6)


def test_the_report_names_its_year(shop: Context) -> None:
    assert value_report(shop)["period"] == {"from": "2025-11-25T09:00:00Z", "to": "2026-11-25T09:00:00Z"}


def test_an_empty_database_reports_zeros_and_nothing_to_measure(ctx: Context) -> None:
    found = value_report(ctx)
    assert {k: found[k] for k in ("customers", "revenue_at_risk", "open_complaints_at_risk")} == dict.fromkeys(
        ("customers", "revenue_at_risk", "open_complaints_at_risk"), 0
    )
    for key in ("average_yearly_spend", "yearly_defection_rate", "revenue_lost_per_year"):
        assert found[key] is None, key
    assert found["pareto"] == {
        "revenue_share_top_20": None,
        "complaint_share_top_20": None,
        "customers": 0,
        "complainers": 0,
    }
    assert found["leave_probability"]["measured"] is False


def test_report_value_json_gives_the_same_figures(
    shop: Context, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = run(db_url, tmp_path, "report", "value", "--clock-start", "2026-11-25T09:00:00+0000", capsys=capsys)
    assert (shown["customers"], shown["revenue_lost_per_year"]) == (4, 350.0)
    assert shown["pareto"] == value_report(shop)["pareto"]


def test_report_value_reads_as_a_short_table(
    shop: Context, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = cli(db_url, tmp_path, capsys, "report", "value", "--clock-start", "2026-11-25T09:00:00")
    for line in (
        "revenue lost per year",
        "350.00",
        "revenue from top 20% of 4 customers",
        "71%",
        "the year from 2025-11-25",
    ):
        assert line in out, out
