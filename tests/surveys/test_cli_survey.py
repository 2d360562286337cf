"""``recovery survey …`` in-process, on a SQLite file of the test's own."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from recovery.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("RECOVERY_SURVEY_SECRET", "cli-test-secret")
    config = tmp_path / "recovery.toml"
    config.write_text(f'[workflows]\ndir = "{ROOT / "workflows"}"\n[calendar]\nholidays = []\n')

    def go(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--database-url", sqlite_url, "--config", str(config), *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert go("init")[0] == 0
    assert go("customer", "add", "ann@example.com", "--name", "Ann")[0] == 0
    assert go("staff", "add", "bob", "--name", "Bob")[0] == 0
    return go


def test_list_shows_the_shipped_surveys(run: Run) -> None:
    code, out, err = run("survey", "list")
    assert code == 0, err
    assert "relationship: How are we doing?" in out


def test_send_with_json_prints_each_invitation_with_its_url(run: Run) -> None:
    code, out, err = run("survey", "send", "relationship", "--customer", "ann@example.com", "--by", "bob", "--json")
    assert code == 0, err
    [invitation] = json.loads(out)
    assert invitation["url"].startswith("http://127.0.0.1:8080/s/")
    assert invitation["language"] == "en"


def test_send_needs_customers_or_a_class_but_not_both(run: Run) -> None:
    code, _, err = run("survey", "send", "relationship", "--by", "bob")
    assert code == 2, err
    code, _, err = run("survey", "send", "relationship", "--customer", "1", "--class", "loyal", "--by", "bob")
    assert code == 2, err


def test_answers_from_a_phone_call_are_recorded_and_listed(run: Run) -> None:
    code, out, err = run(
        "survey", "answer", "win_back", "--customer", "1", "--by", "bob", "why_stopped=the weather", "likely_return=3"
    )
    assert code == 0, err
    code, out, err = run("survey", "answers", "--json")
    assert sorted(a["question"] for a in json.loads(out)) == ["likely_return", "why_stopped"]


def test_an_answer_without_equals_is_bad_usage(run: Run) -> None:
    code, _, err = run("survey", "answer", "win_back", "--customer", "1", "--by", "bob", "why_stopped")
    assert code == 2, err
    assert "QUESTION=VALUE" in err


def test_an_answer_out_of_range_is_refused_in_one_line(run: Run) -> None:
    code, _, err = run("survey", "answer", "win_back", "--customer", "1", "--by", "bob", "likely_return=9")
    assert code == 1
    assert err.strip().splitlines() == ["error: likely_return: a whole number from 1 to 5 is needed, got '9'"]


def test_the_queue_is_coded_by_hand(run: Run) -> None:
    run("survey", "answer", "win_back", "--customer", "1", "--by", "bob", "why_stopped=the weather was nice")
    code, out, err = run("survey", "uncoded", "--json")
    assert code == 0, err
    [waiting] = json.loads(out)
    code, out, err = run("survey", "code", str(waiting["id"]), "other", "--by", "bob", "--json")
    assert code == 0, err
    assert json.loads(out)["coding"] == "person"
    assert json.loads(run("survey", "uncoded", "--json")[1]) == []
