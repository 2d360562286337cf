"""A win-back case walked end to end through the CLI, on SQLite and on PostgreSQL: opened by hand, refused an
interview without a reason, heard out, offered, won back by an imported purchase; and gone by timeout."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.conftest import Outcome, Recovery

ErrorLine = Callable[[Outcome], str]


@pytest.fixture
def crm(bare: Recovery, db_url: str) -> Recovery:
    """``recovery …`` on an initialised database (SQLite file or PostgreSQL schema) with customer Cy and agent Ann."""

    def run(*args: str) -> Outcome:
        return bare(*args, database_url=db_url)

    assert run("init").code == 0
    assert run("customer", "add", "cy@example.com", "--name", "Cy").code == 0
    assert run("staff", "add", "ann", "--name", "Ann").code == 0
    return run


def opened(crm: Recovery) -> int:
    result = crm("winback", "open", "cy@example.com", "--by", "ann", "--assignee", "ann", "--quiet")
    assert result.code == 0, result
    return int(result.out)


def heard(crm: Recovery, case: int) -> None:
    assert crm("complaint", "fire", str(case), "reach_out", "--by", "ann").code == 0
    result = crm(
        "complaint", "fire", str(case), "hear_out", "--by", "ann",
        "--code", "price_or_quality", "--words", "Te duur geworden, en de levering duurde twee weken",
    )  # fmt: skip
    assert result.code == 0, result


def test_a_case_is_walked_to_won_back_by_an_imported_purchase(crm: Recovery, tmp_path: Path) -> None:
    case = opened(crm)
    heard(crm, case)
    offer = crm("complaint", "fire", str(case), "make_offer", "--by", "ann", "--compensation", "discount:10", "--json")
    assert json.loads(offer.out)["state"] == "offer_made", offer
    feed = tmp_path / "orders.csv"
    feed.write_text("customer,order_id,ordered_at,amount\ncy@example.com,o-77,2099-01-05,59.90\n")
    assert crm("purchases", "import", str(feed), "--source", "shop").code == 0
    shown = json.loads(crm("winback", "show", str(case), "--json").out)
    assert (shown["state"], shown["closed_as"]) == ("won_back", "repurchase")


def test_the_interview_without_a_reason_is_refused_and_says_what_is_missing(
    crm: Recovery, error_line: ErrorLine
) -> None:
    case = opened(crm)
    crm("complaint", "fire", str(case), "reach_out", "--by", "ann")
    result = crm("complaint", "fire", str(case), "hear_out", "--by", "ann", "--words", "too expensive")
    assert result.code == 1
    assert "needs at least one reason code from the taxonomy (--code)" in error_line(result)


def test_an_unknown_reason_code_names_the_known_ones(crm: Recovery, error_line: ErrorLine) -> None:
    case = opened(crm)
    crm("complaint", "fire", str(case), "reach_out", "--by", "ann")
    result = crm("complaint", "fire", str(case), "hear_out", "--by", "ann", "--code", "pricey", "--words", "dear")
    assert "unknown 'pricey'; known: price_or_quality" in error_line(result)


def test_show_has_the_customers_words_and_the_reasons(crm: Recovery) -> None:
    case = opened(crm)
    heard(crm, case)
    (interview,) = json.loads(crm("winback", "show", str(case), "--json").out)["interviews"]
    assert interview["text"] == "Te duur geworden, en de levering duurde twee weken"
    assert interview["language"] == "nl"
    assert {"reason": "price_or_quality", "coded_by": "ann"} in [
        {k: r[k] for k in ("reason", "coded_by")} for r in interview["reasons"]
    ]


def test_list_shows_only_win_back_cases_and_filters_by_step(crm: Recovery) -> None:
    assert crm("complaint", "open", "--customer", "cy@example.com", "--summary", "late", "--by", "ann").code == 0
    case = opened(crm)
    listed = json.loads(crm("winback", "list", "--json").out)
    assert [row["id"] for row in listed] == [case]
    assert json.loads(crm("winback", "list", "--state", "gone", "--json").out) == []


def test_list_refuses_a_step_the_workflow_does_not_have(crm: Recovery, error_line: ErrorLine) -> None:
    result = crm("winback", "list", "--state", "received")
    assert result.code == 2
    assert "'received' is not a step of win_back" in result.err


def test_a_second_case_for_the_same_customer_is_refused_while_one_is_open(crm: Recovery, error_line: ErrorLine) -> None:
    case = opened(crm)
    result = crm("winback", "open", "cy@example.com", "--by", "ann")
    assert f"already has an open win-back case: {case}" in error_line(result)


def test_opening_needs_a_known_person(crm: Recovery, error_line: ErrorLine) -> None:
    result = crm("winback", "open", "cy@example.com", "--by", "nobody")
    assert result.code != 0
    assert "nobody" in error_line(result)


def test_an_expectation_recorded_at_open_is_shown(crm: Recovery) -> None:
    result = crm(
        "complaint", "open", "--customer", "cy@example.com", "--summary", "chair broke", "--by", "ann",
        "--expected", "replacement", "--json",
    )  # fmt: skip
    assert json.loads(result.out)["expected"] == "replacement", result


def test_an_unknown_expectation_is_a_usage_error(crm: Recovery) -> None:
    result = crm("complaint", "open", "--customer", "cy@example.com", "--summary", "chair broke", "--expected", "money")
    assert result.code == 2
    assert "'money' is not one of" in result.err


def walked(crm: Recovery, expected: str, given: str, score: str, perceived: str) -> None:
    opened = crm(
        "complaint", "open", "--customer", "cy@example.com", "--summary", "chair", "--by", "ann",
        "--expected", expected, "--quiet",
    )  # fmt: skip
    case = opened.out.strip()
    for trigger in ("apologize", "act", "empathize"):
        assert crm("complaint", "fire", case, trigger, "--by", "ann").code == 0
    assert crm("complaint", "fire", case, "compensate", "--by", "ann", "--compensation", given).code == 0
    result = crm("complaint", "fire", case, "follow_up", "--by", "ann", "--score", score, "--perceived", perceived)
    assert result.code == 0, result


def test_report_gaps_sets_what_was_expected_against_what_was_given_and_felt(crm: Recovery) -> None:
    walked(crm, "refund", "refund:10", "5", "refund")
    walked(crm, "replacement", "gift:0", "2", "apology")
    report = json.loads(crm("report", "gaps", "--json").out)
    pairs = {(p["expected"], p["received"]): (p["mean_score"], p["perceived_as_expected"]) for p in report["pairs"]}
    assert pairs == {("refund", "refund"): (5.0, 1.0), ("replacement", "gift"): (2.0, 0.0)}
    assert report["perceived_as_expected"] == 0.5


def test_an_unknown_perceived_outcome_is_a_usage_error(crm: Recovery) -> None:
    result = crm("complaint", "fire", "1", "follow_up", "--by", "ann", "--score", "4", "--perceived", "money")
    assert result.code == 2
    assert "'money' is not one of" in result.err


def test_show_gives_times_in_the_calendars_zone_with_the_offset(crm: Recovery) -> None:
    case = opened(crm)
    heard(crm, case)
    shown = crm("winback", "show", str(case)).out
    assert re.search(r"\d\d:\d\d(:\d\d(\.\d+)?)?Z", shown) is None, shown  # no UTC ISO time left
    assert re.search(r"deadline: \d{4}-\d\d-\d\d \d\d:\d\d \+01:00", shown), shown  # Amsterdam in winter


def test_list_names_an_unknown_assignee_instead_of_answering_no_match(crm: Recovery, error_line: ErrorLine) -> None:
    result = crm("winback", "list", "--assignee", "nobody")
    assert result.code != 0
    assert "nobody" in error_line(result)


def test_the_import_says_how_many_cases_its_purchases_won_back(crm: Recovery, tmp_path: Path) -> None:
    opened(crm)
    feed = tmp_path / "orders.csv"
    feed.write_text("customer,order_id,ordered_at,amount\ncy@example.com,o-78,2099-01-05,19.90\n")
    result = crm("purchases", "import", str(feed), "--source", "shop")
    assert "1 win-back case(s) won back by these purchases" in result.out, result
