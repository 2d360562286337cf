"""Survey files: the shipped ones load, every text in every language; a bad file names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from recovery.config import shipped_surveys
from recovery.core.surveys import LANGUAGES, Kind, Question, parse_answer
from recovery.errors import ConfigError
from recovery.survey_files import load_surveys

SHIPPED = load_surveys(shipped_surveys())
TEXT = "{en: x, nl: y, de: z}"


def test_the_three_surveys_ship_and_the_checkout_links_to_them() -> None:
    assert sorted(SHIPPED) == ["follow_up", "relationship", "win_back"]
    assert (Path(__file__).resolve().parents[2] / "surveys").resolve() == shipped_surveys().resolve()


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_text_of_a_shipped_survey_is_in_every_language(name: str) -> None:
    survey = SHIPPED[name]
    texts = [survey.title, survey.intro]
    for q in survey.questions:
        texts += [q.text, *(o.label for o in q.options), *(end for end in (q.low, q.high) if end)]
    assert all(set(t) == set(LANGUAGES) and all(t.values()) for t in texts)


def test_the_relationship_survey_asks_the_six_open_questions_and_nps() -> None:
    kinds = [q.kind for q in SHIPPED["relationship"].questions]
    assert kinds.count(Kind.OPEN) == 6
    assert kinds.count(Kind.NPS) == 1


def test_the_follow_up_survey_has_a_score_and_an_expectation() -> None:
    survey = SHIPPED["follow_up"]
    score = survey.with_role("score")
    assert score is not None
    assert score.kind is Kind.CSAT
    expected = survey.with_role("expected")
    assert expected is not None
    assert [o.key for o in expected.options] == [
        "refund",
        "replacement",
        "repair",
        "apology",
        "explanation",
        "discount",
        "other",
    ]


def test_a_bad_file_names_the_file_and_every_key_at_fault(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        f"name: bad\ntitle: {{en: x}}\nintro: {TEXT}\nquestions:\n"
        f"  - {{key: q1, kind: stars, text: {TEXT}}}\n  - {{key: q2, kind: choice, text: {TEXT}}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_surveys(tmp_path)
    message = str(caught.value)
    assert f"{tmp_path / 'bad.yaml'}: title: missing text in nl, de" in message
    assert "questions[0].kind: unknown kind 'stars'; known: open, csat, nps, ces, choice" in message
    assert "questions[1].options: a choice question needs a list of at least two options" in message


@pytest.mark.parametrize(
    ("kind", "raw", "parsed"),
    [(Kind.CSAT, " 5 ", 5), (Kind.NPS, "0", 0), (Kind.CES, "7", 7), (Kind.OPEN, "  fine ", "fine")],
    ids=["csat", "nps", "ces", "open"],
)
def test_an_answer_is_parsed_by_its_kind(kind: Kind, raw: str, parsed: int | str) -> None:
    assert parse_answer(Question("q", kind, {}), raw) == parsed


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        (Kind.CES, "8", "from 1 to 7"),
        (Kind.NPS, "-1", "from 0 to 10"),
        (Kind.CSAT, "4.5", "whole number"),
        (Kind.OPEN, " ", "needed"),
    ],
    ids=["ces-too-high", "nps-negative", "csat-fraction", "blank"],
)
def test_an_answer_that_does_not_fit_says_why(kind: Kind, raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_answer(Question("q", kind, {}), raw)
