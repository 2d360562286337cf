"""The follow-up survey: sent by the scan when the follow-up falls due, and its answers fire the follow-up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from survey_helpers import rows, token_of

from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.sla import scan
from recovery.engine.survey_config import SurveyConfig
from recovery.engine.surveys import send_survey, submit_answers
from recovery.store.schema import audit_log, complaints, outbox, survey_answers, survey_invitations


def complaint_row(ctx: Context, complaint_id: int) -> Any:
    with ctx.read() as connection:
        return connection.execute(select(complaints).where(complaints.c.id == complaint_id)).mappings().one()


def answer_follow_up(ctx: Context, complaint_id: int, customer_id: int, **answers: str) -> int:
    [invitation] = send_survey(ctx, "follow_up", [customer_id], by="bob", complaint_id=complaint_id)
    return submit_answers(ctx, token_of(invitation.url), answers)


def test_the_csat_answer_fires_the_follow_up_step_with_that_score(
    ctx: Context, ann: int, complaint_at: Callable[..., int]
) -> None:
    complaint_id = complaint_at()
    answer_follow_up(ctx, complaint_id, ann, satisfaction="5")
    found = complaint_row(ctx, complaint_id)
    assert (found["state"], found["last_score"]) == ("following_up", 5)
    with ctx.read() as connection:
        step = (
            connection.execute(
                select(audit_log).where(audit_log.c.complaint_id == complaint_id).order_by(audit_log.c.id.desc())
            )
            .mappings()
            .first()
        )
    assert step is not None
    assert (step["trigger"], step["actor"], step["payload"]["score"]) == ("follow_up", "customer", 5)


def test_a_complaint_not_awaiting_its_follow_up_keeps_its_state_and_the_answers_are_kept(
    ctx: Context, ann: int, complaint_at: Callable[..., int]
) -> None:
    complaint_id = complaint_at(["apologize"])
    assert answer_follow_up(ctx, complaint_id, ann, satisfaction="2") == 1
    found = complaint_row(ctx, complaint_id)
    assert (found["state"], found["last_score"]) == ("apologized", None)
    assert [r["number"] for r in rows(ctx, survey_answers)] == [2]


def test_what_the_customer_expected_fills_the_complaint_once(
    ctx: Context, ann: int, complaint_at: Callable[..., int]
) -> None:
    complaint_id = complaint_at()
    with ctx.db.begin() as connection:
        connection.execute(complaints.update().where(complaints.c.id == complaint_id).values(expected="apology"))
    answer_follow_up(ctx, complaint_id, ann, satisfaction="4", expected="refund")
    assert complaint_row(ctx, complaint_id)["expected"] == "apology"  # recorded first: kept
    other = complaint_at()
    answer_follow_up(ctx, other, ann, satisfaction="4", expected="refund")
    assert complaint_row(ctx, other)["expected"] == "refund"


def test_the_scan_sends_the_follow_up_survey_once_when_the_follow_up_falls_due(
    ctx: Context, ann: int, complaint_at: Callable[..., int], clock: SettableClock
) -> None:
    complaint_id = complaint_at()
    clock.advance(timedelta(days=4))
    scan(ctx)
    scan(ctx)
    clock.advance(timedelta(days=1))
    scan(ctx)
    [invitation] = rows(ctx, survey_invitations)
    assert (invitation["survey"], invitation["complaint_id"], invitation["sent_by"]) == (
        "follow_up",
        complaint_id,
        "system",
    )
    assert [m["recipient"] for m in rows(ctx, outbox) if m["topic"] == "survey.invitation"] == ["ann@example.com"]


def test_without_a_survey_secret_the_scan_sends_no_survey_and_still_reminds(
    ctx: Context, ann: int, complaint_at: Callable[..., int], clock: SettableClock
) -> None:
    complaint_at()
    ctx.surveys = SurveyConfig(secret=None)
    clock.advance(timedelta(days=4))
    report = scan(ctx)
    assert report.counts["remind_follow_up"] == 1
    assert rows(ctx, survey_invitations) == []


def test_an_empty_follow_up_setting_sends_no_survey(
    ctx: Context, ann: int, complaint_at: Callable[..., int], clock: SettableClock
) -> None:
    complaint_at()
    ctx.surveys = SurveyConfig(secret="s", follow_up="")
    clock.advance(timedelta(days=4))
    scan(ctx)
    assert rows(ctx, survey_invitations) == []
