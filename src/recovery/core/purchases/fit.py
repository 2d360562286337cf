"""Maximum-likelihood fitting shared by the purchase models, and the ``FitResult`` they return.

Parameters are optimised on the log scale (they must stay positive) on the mean log-likelihood
(so tolerances do not depend on the number of customers); standard errors come from the
numerical Hessian of the total negative log-likelihood in the original parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from recovery.core.purchases.summary import distinct_rows
from recovery.errors import ModelError

FloatArray = npt.NDArray[np.float64]
LogLikelihood = Callable[[FloatArray], float]
# A fitted parameter beyond these bounds ran off to 0 or infinity: the data do not identify it.
SMALLEST, LARGEST = 1e-6, 1e6


@dataclass(frozen=True, slots=True)
class FitResult:
    """A converged maximum-likelihood fit; ``standard_errors`` is None when the Hessian is not positive definite."""

    model: str
    params: dict[str, float]
    log_likelihood: float
    customers: int
    converged: bool
    iterations: int
    standard_errors: dict[str, float] | None


def weighted_rows(*columns: FloatArray) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """The distinct rows of ``columns`` and how often each occurs: the likelihood is summed once per row."""
    rows, _, counts = distinct_rows(*columns)
    return rows, counts.astype(np.float64)


def weighted_total(weights: FloatArray, values: FloatArray) -> float:
    """Σ weights × values, without BLAS: waking its threads for each of hundreds of small dot products
    costs more than the sum itself on a busy machine (several ms each, measured)."""
    return float(np.sum(weights * values))


def by_value(values: FloatArray) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """The distinct ``values`` and, for each entry, the index of its value: terms of x alone are computed once."""
    distinct, index = np.unique(values, return_inverse=True)
    return distinct, index.reshape(-1)


def maximise(
    model: str,
    names: tuple[str, ...],
    log_likelihood: LogLikelihood,
    start: FloatArray,
    customers: int,
    *,
    standard_errors: bool = True,
) -> FitResult:
    """Maximise ``log_likelihood`` (total over ``customers``) from ``start``; raise ModelError unless it converged.

    ``standard_errors=False`` skips the numerical Hessian: about a quarter of a fit, for a caller that
    keeps only the estimates.
    """

    def objective(log_params: FloatArray) -> float:
        value = -log_likelihood(np.exp(log_params)) / customers
        # A non-finite value is a wall for the optimiser, not a result.
        return value if np.isfinite(value) else np.inf

    # Trial points off in the tails overflow or hit a wall (inf − inf in a finite difference): expected.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        found = minimize(
            objective, np.log(start), method="L-BFGS-B", options={"maxiter": 500, "ftol": 1e-13, "gtol": 1e-9}
        )
        if not found.success:
            # Line searches on finite-difference gradients can stop just short of the optimum; finish there.
            found = minimize(objective, found.x, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-12})
    params = np.exp(found.x)
    _check(model, names, found.success, str(found.message), params, -found.fun * customers)
    total = float(log_likelihood(params))
    return FitResult(
        model=model,
        params=dict(zip(names, (float(p) for p in params), strict=True)),
        log_likelihood=total,
        customers=customers,
        converged=True,
        iterations=int(found.nit),
        standard_errors=_standard_errors(names, log_likelihood, params) if standard_errors else None,
    )


def _check(model: str, names: tuple[str, ...], success: bool, message: str, params: FloatArray, ll: float) -> None:
    """Refuse a fit that did not converge, ended on non-finite values or drove a parameter to a bound."""
    if not success:
        raise ModelError(f"{model}: the likelihood maximisation did not converge ({message})")
    if not (np.isfinite(params).all() and np.isfinite(ll)):
        raise ModelError(f"{model}: the fit ended on non-finite values ({_show(names, params)}, LL = {ll})")
    runaway = [name for name, p in zip(names, params, strict=True) if not SMALLEST < p < LARGEST]
    if runaway:
        raise ModelError(
            f"{model}: {', '.join(runaway)} ran off towards 0 or infinity ({_show(names, params)}); "
            "the data do not identify the model"
        )


def _show(names: tuple[str, ...], params: FloatArray) -> str:
    return ", ".join(f"{name} = {p:.4g}" for name, p in zip(names, params, strict=True))


def _standard_errors(
    names: tuple[str, ...], log_likelihood: LogLikelihood, params: FloatArray
) -> dict[str, float] | None:
    """Square roots of the diagonal of the inverse Hessian of −LL at ``params``; None when it is not invertible."""
    hessian = _hessian(lambda p: -log_likelihood(p), params)
    if not np.isfinite(hessian).all():
        return None
    try:
        np.linalg.cholesky(hessian)  # positive definite, or the optimum is not a proper maximum
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return None
    return dict(zip(names, (float(se) for se in np.sqrt(np.diag(covariance))), strict=True))


def _hessian(f: LogLikelihood, at: FloatArray) -> FloatArray:
    """Central-difference Hessian of ``f`` with steps relative to each parameter, so none crosses zero."""
    steps = 1e-4 * at
    n = at.size
    hessian = np.empty((n, n))
    centre = f(at)
    for i in range(n):
        for j in range(i, n):
            hessian[i, j] = hessian[j, i] = _second_difference(f, at, steps, i, j, centre)
    return hessian


def _second_difference(f: LogLikelihood, at: FloatArray, steps: FloatArray, i: int, j: int, centre: float) -> float:
    """One entry of the Hessian: the diagonal from three points, the rest from four."""
    e_i = np.zeros_like(at)
    e_i[i] = h_i = float(steps[i])
    if i == j:
        return (f(at + e_i) - 2 * centre + f(at - e_i)) / h_i**2
    e_j = np.zeros_like(at)
    e_j[j] = h_j = float(steps[j])
    return (f(at + e_i + e_j) - f(at + e_i - e_j) - f(at - e_i + e_j) + f(at - e_i - e_j)) / (4 * h_i * h_j)
