"""Customer lifetime value: expected purchases × expected spend, discounted month by month.

A discrete approximation (as in Fader, Hardie & Lee 2005, "RFM and CLV", and the lifetimes
package): the purchases expected during month k are E[X(k months)] − E[X(k − 1 months)], each worth
the expected spend, discounted by (1 + d)^k. Monthly steps are a mean month, 365.25 / 12 / 7 weeks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from recovery.core.purchases.summary import FloatArray
from recovery.errors import ModelError

WEEKS_PER_MONTH = 365.25 / 12 / 7


def discounted_value(
    expected_purchases: Callable[[float], FloatArray],
    spend: npt.ArrayLike,
    months: int,
    monthly_discount: float = 0.01,
) -> FloatArray:
    """Expected discounted value of each customer over the next ``months`` months.

    ``expected_purchases(t)`` gives each customer's expected purchases in the next ``t`` weeks (for
    example a model's conditional expectation); ``spend`` is the expected value of one purchase.
    """
    if months < 0 or not monthly_discount > -1:
        raise ModelError(f"value: months must be >= 0 and the discount rate > -1; got {months} and {monthly_discount}")
    amount = np.asarray(spend, dtype=np.float64)
    before = expected_purchases(0.0)
    total = np.zeros(np.broadcast_shapes(before.shape, amount.shape))
    for month in range(1, months + 1):
        until = expected_purchases(month * WEEKS_PER_MONTH)
        total += (until - before) * amount / (1 + monthly_discount) ** month
        before = until
    return total
