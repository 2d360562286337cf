"""From raw purchases to x, t_x, T and m_x: same-day merge, the calibration end, refunds."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from recovery.core.purchases import PurchaseSummary, summarise
from recovery.core.purchases.summary import distinct_rows, on_distinct
from recovery.errors import InvalidInputError

UNTIL = date(1997, 9, 30)


def summary_of(rows: list[tuple[str, str, float]], until: date = UNTIL) -> PurchaseSummary:
    customers, days, amounts = zip(*rows, strict=True)
    return summarise(list(customers), np.array(days, dtype="datetime64[D]"), list(amounts), until)


def row(summary: PurchaseSummary, customer: str) -> tuple[float, float, float, float]:
    i = int(np.flatnonzero(summary.customers == customer)[0])
    return float(summary.x[i]), float(summary.t_x[i]), float(summary.T[i]), float(summary.m_x[i])


def test_a_first_purchase_on_new_year_gives_t_of_272_days_in_weeks() -> None:
    summary = summary_of([("a", "1997-01-01", 10.0)])
    assert row(summary, "a") == (0.0, 0.0, 272 / 7, 0.0)


def test_repeat_purchases_count_days_and_t_x_is_the_last_day_in_weeks_after_the_first() -> None:
    summary = summary_of([("a", "1997-01-01", 10.0), ("a", "1997-01-18", 20.0), ("a", "1997-03-01", 40.0)])
    assert row(summary, "a") == (2.0, 59 / 7, 272 / 7, 30.0)


def test_purchases_of_a_customer_on_the_same_day_are_one_purchase_day_with_the_amounts_summed() -> None:
    summary = summary_of(
        [("a", "1997-01-01", 10.0), ("a", "1997-01-01", 5.0), ("a", "1997-02-01", 7.0), ("a", "1997-02-01", 8.0)]
    )
    assert row(summary, "a") == (1.0, 31 / 7, 272 / 7, 15.0)


def test_the_value_of_repeat_buyers_excludes_the_first_purchase() -> None:
    summary = summary_of([("a", "1997-01-01", 1000.0), ("a", "1997-01-02", 10.0), ("a", "1997-01-03", 20.0)])
    assert row(summary, "a")[3] == 15.0


def test_purchases_after_the_calibration_end_are_ignored() -> None:
    summary = summary_of([("a", "1997-01-01", 10.0), ("a", "1997-09-30", 20.0), ("a", "1997-10-01", 30.0)])
    assert row(summary, "a") == (1.0, 272 / 7, 272 / 7, 20.0)


def test_a_customer_whose_first_purchase_is_after_the_calibration_end_is_left_out() -> None:
    summary = summary_of([("a", "1997-01-01", 10.0), ("b", "1997-10-01", 10.0)])
    assert list(summary.customers) == ["a"]


def test_a_refund_on_a_purchase_day_reduces_that_days_value() -> None:
    summary = summary_of([("a", "1997-01-01", 10.0), ("a", "1997-02-01", 30.0), ("a", "1997-02-01", -12.0)])
    assert row(summary, "a") == (1.0, 31 / 7, 272 / 7, 18.0)


def test_a_day_whose_refunds_exceed_its_purchases_is_not_a_purchase_day() -> None:
    summary = summary_of([("a", "1997-01-01", 10.0), ("a", "1997-02-01", 5.0), ("a", "1997-02-01", -25.0)])
    assert row(summary, "a") == (0.0, 0.0, 272 / 7, 0.0)


def test_a_first_day_that_is_only_a_refund_does_not_start_the_customer() -> None:
    summary = summary_of([("a", "1997-01-01", -10.0), ("a", "1997-01-08", 10.0)])
    assert row(summary, "a") == (0.0, 0.0, 265 / 7, 0.0)


def test_a_zero_value_day_still_counts_as_a_purchase_day() -> None:
    # CDNOW has eight customers whose only order cost $0.00; the published fits count them.
    summary = summary_of([("a", "1997-01-01", 0.0), ("b", "1997-01-01", 10.0), ("b", "1997-01-02", 0.0)])
    assert row(summary, "a") == (0.0, 0.0, 272 / 7, 0.0)
    assert row(summary, "b") == (1.0, 1 / 7, 272 / 7, 0.0)


def test_rows_come_out_one_per_customer_in_key_order_whatever_the_input_order() -> None:
    summary = summary_of([("b", "1997-03-01", 1.0), ("a", "1997-02-01", 2.0), ("b", "1997-01-01", 3.0)])
    assert list(summary.customers) == ["a", "b"]
    assert len(summary) == 2
    assert row(summary, "b") == (1.0, 59 / 7, 272 / 7, 1.0)


def test_naive_datetimes_count_by_their_day() -> None:
    at = [datetime(1997, 1, 1, 9, 0), datetime(1997, 1, 1, 23, 59), datetime(1997, 1, 2, 0, 1)]
    summary = summarise(["a", "a", "a"], at, [1.0, 2.0, 3.0], UNTIL)
    assert row(summary, "a") == (1.0, 1 / 7, 272 / 7, 3.0)


def test_aware_datetimes_are_refused_rather_than_shifted_to_another_day() -> None:
    with pytest.raises(InvalidInputError, match="naive datetimes"):
        summarise(["a"], [datetime(1997, 1, 1, 23, 0, tzinfo=UTC)], [1.0], UNTIL)


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="one length"):
        summarise(["a", "b"], np.array(["1997-01-01"], dtype="datetime64[D]"), [1.0, 2.0], UNTIL)


def test_a_nan_amount_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="NaN"):
        summarise(["a"], np.array(["1997-01-01"], dtype="datetime64[D]"), [float("nan")], UNTIL)


def test_no_purchases_give_an_empty_summary() -> None:
    summary = summarise(np.array([], dtype=str), np.array([], dtype="datetime64[D]"), np.array([]), UNTIL)
    assert len(summary) == 0


def test_distinct_rows_are_numpys_unique_rows_with_their_positions_and_counts() -> None:
    rng = np.random.default_rng(3)
    x, t_x, big_t = rng.integers(0, 20, 5000) * 1.0, rng.integers(0, 700, 5000) / 7, rng.integers(0, 700, 5000) / 7
    rows, inverse, counts = distinct_rows(x, t_x, big_t)
    table, positions, seen = np.unique(
        np.column_stack((x, t_x, big_t)), axis=0, return_inverse=True, return_counts=True
    )
    assert [list(column) for column in rows] == [list(table[:, i]) for i in range(3)]
    assert (list(inverse), list(counts)) == (list(positions.reshape(-1)), list(seen))


def test_on_distinct_gives_what_the_function_gives_row_by_row() -> None:
    rng = np.random.default_rng(4)
    x, big_t = rng.integers(0, 30, 5000) * 1.0, rng.integers(0, 700, 5000) / 7
    assert list(on_distinct(lambda a, b: a * 1000 + b, x, big_t)) == list(x * 1000 + big_t)
