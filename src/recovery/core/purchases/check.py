"""How far to trust a fitted model on the business's own data: predict a holdout period, compare.

Fit on purchases up to a date, predict each customer's repeat purchases in the weeks after it, and
compare with what they bought: in total, by how often they bought before (the classic table of
0, 1, … 7+ calibration purchases), and by how well 1 − P(alive) ranks the customers who bought
nothing after the date (the area under the ROC curve: 0.5 is a coin, 1 is perfect).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from recovery.core.purchases import bgnbd, pareto_nbd
from recovery.core.purchases.fit import FitResult
from recovery.core.purchases.summary import PurchaseSummary

FloatArray = npt.NDArray[np.float64]
TOP_FREQUENCY = 7  # the table's last row is "7 or more"


@dataclass(frozen=True)
class HoldoutCheck:
    """Predicted against actual repeat purchases in the holdout weeks, and the AUC of 1 − P(alive)."""

    weeks: float
    predicted: float
    actual: float
    by_frequency: list[dict[str, Any]]
    auc: float | None

    def view(self) -> dict[str, Any]:
        """As ``model check --json`` shows it."""
        return {
            "holdout_weeks": round(self.weeks, 2),
            "predicted": round(self.predicted, 1),
            "actual": self.actual,
            "by_frequency": self.by_frequency,
            "auc": None if self.auc is None else round(self.auc, 4),
        }


def check(fit: FitResult, calibration: PurchaseSummary, actual: npt.ArrayLike, weeks: float) -> HoldoutCheck:
    """Compare ``fit``'s predictions for the ``weeks`` after calibration with ``actual`` (aligned with it)."""
    bought = np.asarray(actual, dtype=np.float64)
    expected, alive = _predict(fit, calibration, weeks)
    rows = []
    frequency = np.minimum(calibration.x, TOP_FREQUENCY)
    for level in range(TOP_FREQUENCY + 1):
        chosen = frequency == level
        if chosen.any():
            rows.append(
                {
                    "repeat_purchases_before": f"{level}+" if level == TOP_FREQUENCY else str(level),
                    "customers": int(chosen.sum()),
                    "predicted_mean": round(float(expected[chosen].mean()), 3),
                    "actual_mean": round(float(bought[chosen].mean()), 3),
                }
            )
    return HoldoutCheck(weeks, float(expected.sum()), float(bought.sum()), rows, auc(1 - alive, bought == 0))


def _predict(fit: FitResult, s: PurchaseSummary, weeks: float) -> tuple[FloatArray, FloatArray]:
    if fit.model == bgnbd.MODEL:
        params = bgnbd.BGNBDParams.from_fit(fit)
        expected = bgnbd.conditional_expected_purchases(params, weeks, s.x, s.t_x, s.T)
        return expected, bgnbd.p_alive(params, s.x, s.t_x, s.T)
    pareto = pareto_nbd.ParetoNBDParams.from_fit(fit)
    expected = pareto_nbd.conditional_expected_purchases(pareto, weeks, s.x, s.t_x, s.T)
    return expected, pareto_nbd.p_alive(pareto, s.x, s.t_x, s.T)


def auc(scores: npt.ArrayLike, positive: npt.ArrayLike) -> float | None:
    """The chance a positive outranks a negative (ties count half); None when either class is empty."""
    score = np.asarray(scores, dtype=np.float64)
    label = np.asarray(positive, dtype=bool)
    positives, negatives = int(label.sum()), int((~label).sum())
    if not positives or not negatives:
        return None
    ranks = rankdata(score)
    return float((ranks[label].sum() - positives * (positives + 1) / 2) / (positives * negatives))
