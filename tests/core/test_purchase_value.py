"""Lifetime value: expected purchases month by month × expected spend, discounted."""

from __future__ import annotations

import numpy as np
import pytest

from recovery.core.purchases import BGNBDParams, bgnbd, discounted_value
from recovery.core.purchases.value import WEEKS_PER_MONTH
from recovery.errors import ModelError

RATES = np.array([0.0, 0.5, 2.0])  # purchases per week


def steady(t: float) -> np.ndarray:
    """Customers who buy at a constant rate forever."""
    return RATES * t


def test_without_discount_the_value_is_purchases_times_spend() -> None:
    value = discounted_value(steady, np.array([10.0, 20.0, 5.0]), 12, monthly_discount=0.0)
    assert value == pytest.approx(RATES * 12 * WEEKS_PER_MONTH * np.array([10.0, 20.0, 5.0]))


def test_each_month_is_discounted_by_its_own_factor() -> None:
    monthly = RATES * WEEKS_PER_MONTH * 10.0
    expected = sum(monthly / 1.01**k for k in range(1, 25))
    assert discounted_value(steady, 10.0, 24, monthly_discount=0.01) == pytest.approx(expected)


def test_no_months_are_worth_nothing() -> None:
    assert np.all(discounted_value(steady, 10.0, 0) == 0)


def test_a_longer_horizon_is_worth_more_and_a_higher_discount_less() -> None:
    params = BGNBDParams(0.243, 4.414, 0.793, 2.426)
    x, t_x, big_t = np.array([0.0, 2.0, 7.0]), np.array([0.0, 30.43, 35.0]), np.full(3, 38.86)

    def purchases(t: float) -> np.ndarray:
        return bgnbd.conditional_expected_purchases(params, t, x, t_x, big_t)

    year, two_years = discounted_value(purchases, 25.0, 12), discounted_value(purchases, 25.0, 24)
    assert np.all(two_years > year)
    assert np.all(discounted_value(purchases, 25.0, 12, monthly_discount=0.05) < year)


@pytest.mark.parametrize(
    ("months", "discount"), [(-1, 0.01), (12, -1.0)], ids=["negative-months", "discount-of-minus-one"]
)
def test_a_horizon_or_discount_that_means_nothing_is_refused(months: int, discount: float) -> None:
    with pytest.raises(ModelError, match="value: months must be >= 0"):
        discounted_value(steady, 10.0, months, monthly_discount=discount)


def test_the_auc_counts_how_often_a_positive_outranks_a_negative() -> None:
    from recovery.core.purchases.check import auc

    assert auc([0.9, 0.8, 0.3, 0.1], [True, True, False, False]) == 1.0
    assert auc([0.1, 0.2, 0.8, 0.9], [True, True, False, False]) == 0.0
    assert auc([0.5, 0.5, 0.5, 0.9], [True, False, True, False]) == 0.25  # ties count half
    assert auc([0.5, 0.6], [True, True]) is None
