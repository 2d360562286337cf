"""The points ledger: awards and reversals, append-only, each written exactly once by its award key.

Every ledger row goes out with its notification to the staff member (the outbox) in the
caller's transaction, so an award and its notice commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from recovery.core.rewards import REVERSED, Award, RewardRules, capped, period_of, reversal_key
from recovery.store.outbox import enqueue_many
from recovery.store.schema import ledger, staff
from recovery.store.sql import insert_ignoring_duplicates

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Claim:
    """An award that is due: to whom, why, for which flag, and its full value before the cap."""

    award_key: str
    staff_id: str
    reason: str
    points: int
    flag_id: int
    complaint_id: int | None = None
    note: str = ""


def award(connection: Connection, claims: Sequence[Claim], rules: RewardRules, now: datetime) -> list[Row]:
    """Write ``claims`` as ledger rows of ``now``'s period, cut by the cap, each with its notice."""
    if not claims:
        return []
    period = period_of(now)
    emails = _lock_staff(connection, {c.staff_id for c in claims})
    earned = _earned(connection, period, emails)
    written = []
    for claim in claims:
        # A reversal is never cut: it takes back exactly what was given.
        given = (
            Award(claim.points)
            if claim.reason == REVERSED
            else capped(claim.points, earned[claim.staff_id], rules.cap_per_period)
        )
        earned[claim.staff_id] += given.points
        note = "; ".join(part for part in (claim.note, given.note) if part)
        written.append(_row(claim, given.points, note, period, now))
    connection.execute(insert_ignoring_duplicates(connection, ledger), written)
    enqueue_many(connection, [_notice(row, emails.get(row["staff_id"])) for row in written], now)
    return written


def reverse(connection: Connection, flag_id: int, by: str, rules: RewardRules, now: datetime) -> list[Row]:
    """Take back every award made through ``flag_id`` with a negative row each (once per award)."""
    found = connection.execute(
        select(ledger).where(ledger.c.flag_id == flag_id, ledger.c.reason != REVERSED).order_by(ledger.c.id)
    ).mappings()
    claims = [
        Claim(
            reversal_key(r["award_key"]),
            r["staff_id"],
            REVERSED,
            -r["points"],
            flag_id,
            r["complaint_id"],
            f"flag {flag_id} rejected by {by}: reverses {r['award_key']}",
        )
        for r in found
    ]
    return award(connection, claims, rules, now)


def _lock_staff(connection: Connection, staff_ids: Iterable[str]) -> dict[str, str | None]:
    """Each staff member's email; their rows stay locked (in id order: no deadlock) so that one writer
    at a time counts a person's points against the cap (SQLite's one writer needs no row lock)."""
    query = select(staff.c.id, staff.c.email).where(staff.c.id.in_(sorted(staff_ids))).order_by(staff.c.id)
    query = query.with_for_update()
    return {r.id: r.email for r in connection.execute(query)}


def _earned(connection: Connection, period: str, emails: dict[str, str | None]) -> dict[str, int]:
    totals = dict.fromkeys(emails, 0)
    query = (
        select(ledger.c.staff_id, func.coalesce(func.sum(ledger.c.points), 0))
        .where(ledger.c.period == period, ledger.c.staff_id.in_(list(emails)))
        .group_by(ledger.c.staff_id)
    )
    for staff_id, points in connection.execute(query):
        totals[staff_id] = int(points)
    return totals


def _row(claim: Claim, points: int, note: str, period: str, now: datetime) -> Row:
    return {
        "award_key": claim.award_key,
        "staff_id": claim.staff_id,
        "at": now,
        "period": period,
        "points": points,
        "reason": claim.reason,
        "flag_id": claim.flag_id,
        "complaint_id": claim.complaint_id,
        "note": note,
    }


def _notice(row: Row, email: str | None) -> Row:
    payload = {k: row[k] for k in ("award_key", "staff_id", "points", "reason", "flag_id", "complaint_id", "period")}
    payload["note"] = row["note"]
    return {
        "dedupe_key": f"reward:{row['award_key']}",
        "topic": f"reward.{row['reason']}",
        "payload": payload,
        "recipient": email,
    }
