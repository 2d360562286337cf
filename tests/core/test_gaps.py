"""The quality gap's figures on four complaints whose answer is worked out by hand below."""

from __future__ import annotations

from recovery.core.gaps import GapCase, gap_report

CASES = [
    GapCase("refund", ("refund",), "refund", 5, ("price_or_quality",)),  # got what they expected
    GapCase("refund", ("discount",), "discount", 2, ("price_or_quality", "slow_response")),  # did not
    GapCase("replacement", (), None, 1),  # nothing given, nothing said at follow-up
    GapCase(None, ("gift",), None, 4),  # nobody asked what they expected
]


def test_the_totals_count_complaints_and_those_with_an_expectation() -> None:
    report = gap_report(CASES)
    assert (report["complaints"], report["with_expectation"]) == (4, 3)


def test_perceived_as_expected_is_the_share_of_those_who_said_both() -> None:
    assert gap_report(CASES)["perceived_as_expected"] == 0.5  # 1 of the 2 who said both


def test_the_mean_score_is_over_every_scored_complaint() -> None:
    assert gap_report(CASES)["mean_score"] == 3.0  # (5 + 2 + 1 + 4) / 4


def test_pairs_set_expected_against_received_with_none_for_nothing() -> None:
    pairs = [(p["expected"], p["received"], p["complaints"], p["mean_score"]) for p in gap_report(CASES)["pairs"]]
    assert pairs == [
        ("none", "gift", 1, 4.0),
        ("refund", "discount", 1, 2.0),
        ("refund", "refund", 1, 5.0),
        ("replacement", "none", 1, 1.0),
    ]


def test_by_reason_counts_a_complaint_under_each_of_its_reasons() -> None:
    rows = {r["reason"]: r for r in gap_report(CASES)["by_reason"]}
    assert rows["price_or_quality"]["complaints"] == 2
    assert rows["price_or_quality"]["mean_score"] == 3.5
    assert rows["price_or_quality"]["expected"] == {"refund": 2}
    assert rows["slow_response"]["perceived_as_expected"] == 0.0


def test_by_compensation_groups_what_was_given() -> None:
    rows = {r["received"]: (r["complaints"], r["expected"]) for r in gap_report(CASES)["by_compensation"]}
    assert rows == {
        "refund": (1, {"refund": 1}),
        "discount": (1, {"refund": 1}),
        "none": (1, {"replacement": 1}),
        "gift": (1, {"none": 1}),
    }


def test_no_complaints_give_empty_figures_not_errors() -> None:
    report = gap_report([])
    assert (report["perceived_as_expected"], report["mean_score"], report["pairs"]) == (None, None, [])
