"""Fitting: known parameters are recovered from simulated customers; degenerate data are refused."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from recovery.core.purchases import (
    BGNBDParams,
    FitResult,
    GammaGammaParams,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_pareto_nbd,
)
from recovery.core.purchases.fit import maximise
from recovery.errors import ModelError

Floats = npt.NDArray[np.float64]
SEED = 20050101
# A fit is a random draw around the truth: allow three of the standard errors the fit reports.
WITHIN_SE = 3.0


def simulate_bgnbd(params: BGNBDParams, customers: int, rng: np.random.Generator) -> tuple[Floats, Floats, Floats]:
    """x, t_x, T of customers acquired over 12 weeks and watched until week 52 (continuous time)."""
    rate = rng.gamma(params.r, 1 / params.alpha, customers)
    dropout = rng.beta(params.a, params.b, customers)
    big_t = 52 - rng.uniform(0, 12, customers)
    x, t_x = np.zeros(customers), np.zeros(customers)
    active, clock = np.arange(customers), np.zeros(customers)
    while active.size:
        clock = clock + rng.exponential(1 / rate[active])
        inside = clock < big_t[active]
        active, clock = active[inside], clock[inside]
        x[active] += 1
        t_x[active] = clock
        survives = rng.random(active.size) > dropout[active]  # may drop out after each repeat purchase
        active, clock = active[survives], clock[survives]
    return x, t_x, big_t


def simulate_spend(params: GammaGammaParams, customers: int, rng: np.random.Generator) -> tuple[Floats, Floats]:
    """x > 0 and the mean of x Gamma(p, ν) purchases, with ν ~ Gamma(q, γ) per customer."""
    x = 1 + rng.poisson(3, customers).astype(np.float64)
    nu = rng.gamma(params.q, 1 / params.gamma, customers)
    m_x = rng.gamma(params.p * x, 1 / nu) / x  # the sum of x Gamma(p, ν) is Gamma(p x, ν)
    return x, m_x


def assert_recovered(fit: FitResult, truth: dict[str, float]) -> None:
    assert fit.standard_errors is not None
    for name, value in truth.items():
        distance = abs(fit.params[name] - value) / fit.standard_errors[name]
        assert distance < WITHIN_SE, f"{name}: fitted {fit.params[name]:.4g}, true {value}, {distance:.1f} SE away"


def test_bgnbd_recovers_the_parameters_customers_were_simulated_from() -> None:
    truth = BGNBDParams(r=0.5, alpha=5.0, a=0.8, b=2.5)
    x, t_x, big_t = simulate_bgnbd(truth, 4000, np.random.default_rng(SEED))
    assert_recovered(fit_bgnbd(x, t_x, big_t), {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5})


def test_gamma_gamma_recovers_the_parameters_spend_was_simulated_from() -> None:
    truth = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    x, m_x = simulate_spend(truth, 3000, np.random.default_rng(SEED))
    assert_recovered(fit_gamma_gamma(x, m_x), {"p": 6.25, "q": 3.74, "gamma": 15.44})


def test_pareto_nbd_fits_bgnbd_customers_close_to_bgnbd_on_the_same_data() -> None:
    # Both models describe the same purchases: their log-likelihoods on one data set differ little.
    x, t_x, big_t = simulate_bgnbd(BGNBDParams(0.5, 5.0, 0.8, 2.5), 2000, np.random.default_rng(SEED))
    bg, pn = fit_bgnbd(x, t_x, big_t), fit_pareto_nbd(x, t_x, big_t)
    assert abs(bg.log_likelihood - pn.log_likelihood) < 0.01 * abs(bg.log_likelihood)


@pytest.mark.parametrize("fit", [fit_bgnbd, fit_pareto_nbd], ids=["bgnbd", "pareto-nbd"])
def test_customers_who_all_bought_once_are_refused_by_the_count_models(fit: Callable[..., FitResult]) -> None:
    with pytest.raises(ModelError, match="no customer bought more than once"):
        fit(np.zeros(50), np.zeros(50), np.full(50, 39.0))


def test_all_zero_spend_is_refused_by_gamma_gamma() -> None:
    with pytest.raises(ModelError, match="gamma-gamma: 50 of 50 repeat buyers have an average spend m_x"):
        fit_gamma_gamma(np.ones(50), np.zeros(50))


def test_a_negative_average_spend_is_refused_by_gamma_gamma() -> None:
    with pytest.raises(ModelError, match="1 of 3 repeat buyers"):
        fit_gamma_gamma([1, 2, 3], [10.0, -5.0, 12.0])


def test_customers_who_never_bought_again_are_left_out_of_gamma_gamma() -> None:
    x, m_x = simulate_spend(GammaGammaParams(6.25, 3.74, 15.44), 500, np.random.default_rng(SEED))
    with_one_timers = fit_gamma_gamma(np.append(x, [0, 0]), np.append(m_x, [0.0, np.nan]))
    assert with_one_timers.customers == 500
    assert with_one_timers.params == fit_gamma_gamma(x, m_x).params


def test_identical_spend_for_everyone_is_refused_by_gamma_gamma() -> None:
    with pytest.raises(ModelError, match="spread of spend across customers cannot be estimated"):
        fit_gamma_gamma(np.full(50, 2.0), np.full(50, 20.0))


def test_histories_that_cannot_be_are_refused_with_the_reason() -> None:
    with pytest.raises(ModelError, match=r"bg/nbd: t_x must lie in \[0, T\]"):
        fit_bgnbd([1, 2], [5.0, 40.0], [39.0, 39.0])
    with pytest.raises(ModelError, match="pareto/nbd: x counts repeat purchases"):
        fit_pareto_nbd([1.5], [5.0], [39.0])


def test_a_likelihood_that_grows_without_bound_is_refused_rather_than_returned() -> None:
    with pytest.raises(ModelError, match="toy: theta ran off towards 0 or infinity"):
        maximise("toy", ("theta",), lambda p: float(np.log(p[0])), np.array([1.0]), 10)


def test_a_likelihood_that_is_nowhere_finite_is_refused_rather_than_returned() -> None:
    with pytest.raises(ModelError, match="toy: the likelihood maximisation did not converge"):
        maximise("toy", ("theta",), lambda p: float("nan"), np.array([1.0]), 10)


def test_a_well_posed_likelihood_gives_its_maximum_and_standard_error() -> None:
    # Poisson counts with total 120 over 40 units of exposure: λ = 3, SE = sqrt(λ / 40).
    fit = maximise("toy", ("rate",), lambda p: float(120 * np.log(p[0]) - 40 * p[0]), np.array([1.0]), 40)
    assert fit.params["rate"] == pytest.approx(3.0, rel=1e-5)
    assert fit.standard_errors is not None
    assert fit.standard_errors["rate"] == pytest.approx(np.sqrt(3.0 / 40), rel=1e-3)
    assert fit.converged


def test_gamma_gamma_does_not_depend_on_the_currency_spend_is_counted_in() -> None:
    x, m_x = simulate_spend(GammaGammaParams(6.25, 3.74, 15.44), 1000, np.random.default_rng(SEED))
    dollars, rials = fit_gamma_gamma(x, m_x), fit_gamma_gamma(x, m_x * 1e6)
    # The same optimisation up to rounding: equal far inside the standard errors.
    assert rials.params == pytest.approx({**dollars.params, "gamma": dollars.params["gamma"] * 1e6}, rel=1e-4)
    assert rials.log_likelihood == pytest.approx(dollars.log_likelihood - 1000 * np.log(1e6), rel=1e-9)


@pytest.mark.parametrize("fit", [fit_bgnbd, fit_pareto_nbd], ids=["bgnbd", "pareto-nbd"])
def test_a_fit_without_standard_errors_finds_the_same_estimates(fit: Callable[..., FitResult]) -> None:
    x, t_x, big_t = simulate_bgnbd(BGNBDParams(0.5, 5.0, 0.8, 2.5), 2000, np.random.default_rng(SEED))
    full, quick = fit(x, t_x, big_t), fit(x, t_x, big_t, standard_errors=False)
    assert (quick.params, quick.log_likelihood, quick.standard_errors) == (full.params, full.log_likelihood, None)


def test_a_spend_fit_without_standard_errors_finds_the_same_estimates() -> None:
    x, m_x = simulate_spend(GammaGammaParams(p=6.25, q=3.74, gamma=15.44), 3000, np.random.default_rng(SEED))
    full, quick = fit_gamma_gamma(x, m_x), fit_gamma_gamma(x, m_x, standard_errors=False)
    assert (quick.params, quick.log_likelihood, quick.standard_errors) == (full.params, full.log_likelihood, None)
