"""Win-back cases: opened by hand or by a cause (a complaint lost, a helpdesk's word, an at-risk mark),
won back by the customer's next purchase, and the interview's reasons kept as a coded answer.

A case is a complaint in the ``[winback] workflow``; the engine's steps walk it like any other. A customer
has at most one open case, and each cause opens at most one (``complaints.open_key`` is unique), so a
cause seen twice, or two causes at once, open one case.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from recovery.core.commands import FireTrigger, OpenComplaint
from recovery.core.complaint import Complaint
from recovery.core.reasons import detect_language
from recovery.core.roles import Role
from recovery.engine.context import Context
from recovery.errors import ConflictError, InvalidInputError
from recovery.store import complaints as store
from recovery.store.schema import answer_reasons, complaints, customers, purchases, survey_answers
from recovery.store.sql import inserted_id

if TYPE_CHECKING:
    from recovery.engine.complaints import Steps

SYSTEM = "system"
# The interview's words are the answer to this question of the interview guide (surveys/win_back.yaml).
INTERVIEW_SURVEY = "win_back"
INTERVIEW_QUESTION = "why_stopped"


def open_case(ctx: Context, customer_id: int, *, by: str, assignee: str | None = None, note: str = "") -> int:
    """Open a win-back case for ``customer_id`` by hand; ConflictError when one is open already."""
    with ctx.db.begin() as connection:
        found = open_case_of(ctx, connection, customer_id)
        if found is not None:
            raise ConflictError(f"customer {customer_id} already has an open win-back case: {found}")
        summary = note.strip() or "Win back: opened by hand"
        opened = open_in(ctx, connection, customer_id, summary=summary, actor=by, assignee=assignee)
    if opened is None:  # someone opened one between the look and the insert
        raise ConflictError(f"customer {customer_id} already has an open win-back case")
    return opened


def open_in(
    ctx: Context,
    connection: Connection,
    customer_id: int,
    *,
    summary: str,
    actor: str,
    key: str | None = None,
    assignee: str | None = None,
    channel: str = "phone",
    at: datetime | None = None,
) -> int | None:
    """Open a case inside ``connection``'s transaction; None when the customer has one open or ``key`` was used."""
    from recovery.engine.complaints import insert_complaint  # complaints opens cases through here: no cycle

    if open_case_of(ctx, connection, customer_id) is not None or _used(connection, key):
        return None
    workflow = ctx.workflows.current(ctx.winback.workflow)
    now = at or ctx.clock.now()
    command = OpenComplaint(
        customer_id, summary, channel=channel, workflow=workflow.name, assignee=assignee, actor=actor, open_key=key
    )
    try:
        with connection.begin_nested():  # a concurrent opening by the same cause undoes this one alone
            ctx.workflows.adopt(connection, workflow, now)
            return insert_complaint(ctx, connection, workflow, command, now)
    except IntegrityError:
        return None


def open_case_of(ctx: Context, connection: Connection, customer_id: int) -> int | None:
    """The id of the customer's open win-back case, if any."""
    c = complaints.c
    query = select(c.id).where(c.customer_id == customer_id, c.workflow == ctx.winback.workflow, c.closed_at.is_(None))
    return connection.execute(query.limit(1)).scalar()


def _used(connection: Connection, key: str | None) -> bool:
    if key is None:
        return False
    return connection.execute(select(complaints.c.id).where(complaints.c.open_key == key)).first() is not None


def bought_since_opening(
    ctx: Context, connection: Connection, customer_ids: Collection[int] | None = None
) -> list[Complaint]:
    """Open win-back cases whose customer has bought since the case opened."""
    c, p = complaints.c, purchases.c
    bought = (
        select(p.id).where(p.customer_id == c.customer_id, p.kind == "purchase", p.ordered_at >= c.opened_at).exists()
    )
    query = select(complaints).where(c.workflow == ctx.winback.workflow, c.closed_at.is_(None), bought)
    if customer_ids is not None:
        query = query.where(c.customer_id.in_(list(customer_ids)))
    return [store.from_row(row) for row in connection.execute(query.order_by(c.id))]


def win_back(ctx: Context, steps: Steps, cases: Collection[Complaint]) -> int:
    """Fire each case's repurchase trigger on ``steps`` (as the system); the number won back."""
    won = 0
    for case in cases:
        workflow = ctx.workflows.get(steps.connection, case.workflow, case.workflow_version)
        trigger = workflow.trigger_for(Role.REPURCHASE, steps.current.get(case.id, case).state)
        if trigger is None:
            continue
        if case.id not in steps.current:
            steps.add(case)
        note = "a purchase arrived after the case opened"
        steps.fire(FireTrigger(case.id, trigger, actor=SYSTEM, note=note))
        won += 1
    return won


def confirm_won_back(ctx: Context, connection: Connection, customer_ids: Collection[int] | None = None) -> int:
    """Close as won back every open case whose customer bought since it opened, in ``connection``'s transaction."""
    from recovery.engine.complaints import Steps

    cases = bought_since_opening(ctx, connection, customer_ids)
    if not cases:
        return 0
    steps = Steps(ctx, connection, cases)
    won = win_back(ctx, steps, cases)
    steps.write(last=True)
    return won


def check_codes(ctx: Context, codes: Collection[str]) -> None:
    """InvalidInputError naming the unknown reason codes and the known ones."""
    if not codes:
        return
    known = ctx.surveys.taxonomy().keys
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInputError(f"reason: unknown {', '.join(map(repr, unknown))}; known: {', '.join(known)}")


def interview_row(ctx: Context, complaint: Complaint, command: FireTrigger, at: datetime) -> dict[str, Any]:
    """The interview's words as an answer of the interview guide, with its codes; written by ``record_interview``."""
    words = (command.words or "").strip()
    language = command.language or detect_language(words) or ctx.surveys.default_language
    return {
        "answer": {
            "survey": INTERVIEW_SURVEY,
            "question": INTERVIEW_QUESTION,
            "kind": "open",
            "customer_id": complaint.customer_id,
            "complaint_id": complaint.id,
            "language": language,
            "text": words,
            "source": "interview",
            "recorded_by": command.actor,
            "answered_at": at,
            "coding": "person",
        },
        "reasons": list(dict.fromkeys(command.reasons)),
    }


def record_interview(ctx: Context, connection: Connection, interview: dict[str, Any]) -> None:
    """Store one interview: the answer, the interviewer's codes, and the rules' codes beside them (to measure them)."""
    from recovery.engine.survey_coding import code_by_rules

    answer = interview["answer"]
    answer_id = inserted_id(connection.execute(survey_answers.insert().values(answer)))
    at, by = answer["answered_at"], answer["recorded_by"] or SYSTEM
    code_by_rules(ctx, connection, answer_id, answer["text"], answer["language"], at)
    rows = [
        {"answer_id": answer_id, "reason": r, "confidence": 1.0, "coded_by": by, "coded_at": at}
        for r in interview["reasons"]
    ]
    connection.execute(answer_reasons.insert(), rows)
    connection.execute(update(survey_answers).where(survey_answers.c.id == answer_id).values(coding="person"))


def customer_label(connection: Connection, customer_id: int) -> str:
    """``Name <email>`` for a case's summary."""
    row = connection.execute(select(customers.c.name, customers.c.email).where(customers.c.id == customer_id)).first()
    if row is None:
        return f"customer {customer_id}"
    return f"{row.name} <{row.email}>" if row.name else str(row.email)


def interviews_of(ctx: Context, case_id: int) -> list[dict[str, Any]]:
    """What the customer said in the case's interviews, each with its reasons (the interviewer's and the rules')."""
    from recovery.engine.survey_coding import answer_view, reasons_of

    a = survey_answers.c
    query = select(survey_answers).where(a.complaint_id == case_id, a.source == "interview").order_by(a.id)
    with ctx.read() as connection:
        rows = connection.execute(query).mappings().all()
        reasons = reasons_of(connection, [row["id"] for row in rows])
    return [{**answer_view(row), "text": row["text"], "reasons": reasons.get(row["id"], [])} for row in rows]
