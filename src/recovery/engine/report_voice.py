"""The retention report's win-back, voice-of-the-customer and staff figures, counted in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, exists, func, select
from sqlalchemy.orm import aliased

from recovery.core.report_periods import Window
from recovery.core.retention_report import Rate, nps, total, with_rates
from recovery.core.roles import Role
from recovery.core.surveys import Kind
from recovery.engine.report_recovery import opened_by_period
from recovery.store.report_sql import period_index
from recovery.store.schema import answer_reasons, complaints, flags, ledger, staff, survey_answers

RULES = "rules"  # answer_reasons.coded_by of the rules' coding; any other value is a person's, which wins
WINBACK_COUNTED = ("cases", "closed", "won")
WINBACK_RATES: dict[str, Rate] = {"won_rate": ("won", "closed", 4)}
VOICE_COUNTED = ("nps_answers", "promoters", "detractors", "csat_answers", "csat_satisfied", "csat_sum")
VOICE_RATES: dict[str, Rate] = {
    "csat": ("csat_satisfied", "csat_answers", 4),
    "csat_mean": ("csat_sum", "csat_answers", 2),
}
STAFF_COUNTED = ("flags", "confirmed", "decided", "points")
STAFF_RATES: dict[str, Rate] = {"precision": ("confirmed", "decided", 4)}
c, s, f, g = complaints.c, survey_answers.c, flags.c, ledger.c


def _per_period(rows: list[dict[str, Any]], found: Any, names: tuple[str, ...]) -> None:
    for index, *values in found:
        rows[index].update(
            {name: float(v or 0) if name == "csat_sum" else int(v or 0) for name, v in zip(names, values, strict=True)}
        )


def winback_figures(connection: Connection, window: Window, workflow: str) -> dict[str, Any]:
    """Win-back cases opened per period, how many closed and how many won back, and the reasons they gave."""
    rows: list[dict[str, Any]] = [dict.fromkeys(WINBACK_COUNTED, 0) for _ in window.periods]
    query = opened_by_period(window, c.workflow == workflow, Role.REPURCHASE)
    _per_period(rows, connection.execute(query), WINBACK_COUNTED)
    periods = [{"period": key, **with_rates(row, WINBACK_RATES)} for key, row in zip(window.keys, rows, strict=True)]
    reasons, languages = _reasons(connection, window, workflow)
    return {
        "periods": periods,
        "total": total(rows, WINBACK_COUNTED, WINBACK_RATES),
        "reasons": reasons,
        "languages": languages,
    }


def _reasons(connection: Connection, window: Window, workflow: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The reasons of the cases' answers, most given first, with their count in each language."""
    r = answer_reasons.c
    other = aliased(answer_reasons)
    by_person = exists().where(other.c.answer_id == r.answer_id, other.c.coded_by != RULES)
    chosen = (r.coded_by != RULES) | ~by_person  # a person's coding of an answer wins over the rules'
    query = (
        select(r.reason, s.language, func.count(func.distinct(s.id)))
        .join(survey_answers, s.id == r.answer_id)
        .join(complaints, c.id == s.complaint_id)
        .where(c.workflow == workflow, s.answered_at >= window.moments[0], s.answered_at < window.moments[-1], chosen)
        .group_by(r.reason, s.language)
    )
    counts: dict[str, dict[str, int]] = {}
    for reason, language, n in connection.execute(query):
        counts.setdefault(reason, {})[language] = int(n)
    ordered = sorted(counts.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    ranked = [
        {"reason": reason, "answers": sum(by_language.values()), "by_language": dict(sorted(by_language.items()))}
        for reason, by_language in ordered
    ]
    answered = select(s.language, func.count()).join(complaints, c.id == s.complaint_id)
    languages = answered.where(
        c.workflow == workflow,
        s.answered_at >= window.moments[0],
        s.answered_at < window.moments[-1],
        exists().where(r.answer_id == s.id),
    ).group_by(s.language)
    return ranked, {language: int(n) for language, n in connection.execute(languages)}


def voice_figures(connection: Connection, window: Window) -> dict[str, Any]:
    """NPS and CSAT of the answers given in each period (NPS: 9-10 promoters, 0-6 detractors; CSAT: 4-5 of 5)."""
    rows: list[dict[str, Any]] = [dict.fromkeys(VOICE_COUNTED, 0) for _ in window.periods]
    is_nps, is_csat = s.kind == Kind.NPS.value, s.kind == Kind.CSAT.value
    index = period_index(s.answered_at, window.moments)
    query = (
        select(
            index,
            func.sum(case((is_nps, 1), else_=0)),
            func.sum(case((is_nps & (s.number >= 9), 1), else_=0)),
            func.sum(case((is_nps & (s.number <= 6), 1), else_=0)),
            func.sum(case((is_csat, 1), else_=0)),
            func.sum(case((is_csat & (s.number >= 4), 1), else_=0)),
            func.sum(case((is_csat, s.number), else_=0)),
        )
        .where(
            (is_nps | is_csat),
            s.number.is_not(None),
            s.answered_at >= window.moments[0],
            s.answered_at < window.moments[-1],
        )
        .group_by(index)
    )
    _per_period(rows, connection.execute(query), VOICE_COUNTED)
    periods = [
        {"period": key, **_with_nps(with_rates(row, VOICE_RATES))} for key, row in zip(window.keys, rows, strict=True)
    ]
    return {"periods": periods, "total": _with_nps(total(rows, VOICE_COUNTED, VOICE_RATES))}


def _with_nps(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "nps": nps(int(row["promoters"]), int(row["detractors"]), int(row["nps_answers"]))}


def staff_figures(connection: Connection, window: Window) -> dict[str, Any]:
    """Flags raised per period and per person, how many of the decided ones were confirmed, and points earned."""
    start, end = window.moments[0], window.moments[-1]
    decided = case((f.status != "open", 1), else_=0)
    confirmed = case((f.status == "confirmed", 1), else_=0)
    raised = period_index(f.raised_at, window.moments)
    rows: list[dict[str, Any]] = [dict.fromkeys(STAFF_COUNTED, 0) for _ in window.periods]
    flag_query = select(raised, func.count(), func.sum(confirmed), func.sum(decided))
    flag_query = flag_query.where(f.raised_at >= start, f.raised_at < end).group_by(raised)
    _per_period(rows, connection.execute(flag_query), ("flags", "confirmed", "decided"))
    earned = period_index(g.at, window.moments)
    points = select(earned, func.sum(g.points)).where(g.at >= start, g.at < end).group_by(earned)
    _per_period(rows, connection.execute(points), ("points",))
    periods = [{"period": key, **with_rates(row, STAFF_RATES)} for key, row in zip(window.keys, rows, strict=True)]
    return {"periods": periods, "total": total(rows, STAFF_COUNTED, STAFF_RATES), "people": _people(connection, window)}


def _people(connection: Connection, window: Window) -> list[dict[str, Any]]:
    """Each staff member with flags or points in the window, the most points first."""
    start, end = window.moments[0], window.moments[-1]
    people: dict[str, dict[str, Any]] = {}
    flag_query = (
        select(
            f.staff_id,
            func.count(),
            func.sum(case((f.status == "confirmed", 1), else_=0)),
            func.sum(case((f.status != "open", 1), else_=0)),
        )
        .where(f.raised_at >= start, f.raised_at < end)
        .group_by(f.staff_id)
    )
    for who, n, yes, decided in connection.execute(flag_query):
        people[who] = {"flags": int(n), "confirmed": int(yes or 0), "decided": int(decided or 0), "points": 0}
    for who, earned in connection.execute(
        select(g.staff_id, func.sum(g.points)).where(g.at >= start, g.at < end).group_by(g.staff_id)
    ):
        people.setdefault(who, {"flags": 0, "confirmed": 0, "decided": 0, "points": 0})["points"] = int(earned or 0)
    names = (
        dict(connection.execute(select(staff.c.id, staff.c.name).where(staff.c.id.in_(list(people)))).all())
        if people
        else {}
    )
    rows = [
        {"staff": who, "name": names.get(who, ""), **with_rates(counts, STAFF_RATES)} for who, counts in people.items()
    ]
    return sorted(rows, key=lambda row: (-row["points"], -row["flags"], row["staff"]))
