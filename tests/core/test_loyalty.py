"""The three kinds of customer, from readable rules, each with the reasons that put the customer there."""

from __future__ import annotations

import pytest

from recovery.core.loyalty import Evidence, LoyaltyClass, classify


def test_a_customer_with_nothing_known_is_unknown() -> None:
    assert classify(Evidence()) == (LoyaltyClass.UNKNOWN, ("no purchases or complaints yet",))


def test_a_low_follow_up_score_makes_a_customer_dissatisfied_and_says_where() -> None:
    found = classify(Evidence(p_alive=0.9, repeat_purchases=5, latest_score=2, scored_complaint=17))
    assert found == (LoyaltyClass.DISSATISFIED, ("follow-up score 2 on complaint 17",))


def test_a_falling_p_alive_of_a_returning_customer_is_a_dissatisfied_sign() -> None:
    found = classify(Evidence(p_alive=0.34, previous_p_alive=0.81, repeat_purchases=2))
    assert found == (LoyaltyClass.DISSATISFIED, ("p_alive fell from 0.81 to 0.34",))


def test_a_one_time_buyer_unlikely_to_return_is_not_called_dissatisfied() -> None:
    assert classify(Evidence(p_alive=0.2, repeat_purchases=0))[0] is LoyaltyClass.SATISFIED


@pytest.mark.parametrize(
    ("evidence", "reason"),
    [
        pytest.param(Evidence(p_alive=0.9, repeat_purchases=4, open_complaints=(9,)), "complaint 9 is open", id="open"),
        pytest.param(Evidence(lost_complaints=(12,)), "complaint 12 ended lost", id="lost"),
    ],
)
def test_an_open_or_lost_complaint_makes_a_customer_dissatisfied(evidence: Evidence, reason: str) -> None:
    assert classify(evidence) == (LoyaltyClass.DISSATISFIED, (reason,))


def test_a_frequent_customer_still_buying_with_no_bad_score_is_loyal() -> None:
    found = classify(Evidence(p_alive=0.93, repeat_purchases=6, latest_score=5, scored_complaint=3))
    assert found == (LoyaltyClass.LOYAL, ("6 repeat purchases", "p_alive 0.93", "follow-up score 5 on complaint 3"))


def test_a_middling_score_keeps_a_frequent_customer_satisfied_not_loyal() -> None:
    found = classify(Evidence(p_alive=0.93, repeat_purchases=6, latest_score=3, scored_complaint=3))
    assert found[0] is LoyaltyClass.SATISFIED


def test_an_ordinary_customer_is_satisfied_with_the_facts_as_reasons() -> None:
    found = classify(Evidence(p_alive=0.6, repeat_purchases=1))
    assert found == (LoyaltyClass.SATISFIED, ("1 repeat purchases", "p_alive 0.60"))
