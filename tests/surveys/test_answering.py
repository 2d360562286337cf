"""Opening a link and answering it: checked first, stored all at once, a link used once, even concurrently."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from survey_helpers import rows, token_of

from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.survey_config import SurveyConfig
from recovery.engine.surveys import (
    AlreadyAnswered,
    AnswerError,
    LinkExpired,
    LinkInvalid,
    SurveyLinkError,
    open_invitation,
    record_answers,
    send_survey,
    submit_answers,
)
from recovery.errors import InvalidInputError, NotFoundError
from recovery.store.schema import survey_answers, survey_invitations

GOOD = {"satisfaction": "4", "expected": "refund", "expectation": "my money back", "better": ""}


@pytest.fixture
def token(ctx: Context, ann: int) -> str:
    [invitation] = send_survey(ctx, "follow_up", [ann], by="bob", language="de")
    return token_of(invitation.url)


def test_opening_a_link_shows_the_survey_in_the_invitations_language_to_the_customer(ctx: Context, token: str) -> None:
    view = open_invitation(ctx, token)
    assert view.survey.name == "follow_up"
    assert view.language == "de"
    assert view.customer_name == "Ann"
    assert view.survey.title[view.language] == "Wie sind wir mit Ihrer Beschwerde umgegangen?"


@pytest.mark.parametrize(
    "damage",
    [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), lambda t: "x" + t, lambda t: "not-a-token"],
    ids=["signature-changed", "payload-changed", "garbage"],
)
def test_a_damaged_or_forged_link_is_invalid(ctx: Context, token: str, damage: Callable[[str], str]) -> None:
    with pytest.raises(LinkInvalid):
        open_invitation(ctx, damage(token))


def test_a_link_signed_with_another_secret_is_invalid(ctx: Context, token: str) -> None:
    ctx.surveys = SurveyConfig(secret="another secret")
    with pytest.raises(LinkInvalid):
        open_invitation(ctx, token)


def test_a_link_past_its_lifetime_has_expired(ctx: Context, token: str, clock: SettableClock) -> None:
    clock.advance(timedelta(days=30))
    with pytest.raises(LinkExpired):
        open_invitation(ctx, token)
    with pytest.raises(LinkExpired):
        submit_answers(ctx, token, GOOD)


def test_link_errors_share_one_parent(ctx: Context) -> None:
    assert issubclass(LinkInvalid, SurveyLinkError)
    assert issubclass(LinkExpired, SurveyLinkError)
    assert issubclass(AlreadyAnswered, SurveyLinkError)


def test_submitting_stores_every_answer_given_and_marks_the_invitation_answered(
    ctx: Context, token: str, clock: SettableClock
) -> None:
    assert submit_answers(ctx, token, GOOD) == 3  # the blank optional answer is not stored
    stored = {r["question"]: r for r in rows(ctx, survey_answers)}
    assert stored["satisfaction"]["number"] == 4
    assert stored["expected"]["text"] == "refund"
    assert stored["expectation"]["text"] == "my money back"
    assert {r["language"] for r in stored.values()} == {"de"}
    assert {r["source"] for r in stored.values()} == {"form"}
    [invitation] = rows(ctx, survey_invitations)
    assert invitation["answered_at"] == clock.now()


def test_a_second_submission_stores_nothing_and_is_already_answered(ctx: Context, token: str) -> None:
    submit_answers(ctx, token, GOOD)
    with pytest.raises(AlreadyAnswered):
        submit_answers(ctx, token, GOOD)
    with pytest.raises(AlreadyAnswered):
        open_invitation(ctx, token)
    assert len(rows(ctx, survey_answers)) == 3


@pytest.mark.parametrize(
    ("answers", "question", "message"),
    [
        ({"expected": "refund"}, "satisfaction", "an answer is needed"),
        ({"satisfaction": "6"}, "satisfaction", "a whole number from 1 to 5 is needed, got '6'"),
        ({"satisfaction": "four"}, "satisfaction", "a whole number from 1 to 5"),
        ({"satisfaction": "4", "expected": "money"}, "expected", "unknown option 'money'; choose one of refund"),
        ({"satisfaction": "4", "expectation": "x" * 4001}, "expectation", "at most 4000 characters, got 4001"),
        ({"satisfaction": "4", "colour": "red"}, "colour", "unknown question; known: satisfaction"),
        ({"satisfaction": "4", "better": "bad\x00byte"}, "better", "contains a NUL character"),
    ],
    ids=["missing-required", "out-of-range", "not-a-number", "unknown-option", "too-long", "unknown-question", "nul"],
)
def test_an_answer_that_does_not_fit_is_refused_and_nothing_is_stored(
    ctx: Context, token: str, answers: dict[str, str], question: str, message: str
) -> None:
    with pytest.raises(AnswerError, match=message) as caught:
        submit_answers(ctx, token, answers)
    assert caught.value.question == question
    assert rows(ctx, survey_answers) == []
    [invitation] = rows(ctx, survey_invitations)
    assert invitation["answered_at"] is None
    assert submit_answers(ctx, token, GOOD) == 3  # the link can still be used


def test_every_problem_is_named_at_once(ctx: Context, token: str) -> None:
    with pytest.raises(AnswerError) as caught:
        submit_answers(ctx, token, {"satisfaction": "9", "expected": "money"})
    assert set(caught.value.problems) == {"satisfaction", "expected"}


def test_concurrent_submissions_store_the_answers_once(ctx: Context, token: str) -> None:
    # On both databases (ctx is parametrised); on PostgreSQL the two transactions really overlap and the
    # conditional UPDATE lets one through, on SQLite BEGIN IMMEDIATE queues the second behind the first.
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def submit() -> None:
        barrier.wait()
        try:
            outcomes.append(submit_answers(ctx, token, GOOD))
        except AlreadyAnswered as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(type, outcomes), key=lambda t: t.__name__) == [AlreadyAnswered, int]
    assert len(rows(ctx, survey_answers)) == 3


def test_answers_from_a_phone_call_need_no_invitation(ctx: Context, ann: int) -> None:
    ids = record_answers(
        ctx, "win_back", ann, {"why_stopped": "too expensive", "likely_return": "2"}, source="phone", by="bob"
    )
    assert len(ids) == 2
    stored = rows(ctx, survey_answers)
    assert {(r["invitation_id"], r["source"], r["recorded_by"]) for r in stored} == {(None, "phone", "bob")}


def test_a_phone_call_may_answer_only_some_questions_but_not_none(ctx: Context, ann: int) -> None:
    assert len(record_answers(ctx, "relationship", ann, {"why_buy": "near home"}, source="phone", by="bob")) == 1
    with pytest.raises(AnswerError, match="no answer given"):
        record_answers(ctx, "relationship", ann, {"why_buy": " "}, source="phone", by="bob")


def test_recorded_answers_name_a_known_source_and_person(ctx: Context, ann: int) -> None:
    with pytest.raises(InvalidInputError, match="known: phone, webhook, interview"):
        record_answers(ctx, "relationship", ann, {"why_buy": "near"}, source="form", by="bob")
    with pytest.raises(NotFoundError, match="unknown actor 'eve'"):
        record_answers(ctx, "relationship", ann, {"why_buy": "near"}, source="phone", by="eve")
