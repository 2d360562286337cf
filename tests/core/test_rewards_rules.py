"""The pure reward rules: what confirms a flag, the cap, periods, precision, who may decide."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.core.rewards import (
    Signal,
    capped,
    check_period,
    confirmed_key,
    decision_refusal,
    first_signal,
    in_window,
    period_bounds,
    period_of,
    precision,
    recovered_key,
    reversal_key,
    window_over,
)

RAISED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ENDS = RAISED + timedelta(days=30)


def test_a_signal_just_after_the_flag_or_at_the_end_of_the_window_counts() -> None:
    assert in_window(RAISED + timedelta(microseconds=1), RAISED, ENDS)
    assert in_window(ENDS, RAISED, ENDS)


def test_a_signal_before_or_at_the_flag_or_after_the_window_does_not_count() -> None:
    assert not in_window(RAISED - timedelta(seconds=1), RAISED, ENDS)
    assert not in_window(RAISED, RAISED, ENDS)
    assert not in_window(ENDS + timedelta(seconds=1), RAISED, ENDS)


def test_the_earliest_signal_inside_the_window_confirms() -> None:
    signals = [
        Signal("lost", RAISED + timedelta(days=3), 7),
        Signal("complaint", RAISED - timedelta(days=1), 5),  # before the flag: the problem was known
        Signal("low_score", RAISED + timedelta(days=2), 6),
    ]
    assert first_signal(signals, RAISED, ENDS) == Signal("low_score", RAISED + timedelta(days=2), 6)


def test_on_a_tie_an_opened_complaint_wins_over_a_low_score_and_a_loss() -> None:
    at = RAISED + timedelta(days=1)
    signals = [Signal("lost", at, 1), Signal("low_score", at, 1), Signal("complaint", at, 1)]
    assert first_signal(signals, RAISED, ENDS) == Signal("complaint", at, 1)


def test_no_signal_inside_the_window_confirms_nothing() -> None:
    assert first_signal([Signal("complaint", ENDS + timedelta(hours=1), 1)], RAISED, ENDS) is None
    assert first_signal([], RAISED, ENDS) is None


def test_the_window_is_over_only_after_its_end() -> None:
    assert not window_over(ENDS, ENDS)
    assert window_over(ENDS, ENDS + timedelta(microseconds=1))


def test_an_award_under_the_cap_is_given_in_full() -> None:
    assert capped(10, 180, 200).points == 10
    assert capped(10, 180, 200).note == ""


def test_an_award_crossing_the_cap_gives_what_still_fits_and_says_so() -> None:
    award = capped(25, 190, 200)
    assert award.points == 10
    assert "cap of 200 points per period reached: 10 of 25" in award.note


def test_an_award_past_the_cap_gives_nothing() -> None:
    assert capped(10, 200, 200).points == 0
    assert capped(10, 230, 200).points == 0


@given(st.lists(st.integers(min_value=0, max_value=100), max_size=30), st.integers(min_value=0, max_value=500))
def test_points_in_a_period_never_exceed_the_cap_and_fill_it_when_they_can(awards: list[int], cap: int) -> None:
    earned = 0
    for points in awards:
        given_points = capped(points, earned, cap).points
        assert 0 <= given_points <= points
        earned += given_points
    assert earned == min(sum(awards), cap)


def test_precision_is_confirmed_over_decided() -> None:
    assert precision(3, 4) == 0.75
    assert precision(0, 2) == 0.0


def test_precision_is_unknown_before_any_decision() -> None:
    assert precision(0, 0) is None


def test_the_period_is_the_utc_month() -> None:
    assert period_of(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == "2026-11"
    # 00:30 on 1 December in Amsterdam is still November in UTC.
    assert period_of(datetime.fromisoformat("2026-12-01T00:30:00+01:00")) == "2026-11"


def test_period_bounds_cover_the_month_and_roll_over_the_year() -> None:
    assert period_bounds("2026-11") == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert period_bounds("2026-12") == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "Nov 2026", ""], ids=["month13", "short", "words", "empty"])
def test_a_malformed_period_is_refused_with_the_format(text: str) -> None:
    with pytest.raises(ValueError, match="expected YYYY-MM"):
        check_period(text)


def test_award_keys_name_the_flag_and_the_award() -> None:
    assert confirmed_key(7) == "flag:7:confirmed"
    assert recovered_key(7) == "flag:7:recovered"
    assert reversal_key("flag:7:confirmed") == "flag:7:confirmed:reversed"


@pytest.mark.parametrize(
    ("action", "status", "role", "decider", "message"),
    [
        ("confirm", "open", "agent", "bob", "only a lead or a manager may confirm a flag; bob is agent"),
        ("reject", "open", "agent", "bob", "only a lead or a manager may reject a flag; bob is agent"),
        ("confirm", "open", "lead", "ann", "ann raised this flag: nobody may confirm their own flag"),
        ("confirm", "confirmed", "lead", "lea", "the flag is already confirmed"),
        ("confirm", "rejected", "manager", "max", "the flag is already rejected"),
        ("reject", "rejected", "lead", "lea", "the flag is already rejected"),
    ],
    ids=["agent-confirms", "agent-rejects", "own-flag", "confirmed-twice", "confirm-rejected", "rejected-twice"],
)
def test_decisions_refused(action: str, status: str, role: str, decider: str, message: str) -> None:
    assert decision_refusal(action, status, role, decider, "ann") == message


@pytest.mark.parametrize(
    ("action", "status", "role"),
    [("confirm", "open", "lead"), ("reject", "open", "manager"), ("reject", "confirmed", "lead")],
    ids=["lead-confirms", "manager-rejects", "lead-overrules"],
)
def test_decisions_allowed(action: str, status: str, role: str) -> None:
    assert decision_refusal(action, status, role, "lea", "ann") is None


def test_a_lead_may_reject_their_own_flag() -> None:
    assert decision_refusal("reject", "open", "lead", "ann", "ann") is None
