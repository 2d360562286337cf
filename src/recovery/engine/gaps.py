"""The quality gap's rows, read from complaints, their compensations, follow-ups and coded answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from recovery.core.gaps import GapCase, gap_report
from recovery.engine.context import Context
from recovery.store.schema import answer_reasons, compensations, complaints, follow_ups, survey_answers

RULES = "rules"


def quality_gaps(ctx: Context, since: datetime | None = None) -> dict[str, Any]:
    """The gap report over every complaint (win-back cases aside) opened since ``since``."""
    c = complaints.c
    query = select(c.id, c.expected, c.last_score).where(c.workflow != ctx.winback.workflow)
    if since is not None:
        query = query.where(c.opened_at >= since)
    # The complaints are named by a subquery, never as parameters: a year can hold more than SQLite takes.
    ids = query.with_only_columns(c.id)
    with ctx.read() as connection:
        found = connection.execute(query.order_by(c.id)).all()
        given = _given(connection, ids)
        perceived = _perceived(connection, ids)
        reasons = _reasons(connection, ids)
    cases = [
        GapCase(row.expected, given.get(row.id, ()), perceived.get(row.id), row.last_score, reasons.get(row.id, ()))
        for row in found
    ]
    return {"since": since.isoformat().replace("+00:00", "Z") if since else None, **gap_report(cases)}


def _given(connection: Connection, ids: Any) -> dict[int, tuple[str, ...]]:
    found: dict[int, tuple[str, ...]] = {}
    query = select(compensations.c.complaint_id, compensations.c.kind).order_by(compensations.c.id)
    for complaint_id, kind in connection.execute(query.where(compensations.c.complaint_id.in_(ids))):
        found[complaint_id] = tuple(dict.fromkeys((*found.get(complaint_id, ()), kind)))
    return found


def _perceived(connection: Connection, ids: Any) -> dict[int, str]:
    """The latest follow-up's perceived outcome, where the customer said one."""
    f = follow_ups.c
    query = select(f.complaint_id, f.perceived).where(f.complaint_id.in_(ids), f.perceived.is_not(None)).order_by(f.id)
    return {complaint_id: perceived for complaint_id, perceived in connection.execute(query)}


def _reasons(connection: Connection, ids: Any) -> dict[int, tuple[str, ...]]:
    """The reasons of each complaint's open answers: a person's coding where there is one, else the rules'."""
    a, r = survey_answers.c, answer_reasons.c
    query = (
        select(a.complaint_id, r.answer_id, r.reason, r.coded_by)
        .join(answer_reasons, r.answer_id == a.id)
        .where(a.complaint_id.in_(ids))
        .order_by(r.id)
    )
    by_answer: dict[int, tuple[int, dict[str, list[str]]]] = {}
    for complaint_id, answer_id, reason, coded_by in connection.execute(query):
        side = "rules" if coded_by == RULES else "person"
        by_answer.setdefault(answer_id, (complaint_id, {}))[1].setdefault(side, []).append(reason)
    found: dict[int, tuple[str, ...]] = {}
    for complaint_id, sides in by_answer.values():
        chosen = sides.get("person") or sides.get("rules") or []
        found[complaint_id] = tuple(dict.fromkeys((*found.get(complaint_id, ()), *chosen)))
    return found
