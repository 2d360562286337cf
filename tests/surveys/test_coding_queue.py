"""Open answers coded as they are stored; the ones the rules are unsure of wait for a person."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from survey_helpers import rows

from recovery.engine.context import Context
from recovery.engine.surveys import code_by_person, record_answers, uncoded
from recovery.errors import InvalidInputError, NotFoundError
from recovery.store.schema import answer_reasons, audit_log, survey_answers


def answer(ctx: Context, customer_id: int, text: str, complaint_id: int | None = None) -> int:
    [answer_id] = record_answers(
        ctx, "win_back", customer_id, {"why_stopped": text}, source="phone", by="bob", complaint_id=complaint_id
    )
    return answer_id


def test_an_answer_the_rules_are_sure_of_is_coded_by_the_rules(ctx: Context, ann: int) -> None:
    answer_id = answer(ctx, ann, "It was far too expensive")
    [coded] = rows(ctx, answer_reasons)
    assert (coded["answer_id"], coded["reason"], coded["coded_by"]) == (answer_id, "price_or_quality", "rules")
    assert rows(ctx, survey_answers)[0]["coding"] == "rules"
    assert uncoded(ctx) == []


def test_an_answer_the_rules_cannot_code_waits_in_the_queue(ctx: Context, ann: int) -> None:
    answer_id = answer(ctx, ann, "the weather was nice")
    [waiting] = uncoded(ctx)
    assert (waiting["id"], waiting["value"], waiting["coding"]) == (answer_id, "the weather was nice", "queued")
    assert rows(ctx, answer_reasons) == []


def test_scores_and_choices_are_not_coded(ctx: Context, ann: int) -> None:
    record_answers(ctx, "win_back", ann, {"likely_return": "2", "main_reason": "promises"}, source="phone", by="bob")
    assert {r["coding"] for r in rows(ctx, survey_answers)} == {None}


def test_a_person_codes_a_queued_answer_and_it_leaves_the_queue(ctx: Context, ann: int) -> None:
    answer_id = answer(ctx, ann, "the weather was nice")
    coded = code_by_person(ctx, answer_id, ["other", "moved_or_no_longer_needed"], "bob")
    assert coded["coding"] == "person"
    assert [(r["reason"], r["coded_by"]) for r in coded["reasons"]] == [
        ("other", "bob"),
        ("moved_or_no_longer_needed", "bob"),
    ]
    assert uncoded(ctx) == []


def test_a_persons_coding_is_kept_beside_the_rules(ctx: Context, ann: int) -> None:
    answer_id = answer(ctx, ann, "It was far too expensive")
    code_by_person(ctx, answer_id, ["competitor_offer"], "bob")
    assert sorted((r["reason"], r["coded_by"]) for r in rows(ctx, answer_reasons)) == [
        ("competitor_offer", "bob"),
        ("price_or_quality", "rules"),
    ]


def test_an_unknown_reason_is_refused_naming_the_valid_ones(ctx: Context, ann: int) -> None:
    answer_id = answer(ctx, ann, "the weather was nice")
    with pytest.raises(InvalidInputError, match="unknown 'pricey'; known: price_or_quality, competitor_offer"):
        code_by_person(ctx, answer_id, ["pricey"], "bob")
    assert rows(ctx, answer_reasons) == []


def test_coding_an_answer_about_a_complaint_is_audited_on_it(
    ctx: Context, ann: int, complaint_at: Callable[..., int]
) -> None:
    complaint_id = complaint_at([])
    answer_id = answer(ctx, ann, "the weather was nice", complaint_id)
    code_by_person(ctx, answer_id, ["other"], "bob")
    with ctx.read() as connection:
        last = (
            connection.execute(
                select(audit_log).where(audit_log.c.complaint_id == complaint_id).order_by(audit_log.c.id.desc())
            )
            .mappings()
            .first()
        )
    assert last is not None
    assert (last["trigger"], last["actor"], last["payload"]["reasons"]) == ("code_answer", "bob", ["other"])


def test_coding_needs_a_known_answer_and_person(ctx: Context, ann: int) -> None:
    with pytest.raises(NotFoundError, match="no survey answer 99"):
        code_by_person(ctx, 99, ["other"], "bob")
    answer_id = answer(ctx, ann, "the weather was nice")
    with pytest.raises(NotFoundError, match="unknown actor 'eve'"):
        code_by_person(ctx, answer_id, ["other"], "eve")
