"""``recovery model show``: the newest stored fit, or every fit newest first, as ``model fit`` printed them."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Recovery = Callable[..., Any]  # fixtures of tests/cli/conftest.py
DATA = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"
CUSTOMERS = 400  # the sample's first customers: enough for a fit that converges, quick to fit


@pytest.fixture
def purchased(recovery: Recovery, tmp_path: Path) -> Recovery:
    """An initialised database with the first CDNOW sample customers' purchases imported."""
    path = tmp_path / "cdnow.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer", "order_id", "ordered_at", "amount"])
        for number, line in enumerate(text for text in DATA.read_text().splitlines() if text.strip()):
            _, sample_id, day, _, value = line.split()
            if int(sample_id) <= CUSTOMERS:
                writer.writerow([sample_id, f"{sample_id}-{number}", day, value])
    result = recovery("purchases", "import", str(path), "--source", "cdnow")
    assert result.code == 0, result
    return recovery


def fitted(recovery: Recovery, *args: str) -> dict[str, Any]:
    result = recovery("model", "fit", "--until", "1997-09-30", *args, "--json")
    assert result.code == 0, result
    return dict(json.loads(result.out))


def test_show_before_any_fit_says_to_fit_first(recovery: Recovery, error_line: Callable[[Any], str]) -> None:
    result = recovery("model", "show")
    assert result.code == 1, result
    assert error_line(result) == "error: no fitted model yet: run `recovery model fit` first"


def test_show_json_is_the_newest_fit_as_fit_printed_it_with_its_id_and_time(purchased: Recovery) -> None:
    fitted(purchased, "--model", "bgnbd")
    newest = fitted(purchased, "--model", "pareto_nbd")

    result = purchased("model", "show", "--json")

    assert result.code == 0, result
    shown = json.loads(result.out)
    assert set(shown) == {*newest, "fitted_at", "id"}
    assert {key: shown[key] for key in newest} == newest
    assert (shown["id"], shown["model"], shown["until"]) == (2, "pareto_nbd", "1997-09-30")
    assert shown["fitted_at"].endswith("Z")


def test_history_lists_every_fit_newest_first(purchased: Recovery) -> None:
    fitted(purchased, "--model", "bgnbd")
    fitted(purchased, "--model", "pareto_nbd")

    shown = json.loads(purchased("model", "show", "--history", "--json").out)

    assert [(fit["id"], fit["model"]) for fit in shown] == [(2, "pareto_nbd"), (1, "bgnbd")]


def test_history_before_any_fit_is_empty(recovery: Recovery) -> None:
    assert json.loads(recovery("model", "show", "--history", "--json").out) == []
    assert recovery("model", "show", "--history").out == "no fitted model yet\n"


def test_show_prints_the_model_its_parameters_and_likelihood(purchased: Recovery) -> None:
    fit = fitted(purchased, "--model", "bgnbd")

    result = purchased("model", "show")

    assert result.code == 0, result
    line = result.out.strip()
    assert line.startswith("fit 1 at 20"), result
    assert f"bgnbd on {fit['customers']} customers until 1997-09-30: r = " in line, result
    assert line.endswith(f"log-likelihood {fit['log_likelihood']:.1f}"), result


def test_scoring_marks_the_silent_defectors_and_the_list_shows_them(purchased: Recovery) -> None:
    fitted(purchased, "--model", "pareto_nbd")

    scored = purchased("customers", "score", "--json")
    again = purchased("customers", "score")
    listed = json.loads(purchased("customer", "list", "--at-risk", "--json").out)

    assert scored.code == 0, scored
    at_risk = json.loads(scored.out)["at_risk"]
    assert at_risk["marked"] > 0, scored
    assert at_risk["rearmed"] == 0
    assert again.out.splitlines()[-1] == "0 marked at risk, 0 re-armed", again
    assert len(listed) == at_risk["marked"]
    assert [c["clv"] for c in listed] == sorted((c["clv"] for c in listed), reverse=True)
    assert {c["at_risk"] for c in listed} == {True}
    table = purchased("customer", "list", "--at-risk")
    assert table.out.splitlines()[0].split() == ["id", "email", "name", "complaints", "clv", "p_alive", "at_risk_since"]
