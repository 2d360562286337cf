"""Surveys: sending invitations, opening a link, taking the answers (from the form, a webhook, a phone call).

The API the survey form (``GET``/``POST /s/{token}``) and the CLI call. A link carries a signed,
random nonce; the invitation row behind it holds the expiry and the single use. Answers are stored
and the invitation marked answered in one transaction with a conditional UPDATE, so a second
submission, even a concurrent one, stores nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import Connection, select, update

from recovery.core.surveys import LANGUAGES, Survey
from recovery.engine.actors import check_known
from recovery.engine.complaints import Steps
from recovery.engine.context import Context
from recovery.engine.input_checks import check_texts
from recovery.engine.queries import iso
from recovery.engine.survey_answers import Answered, checked, store
from recovery.engine.survey_coding import answer_view, code_by_person, uncoded
from recovery.engine.survey_errors import AlreadyAnswered, AnswerError, LinkExpired, LinkInvalid, SurveyLinkError
from recovery.errors import InvalidInputError, NotFoundError
from recovery.store.outbox import enqueue
from recovery.store.schema import complaints, customers, survey_answers, survey_invitations
from recovery.store.sql import inserted_id

__all__ = [
    "AlreadyAnswered",
    "AnswerError",
    "Invitation",
    "InvitationView",
    "LinkExpired",
    "LinkInvalid",
    "SurveyLinkError",
    "code_by_person",
    "list_answers",
    "open_invitation",
    "record_answers",
    "send_survey",
    "submit_answers",
    "uncoded",
]

TOPIC = "survey.invitation"
SALT = "recovery.survey.invitation"
RECORDED_SOURCES = ("phone", "webhook", "interview")  # answers without an invitation
FORM_SOURCES = ("form", "webhook")  # answers to an invitation's link


@dataclass(frozen=True, slots=True)
class Invitation:
    """One customer's invitation to one survey, with the link they answer at."""

    id: int
    survey: str
    language: str
    customer_id: int
    complaint_id: int | None
    url: str
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The invitation as --json shows it."""
        return {
            "id": self.id,
            "survey": self.survey,
            "language": self.language,
            "customer_id": self.customer_id,
            "complaint_id": self.complaint_id,
            "url": self.url,
            "expires_at": iso(self.expires_at),
        }


@dataclass(frozen=True, slots=True)
class InvitationView:
    """What the form needs to show an invitation: the survey, in the customer's language, to whom."""

    invitation_id: int
    survey: Survey
    language: str
    customer_id: int
    customer_name: str
    complaint_id: int | None
    expires_at: datetime


def send_survey(
    ctx: Context,
    survey: str,
    customer_ids: Sequence[int],
    *,
    by: str,
    language: str | None = None,
    complaint_id: int | None = None,
) -> list[Invitation]:
    """Invite each customer to ``survey``: one invitation and one outbox message each, in one transaction."""
    definition = ctx.surveys.survey(survey)
    if language is not None and language not in LANGUAGES:
        raise InvalidInputError(f"language: unknown {language!r}; known: {', '.join(LANGUAGES)}")
    if not customer_ids:
        raise InvalidInputError("customers: name at least one customer to send the survey to")
    ctx.surveys.signing_key()  # refused before anything is read
    now = ctx.clock.now()
    with ctx.db.begin() as connection:
        check_known(connection, by)
        return [
            invite(
                ctx, connection, definition, customer_id, by=by, now=now, language=language, complaint_id=complaint_id
            )
            for customer_id in dict.fromkeys(customer_ids)
        ]


def invite(
    ctx: Context,
    connection: Connection,
    survey: Survey,
    customer_id: int,
    *,
    by: str,
    now: datetime,
    language: str | None = None,
    complaint_id: int | None = None,
) -> Invitation:
    """Insert one invitation and queue its message inside ``connection``'s transaction."""
    customer = connection.execute(select(customers).where(customers.c.id == customer_id)).mappings().first()
    if customer is None:
        raise NotFoundError(f"no customer {customer_id}")
    if complaint_id is not None:
        owner = connection.execute(select(complaints.c.customer_id).where(complaints.c.id == complaint_id)).scalar()
        if owner is None:
            raise NotFoundError(f"no complaint {complaint_id}")
        if owner != customer_id:
            raise InvalidInputError(f"complaint {complaint_id} is customer {owner}'s, not customer {customer_id}'s")
    lang = language or _language(customer["language"]) or ctx.surveys.default_language
    nonce = secrets.token_hex(16)
    expires_at = now + ctx.surveys.lifetime
    row = {
        "survey": survey.name,
        "language": lang,
        "customer_id": customer_id,
        "complaint_id": complaint_id,
        "nonce": nonce,
        "created_at": now,
        "expires_at": expires_at,
        "sent_by": by,
    }
    invitation_id = inserted_id(connection.execute(survey_invitations.insert().values(row)))
    token = _serializer(ctx).dumps(nonce)
    url = f"{ctx.surveys.base_url.rstrip('/')}/s/{token}"
    payload = {
        "invitation_id": invitation_id,
        "survey": survey.name,
        "title": survey.title[lang],
        "intro": survey.intro[lang],
        "language": lang,
        "customer_id": customer_id,
        "name": customer["name"],
        "email": customer["email"],
        "complaint_id": complaint_id,
        "url": url,
        "expires_at": iso(expires_at),
    }
    enqueue(connection, f"survey:{invitation_id}", TOPIC, payload, now, customer["email"])
    return Invitation(invitation_id, survey.name, lang, customer_id, complaint_id, url, expires_at)


def _language(value: str | None) -> str | None:
    return value if value in LANGUAGES else None


def _serializer(ctx: Context) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.surveys.signing_key(), salt=SALT)


def _nonce(ctx: Context, token: str) -> str:
    """The nonce a token carries; LinkInvalid when it is not one we signed."""
    try:
        nonce = _serializer(ctx).loads(token)  # no max_age: the invitation row holds the expiry, read by our clock
    except BadData as exc:
        raise LinkInvalid("this survey link is not valid: check that it was copied whole") from exc
    if not isinstance(nonce, str):
        raise LinkInvalid("this survey link is not valid: check that it was copied whole")
    return nonce


def _usable(ctx: Context, connection: Connection, token: str, now: datetime) -> dict[str, Any]:
    """The invitation behind ``token`` with its customer's name, when it may still be answered."""
    nonce = _nonce(ctx, token)
    query = (
        select(survey_invitations, customers.c.name.label("customer_name"))
        .join(customers, customers.c.id == survey_invitations.c.customer_id)
        .where(survey_invitations.c.nonce == nonce)
    )
    found = connection.execute(query).mappings().first()
    if found is None:
        raise LinkInvalid("this survey link is not valid: no invitation has it")
    if found["answered_at"] is not None:
        raise AlreadyAnswered("this survey has been answered already: thank you", found["language"])
    if found["expires_at"] <= now:
        raise LinkExpired("this survey link has expired", found["language"])
    return dict(found)


def _survey_of(ctx: Context, invitation: Mapping[str, Any]) -> Survey:
    try:
        return ctx.surveys.survey(invitation["survey"])
    except NotFoundError as exc:
        raise LinkInvalid("this survey is no longer offered") from exc


def open_invitation(ctx: Context, token: str) -> InvitationView:
    """The invitation a link names, to show its form; a SurveyLinkError says why it cannot be used."""
    with ctx.read() as connection:
        found = _usable(ctx, connection, token, ctx.clock.now())
    return InvitationView(
        invitation_id=found["id"],
        survey=_survey_of(ctx, found),
        language=found["language"],
        customer_id=found["customer_id"],
        customer_name=found["customer_name"],
        complaint_id=found["complaint_id"],
        expires_at=found["expires_at"],
    )


def submit_answers(ctx: Context, token: str, answers: Mapping[str, str], *, source: str = "form") -> int:
    """Store an invitation's answers and mark it answered, all or nothing; the number of answers stored.

    AnswerError (nothing stored) when an answer does not fit; AlreadyAnswered for a second submission.
    """
    if source not in FORM_SOURCES:
        raise InvalidInputError(f"source: unknown {source!r}; known: {', '.join(FORM_SOURCES)}")
    now = ctx.clock.now()
    with ctx.db.begin() as connection:
        invitation = _usable(ctx, connection, token, now)
        survey = _survey_of(ctx, invitation)
        parsed = checked(survey, answers, max_length=ctx.surveys.max_answer, complete=True)
        # The single use: only the first transaction to get here finds answered_at empty.
        claimed = connection.execute(
            update(survey_invitations)
            .where(survey_invitations.c.id == invitation["id"], survey_invitations.c.answered_at.is_(None))
            .values(answered_at=now)
        )
        if claimed.rowcount != 1:
            raise AlreadyAnswered("this survey has been answered already: thank you", invitation["language"])
        answered = Answered(
            survey,
            invitation["customer_id"],
            invitation["language"],
            source,
            now,
            invitation_id=invitation["id"],
            complaint_id=invitation["complaint_id"],
        )
        steps = Steps(ctx, connection)
        stored = store(ctx, connection, steps, answered, parsed)
        steps.write(last=True)
    return len(stored)


def record_answers(
    ctx: Context,
    survey: str,
    customer_id: int,
    answers: Mapping[str, str],
    *,
    source: str,
    by: str | None,
    complaint_id: int | None = None,
    language: str | None = None,
) -> list[int]:
    """Store answers given without an invitation (a phone call, an interview, a webhook); their ids."""
    now = ctx.clock.now()
    with ctx.db.begin() as connection:
        steps = Steps(ctx, connection)
        ids = record_in(
            ctx,
            connection,
            steps,
            survey,
            customer_id,
            answers,
            source=source,
            by=by,
            complaint_id=complaint_id,
            language=language,
            at=now,
        )
        steps.write(last=True)
    return ids


def record_in(
    ctx: Context,
    connection: Connection,
    steps: Steps,
    survey: str,
    customer_id: int,
    answers: Mapping[str, str],
    *,
    source: str,
    by: str | None,
    at: datetime,
    complaint_id: int | None = None,
    language: str | None = None,
) -> list[int]:
    """``record_answers`` inside the caller's transaction, firing any follow-up score on ``steps``."""
    definition = ctx.surveys.survey(survey)
    if source not in RECORDED_SOURCES:
        raise InvalidInputError(f"source: unknown {source!r}; known: {', '.join(RECORDED_SOURCES)}")
    if language is not None and language not in LANGUAGES:
        raise InvalidInputError(f"language: unknown {language!r}; known: {', '.join(LANGUAGES)}")
    if by is not None:
        check_texts(by=by)
        check_known(connection, by)
    parsed = checked(definition, answers, max_length=ctx.surveys.max_answer, complete=False)
    customer = connection.execute(select(customers.c.language).where(customers.c.id == customer_id)).first()
    if customer is None:
        raise NotFoundError(f"no customer {customer_id}")
    if complaint_id is not None:
        owner = connection.execute(select(complaints.c.customer_id).where(complaints.c.id == complaint_id)).scalar()
        if owner != customer_id:
            raise NotFoundError(f"no complaint {complaint_id} of customer {customer_id}")
    lang = language or _language(customer.language) or ctx.surveys.default_language
    answered = Answered(definition, customer_id, lang, source, at, complaint_id=complaint_id, recorded_by=by)
    return store(ctx, connection, steps, answered, parsed)


def list_answers(
    ctx: Context, survey: str | None = None, customer_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Stored answers, newest first, optionally of one survey or one customer."""
    a = survey_answers.c
    query = select(survey_answers).order_by(a.id.desc()).limit(limit)
    if survey is not None:
        query = query.where(a.survey == survey)
    if customer_id is not None:
        query = query.where(a.customer_id == customer_id)
    with ctx.read() as connection:
        return [answer_view(r) for r in connection.execute(query).mappings()]
