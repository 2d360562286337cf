"""Coding open answers into reasons: by the rules as an answer is stored, by a person from the queue.

The rules' reasons are written with ``coded_by = "rules"``; an answer they are not confident about
waits (``coding = "queued"``) for a person. A person's reasons are written beside the rules' (never
over them): reports take the person's, and the pairs measure the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from recovery.core.reasons import code_answer
from recovery.engine.actors import check_known
from recovery.engine.context import Context
from recovery.engine.queries import iso
from recovery.errors import InvalidInputError, NotFoundError
from recovery.store import audit
from recovery.store.schema import answer_reasons, complaints, survey_answers

RULES = "rules"


def code_by_rules(
    ctx: Context, connection: Connection, answer_id: int, text: str, language: str, now: datetime
) -> bool:
    """Code one stored open answer by the rules; True when they were confident (else it is queued)."""
    coded = code_answer(ctx.surveys.taxonomy(), text, language, min_confidence=ctx.surveys.min_confidence)
    if not coded:
        return False
    rows = [
        {"answer_id": answer_id, "reason": c.reason, "confidence": c.confidence, "coded_by": RULES, "coded_at": now}
        for c in coded
    ]
    connection.execute(answer_reasons.insert(), rows)
    connection.execute(update(survey_answers).where(survey_answers.c.id == answer_id).values(coding=RULES))
    return True


def uncoded(ctx: Context, limit: int = 50) -> list[dict[str, Any]]:
    """The open answers waiting for a person, oldest first, each with what the rules guessed (if anything)."""
    a = survey_answers.c
    query = select(survey_answers).where(a.coding == "queued").order_by(a.id).limit(limit)
    with ctx.read() as connection:
        found = [dict(r) for r in connection.execute(query).mappings()]
        guesses = reasons_of(connection, [r["id"] for r in found])
    return [{**answer_view(r), "reasons": guesses.get(r["id"], [])} for r in found]


def code_by_person(ctx: Context, answer_id: int, reasons: Sequence[str], by: str) -> dict[str, Any]:
    """Code an open answer by hand with ``reasons`` (keys of the taxonomy); the answer with its reasons."""
    keys = list(dict.fromkeys(r.strip() for r in reasons))
    known = ctx.surveys.taxonomy().keys
    if not keys or any(not k for k in keys):
        raise InvalidInputError(f"reasons: name at least one; known: {', '.join(known)}")
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise InvalidInputError(f"reasons: unknown {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    now = ctx.clock.now()
    with ctx.db.begin() as connection:
        check_known(connection, by)
        answer = connection.execute(select(survey_answers).where(survey_answers.c.id == answer_id)).mappings().first()
        if answer is None:
            raise NotFoundError(f"no survey answer {answer_id}")
        if answer["kind"] != "open":
            raise InvalidInputError(f"answer {answer_id} is a {answer['kind']} answer: only open answers are coded")
        rows = [{"answer_id": answer_id, "reason": k, "confidence": 1.0, "coded_by": by, "coded_at": now} for k in keys]
        connection.execute(answer_reasons.insert(), rows)
        connection.execute(update(survey_answers).where(survey_answers.c.id == answer_id).values(coding="person"))
        if answer["complaint_id"] is not None:
            note = f"survey answer {answer_id} ({answer['survey']}.{answer['question']}) coded: {', '.join(keys)}"
            entry = audit.entry(
                answer["complaint_id"],
                now,
                "code_answer",
                "",
                "",
                by,
                "applied",
                note,
                {"answer_id": answer_id, "reasons": keys},
            )
            audit.append(connection, [_in_state(connection, entry)])
        coded = reasons_of(connection, [answer_id])
    return {**answer_view({**answer, "coding": "person"}), "reasons": coded.get(answer_id, [])}


def _in_state(connection: Connection, entry: audit.AuditRow) -> audit.AuditRow:
    """The audit row with the complaint's current state as its source and dest: coding changes no state."""
    state = connection.execute(select(complaints.c.state).where(complaints.c.id == entry["complaint_id"])).scalar()
    return {**entry, "source": state or "", "dest": state or ""}


def reasons_of(connection: Connection, answer_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The reasons of each answer (rules' and people's), by answer id, in the order they were coded."""
    found: dict[int, list[dict[str, Any]]] = {}
    if not answer_ids:
        return found
    r = answer_reasons.c
    query = select(answer_reasons).where(r.answer_id.in_(list(answer_ids))).order_by(r.answer_id, r.id)
    for row in connection.execute(query).mappings():
        found.setdefault(row["answer_id"], []).append(
            {
                "reason": row["reason"],
                "confidence": row["confidence"],
                "coded_by": row["coded_by"],
                "coded_at": iso(row["coded_at"]),
            }
        )
    return found


def answer_view(row: Any) -> dict[str, Any]:
    """An answer as --json shows it."""
    value: int | str | None = row["number"] if row["number"] is not None else row["text"]
    return {
        "id": row["id"],
        "survey": row["survey"],
        "question": row["question"],
        "kind": row["kind"],
        "value": value,
        "customer_id": row["customer_id"],
        "complaint_id": row["complaint_id"],
        "invitation_id": row["invitation_id"],
        "language": row["language"],
        "source": row["source"],
        "recorded_by": row["recorded_by"],
        "answered_at": iso(row["answered_at"]),
        "coding": row["coding"],
    }
