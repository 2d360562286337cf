"""Storing a survey's answers and what they mean beyond themselves, inside the caller's transaction.

Every answer is checked before any is written. Open answers are coded as they are stored. A
follow-up survey's score becomes its complaint's follow-up score through the complaint's own
follow-up step (``Steps``, the single writer of complaint state), and its expectation fills the
complaint's ``expected`` once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, update

from recovery.core.commands import FireTrigger
from recovery.core.machine import Refused
from recovery.core.roles import Role
from recovery.core.surveys import Kind, Survey, parse_answer
from recovery.engine.complaints import Steps
from recovery.engine.context import Context
from recovery.engine.survey_coding import code_by_rules
from recovery.engine.survey_errors import AnswerError
from recovery.store import complaints as complaint_store
from recovery.store.schema import complaints, survey_answers
from recovery.store.sql import inserted_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Answered:
    """Who answered which survey, when, how: the columns every answer of one submission shares."""

    survey: Survey
    customer_id: int
    language: str
    source: str
    at: datetime
    invitation_id: int | None = None
    complaint_id: int | None = None
    recorded_by: str | None = None


def checked(survey: Survey, answers: Mapping[str, str], *, max_length: int, complete: bool) -> dict[str, int | str]:
    """The answers parsed, blank ones left out; AnswerError naming every problem, and nothing kept, otherwise.

    ``complete``: every required question must be answered (a form); a phone call may cover part.
    """
    problems: dict[str, str] = {}
    parsed: dict[str, int | str] = {}
    known = {q.key for q in survey.questions}
    for key in answers:
        if key not in known:
            problems[key] = f"unknown question; known: {', '.join(q.key for q in survey.questions)}"
    for question in survey.questions:
        raw = answers.get(question.key)
        if raw is None or not str(raw).strip():
            if complete and question.required:
                problems[question.key] = "an answer is needed"
            continue
        try:
            parsed[question.key] = parse_answer(question, str(raw), max_length=max_length)
        except ValueError as exc:
            problems[question.key] = str(exc)
    if not parsed and not problems:
        problems["answers"] = "no answer given"
    if problems:
        first = next(iter(problems))
        raise AnswerError(first, problems[first], problems)
    return parsed


def store(
    ctx: Context, connection: Connection, steps: Steps, answered: Answered, parsed: Mapping[str, int | str]
) -> list[int]:
    """Insert the answers, code the open ones, apply the follow-up score and expectation; the answers' ids."""
    ids = []
    for key, value in parsed.items():
        question = answered.survey.question(key)
        is_open = question.kind is Kind.OPEN
        row = {
            "invitation_id": answered.invitation_id,
            "survey": answered.survey.name,
            "question": key,
            "kind": question.kind.value,
            "customer_id": answered.customer_id,
            "complaint_id": answered.complaint_id,
            "language": answered.language,
            "number": value if isinstance(value, int) else None,
            "text": value if isinstance(value, str) else None,
            "source": answered.source,
            "recorded_by": answered.recorded_by,
            "answered_at": answered.at,
            "coding": "queued" if is_open else None,
        }
        answer_id = inserted_id(connection.execute(survey_answers.insert().values(row)))
        if is_open:
            code_by_rules(ctx, connection, answer_id, str(value), answered.language, answered.at)
        ids.append(answer_id)
    if answered.complaint_id is not None and answered.survey.name == ctx.surveys.follow_up:
        _expected(connection, answered, parsed)
        _follow_up_score(ctx, connection, steps, answered, parsed)
    return ids


def _expected(connection: Connection, answered: Answered, parsed: Mapping[str, int | str]) -> None:
    """What the customer expected fills the complaint's ``expected`` unless someone recorded it first."""
    question = answered.survey.with_role("expected")
    if question is None or question.key not in parsed:
        return
    connection.execute(
        update(complaints)
        .where(complaints.c.id == answered.complaint_id, complaints.c.expected.is_(None))
        .values(expected=str(parsed[question.key]))
    )


def _follow_up_score(
    ctx: Context, connection: Connection, steps: Steps, answered: Answered, parsed: Mapping[str, int | str]
) -> str | None:
    """Fire the complaint's follow-up step with the score; a note (logged) when it does not apply now."""
    question = answered.survey.with_role("score")
    if question is None or question.key not in parsed or answered.complaint_id is None:
        return None
    complaint_id = answered.complaint_id
    if complaint_id not in steps.current:
        steps.add(complaint_store.load(connection, complaint_id))
    complaint = steps.current[complaint_id]
    workflow = ctx.workflows.get(connection, complaint.workflow, complaint.workflow_version)
    trigger = workflow.trigger_for(Role.FOLLOW_UP, complaint.state)
    note: str | None
    if trigger is None:
        note = f"complaint {complaint_id} is {complaint.state}: no follow-up step from there; the score stays an answer"
    else:
        command = FireTrigger(
            complaint_id=complaint_id,
            trigger=trigger,
            actor=answered.recorded_by or "customer",
            score=int(parsed[question.key]),
            note=f"{answered.survey.name} survey answered ({answered.source})",
            at=answered.at,
        )
        outcome = steps.fire(command)
        note = f"complaint {complaint_id}: {outcome.reason}" if isinstance(outcome, Refused) else None
    if note is not None:
        log.info("event=survey_score_not_applied survey=%s %s", answered.survey.name, note)
    return note
