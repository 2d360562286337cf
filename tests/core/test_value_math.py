"""The value figures by hand: leave probability, revenue at risk, the DOMAIN.md sum and the 80/20 splits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recovery.core.retention import RetentionRules
from recovery.core.value import (
    Ending,
    leave_probability,
    revenue_at_risk,
    revenue_lost_per_year,
    top_fifth_share,
    yearly_defection_rate,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DAYS = timedelta(days=1)
RULES = RetentionRules(leave_probability=0.5, leave_window_days=180, leave_min_complainants=2)
ENDED = NOW - 200 * DAYS  # ended long enough ago to count


def came_back(resolved: bool, after_days: int = 10) -> Ending:
    return Ending(resolved, ENDED, ENDED + after_days * DAYS)


def never_back(resolved: bool) -> Ending:
    return Ending(resolved, ENDED, None)


def test_with_enough_on_each_side_the_unresolved_share_that_left_is_the_probability() -> None:
    # Unresolved: 2 of 3 left; resolved: 1 of 4 left.
    endings = [never_back(False), never_back(False), came_back(False)]
    endings += [never_back(True), came_back(True), came_back(True), came_back(True)]
    found = leave_probability(endings, RULES, NOW)
    assert (found.value, found.measured) == (pytest.approx(2 / 3), True)
    assert found.basis.startswith("measured on 3 lost/unresolved and 4 resolved complaints: 0.67 vs 0.25")


def test_one_complaint_short_on_a_side_falls_back_to_the_default() -> None:
    endings = [never_back(False), never_back(False), never_back(True)]  # resolved: 1, 2 needed
    found = leave_probability(endings, RULES, NOW)
    assert (found.value, found.measured) == (0.5, False)
    assert found.basis.startswith("default 0.5: only 2 lost/unresolved and 1 resolved complaints")


def test_exactly_the_minimum_on_each_side_is_enough() -> None:
    endings = [never_back(False), came_back(False), came_back(True), came_back(True)]
    found = leave_probability(endings, RULES, NOW)
    assert (found.value, found.measured) == (0.5, True)
    assert (found.unresolved.left, found.resolved.left) == (1, 0)


def test_a_complaint_ended_less_than_a_window_ago_is_not_counted() -> None:
    recent = Ending(False, NOW - 179 * DAYS, None)
    found = leave_probability([recent, never_back(True), never_back(True)], RULES, NOW)
    assert (found.unresolved.complaints, found.measured) == (0, False)


def test_a_purchase_after_the_window_still_counts_as_left() -> None:
    late = came_back(False, after_days=181)
    on_time = came_back(False, after_days=180)
    found = leave_probability([late, on_time, came_back(True), came_back(True)], RULES, NOW)
    assert (found.unresolved.complaints, found.unresolved.left) == (2, 1)


def test_revenue_at_risk_is_clv_times_the_probability() -> None:
    assert revenue_at_risk(400.0, 0.25) == 100.0


def test_an_unscored_customer_has_no_revenue_at_risk_rather_than_zero() -> None:
    assert revenue_at_risk(None, 0.5) is None


def test_the_domain_example_loses_42000_a_year() -> None:
    assert revenue_lost_per_year(700, 0.2, 300.0) == pytest.approx(42_000)


def test_no_rate_means_no_sum() -> None:
    assert revenue_lost_per_year(700, None, 300.0) is None


def test_the_defection_rate_is_last_years_buyers_who_stopped() -> None:
    assert yearly_defection_rate(bought_before=40, still_buying=30) == 0.25


def test_no_buyers_last_year_gives_no_rate() -> None:
    assert yearly_defection_rate(bought_before=0, still_buying=0) is None


@pytest.mark.parametrize(
    ("values", "share"),
    [
        pytest.param([10, 100, 30, 10, 50], 100 / 200, id="5-values-top-1-after-sorting"),
        pytest.param([1] * 6, 2 / 6, id="6-values-top-ceil-1.2=2"),
        pytest.param([1] * 35, 7 / 35, id="35-values-top-7-not-8"),
        pytest.param([5], 1.0, id="one-value"),
    ],
)
def test_the_top_fifth_is_the_first_ceil_n_over_5_sorted_descending(values: list[float], share: float) -> None:
    assert top_fifth_share(values) == pytest.approx(share)


def test_nothing_to_split_gives_no_share() -> None:
    assert top_fifth_share([]) is None
