"""Sending a survey: one invitation and one outbox message per customer, a signed link in their language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from survey_helpers import BASE_URL, rows, token_of

from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.people import add_customer
from recovery.engine.survey_config import SurveyConfig
from recovery.engine.surveys import send_survey
from recovery.errors import ConfigError, InvalidInputError, NotFoundError
from recovery.store.schema import outbox, survey_invitations


def test_each_customer_gets_an_invitation_with_a_link_under_the_base_url(ctx: Context, ann: int) -> None:
    jo = add_customer(ctx, "jo@example.com", "Jo")
    sent = send_survey(ctx, "relationship", [ann, jo], by="bob")
    assert [i.customer_id for i in sent] == [ann, jo]
    assert all(i.url.startswith(f"{BASE_URL}/s/") for i in sent)
    assert sent[0].url != sent[1].url
    assert len(rows(ctx, survey_invitations)) == 2


def test_the_outbox_message_carries_the_link_and_the_title_in_the_customers_language(
    ctx: Context, ann: int, set_language: Callable[[int, str], None]
) -> None:
    set_language(ann, "nl")
    [invitation] = send_survey(ctx, "follow_up", [ann], by="bob")
    [message] = rows(ctx, outbox)
    assert message["topic"] == "survey.invitation"
    assert message["recipient"] == "ann@example.com"
    assert message["payload"]["url"] == invitation.url
    assert message["payload"]["title"] == "Hoe hebben we uw klacht afgehandeld?"
    assert invitation.language == "nl"


@pytest.mark.parametrize(
    ("customer_language", "given", "expected"),
    [(None, None, "en"), ("de", None, "de"), ("de", "nl", "nl")],
    ids=["settings-default", "customer-language", "given-language-wins"],
)
def test_the_language_is_the_given_one_else_the_customers_else_the_default(
    ctx: Context,
    ann: int,
    set_language: Callable[[int, str], None],
    customer_language: str | None,
    given: str | None,
    expected: str,
) -> None:
    if customer_language:
        set_language(ann, customer_language)
    [invitation] = send_survey(ctx, "relationship", [ann], by="bob", language=given)
    assert invitation.language == expected


def test_the_invitation_expires_after_the_token_lifetime(ctx: Context, ann: int, clock: SettableClock) -> None:
    [invitation] = send_survey(ctx, "relationship", [ann], by="bob")
    assert invitation.expires_at == clock.now() + timedelta(days=30)


def test_without_a_secret_sending_is_refused_naming_the_variable(ctx: Context, ann: int) -> None:
    ctx.surveys = SurveyConfig(secret=None)
    with pytest.raises(ConfigError, match="RECOVERY_SURVEY_SECRET"):
        send_survey(ctx, "relationship", [ann], by="bob")
    assert rows(ctx, survey_invitations) == []


def test_an_unknown_survey_is_refused_naming_the_known_ones(ctx: Context, ann: int) -> None:
    with pytest.raises(NotFoundError, match="known: follow_up, relationship, win_back"):
        send_survey(ctx, "relashionship", [ann], by="bob")


def test_an_unknown_sender_is_refused(ctx: Context, ann: int) -> None:
    with pytest.raises(NotFoundError, match="unknown actor 'nobody'"):
        send_survey(ctx, "relationship", [ann], by="nobody")


def test_one_unknown_customer_sends_nothing_to_the_others(ctx: Context, ann: int) -> None:
    with pytest.raises(NotFoundError, match="no customer 999"):
        send_survey(ctx, "relationship", [ann, 999], by="bob")
    assert rows(ctx, survey_invitations) == []
    assert rows(ctx, outbox) == []


def test_an_unknown_language_is_refused(ctx: Context, ann: int) -> None:
    with pytest.raises(InvalidInputError, match="known: en, nl, de"):
        send_survey(ctx, "relationship", [ann], by="bob", language="fr")


def test_a_complaint_of_another_customer_is_refused(ctx: Context, ann: int, complaint_at: Callable[..., int]) -> None:
    complaint_id = complaint_at([])
    jo = add_customer(ctx, "jo@example.com", "Jo")
    with pytest.raises(InvalidInputError, match=f"complaint {complaint_id} is customer {ann}'s"):
        send_survey(ctx, "follow_up", [jo], by="bob", complaint_id=complaint_id)


def test_the_link_carries_only_a_signed_nonce_not_the_invitation_id(ctx: Context, ann: int) -> None:
    [invitation] = send_survey(ctx, "relationship", [ann], by="bob")
    [row] = rows(ctx, survey_invitations)
    assert row["nonce"] not in token_of(invitation.url)  # signed and encoded, not readable as is
    assert len(row["nonce"]) == 32
