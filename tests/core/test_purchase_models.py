"""The purchase models against the published CDNOW results, and their known properties.

Published figures: Fader, Hardie & Lee (2005) for the BG/NBD and Pareto/NBD, Fader & Hardie (2013)
for the Gamma-Gamma; the data and the figures are described in tests/data/cdnow/PROVENANCE.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from recovery.core.purchases import (
    BGNBDParams,
    FitResult,
    GammaGammaParams,
    ParetoNBDParams,
    PurchaseSummary,
    bgnbd,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_pareto_nbd,
    gamma_gamma,
    pareto_nbd,
    summarise,
)
from recovery.errors import ModelError

CDNOW = Path(__file__).resolve().parent.parent / "data" / "cdnow" / "CDNOW_sample.txt"
PUBLISHED_BGNBD = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
PUBLISHED_PARETO = ParetoNBDParams(r=0.553, alpha=10.578, s=0.606, beta=11.669)
PUBLISHED_SPEND = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
# Published to 3 or 4 significant digits: 0.5% covers the rounding of every one of them.
PARAMS_REL = 0.005


@cache
def cdnow(until: date = date(1997, 9, 30)) -> PurchaseSummary:
    """The raw CDNOW sample through ``summarise``; by default until the published calibration end."""
    raw = np.loadtxt(CDNOW, dtype=str)
    days = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    return summarise(raw[:, 1], days, raw[:, 4].astype(float), until)


@cache
def cdnow_fit(model: str) -> FitResult:
    data = cdnow()
    if model == "bg/nbd":
        return fit_bgnbd(data.x, data.t_x, data.T)
    if model == "pareto/nbd":
        return fit_pareto_nbd(data.x, data.t_x, data.T)
    return fit_gamma_gamma(data.x, data.m_x)


def test_cdnow_has_2357_customers_and_946_repeat_buyers() -> None:
    data = cdnow()
    assert len(data) == 2357
    assert np.count_nonzero(data.x > 0) == 946


def test_the_6919_cdnow_rows_of_the_whole_78_weeks_merge_into_6696_purchase_days() -> None:
    assert int((cdnow(date(1998, 6, 30)).x + 1).sum()) == 6696


@pytest.mark.parametrize(
    ("model", "published", "log_likelihood"),
    [("bg/nbd", PUBLISHED_BGNBD, -9582.4), ("pareto/nbd", PUBLISHED_PARETO, -9595.0)],
    ids=["bgnbd", "pareto-nbd"],
)
def test_the_cdnow_fit_reproduces_the_published_estimates_and_log_likelihood(
    model: str, published: BGNBDParams | ParetoNBDParams, log_likelihood: float
) -> None:
    fit = cdnow_fit(model)
    for name, value in fit.params.items():
        assert value == pytest.approx(getattr(published, name), rel=PARAMS_REL), name
    assert fit.log_likelihood == pytest.approx(log_likelihood, abs=0.05)  # published to one decimal
    assert fit.customers == 2357
    assert fit.converged


def test_the_gamma_gamma_fit_on_the_946_cdnow_repeat_buyers_reproduces_the_published_estimates() -> None:
    fit = cdnow_fit("gamma-gamma")
    assert fit.customers == 946
    assert fit.params == pytest.approx(
        {"p": PUBLISHED_SPEND.p, "q": PUBLISHED_SPEND.q, "gamma": PUBLISHED_SPEND.gamma}, rel=PARAMS_REL
    )


@pytest.mark.parametrize("model", ["bg/nbd", "pareto/nbd", "gamma-gamma"])
def test_a_cdnow_fit_reports_positive_finite_standard_errors(model: str) -> None:
    errors = cdnow_fit(model).standard_errors
    assert errors is not None
    assert errors.keys() == cdnow_fit(model).params.keys()
    assert all(0 < se < np.inf for se in errors.values())


def test_the_bgnbd_log_likelihood_at_the_published_estimates_is_the_published_one() -> None:
    data = cdnow()
    assert bgnbd.log_likelihood(PUBLISHED_BGNBD, data.x, data.t_x, data.T).sum() == pytest.approx(-9582.4, abs=0.1)


def test_the_bgnbd_chance_of_no_repeat_purchase_in_39_weeks_is_the_published_one() -> None:
    assert bgnbd.p_no_purchases(PUBLISHED_BGNBD, 39.0) == pytest.approx(0.5737864, abs=5e-8)


def test_the_bgnbd_conditional_expectation_is_the_published_one() -> None:
    expected = bgnbd.conditional_expected_purchases(PUBLISHED_BGNBD, 39.0, 2, 30.43, 38.86)
    assert expected == pytest.approx(1.226, abs=5e-4)


def test_the_bgnbd_unconditional_expectation_grows_with_time_and_starts_at_zero() -> None:
    expected = bgnbd.expected_purchases(PUBLISHED_BGNBD, np.array([0.0, 13.0, 39.0, 78.0]))
    assert expected[0] == 0
    assert np.all(np.diff(expected) > 0)


@pytest.mark.parametrize(
    ("x", "m_x", "published"), [(2, 22.35, 24.65), (1, 11.77, 18.91), (7, 73.74, 71.46)], ids=["x2", "x1", "x7"]
)
def test_the_gamma_gamma_expected_spend_is_the_published_one(x: int, m_x: float, published: float) -> None:
    # The published figures come from the unrounded estimates: 3 significant digits of p, q, γ.
    assert gamma_gamma.conditional_expected_spend(PUBLISHED_SPEND, x, m_x) == pytest.approx(published, rel=1e-3)


def test_the_gamma_gamma_expected_spend_of_a_one_time_buyer_is_the_population_mean() -> None:
    p, q, gamma = PUBLISHED_SPEND.p, PUBLISHED_SPEND.q, PUBLISHED_SPEND.gamma
    assert gamma_gamma.conditional_expected_spend(PUBLISHED_SPEND, 0, 0.0) == pytest.approx(p * gamma / (q - 1))


def test_bgnbd_gives_every_customer_who_never_bought_again_p_alive_of_one() -> None:
    data = cdnow()
    once = data.x == 0
    assert np.all(bgnbd.p_alive(PUBLISHED_BGNBD, data.x[once], data.t_x[once], data.T[once]) == 1.0)


def test_pareto_nbd_does_not_give_customers_who_never_bought_again_p_alive_of_one() -> None:
    data = cdnow()
    once = data.x == 0
    alive = pareto_nbd.p_alive(PUBLISHED_PARETO, data.x[once], data.t_x[once], data.T[once])
    assert np.all((alive > 0) & (alive < 1))
    assert alive.mean() < 0.5


@pytest.mark.parametrize(
    ("p_alive", "params"),
    [(bgnbd.p_alive, PUBLISHED_BGNBD), (pareto_nbd.p_alive, PUBLISHED_PARETO)],
    ids=["bgnbd", "pareto-nbd"],
)
def test_p_alive_falls_the_longer_a_frequent_buyer_has_been_silent(
    p_alive: Callable[..., np.ndarray], params: BGNBDParams | ParetoNBDParams
) -> None:
    alive = p_alive(params, 5, np.array([38.0, 30.0, 10.0]), 38.86)
    assert np.all(np.diff(alive) < 0)


def test_pareto_nbd_conditional_expectation_is_expected_purchases_times_p_alive() -> None:
    # For x = 0 and a customer just acquired, E = r/α × (β/(s−1)) (1 − (β/(β+t))^(s−1)) × P(alive).
    r, alpha, s, beta = PUBLISHED_PARETO.r, PUBLISHED_PARETO.alpha, PUBLISHED_PARETO.s, PUBLISHED_PARETO.beta
    unconditional = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + 39)) ** (s - 1))
    assert pareto_nbd.conditional_expected_purchases(PUBLISHED_PARETO, 39.0, 0, 0.0, 0.0) == pytest.approx(
        unconditional
    )


def test_parameters_of_one_model_are_not_taken_from_the_fit_of_another() -> None:
    with pytest.raises(ModelError, match="bg/nbd: cannot take parameters from a gamma-gamma fit"):
        BGNBDParams.from_fit(cdnow_fit("gamma-gamma"))


def test_parameters_are_taken_from_the_fit_of_their_model() -> None:
    assert ParetoNBDParams.from_fit(cdnow_fit("pareto/nbd")).r == cdnow_fit("pareto/nbd").params["r"]
