"""Out-of-order and repeated helpdesk events, without a database: apply, wait, skip or refuse."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from recovery.core.ordering import Ruling, Verdict, distance, verdict
from recovery.core.workflow import parse_workflow

STANDARD = parse_workflow(yaml.safe_load((Path(__file__).resolve().parents[2] / "workflows/standard.yaml").read_text()))


@pytest.mark.parametrize(
    ("state", "trigger", "snapshot", "expected"),
    [
        pytest.param("received", "apologize", False, Verdict.APPLY, id="allowed-now"),
        pytest.param("received", "act", False, Verdict.WAIT, id="an-earlier-step-is-missing"),
        pytest.param("acting", "apologize", True, Verdict.SKIP, id="a-repeated-snapshot"),
        pytest.param("following_up", "empathize", False, Verdict.WAIT, id="a-real-event-may-follow-a-reopening"),
        pytest.param("acting", "apologize", False, Verdict.INVALID, id="a-step-that-cannot-come-again"),
        pytest.param("resolved", "apologize", False, Verdict.INVALID, id="nothing-after-a-final-state"),
        pytest.param("received", "apologise", False, Verdict.INVALID, id="an-unknown-trigger"),
    ],
)
def test_a_trigger_is_applied_waited_for_skipped_or_refused(
    state: str, trigger: str, snapshot: bool, expected: Verdict
) -> None:
    assert verdict(STANDARD, state, trigger, snapshot=snapshot).verdict is expected


def test_an_unknown_trigger_names_the_known_ones() -> None:
    ruling = verdict(STANDARD, "received", "apologise", snapshot=False)
    assert ruling == Ruling(
        Verdict.INVALID,
        f"trigger: unknown 'apologise'; known: {', '.join(sorted({t.trigger for t in STANDARD.transitions}))}",
    )


def test_a_follow_up_from_a_later_open_state_waits_for_a_reopening() -> None:
    ruling = verdict(STANDARD, "following_up", "follow_up", snapshot=False)
    assert ruling.verdict is Verdict.WAIT
    assert ruling.reason == "'follow_up' is not allowed from 'following_up' yet: waiting for the events before it"


def test_the_distance_between_states_counts_transitions() -> None:
    assert distance(STANDARD, "received", "acting") == 2
    assert distance(STANDARD, "following_up", "acting") == 1  # the reopening loop
    assert distance(STANDARD, "resolved", "received") is None


def test_a_snapshot_of_a_step_the_complaint_took_is_skipped_as_repeated() -> None:
    ruling = verdict(STANDARD, "resolved", "follow_up", snapshot=True, taken=lambda: True)
    assert ruling == Ruling(Verdict.SKIP, "complaint is already resolved: 'follow_up' happened before")


def test_a_snapshot_of_a_step_the_complaint_went_past_without_taking_it_is_refused_with_the_true_reason() -> None:
    # A bad rating arriving after the ticket was withdrawn: no follow-up ever happened.
    ruling = verdict(STANDARD, "withdrawn", "follow_up", snapshot=True, taken=lambda: False)
    assert ruling == Ruling(Verdict.INVALID, "'follow_up' is not allowed from 'withdrawn'")


def test_whether_the_step_was_taken_is_asked_only_of_a_snapshot_that_looks_repeated() -> None:
    def never() -> bool:
        raise AssertionError("asked needlessly")

    assert verdict(STANDARD, "compensated", "follow_up", snapshot=True, taken=never).verdict is Verdict.APPLY
    assert verdict(STANDARD, "received", "follow_up", snapshot=True, taken=never).verdict is Verdict.WAIT
