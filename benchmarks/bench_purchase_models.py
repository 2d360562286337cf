"""Fit and score the purchase models on 100,000 customers simulated from the published CDNOW fits.

Simulates a first-quarter cohort like CDNOW's (first purchase on a day of Q1 1997, observed until
1997-09-30) from the published BG/NBD (r = 0.243, α = 4.414, a = 0.793, b = 2.426) and Gamma-Gamma
(p = 6.25, q = 3.74, γ = 15.44) parameters, as raw purchase rows. Times the summary, the fits of
BG/NBD, Pareto/NBD and Gamma-Gamma, and the scoring of every customer (P(alive) under both models,
expected purchases, expected spend, 12-month CLV). Baselines measured in the same run: one
vectorised BG/NBD log-likelihood over all customers, and the BG/NBD fit of the 2,357-customer CDNOW
sample (best of a few warm runs). First, the summary alone of 1,000,000 raw purchase rows.
Targets: each fit < 5 s, scoring < 10 s, peak RSS < 500 MB; exit 1 when one is missed.

    .venv/bin/python benchmarks/bench_purchase_models.py [--customers 100000] [--rows 1000000] [--seed 1997]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import numpy as np

from recovery.core.purchases import (
    BGNBDParams,
    GammaGammaParams,
    ParetoNBDParams,
    PurchaseSummary,
    bgnbd,
    discounted_value,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_pareto_nbd,
    gamma_gamma,
    pareto_nbd,
    summarise,
)

TRUE_BGNBD = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
TRUE_SPEND = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
START = np.datetime64("1997-01-01")
UNTIL = date(1997, 9, 30)
CDNOW = Path(__file__).resolve().parent.parent / "tests" / "data" / "cdnow" / "CDNOW_sample.txt"
FIT_TARGET, SCORING_TARGET, RSS_TARGET_MB = 5.0, 10.0, 500.0
T = TypeVar("T")


def simulate(customers: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw purchase rows (customer, day, amount) of a BG/NBD cohort with Gamma-Gamma spend."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(TRUE_BGNBD.r, 1 / TRUE_BGNBD.alpha, customers)
    dropout = rng.beta(TRUE_BGNBD.a, TRUE_BGNBD.b, customers)
    first_day = rng.integers(0, 90, customers)
    weeks_observed = ((np.datetime64(UNTIL) - START).astype(int) - first_day) / 7
    who, when = [np.arange(customers)], [np.zeros(customers)]
    active, clock = np.arange(customers), np.zeros(customers)
    while active.size:
        clock = clock + rng.exponential(1 / rate[active])
        inside = clock < weeks_observed[active]
        active, clock = active[inside], clock[inside]
        who.append(active)
        when.append(clock)
        # BG/NBD: the customer may drop out right after each repeat purchase.
        survives = rng.random(active.size) > dropout[active]
        active, clock = active[survives], clock[survives]
    customer = np.concatenate(who)
    day = START + (first_day[customer] + np.floor(np.concatenate(when) * 7)).astype("timedelta64[D]")
    scale = 1 / rng.gamma(TRUE_SPEND.q, 1 / TRUE_SPEND.gamma, customers)
    amount = rng.gamma(TRUE_SPEND.p, scale[customer])
    return customer, day, amount


def timed(label: str, work: Callable[[], T]) -> tuple[T, float]:
    """Run ``work`` once; print and return its result and duration."""
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    print(f"{label:<48} {elapsed:8.3f} s")
    return result, elapsed


def cdnow() -> PurchaseSummary:
    """The CDNOW sample through the summary, calibration until 1997-09-30."""
    raw = np.loadtxt(CDNOW, dtype=str)
    days = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    return summarise(raw[:, 1], days, raw[:, 4].astype(float), UNTIL)


def score(summary: PurchaseSummary, bg: BGNBDParams, pn: ParetoNBDParams, gg: GammaGammaParams) -> float:
    """Every score of every customer; returns the total CLV so the work cannot be skipped."""
    x, t_x, big_t = summary.x, summary.t_x, summary.T
    bgnbd.p_alive(bg, x, t_x, big_t)
    pareto_nbd.p_alive(pn, x, t_x, big_t)
    pareto_nbd.conditional_expected_purchases(pn, 39, x, t_x, big_t)
    spend = gamma_gamma.conditional_expected_spend(gg, x, summary.m_x)
    clv = discounted_value(lambda t: bgnbd.conditional_expected_purchases(bg, t, x, t_x, big_t), spend, 12)
    return float(clv.sum())


def raw_rows(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``rows`` purchases up to 1997-09-30 by integer customer keys (four rows each on average), 1% of them refunds."""
    rng = np.random.default_rng(seed)
    customer = rng.integers(0, rows // 4, rows)
    day = START + rng.integers(0, 273, rows).astype("timedelta64[D]")
    amount = rng.gamma(2.0, 15.0, rows) * np.where(rng.random(rows) < 0.01, -1, 1)
    return customer, day, amount


def time_raw_summary(rows: int, seed: int) -> float:
    """Summarise ``rows`` raw purchases once; the rows are freed on return."""
    customer, day, amount = raw_rows(rows, seed)
    summary, seconds = timed(f"summarise {rows:,} raw purchase rows", lambda: summarise(customer, day, amount, UNTIL))
    print(f"  {len(summary):,} customers")
    return seconds


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of ``runs`` runs: a warm baseline, free of first-call costs."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    """Simulate, summarise, fit, score; print the figures, ratios against the baselines, and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000, help="raw purchase rows for the summary alone")
    parser.add_argument("--seed", type=int, default=1997)
    args = parser.parse_args()

    time_raw_summary(args.rows, args.seed)
    (customer, day, amount), _ = timed(
        f"simulate {args.customers:,} customers", lambda: simulate(args.customers, args.seed)
    )
    print(f"  {customer.size:,} purchase rows")
    summary, summary_s = timed("summarise them", lambda: summarise(customer, day, amount, UNTIL))
    x, t_x, big_t = summary.x, summary.t_x, summary.T
    print(f"  {len(summary):,} customers, {np.count_nonzero(x > 0):,} repeat buyers")

    ll_s = best_of(5, lambda: bgnbd.log_likelihood(TRUE_BGNBD, x, t_x, big_t))
    sample = cdnow()
    cdnow_s = best_of(3, lambda: fit_bgnbd(sample.x, sample.t_x, sample.T))
    print(f"{'baseline: one BG/NBD log-likelihood, all':<48} {ll_s:8.3f} s")
    print(f"{'baseline: BG/NBD fit of CDNOW (2,357)':<48} {cdnow_s:8.3f} s")

    bg_fit, bg_s = timed("fit BG/NBD", lambda: fit_bgnbd(x, t_x, big_t))
    pn_fit, pn_s = timed("fit Pareto/NBD", lambda: fit_pareto_nbd(x, t_x, big_t))
    gg_fit, gg_s = timed("fit Gamma-Gamma", lambda: fit_gamma_gamma(x, summary.m_x))
    bg, pn, gg = BGNBDParams.from_fit(bg_fit), ParetoNBDParams.from_fit(pn_fit), GammaGammaParams.from_fit(gg_fit)
    total, score_s = timed("score: P(alive) ×2, E[X] ×2, spend, 12-month CLV", lambda: score(summary, bg, pn, gg))

    for fit in (bg_fit, pn_fit, gg_fit):
        shown = ", ".join(f"{k} = {v:.4g}" for k, v in fit.params.items())
        print(f"  {fit.model}: {shown}; LL = {fit.log_likelihood:.1f}; {fit.iterations} iterations")
    print(f"  simulated from {TRUE_BGNBD}, {TRUE_SPEND}; total 12-month CLV {total:,.0f}")
    print("ratios:")
    for label, seconds in (("summarise", summary_s), ("fit BG/NBD", bg_s), ("fit Pareto/NBD", pn_s),
                           ("fit Gamma-Gamma", gg_s), ("score", score_s)):  # fmt: skip
        print(f"  {label:<16} {seconds / ll_s:8.1f} × one log-likelihood   {seconds / cdnow_s:8.1f} × CDNOW fit")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(f"peak RSS {peak_mb:.0f} MB")
    return verdict([bg_s, pn_s, gg_s], score_s, peak_mb)


def verdict(fits: list[float], score_s: float, peak_mb: float) -> int:
    """Print the targets missed, if any; 1 when one was."""
    missed = [f"fit {s:.2f} s" for s in fits if s >= FIT_TARGET]
    missed += [f"scoring {score_s:.2f} s"] if score_s >= SCORING_TARGET else []
    missed += [f"peak RSS {peak_mb:.0f} MB"] if peak_mb >= RSS_TARGET_MB else []
    print("targets missed: " + ", ".join(missed) if missed else "all targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
