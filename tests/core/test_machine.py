"""The shared state machine of one workflow, and the named guards it asks."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from recovery.core.guards import GUARDS, REFUSALS, Compensation, Facts
from recovery.core.machine import Applied, Refused, WorkflowMachine
from recovery.workflow_files import load_file

STANDARD = load_file(Path(__file__).resolve().parents[2] / "workflows" / "standard.yaml")
MACHINE = WorkflowMachine(STANDARD)


def test_a_trigger_moves_a_stored_state() -> None:
    assert MACHINE.fire("acting", "empathize", Facts()) == Applied("acting", "empathized", "empathy")


def test_firing_is_pure_and_repeatable() -> None:
    assert MACHINE.fire("received", "apologize", Facts()) == MACHINE.fire("received", "apologize", Facts())
    assert MACHINE.fire("apologized", "act", Facts()) == Applied("apologized", "acting", "action")


def test_star_sources_reach_every_open_state() -> None:
    for state in ("received", "compensated", "following_up"):
        assert MACHINE.fire(state, "defect", Facts()) == Applied(state, "lost", "defection")


def test_a_trigger_not_allowed_lists_what_is() -> None:
    outcome = MACHINE.fire("compensated", "resolve", Facts())
    assert outcome == Refused(
        "compensated",
        "'resolve' is not allowed from 'compensated'; allowed: follow_up, withdraw, defect",
        ("follow_up", "withdraw", "defect"),
    )


def test_a_failed_guard_names_itself() -> None:
    outcome = MACHINE.fire("following_up", "resolve", Facts(last_score=2))
    assert isinstance(outcome, Refused)
    assert outcome.guard == "customer_satisfied"
    assert outcome.reason == f"'resolve' refused: {REFUSALS['customer_satisfied']}"


def test_the_answer_follows_the_facts_not_an_earlier_answer() -> None:
    assert isinstance(MACHINE.fire("following_up", "resolve", Facts(last_score=3)), Refused)
    resolved = Applied("following_up", "resolved", "resolution")
    assert MACHINE.fire("following_up", "resolve", Facts(last_score=4)) == resolved
    assert isinstance(MACHINE.fire("following_up", "resolve", Facts(last_score=3)), Refused)


@pytest.mark.parametrize(
    ("guard", "facts", "expected"),
    [
        ("has_compensation", Facts(compensation=Compensation("gift", Decimal(0))), True),
        ("has_compensation", Facts(compensation=Compensation("refund", Decimal("-0.01"))), False),
        ("has_compensation", Facts(compensation=Compensation("cash", Decimal(5))), False),
        ("has_compensation", Facts(), False),
        ("has_satisfaction", Facts(score=1), True),
        ("has_satisfaction", Facts(score=5), True),
        ("has_satisfaction", Facts(score=0), False),
        ("has_satisfaction", Facts(score=6), False),
        ("has_satisfaction", Facts(), False),
        ("customer_satisfied", Facts(last_score=4, threshold=4), True),
        ("customer_satisfied", Facts(last_score=3, threshold=4), False),
        ("customer_satisfied", Facts(), False),
        ("customer_dissatisfied", Facts(last_score=3, threshold=4), True),
        ("customer_dissatisfied", Facts(last_score=4, threshold=4), False),
        ("customer_dissatisfied", Facts(), False),
        ("has_reason", Facts(reason="moved"), True),
        ("has_reason", Facts(reason="  "), False),
        ("has_reason", Facts(), False),
    ],
    ids=lambda v: v if isinstance(v, str) else repr(v) if isinstance(v, bool) else "",
)
def test_guard(guard: str, facts: Facts, expected: bool) -> None:
    assert GUARDS[guard](facts) is expected


def test_every_guard_has_a_refusal_message() -> None:
    assert set(REFUSALS) == set(GUARDS)
