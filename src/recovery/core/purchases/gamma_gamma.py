"""The Gamma-Gamma model of spend per purchase (Fader & Hardie 2013; Fader, Hardie & Lee 2005, "RFM and CLV").

Each purchase of a customer is Gamma(p, ν) distributed, and ν ~ Gamma(q, γ) across customers. It
is fitted on the mean value m_x of the x > 0 repeat purchases only, and needs those to be positive.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln

from recovery.core.purchases.fit import FitResult, by_value, maximise, weighted_rows, weighted_total
from recovery.core.purchases.summary import FloatArray
from recovery.errors import ModelError

MODEL = "gamma-gamma"


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    """Spend per purchase ~ Gamma(shape p, rate ν), with ν ~ Gamma(shape q, rate γ)."""

    p: float
    q: float
    gamma: float

    @classmethod
    def from_fit(cls, fit: FitResult) -> GammaGammaParams:
        """The parameters of a Gamma-Gamma fit."""
        if fit.model != MODEL:
            raise ModelError(f"{MODEL}: cannot take parameters from a {fit.model} fit")
        return cls(**fit.params)


def repeat_buyers(x: npt.ArrayLike, m_x: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """``(x, m_x)`` of the customers with x > 0; refused when any of their average spends is not positive."""
    xs, ms = (np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(np.asarray(x), np.asarray(m_x)))
    repeat = xs > 0
    xs, ms = xs[repeat], ms[repeat]
    bad = ~(np.isfinite(ms) & (ms > 0))
    if bad.any():
        raise ModelError(
            f"{MODEL}: {np.count_nonzero(bad)} of {ms.size} repeat buyers have an average spend m_x that is not "
            "a positive number; the model needs positive values (leave those customers out, or fix their amounts)"
        )
    return xs, ms


def log_likelihood(params: GammaGammaParams, x: npt.ArrayLike, m_x: npt.ArrayLike) -> FloatArray:
    """Log-likelihood of each repeat buyer's average spend m_x given x (customers with x = 0 are left out)."""
    xs, ms = repeat_buyers(x, m_x)
    return _log_likelihood(params, xs, np.log(ms), np.log(ms * xs), _log_shared(params, xs))


def _log_shared(params: GammaGammaParams, x: FloatArray) -> FloatArray:
    """The part of the likelihood that depends on x alone, so a fit computes it once per x."""
    p, q = params.p, params.q
    return np.asarray(gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(params.gamma), dtype=np.float64)


def _log_likelihood(
    params: GammaGammaParams, x: FloatArray, log_m: FloatArray, log_mx: FloatArray, shared: FloatArray
) -> FloatArray:
    # f(m | x) = Γ(px+q) / (Γ(px) Γ(q)) γ^q m^(px−1) x^px / (γ + m x)^(px+q); m^(px−1) x^px = (m x)^px / m
    px = params.p * x
    return np.asarray(
        shared + px * log_mx - log_m - (px + params.q) * np.logaddexp(np.log(params.gamma), log_mx), dtype=np.float64
    )


def fit_gamma_gamma(
    x: npt.ArrayLike, m_x: npt.ArrayLike, start: GammaGammaParams | None = None, *, standard_errors: bool = True
) -> FitResult:
    """Maximum-likelihood Gamma-Gamma parameters from the repeat buyers (x > 0) and their average spend."""
    xs, ms = repeat_buyers(x, m_x)
    if xs.size < 2 or np.ptp(ms) == 0:
        raise ModelError(
            f"{MODEL}: {xs.size} repeat buyers with {np.unique(ms).size} distinct average spends; "
            "the spread of spend across customers cannot be estimated"
        )
    # γ is in units of money: fit on spend in units of its mean, so that no currency makes γ look like
    # a runaway parameter and the search starts close; the density then picks up 1/scale per customer.
    scale = float(np.mean(ms))
    (ux, um), weights = weighted_rows(xs, ms / scale)
    log_mx, log_m = np.log(um * ux), np.log(um)
    x_values, x_index = by_value(ux)

    def total(p: FloatArray) -> float:
        params = GammaGammaParams(*p)
        shared = _log_shared(params, x_values)[x_index]
        return weighted_total(weights, _log_likelihood(params, ux, log_m, log_mx, shared))

    first = start or GammaGammaParams(1.0, 1.0, scale)
    unit = maximise(
        MODEL,
        ("p", "q", "gamma"),
        total,
        np.array([first.p, first.q, first.gamma / scale]),
        xs.size,
        standard_errors=standard_errors,
    )
    return _in_money(unit, scale)


def _in_money(fit: FitResult, scale: float) -> FitResult:
    """A fit on spend divided by ``scale``, expressed in the original units."""
    errors = fit.standard_errors
    return replace(
        fit,
        params={**fit.params, "gamma": fit.params["gamma"] * scale},
        log_likelihood=fit.log_likelihood - fit.customers * float(np.log(scale)),
        standard_errors=None if errors is None else {**errors, "gamma": errors["gamma"] * scale},
    )


def conditional_expected_spend(params: GammaGammaParams, x: npt.ArrayLike, m_x: npt.ArrayLike) -> FloatArray:
    """E[spend per purchase | x, m_x] = (γ + m_x x) p / (p x + q − 1); the population mean p γ / (q − 1) when x = 0."""
    if params.q <= 1:
        raise ModelError(f"{MODEL}: q = {params.q:.4g} <= 1, so the mean spend is infinite")
    xs, ms = (np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(np.asarray(x), np.asarray(m_x)))
    # m_x means nothing when x = 0 (summary leaves it 0); never let a NaN there leak into the mean.
    ms = np.where(xs > 0, ms, 0.0)
    return np.asarray((params.gamma + ms * xs) * params.p / (params.p * xs + params.q - 1), dtype=np.float64)
