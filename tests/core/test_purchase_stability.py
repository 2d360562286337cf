"""Numerical stability: large x, long horizons, t_x at either end of [0, T], parameters near zero."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammaln, hyp2f1

from recovery.core.purchases import BGNBDParams, ParetoNBDParams, bgnbd, pareto_nbd
from recovery.core.purchases.hypergeometric import log_hyp2f1_scaled

# Near zero, ordinary, and large; exact integers too, where scipy's 2F1 has trouble near z = 1.
parameters = st.one_of(
    st.floats(min_value=1e-6, max_value=1e-2),
    st.floats(min_value=1e-2, max_value=100.0),
    st.sampled_from([1e-6, 0.5, 1.0, 2.0, 3.0, 500.0]),
)
# Where in [0, T] the last purchase falls: at the start, a hair after it, anywhere, a hair before T, at T.
positions = st.one_of(st.sampled_from([0.0, 1e-12, 1e-9, 1 - 1e-9, 1 - 1e-12, 1.0]), st.floats(0.0, 1.0))


@st.composite
def histories(draw: st.DrawFn) -> tuple[float, float, float]:
    x = draw(st.one_of(st.integers(0, 500), st.sampled_from([0, 1, 2, 499, 500])))
    big_t = draw(st.one_of(st.floats(0.0, 520.0), st.sampled_from([0.0, 1e-9, 1.0, 520.0])))
    return float(x), 0.0 if x == 0 else draw(positions) * big_t, big_t


def assert_finite_probability(values: np.ndarray) -> None:
    assert np.all(np.isfinite(values))
    assert np.all((values >= 0) & (values <= 1))


@settings(max_examples=300, deadline=None)
@given(r=parameters, alpha=parameters, a=parameters, b=parameters, history=histories())
def test_bgnbd_likelihood_and_p_alive_never_overflow_or_turn_nan(
    r: float, alpha: float, a: float, b: float, history: tuple[float, float, float]
) -> None:
    params = BGNBDParams(r, alpha, a, b)
    with np.errstate(over="raise", invalid="raise"):
        assert np.isfinite(bgnbd.log_likelihood(params, *history)).all()
        assert_finite_probability(bgnbd.p_alive(params, *history))


@settings(max_examples=300, deadline=None)
@given(r=parameters, alpha=parameters, s=parameters, beta=parameters, history=histories())
def test_pareto_nbd_likelihood_and_p_alive_never_overflow_or_turn_nan(
    r: float, alpha: float, s: float, beta: float, history: tuple[float, float, float]
) -> None:
    params = ParetoNBDParams(r, alpha, s, beta)
    with np.errstate(over="raise", invalid="raise"):
        assert np.isfinite(pareto_nbd.log_likelihood(params, *history)).all()
        assert_finite_probability(pareto_nbd.p_alive(params, *history))


@pytest.mark.parametrize(
    ("delta", "p", "one_minus_z", "expected"),
    [
        (0.606, 10.0, 1e-12, 19.547858720040691),
        (1.0, 2.0, 1e-3, 7.5949642728188688),
        (0.0, 0.5, 0.1, 0.65066280057042168),
        (3.0, 550.0, 2e-8, 58.393901209780651),
        (2.0, 36.28, 5e-4, 18.083720246899872),
        (-0.447, 1.16, 1e-2, 0.73366158300541446),
        (1e-6, 1.0, 1e-9, 3.0312673852349873),
        (50.0, 600.0, 0.2, 81.790230505010612),
    ],
    ids=[
        "z-1e-12",
        "integer-delta",
        "delta-zero",
        "large-p-near-one",
        "large-p",
        "negative-delta",
        "tiny-delta",
        "far",
    ],
)
def test_the_pareto_nbd_hypergeometric_function_matches_50_digit_mpmath_values(
    delta: float, p: float, one_minus_z: float, expected: float
) -> None:
    # expected: −δ log(1−z) + log 2F1(1, p−δ; p+1; z) from mpmath.hyp2f1 at 50 digits.
    assert log_hyp2f1_scaled(delta, p, 1 - one_minus_z, one_minus_z) == pytest.approx(expected, rel=1e-9)


def textbook_pareto_log_likelihood(params: ParetoNBDParams, x: int, t_x: float, big_t: float) -> float:
    """Fader & Hardie's note, term by term with scipy's 2F1: right wherever that 2F1 is."""
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    p = r + s + x
    if alpha >= beta:

        def term(t: float) -> float:
            return float(hyp2f1(p, s + 1, p + 1, (alpha - beta) / (alpha + t)) / (alpha + t) ** p)
    else:

        def term(t: float) -> float:
            return float(hyp2f1(p, r + x, p + 1, (beta - alpha) / (beta + t)) / (beta + t) ** p)

    alive = (alpha + big_t) ** -(r + x) * (beta + big_t) ** -s
    shared = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return float(shared + np.log(alive + s / p * (term(t_x) - term(big_t))))


@pytest.mark.parametrize(
    ("params", "history"),
    [
        (ParetoNBDParams(0.553, 10.578, 0.606, 11.669), (2, 30.43, 38.86)),
        (ParetoNBDParams(0.553, 10.578, 0.606, 11.669), (0, 0.0, 38.86)),
        (ParetoNBDParams(0.8, 12.0, 1.5, 5.0), (7, 20.0, 39.0)),
        (ParetoNBDParams(0.8, 12.0, 1.5, 5.0), (0, 0.0, 10.0)),
        (ParetoNBDParams(2.0, 3.0, 0.3, 3.0), (3, 1.0, 52.0)),
    ],
    ids=["alpha-below-beta", "alpha-below-beta-x0", "alpha-above-beta", "alpha-above-beta-x0", "alpha-equals-beta"],
)
def test_both_pareto_nbd_branches_agree_with_the_textbook_formula(
    params: ParetoNBDParams, history: tuple[int, float, float]
) -> None:
    expected = textbook_pareto_log_likelihood(params, *history)
    assert pareto_nbd.log_likelihood(params, *history) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "a", [1 - 1e-3, 1 - 1e-6, 1.0, 1 + 1e-6, 1 + 1e-3], ids=["below", "just-below", "one", "just-above", "above"]
)
def test_bgnbd_expected_purchases_pass_smoothly_through_a_equal_to_one(a: float) -> None:
    # (a+b+x−1)/(a−1) (1 − …) is 0/0 at a = 1; its limit must sit between its neighbours.
    def at(value: float) -> np.ndarray:
        return bgnbd.conditional_expected_purchases(BGNBDParams(0.243, 4.414, value, 2.426), 39.0, [0, 2], [0, 30], 38)

    assert np.all(np.isfinite(at(a)))
    assert at(a) == pytest.approx((at(a - 1e-3) + at(a + 1e-3)) / 2, rel=1e-5)
