"""The Gauss hypergeometric function of the Pareto/NBD likelihood, in logs and reliable up to z → 1.

What is needed is log[(1 − z)^−δ 2F1(1, p − δ; p + 1; z)] for p > 0, p − δ > 0 and 0 ≤ z < 1. Measured
against mpmath, scipy's ``hyp2f1`` is exact to about 1e-15 here for z ≤ 0.75, but above that it returns
NaN once p passes a few hundred and NaN, inf or plainly wrong values when δ is (close to) an integer.
Above 0.75 the function is therefore integrated instead, from its Euler integral
(1 − z)^−δ 2F1(1, p − δ; p + 1; z) = p z^−p ∫_0^M e^(δν) (1 − e^−ν)^(p−1) dν, with M = −log(1 − z),
which has no trouble at integer δ: the head ν ≤ 1 by scipy at z = 1 − 1/e, the rest by Gauss-Legendre.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.polynomial.legendre import leggauss
from scipy.special import betaincc, betaln, hyp2f1, logsumexp

FloatArray = npt.NDArray[np.float64]
SCIPY_UP_TO = 0.75
_x, _w = leggauss(32)
NODES, LOG_WEIGHTS = (_x + 1) / 2, np.log(_w / 2)
HEAD = 1.0  # ν ≤ 1 is z ≤ 1 − 1/e: scipy's ground
# Panels of ν: short where (1 − e^−ν)^(p−1) climbs from 0 to 1 (around ν = log p), longer beyond;
# M = −log(1 − z) reaches 37 only at the last double before 1.
BREAKS = np.array([HEAD, 2.0, 3.5, 5.0, 7.0, 10.0, 15.0, 22.0, 38.0])


def log_hyp2f1_scaled(
    delta: npt.ArrayLike, p: npt.ArrayLike, z: npt.ArrayLike, one_minus_z: npt.ArrayLike
) -> FloatArray:
    """log[(1 − z)^−δ 2F1(1, p − δ; p + 1; z)]; ``one_minus_z`` is 1 − z computed without cancellation."""
    d, pp, zz, omz = (np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(delta, p, z, one_minus_z))
    out = np.empty(d.shape)
    near = zz > SCIPY_UP_TO
    far = ~near
    out[far] = -d[far] * np.log(omz[far]) + np.log(hyp2f1(1.0, pp[far] - d[far], pp[far] + 1, zz[far]))
    # δ < 0 makes the integral a plain incomplete beta B_z(p, −δ) = B(p, −δ) I_(1−z)(−δ, p) upper, which
    # scipy has to full precision away from δ = 0 (taken from 1 − z, which z near 1 no longer holds).
    beta = near & (d < -0.05)
    out[beta] = (
        np.log(pp[beta])
        - pp[beta] * np.log(zz[beta])
        + betaln(pp[beta], -d[beta])
        + np.log(betaincc(-d[beta], pp[beta], omz[beta]))
    )
    rest = near & ~beta
    if rest.any():
        out[rest] = _integrated(d[rest], pp[rest], zz[rest], -np.log(omz[rest]))
    return out


def _integrated(delta: FloatArray, p: FloatArray, z: FloatArray, m: FloatArray) -> FloatArray:
    """log[p z^−p ∫_0^M e^(δν) (1 − e^−ν)^(p−1) dν], for M > 1."""
    w = -np.expm1(-HEAD)
    # ∫_0^1 is the incomplete beta B_w(p, −δ) = w^p / p (1 − w)^−δ 2F1(1, p − δ; p + 1; w).
    head = p * np.log(w) - np.log(p) + delta * HEAD + np.log(hyp2f1(1.0, p - delta, p + 1, w))
    ends = np.minimum(BREAKS[None, :], m[:, None])
    body = np.full(m.shape, -np.inf)
    for i in range(BREAKS.size - 1):
        used = ends[:, i + 1] > ends[:, i]  # panels past M are empty
        if used.any():
            panel = _panel(delta[used], p[used], ends[used, i], ends[used, i + 1])
            body[used] = np.logaddexp(body[used], panel)
    return np.asarray(np.log(p) - p * np.log(z) + np.logaddexp(head, body), dtype=np.float64)


def _panel(delta: FloatArray, p: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """log ∫_a^b h(ν) dν for h = e^(δν) (1 − e^−ν)^(p−1), with 1 ≤ a ≤ b; −inf when a = b.

    Measured by ρ from the end where h is largest, the tangent exponential e^(−λρ) of log h there is
    absorbed by ζ = (1 − e^(−λρ)) / λ; what is left for Gauss-Legendre varies slowly, however steep h is.
    """
    at_b = _log_h(delta, p, b) >= _log_h(delta, p, a)
    anchor = np.where(at_b, b, a)
    slope = delta + (p - 1) / np.expm1(anchor)
    rate = np.maximum(np.where(at_b, slope, -slope), 0.0)[:, None]
    length = (b - a)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        # ρ = u / (λ (1 − u)): e^(−λρ) goes to 0 smoothly as u → 1, so a finite panel ends at u < 1.
        scaled = rate * length
        top = np.where(rate > 0, scaled / (1 + scaled), 1.0)
        u = top * NODES
        rho = np.where(rate > 0, u / (np.where(rate > 0, rate, 1.0) * (1 - u)), length * NODES)
        jacobian = np.where(rate > 0, 1 / (np.where(rate > 0, rate, 1.0) * (1 - u) ** 2), length)
        nu = np.where(at_b[:, None], b[:, None] - rho, a[:, None] + rho)
        log_f = _log_h(delta[:, None], p[:, None], nu) - _log_h(delta, p, anchor)[:, None] + np.log(jacobian)
        total = _log_h(delta, p, anchor) + np.log(top[:, 0]) + logsumexp(log_f + LOG_WEIGHTS, axis=1)
    return np.asarray(total, dtype=np.float64)


def _log_h(delta: FloatArray, p: FloatArray, nu: FloatArray) -> FloatArray:
    return np.asarray(delta * nu + (p - 1) * np.log(-np.expm1(-nu)), dtype=np.float64)
