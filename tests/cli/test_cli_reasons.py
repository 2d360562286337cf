"""``recovery reasons list | code``: the taxonomy and one answer coded, without a database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.conftest import Outcome, Recovery


def test_code_prints_the_reasons_as_json_best_first(bare: Recovery) -> None:
    result = bare("reasons", "code", "you promised a refund, and it is expnsive", "--json")
    assert result.code == 0, result
    assert json.loads(result.out) == [
        {"reason": "promise_broken", "confidence": 0.85},
        {"reason": "price_or_quality", "confidence": 0.77},
    ]


def test_code_prints_an_empty_list_when_nothing_is_confident(bare: Recovery) -> None:
    result = bare("reasons", "code", "no idea", "--json")
    assert result.code == 0, result
    assert json.loads(result.out) == []


def test_code_prints_a_table_with_labels_in_the_answers_language(bare: Recovery) -> None:
    result = bare("reasons", "code", "Die Preise sind zu hoch und niemand antwortet, keine Antwort seit Wochen")
    assert result.code == 0, result
    assert "price_or_quality" in result.out, result
    assert "Preis oder Qualität" in result.out, result
    assert "Zu langsame Reaktion" in result.out, result


def test_code_without_a_confident_reason_says_a_person_will_code_it(bare: Recovery) -> None:
    result = bare("reasons", "code", "hmm")
    assert result.code == 0, result
    assert "waits for a person" in result.out, result


def test_code_takes_the_language_given(bare: Recovery) -> None:
    result = bare("reasons", "code", "duur", "--language", "nl", "--json")
    assert result.code == 0, result
    assert [row["reason"] for row in json.loads(result.out)] == ["price_or_quality"], result


def test_code_reads_min_confidence_from_the_settings(bare: Recovery, config_file: Path) -> None:
    with config_file.open("a") as file:
        file.write("[reasons]\nmin_confidence = 0.9\n")
    result = bare("reasons", "code", "you promised a refund", "--json")
    assert result.code == 0, result
    assert json.loads(result.out) == [], result


def test_list_shows_every_reason_with_its_step(bare: Recovery) -> None:
    result = bare("reasons", "list", "--json")
    assert result.code == 0, result
    rows = {row["key"]: row for row in json.loads(result.out)}
    assert len(rows) == 8, result
    assert rows["slow_response"]["step"] == "action"
    assert rows["price_or_quality"]["step"] is None
    assert rows["price_or_quality"]["label"] == "Price or quality"


def test_list_in_dutch_shows_dutch_labels(bare: Recovery) -> None:
    result = bare("reasons", "list", "--language", "nl")
    assert result.code == 0, result
    assert "Klacht niet opgelost" in result.out, result
    assert "resolution" in result.out, result


def test_neither_command_opens_the_database(bare: Recovery, sqlite_url: str) -> None:
    assert bare("reasons", "list").code == 0
    assert bare("reasons", "code", "too expensive").code == 0
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["code", "  "], "the answer is blank"),
        (["code", "x", "--language", "fr"], "'fr' is not one of 'en', 'nl', 'de'"),
        (["code"], "Missing argument 'TEXT'"),
        (["list", "--language", "es"], "'es' is not one of"),
    ],
    ids=["blank", "unknown language", "no text", "list language"],
)
def test_bad_usage_exits_2_in_one_line(
    bare: Recovery, error_line: Callable[[Outcome], str], args: list[str], message: str
) -> None:
    result = bare("reasons", *args)
    assert result.code == 2, result
    assert message in error_line(result)


def test_a_bad_taxonomy_file_fails_in_one_line_naming_it(
    bare: Recovery, config_file: Path, tmp_path: Path, error_line: Callable[[Outcome], str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("reasons: {}\n")
    with config_file.open("a") as file:
        file.write(f'[reasons]\nfile = "{broken}"\n')
    result = bare("reasons", "list")
    assert result.code == 1, result
    assert error_line(result) == f"error: {broken}: reasons.price_or_quality: missing"


@pytest.mark.parametrize("args", [["reasons"], ["reasons", "-h"], ["reasons", "code", "-h"], ["reasons", "list", "-h"]])
def test_help_works_on_the_noun_and_each_command(bare: Recovery, args: list[str]) -> None:
    result = bare(*args)
    assert result.code == 0, result
    assert "Usage:" in result.out, result
