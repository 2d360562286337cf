"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), in the form of Fader, Hardie & Lee (2005).

While alive a customer buys at a Poisson rate λ ~ Gamma(r, α) and lives an exponential lifetime
of rate μ ~ Gamma(s, β). Times are in weeks; x, t_x and T as in ``summary``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import expit, gammaln

from recovery.core.purchases.fit import FitResult, by_value, maximise, weighted_rows, weighted_total
from recovery.core.purchases.hypergeometric import log_hyp2f1_scaled
from recovery.core.purchases.summary import FloatArray, distinct_rows, histories, on_distinct
from recovery.errors import ModelError

MODEL = "pareto/nbd"


@dataclass(frozen=True, slots=True)
class ParetoNBDParams:
    """Purchase rate λ ~ Gamma(shape r, rate α); dropout rate μ ~ Gamma(shape s, rate β)."""

    r: float
    alpha: float
    s: float
    beta: float

    @classmethod
    def from_fit(cls, fit: FitResult) -> ParetoNBDParams:
        """The parameters of a Pareto/NBD fit."""
        if fit.model != MODEL:
            raise ModelError(f"{MODEL}: cannot take parameters from a {fit.model} fit")
        return cls(**fit.params)


def _log_end_term(params: ParetoNBDParams, x: FloatArray, t: FloatArray) -> FloatArray:
    """Log of the 2F1 term of A_0 at time ``t``, in Fader & Hardie's two branches (α ≥ β or α < β).

    α ≥ β: 2F1(p, s+1; p+1; z) / (α+t)^p with z = (α−β)/(α+t); α < β: 2F1(p, r+x; p+1; z) / (β+t)^p with
    z = (β−α)/(β+t); p = r+s+x. Both are (1−z)^−δ 2F1(1, p−δ; p+1; z) / (max(α, β)+t)^p by Euler's
    transformation, with δ = s or r+x−1: a form that stays finite for large x and for z near 1.
    """
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    p = r + s + x
    high, low = max(alpha, beta), min(alpha, beta)
    delta = s if alpha >= beta else r + x - 1
    log_f = log_hyp2f1_scaled(delta, p, (high - low) / (high + t), (low + t) / (high + t))
    return np.asarray(log_f - p * np.log(high + t), dtype=np.float64)


def _log_a0(at_t_x: FloatArray, at_T: FloatArray) -> FloatArray:
    """log(A_0) = log(term(t_x) − term(T)); −inf when t_x = T (no time left to have died in)."""
    gap = np.minimum(at_T - at_t_x, 0.0)  # rounding can put term(T) a hair above term(t_x)
    with np.errstate(divide="ignore"):
        log1mexp = np.where(gap > -np.log(2), np.log(-np.expm1(gap)), np.log1p(-np.exp(gap)))
    return np.asarray(at_t_x + log1mexp, dtype=np.float64)


def _log_likelihood(params: ParetoNBDParams, x: FloatArray, log_a0: FloatArray, T: FloatArray) -> FloatArray:
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    shared = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) - np.log(r + s + x) + log_a0
    return np.asarray(shared + np.logaddexp(alive, died), dtype=np.float64)


def log_likelihood(params: ParetoNBDParams, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
    """Log-likelihood of each customer's history."""
    xs, ts, Ts = histories(MODEL, x, t_x, T)
    log_a0 = _log_a0(_log_end_term(params, xs, ts), _log_end_term(params, xs, Ts))
    return _log_likelihood(params, xs, log_a0, Ts)


def fit_pareto_nbd(
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    start: ParetoNBDParams | None = None,
    *,
    standard_errors: bool = True,
) -> FitResult:
    """Maximum-likelihood Pareto/NBD parameters, summed over the distinct histories weighted by their counts."""
    xs, ts, Ts = histories(MODEL, x, t_x, T)
    if not (xs > 0).any():
        raise ModelError(f"{MODEL}: no customer bought more than once, so the purchase rate cannot be estimated")
    (ux, ut, uT), weights = weighted_rows(xs, ts, Ts)
    # The 2F1 terms depend on (x, t_x) and on (x, T) only: evaluate them once per distinct pair.
    (px, pt), at_t_x = _pairs(ux, ut)
    (qx, qT), at_T = _pairs(ux, uT)

    # Terms of x alone and of T alone are computed once per distinct value (a few dozen x, a few
    # hundred T), not once per history.
    x_values, x_index = by_value(ux)
    T_values, T_index = by_value(uT)

    def total(p: FloatArray) -> float:
        params = ParetoNBDParams(*p)
        r, alpha, s, beta = p
        log_a0 = _log_a0(_log_end_term(params, px, pt)[at_t_x], _log_end_term(params, qx, qT)[at_T])
        shared = gammaln(r + x_values) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        died = np.log(s) - np.log(r + s + x_values)
        alive = -(r + ux) * np.log(alpha + T_values)[T_index] - s * np.log(beta + T_values)[T_index]
        values = shared[x_index] + np.logaddexp(alive, died[x_index] + log_a0)
        return weighted_total(weights, values)

    first = start or ParetoNBDParams(1.0, 1.0, 1.0, 1.0)
    initial = np.array([first.r, first.alpha, first.s, first.beta])
    return maximise(MODEL, ("r", "alpha", "s", "beta"), total, initial, int(xs.size), standard_errors=standard_errors)


def _pairs(x: FloatArray, t: FloatArray) -> tuple[tuple[FloatArray, FloatArray], npt.NDArray[np.intp]]:
    """The distinct (x, t) pairs and, for each row, the index of its pair."""
    (xs, ts), inverse, _ = distinct_rows(x, t)
    return (xs, ts), inverse


def _log_odds_dead(params: ParetoNBDParams, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    """log of P(dead) / P(alive) at T given the history."""
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    # The 2F1 terms depend on (x, t_x) and (x, T) alone: once per distinct pair.
    at_t_x = on_distinct(lambda xs, ts: _log_end_term(params, xs, ts), x, t_x)
    at_T = on_distinct(lambda xs, Ts: _log_end_term(params, xs, Ts), x, T)
    log_a0 = _log_a0(at_t_x, at_T)
    tail = (r + x) * np.log(alpha + T) + s * np.log(beta + T)
    return np.asarray(np.log(s) - np.log(r + s + x) + tail + log_a0, dtype=np.float64)


def p_alive(params: ParetoNBDParams, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
    """P(still alive at T | history); below 1 even for customers with x = 0, unlike the BG/NBD."""
    xs, ts, Ts = histories(MODEL, x, t_x, T)
    return np.asarray(expit(-_log_odds_dead(params, xs, ts, Ts)), dtype=np.float64)


def conditional_expected_purchases(
    params: ParetoNBDParams, t: float, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """E[X(T, T + t) | history]: expected purchases in the next ``t`` weeks."""
    xs, ts, Ts = histories(MODEL, x, t_x, T)
    alive = expit(-_log_odds_dead(params, xs, ts, Ts))
    return np.asarray(_purchases_if_alive(params, t, xs, Ts) * alive, dtype=np.float64)


def purchases_if_alive(
    params: ParetoNBDParams, t: float, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Expected purchases in the next ``t`` weeks if still alive; times ``p_alive`` it is the conditional."""
    xs, _, Ts = histories(MODEL, x, t_x, T)
    return _purchases_if_alive(params, t, xs, Ts)


def _purchases_if_alive(params: ParetoNBDParams, t: float, x: FloatArray, T: FloatArray) -> FloatArray:
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    # ∫ survival over the next t weeks; written with expm1/log1p so that s = 1 is its limit, not 0/0.
    horizon = np.log1p(t / (beta + T))
    shrink = (s - 1) * horizon
    survival = horizon if s == 1 else -np.expm1(-shrink) / (s - 1)
    rate = (r + x) / (alpha + T) * (beta + T)
    return np.asarray(rate * survival, dtype=np.float64)
