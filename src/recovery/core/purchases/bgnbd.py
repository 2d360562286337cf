"""The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While alive a customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out
with probability p ~ Beta(a, b). Times are in weeks; x, t_x and T as in ``summary``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy.special import expit, gammaln, hyp2f1

from recovery.core.purchases.fit import FitResult, by_value, maximise, weighted_rows, weighted_total
from recovery.core.purchases.summary import FloatArray, histories, on_distinct
from recovery.errors import ModelError

MODEL = "bg/nbd"
NEAR_ONE = 1e-5


@dataclass(frozen=True, slots=True)
class BGNBDParams:
    """Purchase rate λ ~ Gamma(shape r, rate α); dropout probability p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float

    @classmethod
    def from_fit(cls, fit: FitResult) -> BGNBDParams:
        """The parameters of a BG/NBD fit."""
        if fit.model != MODEL:
            raise ModelError(f"{MODEL}: cannot take parameters from a {fit.model} fit")
        return cls(**fit.params)


def log_likelihood(params: BGNBDParams, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
    """Log-likelihood of each customer's history (equation 6 of the paper, in logs)."""
    xs, ts, Ts = histories(MODEL, x, t_x, T)
    return _log_likelihood(params, xs, ts, Ts, _log_shared(params, xs))


def _log_shared(params: BGNBDParams, x: FloatArray) -> FloatArray:
    """log(A_1 A_2): the part of the likelihood that depends on x alone, so a fit computes it once per x."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    # B(a, b + x) / B(a, b) in gammaln terms: Γ(a) cancels, and two gammaln cost less than one betaln.
    ratio = gammaln(b + x) - gammaln(a + b + x) + gammaln(a + b) - gammaln(b)
    return np.asarray(gammaln(r + x) - gammaln(r) + r * np.log(alpha) + ratio, dtype=np.float64)


def _log_likelihood(
    params: BGNBDParams, x: FloatArray, t_x: FloatArray, T: FloatArray, shared: FloatArray
) -> FloatArray:
    r, alpha = params.r, params.alpha
    still_alive = -(r + x) * np.log(alpha + T)
    return np.asarray(shared + np.logaddexp(still_alive, _log_dropped(params, x, t_x)), dtype=np.float64)


def _log_dropped(params: BGNBDParams, x: FloatArray, t_x: FloatArray) -> FloatArray:
    """Log of the term for "dropped out right after the last purchase"; −inf when x = 0 (impossible)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    # b + x − 1 is only a valid denominator when x > 0; the x = 0 rows get −inf below.
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x)
    return np.where(repeat, term, -np.inf)


def fit_bgnbd(
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    start: BGNBDParams | None = None,
    *,
    standard_errors: bool = True,
) -> FitResult:
    """Maximum-likelihood BG/NBD parameters, summed over the distinct histories weighted by their counts."""
    xs, ts, Ts = histories(MODEL, x, t_x, T)
    if not (xs > 0).any():
        raise ModelError(f"{MODEL}: no customer bought more than once, so the dropout process cannot be estimated")
    (ux, ut, uT), weights = weighted_rows(xs, ts, Ts)
    x_values, x_index = by_value(ux)

    def total(p: FloatArray) -> float:
        params = BGNBDParams(*p)
        return weighted_total(weights, _log_likelihood(params, ux, ut, uT, _log_shared(params, x_values)[x_index]))

    first = start or BGNBDParams(1.0, 1.0, 1.0, 1.0)
    initial = np.array([first.r, first.alpha, first.a, first.b])
    return maximise(MODEL, ("r", "alpha", "a", "b"), total, initial, int(xs.size), standard_errors=standard_errors)


def p_alive(params: BGNBDParams, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
    """P(still alive at T | history); exactly 1 for customers with x = 0, a known property of the model."""
    xs, ts, Ts = histories(MODEL, x, t_x, T)
    return _p_alive(params, xs, ts, Ts)


def _p_alive(params: BGNBDParams, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    # 1 / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^(r+x)), as a logistic of the log-odds so it never overflows.
    log_odds_dead = _log_dropped(params, x, t_x) + (params.r + x) * np.log(params.alpha + T)
    return np.asarray(expit(-log_odds_dead), dtype=np.float64)


def conditional_expected_purchases(
    params: BGNBDParams, t: float, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """E[X(T, T + t) | history]: expected purchases in the next ``t`` weeks (equation 10 of the paper)."""
    xs, ts, Ts = histories(MODEL, x, t_x, T)
    return _purchases_if_alive(params, t, xs, Ts) * _p_alive(params, xs, ts, Ts)


def purchases_if_alive(
    params: BGNBDParams, t: float, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Expected purchases in the next ``t`` weeks if still alive; times ``p_alive`` it is the conditional."""
    xs, _, Ts = histories(MODEL, x, t_x, T)
    return _purchases_if_alive(params, t, xs, Ts)


def expected_purchases(params: BGNBDParams, t: npt.ArrayLike) -> FloatArray:
    """E[X(t)]: expected repeat purchases in ``t`` weeks of a customer who has just made a first purchase."""
    ts = np.asarray(t, dtype=np.float64)
    return _purchases_if_alive(params, ts, np.zeros_like(ts), np.zeros_like(ts))


def _purchases_if_alive(params: BGNBDParams, t: float | FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:
    """Expected purchases in (T, T + t] of a customer alive at T with x repeat purchases.

    (a+b+x−1)/(a−1) (1 − (1−z)^(a−1) 2F1(a+b−1−r, a−1; a+b+x−1; z)) with z = t/(α+T+t): Euler's form
    of equation 10, whose 2F1 does not overflow for large x. At a = 1 it is 0/0 with a smooth limit,
    taken between a = 1 ± 1e-5 (the error, of order 1e-10, is below what cancellation would cost).
    """
    if np.ndim(t) == 0:  # one horizon for everyone: the 2F1 depends on (x, T) alone
        return on_distinct(lambda xs, Ts: _purchases_if_alive_anywhere(params, t, xs, Ts), x, T)
    return _purchases_if_alive_anywhere(params, t, x, T)


def _purchases_if_alive_anywhere(
    params: BGNBDParams, t: float | FloatArray, x: FloatArray, T: FloatArray
) -> FloatArray:
    if abs(params.a - 1) >= NEAR_ONE:
        return _purchases_if_alive_away_from_one(params, t, x, T)
    low, high = (_purchases_if_alive_away_from_one(replace(params, a=a), t, x, T) for a in (1 - NEAR_ONE, 1 + NEAR_ONE))
    share = (params.a - (1 - NEAR_ONE)) / (2 * NEAR_ONE)
    return np.asarray(low + share * (high - low), dtype=np.float64)


def _purchases_if_alive_away_from_one(
    params: BGNBDParams, t: float | FloatArray, x: FloatArray, T: FloatArray
) -> FloatArray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = np.asarray(t, dtype=np.float64) / (alpha + T + t)
    with np.errstate(invalid="ignore"):
        remaining = (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    expected = np.asarray((a + b + x - 1) / (a - 1) * (1 - remaining), dtype=np.float64)
    if not np.isfinite(expected).all():
        # scipy's 2F1 gives NaN for large x when t is many times α + T; say so rather than pass NaN on.
        raise ModelError(
            f"{MODEL}: expected purchases over t = {np.max(t):.4g} weeks cannot be evaluated for "
            f"{np.count_nonzero(~np.isfinite(expected))} customers (x up to {np.max(x, initial=0):.0f})"
        )
    return expected


def p_no_purchases(params: BGNBDParams, t: npt.ArrayLike) -> FloatArray:
    """P(X(t) = 0): the chance that a new customer makes no repeat purchase in ``t`` weeks."""
    ts = np.asarray(t, dtype=np.float64)
    return np.asarray((params.alpha / (params.alpha + ts)) ** params.r, dtype=np.float64)
