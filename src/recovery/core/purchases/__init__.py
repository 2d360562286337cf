"""Buy-till-you-die purchase models: BG/NBD, Pareto/NBD, Gamma-Gamma spend and lifetime value.

Pure numpy/scipy, no I/O. From raw purchases, ``summarise`` builds the per-customer inputs
(x, t_x, T, m_x); each model module fits its parameters and scores customers from them.
"""

from __future__ import annotations

from recovery.core.purchases import bgnbd, gamma_gamma, pareto_nbd
from recovery.core.purchases.bgnbd import BGNBDParams, fit_bgnbd
from recovery.core.purchases.fit import FitResult
from recovery.core.purchases.gamma_gamma import GammaGammaParams, fit_gamma_gamma
from recovery.core.purchases.pareto_nbd import ParetoNBDParams, fit_pareto_nbd
from recovery.core.purchases.summary import PurchaseSummary, summarise
from recovery.core.purchases.value import discounted_value

__all__ = [
    "BGNBDParams",
    "FitResult",
    "GammaGammaParams",
    "ParetoNBDParams",
    "PurchaseSummary",
    "bgnbd",
    "discounted_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_pareto_nbd",
    "gamma_gamma",
    "pareto_nbd",
    "summarise",
]
