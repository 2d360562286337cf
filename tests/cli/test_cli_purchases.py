"""The CDNOW 1/10 sample, imported and fitted through the CLI, reproduces the published estimates.

tests/data/cdnow/PROVENANCE.md says where the file comes from. Its rows are written as the feed's
CSV here (customer = sample id, one order per row, the day as yyyymmdd, the dollar value), nothing else.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Recovery = Callable[..., Any]  # fixtures of tests/cli/conftest.py
DATA = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"
PUBLISHED = {
    "bgnbd": ({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, -9582.4),
    "pareto_nbd": ({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, -9595.0),
}
SPEND = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture
def cdnow_csv(tmp_path: Path) -> Path:
    """The raw sample as the feed's CSV."""
    path = tmp_path / "cdnow.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer", "order_id", "ordered_at", "amount"])
        for number, line in enumerate(text for text in DATA.read_text().splitlines() if text.strip()):
            _, sample_id, day, _, value = line.split()
            writer.writerow([sample_id, f"{sample_id}-{number}", day, value])
    return path


@pytest.fixture
def imported(recovery: Recovery, cdnow_csv: Path) -> Recovery:
    result = recovery("purchases", "import", str(cdnow_csv), "--source", "cdnow", "--json")
    assert result.code == 0, result
    assert json.loads(result.out)["stored"] == 6919
    return recovery


def within(fitted: dict[str, float], published: dict[str, float], share: float = 0.005) -> dict[str, float]:
    """The parameters further than ``share`` from the published ones (empty when all are close)."""
    return {k: fitted[k] for k, v in published.items() if abs(fitted[k] - v) > share * abs(v)}


@pytest.mark.parametrize("model", ["bgnbd", "pareto_nbd"])
def test_the_fit_reproduces_the_published_estimates(imported: Recovery, model: str) -> None:
    result = imported("model", "fit", "--until", "1997-09-30", "--model", model, "--json")
    assert result.code == 0, result
    fit = json.loads(result.out)
    params, log_likelihood = PUBLISHED[model]
    assert (fit["model"], fit["customers"], fit["until"]) == (model, 2357, "1997-09-30")
    assert within(fit["params"], params) == {}, fit["params"]
    assert abs(fit["log_likelihood"] - log_likelihood) < 0.005 * abs(log_likelihood)
    assert fit["spend"]["customers"] == 946
    assert within(fit["spend"]["params"], SPEND) == {}, fit["spend"]


def test_auto_picks_the_likelier_model(imported: Recovery) -> None:
    fit = json.loads(imported("model", "fit", "--until", "1997-09-30", "--json").out)
    assert fit["model"] == "bgnbd"  # -9582.4 against Pareto/NBD's -9595.0


def test_importing_the_sample_twice_changes_nothing(imported: Recovery, cdnow_csv: Path) -> None:
    again = json.loads(imported("purchases", "import", str(cdnow_csv), "--source", "cdnow", "--json").out)
    assert (again["stored"], again["duplicates"], again["customers_added"]) == (0, 6919, 0)


def test_a_fit_without_purchases_says_so(recovery: Recovery) -> None:
    result = recovery("model", "fit", "--until", "1997-09-30")
    assert (result.code, result.err) == (1, "error: no purchases on or before 1997-09-30 to fit a model to\n")


def test_check_compares_the_holdout_with_what_customers_bought(imported: Recovery) -> None:
    result = imported("model", "check", "--until", "1997-09-30", "--model", "pareto_nbd", "--json")
    assert result.code == 0, result
    found = json.loads(result.out)
    assert (found["to"], found["holdout_weeks"], found["customers"]) == ("1998-06-30", 39.0, 2357)
    assert [row["repeat_purchases_before"] for row in found["by_frequency"]] == [
        "0",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7+",
    ]
    assert sum(row["customers"] for row in found["by_frequency"]) == 2357
    assert abs(found["predicted"] - found["actual"]) < 0.15 * found["actual"]
    assert found["auc"] > 0.7  # Pareto/NBD ranks the customers who stopped buying well


def test_check_shows_why_bgnbd_is_no_judge_of_one_time_buyers(imported: Recovery) -> None:
    found = json.loads(imported("model", "check", "--until", "1997-09-30", "--model", "bgnbd", "--json").out)
    # BG/NBD gives every one-time buyer P(alive) = 1, and most of them never buy again: worse than a coin.
    assert found["auc"] < 0.5
