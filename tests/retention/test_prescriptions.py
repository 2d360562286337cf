"""Prescriptions per loyalty class: the budget from the CLV, refusals above it, a lead's approval, a raised
severity, and the CLI showing the prescription; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from recovery.bootstrap import retention_rules
from recovery.config import RetentionSettings
from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.guards import Compensation
from recovery.engine import fire, open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff
from recovery.engine.queries import get_complaint
from recovery.errors import TransitionRefused
from recovery.store.schema import audit_log, compensations, customer_scores

TO_COMPENSATE = ("apologize", "act", "empathize")
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def scored(ctx: Context, kind: str | None, clv: float | None = None) -> int:
    """A new customer with a latest score of class ``kind`` (None: never scored, so ``unknown``)."""
    customer = add_customer(ctx, f"{uuid.uuid4().hex}@example.com")
    if kind is not None:
        row = {
            "customer_id": customer,
            "clv": clv,
            "loyalty_class": kind,
            "class_reasons": [],
            "scored_at": ctx.clock.now(),
        }
        with ctx.db.begin() as connection:
            connection.execute(customer_scores.insert().values(row))
    return customer


def opened(ctx: Context, customer: int, severity: str = "normal") -> int:
    """A complaint of ``customer`` walked up to its compensation."""
    complaint = open_complaint(ctx, OpenComplaint(customer, "late parcel", severity))
    for trigger in TO_COMPENSATE:
        fire(ctx, FireTrigger(complaint, trigger))
    return complaint


def compensate(ctx: Context, complaint: int, value: str, approved_by: str | None = None) -> None:
    given = Compensation("refund", Decimal(value), "sorry", approved_by)
    fire(ctx, FireTrigger(complaint, "compensate", actor="bob", compensation=given))


def stored(ctx: Context, complaint: int) -> list[dict[str, Any]]:
    with ctx.read() as connection:
        query = select(compensations).where(compensations.c.complaint_id == complaint)
        return [dict(r) for r in connection.execute(query).mappings()]


def last_audit(ctx: Context, complaint: int) -> dict[str, Any]:
    query = select(audit_log).where(audit_log.c.complaint_id == complaint).order_by(audit_log.c.id.desc())
    with ctx.read() as connection:
        return dict(connection.execute(query).mappings().first() or {})


@pytest.fixture
def staff(ctx: Context) -> Context:
    """Lea a lead, Max a manager, Bob an agent."""
    add_staff(ctx, "lea", "Lea", role="lead")
    add_staff(ctx, "max", "Max", role="manager")
    add_staff(ctx, "bob", "Bob", role="agent")
    return ctx


BUDGETS = [
    pytest.param("dissatisfied", 1000.0, "100.00", id="dissatisfied-share"),
    pytest.param("dissatisfied", 50.0, "50.00", id="dissatisfied-floor"),
    pytest.param("dissatisfied", 10_000.0, "250.00", id="dissatisfied-cap"),
    pytest.param("satisfied", 1800.0, "90.00", id="satisfied-share"),
    pytest.param("satisfied", 40.0, "50.00", id="satisfied-floor"),
    pytest.param("satisfied", 5000.0, "100.00", id="satisfied-cap"),
    pytest.param("loyal", 1500.0, "150.00", id="loyal-share-double"),
    pytest.param("loyal", 40.0, "100.00", id="loyal-floor-double"),
    pytest.param("loyal", 5000.0, "200.00", id="loyal-cap-double"),
    pytest.param("loyal", None, "100.00", id="loyal-without-clv-floor"),
]


@pytest.mark.parametrize(("kind", "clv", "budget"), BUDGETS)
def test_a_class_budget_is_its_share_of_the_clv_between_floor_and_cap(
    ctx: Context, kind: str, clv: float | None, budget: str
) -> None:
    complaint = open_complaint(ctx, OpenComplaint(scored(ctx, kind, clv), "late parcel"))
    shown = get_complaint(ctx, complaint)["prescription"]
    assert (shown["class"], shown["budget"]) == (kind, budget)


def test_a_customer_never_scored_is_unknown_with_the_floor(ctx: Context) -> None:
    complaint = open_complaint(ctx, OpenComplaint(scored(ctx, None), "late parcel"))
    assert get_complaint(ctx, complaint)["prescription"] == {
        "class": "unknown",
        "budget": "50.00",
        "advice": "nothing is known of them yet: recover the complaint well and learn who they are",
        "severity": None,
        "second_follow_up": False,
    }


def test_above_the_budget_without_approval_is_refused_naming_the_budget(ctx: Context) -> None:
    complaint = opened(ctx, scored(ctx, "dissatisfied", 10_000.0))
    with pytest.raises(TransitionRefused) as refused:
        compensate(ctx, complaint, "300")
    assert str(refused.value) == (
        f"complaint {complaint}: 'compensate' refused: compensation 300.00 is above the budget of 250.00 "
        "for a dissatisfied customer: a lead must approve it (--approved-by)"
    )


def test_a_refusal_above_the_budget_changes_nothing_but_the_refused_attempt_in_the_history(ctx: Context) -> None:
    complaint = opened(ctx, scored(ctx, "dissatisfied", 10_000.0))
    before = get_complaint(ctx, complaint)
    with pytest.raises(TransitionRefused):
        compensate(ctx, complaint, "300")
    assert get_complaint(ctx, complaint) == before
    assert stored(ctx, complaint) == []
    row = last_audit(ctx, complaint)
    assert (row["trigger"], row["outcome"], row["dest"]) == ("compensate", "refused", None)
    assert "above the budget of 250.00" in row["note"]


@pytest.mark.parametrize("approver", ["lea", "max"], ids=["lead", "manager"])
def test_a_lead_or_manager_approves_above_the_budget_and_it_is_kept(staff: Context, approver: str) -> None:
    complaint = opened(staff, scored(staff, "dissatisfied", 10_000.0))
    compensate(staff, complaint, "300", approved_by=approver)
    [row] = stored(staff, complaint)
    assert (row["value"], row["budget"], row["approved_by"]) == (Decimal("300.00"), Decimal("250.00"), approver)
    assert get_complaint(staff, complaint)["state"] == "compensated"


def test_the_approval_is_audited_with_the_budget(staff: Context) -> None:
    complaint = opened(staff, scored(staff, "dissatisfied", 10_000.0))
    compensate(staff, complaint, "300", approved_by="lea")
    row = last_audit(staff, complaint)
    assert (row["outcome"], row["payload"]["budget"], row["payload"]["approved_by"]) == ("applied", "250.00", "lea")


@pytest.mark.parametrize(
    ("approver", "why"),
    [
        pytest.param("bob", "'bob' is an agent: only a lead or a manager may approve a compensation", id="agent"),
        pytest.param("zed", "no staff member 'zed' to approve the compensation", id="unknown"),
    ],
)
def test_an_approval_by_someone_who_may_not_approve_is_refused(staff: Context, approver: str, why: str) -> None:
    complaint = opened(staff, scored(staff, "dissatisfied", 10_000.0))
    with pytest.raises(TransitionRefused, match=why):
        compensate(staff, complaint, "300", approved_by=approver)
    assert stored(staff, complaint) == []
    assert get_complaint(staff, complaint)["state"] == "empathized"


def test_a_compensation_within_the_budget_keeps_the_budget_in_force(ctx: Context) -> None:
    complaint = opened(ctx, scored(ctx, "loyal", 1000.0))
    compensate(ctx, complaint, "100")
    [row] = stored(ctx, complaint)
    assert (row["budget"], row["approved_by"]) == (Decimal("100.00"), None)


def test_a_money_less_compensation_is_within_any_budget(ctx: Context) -> None:
    ctx.retention = retention_rules(RetentionSettings.parse({"prescriptions": {"unknown": {"floor": 0}}}))
    complaint = opened(ctx, scored(ctx, None))
    fire(ctx, FireTrigger(complaint, "compensate", compensation=Compensation("gesture", Decimal(0))))
    [row] = stored(ctx, complaint)
    assert (row["value"], row["budget"]) == (Decimal("0.00"), Decimal("0.00"))


@pytest.mark.parametrize("kind", ["loyal", "dissatisfied"])
def test_a_class_raises_the_severity_at_open_and_says_why(ctx: Context, kind: str) -> None:
    complaint = open_complaint(ctx, OpenComplaint(scored(ctx, kind, 500.0), "late parcel", "normal"))
    assert get_complaint(ctx, complaint)["severity"] == "high"
    payload = last_audit(ctx, complaint)["payload"]
    assert payload["severity_raised"] == f"severity raised to high: {kind} customer"
    assert (payload["severity"], payload["requested_severity"]) == ("high", "normal")


def test_a_raised_severity_sets_the_deadlines(ctx: Context) -> None:
    loyal = open_complaint(ctx, OpenComplaint(scored(ctx, "loyal", 500.0), "late parcel", "normal"))
    high = open_complaint(ctx, OpenComplaint(scored(ctx, None), "late parcel", "high"))
    assert get_complaint(ctx, loyal)["deadline"] == get_complaint(ctx, high)["deadline"]


def test_a_class_never_lowers_the_severity(ctx: Context) -> None:
    complaint = open_complaint(ctx, OpenComplaint(scored(ctx, "loyal", 500.0), "late parcel", "critical"))
    assert get_complaint(ctx, complaint)["severity"] == "critical"
    assert "severity_raised" not in last_audit(ctx, complaint)["payload"]


def test_a_satisfied_customer_keeps_the_severity_asked_for(ctx: Context) -> None:
    complaint = open_complaint(ctx, OpenComplaint(scored(ctx, "satisfied", 500.0), "late parcel", "low"))
    assert get_complaint(ctx, complaint)["severity"] == "low"


def test_a_severity_the_workflow_does_not_name_is_ignored(ctx: Context) -> None:
    settings = {"prescriptions": {"loyal": {"severity": "urgent"}}}
    ctx.retention = retention_rules(RetentionSettings.parse(settings))
    complaint = open_complaint(ctx, OpenComplaint(scored(ctx, "loyal", 500.0), "late parcel", "normal"))
    assert get_complaint(ctx, complaint)["severity"] == "normal"


def test_a_configured_prescription_overrides_the_default(ctx: Context) -> None:
    settings = {"prescriptions": {"dissatisfied": {"cap": 50, "advice": "call them today"}}}
    ctx.retention = retention_rules(RetentionSettings.parse(settings))
    complaint = opened(ctx, scored(ctx, "dissatisfied", 10_000.0))
    shown = get_complaint(ctx, complaint)["prescription"]
    assert (shown["budget"], shown["advice"], shown["severity"]) == ("50.00", "call them today", "high")
    with pytest.raises(TransitionRefused, match=r"above the budget of 50\.00"):
        compensate(ctx, complaint, "60")


# The command line, in-process, on the same two databases.


@pytest.fixture
def recovery(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """``recovery …`` on an initialised database with the shipped workflows."""
    from recovery.cli.main import main

    config = tmp_path / "recovery.toml"
    config.write_text(f'[workflows]\ndir = "{WORKFLOWS}"\n[calendar]\nholidays = []\n')

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--database-url", db_url, "--config", str(config), *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init")[0] == 0
    assert run("customer", "add", "ann@example.com", "--name", "Ann")[0] == 0
    return run


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No RECOVERY_* variable of the developer's shell may reach the CLI runs."""
    for name in [n for n in os.environ if n.startswith("RECOVERY_")]:
        monkeypatch.delenv(name)


def test_cli_open_prints_the_prescription_after_the_opened_line(recovery: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = recovery("complaint", "open", "--customer", "ann@example.com", "--summary", "late")
    assert (code, out.splitlines()[0]) == (0, "complaint 1 opened"), err
    assert out.splitlines()[1].startswith("prescription (unknown customer): budget 50.00; nothing is known"), out


def test_cli_open_and_show_json_carry_the_prescription(recovery: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = recovery("complaint", "open", "--customer", "ann@example.com", "--summary", "late", "--json")
    assert code == 0, err
    opened_view = json.loads(out)
    shown = json.loads(recovery("complaint", "show", "1", "--json")[1])
    assert opened_view["prescription"] == shown["prescription"]
    assert (opened_view["id"], shown["prescription"]["class"], shown["prescription"]["budget"]) == (
        1,
        "unknown",
        "50.00",
    )


def test_cli_fire_with_approved_by_keeps_the_approval(recovery: Callable[..., tuple[int, str, str]]) -> None:
    recovery("staff", "add", "lea", "--name", "Lea", "--role", "lead")
    recovery("complaint", "open", "--customer", "ann@example.com", "--summary", "late")
    for trigger in TO_COMPENSATE:
        recovery("complaint", "fire", "1", trigger, "--by", "system")
    code, out, err = recovery(
        "complaint", "fire", "1", "compensate", "--compensation", "refund:80", "--approved-by", "lea", "--by", "lea"
    )
    assert (code, out) == (0, "complaint 1: compensate -> compensated\n"), err
    history = json.loads(recovery("complaint", "history", "1", "--json")[1])
    assert (history[-1]["payload"]["budget"], history[-1]["payload"]["approved_by"]) == ("50.00", "lea")


def test_cli_fire_above_the_budget_names_it(recovery: Callable[..., tuple[int, str, str]]) -> None:
    recovery("complaint", "open", "--customer", "ann@example.com", "--summary", "late")
    for trigger in TO_COMPENSATE:
        recovery("complaint", "fire", "1", trigger, "--by", "system")
    code, _, err = recovery("complaint", "fire", "1", "compensate", "--compensation", "refund:80", "--by", "system")
    assert code == 1
    assert err == (
        "error: complaint 1: 'compensate' refused: compensation 80.00 is above the budget of 50.00 "
        "for an unknown customer: a lead must approve it (--approved-by)\n"
    )
