"""The per-customer inputs of the purchase models, x, t_x, T and m_x, as built from raw purchases.

Time is measured in weeks of exact days (days / 7); purchases of a customer on the same day are
one purchase-day, as in the published CDNOW analyses (bucketing by week changes the estimates).
``histories`` is the check every model makes that such inputs can be a purchase history.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from recovery.errors import InvalidInputError, ModelError

FloatArray = npt.NDArray[np.float64]
# dates, naive datetimes (a subclass of date) or anything numpy reads as datetime64
Days = npt.ArrayLike | Sequence[date]
DAYS_PER_WEEK = 7.0
DISTINCT_FROM = 1000  # below this many rows, finding the distinct ones costs more than it saves


@dataclass(frozen=True, slots=True)
class PurchaseSummary:
    """One row per customer, in the sorted order of ``customers``; times in weeks, ``m_x`` 0 when x = 0."""

    customers: npt.NDArray[np.generic]
    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    m_x: FloatArray

    def __len__(self) -> int:
        return int(self.x.size)


def summarise(
    customers: npt.ArrayLike, purchased_on: Days, amounts: npt.ArrayLike, until: date | np.datetime64
) -> PurchaseSummary:
    """Model inputs of every customer who bought on or before ``until``, from one row per purchase.

    ``purchased_on`` holds dates, naive datetimes or datetime64 values (only the day counts; convert
    aware datetimes to the local date that makes the purchase day). Amounts of the same customer and
    day are summed, so a refund reduces that day's value. A day whose total is negative is a refund,
    not a purchase, and is dropped; a zero-value day still counts (CDNOW has eight customers whose
    only order cost $0.00, and the published estimates count them). Purchases after ``until`` are ignored.
    """
    keys, days, values = _columns(customers, purchased_on, amounts)
    inside = days <= _day_number(until)
    keys, days, values = keys[inside], days[inside], values[inside]
    uniques, customer = np.unique(keys, return_inverse=True)
    order = np.lexsort((days, customer))
    customer, days, values = customer[order], days[order], values[order]
    new_day = np.ones(days.size, dtype=bool)
    new_day[1:] = (customer[1:] != customer[:-1]) | (days[1:] != days[:-1])
    starts = np.flatnonzero(new_day)
    day_customer, day = customer[starts], days[starts]
    day_total = np.add.reduceat(values, starts) if starts.size else values[:0]
    kept = day_total >= 0
    return _per_customer(uniques, day_customer[kept], day[kept], day_total[kept], _day_number(until))


def _per_customer(
    uniques: npt.NDArray[np.generic],
    customer: npt.NDArray[np.intp],
    day: npt.NDArray[np.int64],
    total: FloatArray,
    until: int,
) -> PurchaseSummary:
    """Fold purchase-days, sorted by customer then day, into one row per customer."""
    first_of = np.ones(customer.size, dtype=bool)
    first_of[1:] = customer[1:] != customer[:-1]
    last_of = np.ones(customer.size, dtype=bool)
    last_of[:-1] = first_of[1:]
    starts, ends = np.flatnonzero(first_of), np.flatnonzero(last_of)
    x = (ends - starts).astype(np.float64)
    repeat_value = np.add.reduceat(np.where(first_of, 0.0, total), starts) if starts.size else total[:0]
    with np.errstate(invalid="ignore", divide="ignore"):
        m_x = np.where(x > 0, repeat_value / x, 0.0)
    return PurchaseSummary(
        customers=uniques[customer[starts]],
        x=x,
        t_x=(day[ends] - day[starts]) / DAYS_PER_WEEK,
        T=(until - day[starts]) / DAYS_PER_WEEK,
        m_x=m_x,
    )


def _columns(
    customers: npt.ArrayLike, purchased_on: Days, amounts: npt.ArrayLike
) -> tuple[npt.NDArray[np.generic], npt.NDArray[np.int64], FloatArray]:
    """The three input columns as numpy arrays of one length: keys, day numbers, float amounts."""
    keys = np.asarray(customers)
    days = _day_numbers(purchased_on)
    values = np.asarray(amounts, dtype=np.float64)
    if not keys.ndim == days.ndim == values.ndim == 1 or not keys.size == days.size == values.size:
        raise InvalidInputError(
            f"purchases need three columns of one length; got {keys.shape}, {days.shape} and {values.shape}"
        )
    if not np.isfinite(values).all():
        raise InvalidInputError(f"{np.count_nonzero(~np.isfinite(values))} purchase amounts are NaN or infinite")
    return keys, days, values


def _day_numbers(purchased_on: Days) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01; numpy only warns on aware datetimes, which would silently shift a day."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return np.asarray(purchased_on, dtype="datetime64[D]").astype(np.int64)
        except (UserWarning, ValueError, TypeError) as exc:
            raise InvalidInputError(
                f"purchase days must be dates, naive datetimes or datetime64 values: {exc}"
            ) from exc


def _day_number(until: date | np.datetime64) -> int:
    """``until`` as days since 1970-01-01."""
    return int(_day_numbers(np.array([until]))[0])


def histories(
    model: str, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(x, t_x, T)`` as float arrays of one shape, refused when they cannot be a purchase history."""
    xs, ts, Ts = (np.asarray(a, dtype=np.float64) for a in (x, t_x, T))
    try:
        xs, ts, Ts = np.broadcast_arrays(xs, ts, Ts)
    except ValueError as exc:
        raise ModelError(f"{model}: x, t_x and T have shapes that do not match: {exc}") from exc
    if not (np.isfinite(xs).all() and np.isfinite(ts).all() and np.isfinite(Ts).all()):
        raise ModelError(f"{model}: x, t_x and T must be finite")
    if (xs < 0).any() or (xs != np.round(xs)).any():
        raise ModelError(f"{model}: x counts repeat purchases, so it must be a whole number >= 0")
    if (ts < 0).any() or (ts > Ts).any() or ((xs == 0) & (ts != 0)).any():
        raise ModelError(f"{model}: t_x must lie in [0, T], and be 0 when x = 0")
    return xs, ts, Ts


def on_distinct(function: Callable[..., FloatArray], *columns: FloatArray) -> FloatArray:
    """``function(*columns)``, evaluated once per distinct row of the columns and spread back.

    Histories repeat: x is a small integer and T a whole number of days, so 100,000 customers hold a
    few thousand distinct (x, T) pairs, and the 2F1 terms cost per element, not per customer.
    """
    if columns[0].size < DISTINCT_FROM:
        return function(*columns)
    rows, inverse, _ = distinct_rows(*columns)
    return np.asarray(function(*rows)[inverse], dtype=np.float64)


def distinct_rows(*columns: FloatArray) -> tuple[tuple[FloatArray, ...], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The distinct rows of ``columns`` in sorted order (as numpy's unique over rows gives them), each
    row's index among them, and how often each occurs."""
    values, positions = zip(*(np.unique(column, return_inverse=True) for column in columns), strict=True)
    if float(np.prod([found.size for found in values], dtype=np.float64)) >= 2.0**62:
        table, inverse, counts = np.unique(np.column_stack(columns), axis=0, return_inverse=True, return_counts=True)
        return tuple(np.ascontiguousarray(table[:, i]) for i in range(len(columns))), inverse.reshape(-1), counts
    # One integer key per row from each column's own distinct values: a 1-D sort of integers, far
    # cheaper than numpy's unique over rows, and the same order.
    key = np.zeros(columns[0].size, dtype=np.int64)
    for found, position in zip(values, positions, strict=True):
        key = key * found.size + position.reshape(-1)
    keys, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    rows = []
    for found in reversed(values):
        keys, at = np.divmod(keys, found.size)
        rows.append(np.asarray(found[at], dtype=np.float64))
    return tuple(reversed(rows)), inverse.reshape(-1), counts
