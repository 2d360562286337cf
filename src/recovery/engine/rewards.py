"""The reward run, the leaderboard and a staff member's statement.

The run works in batches, each committed on its own: it claims open flags (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), finds the customers' signals with one query per batch, confirms or
rejects with status-guarded updates and writes awards under unique award keys. Run twice, by
two processes at once, or restarted after a kill, it awards each point exactly once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, literal, select, union_all, update

from recovery.core.rewards import (
    CONFIRMED,
    LOST,
    LOW_SCORE,
    OPENED,
    RECOVERED,
    RewardRules,
    Signal,
    check_period,
    confirmed_key,
    first_signal,
    period_bounds,
    period_of,
    precision,
    recovered_key,
    window_over,
)
from recovery.core.roles import Role
from recovery.engine.context import Context
from recovery.engine.ledger import Claim, award
from recovery.engine.queries import iso
from recovery.errors import InvalidInputError, NotFoundError
from recovery.store.schema import complaints, flags, follow_ups, ledger, staff

log = logging.getLogger(__name__)
BATCH = 2000


@dataclass(frozen=True, slots=True)
class RewardRun:
    """What one reward run did."""

    confirmed: int = 0
    rejected: int = 0
    awards: int = 0
    recovered: int = 0
    points: int = 0


@dataclass
class _Tally:
    confirmed: int = 0
    rejected: int = 0
    awards: int = 0
    recovered: int = 0
    points: int = 0

    def result(self) -> RewardRun:
        return RewardRun(self.confirmed, self.rejected, self.awards, self.recovered, self.points)


def run_rewards(
    ctx: Context,
    *,
    batch_size: int = BATCH,
    stop: Callable[[], bool] | None = None,
    on_batch: Callable[[RewardRun], None] | None = None,
) -> RewardRun:
    """Decide the flags that can be decided and write their awards and recovered-customer bonuses.

    ``stop`` is asked between batches (the daemon's shutdown flag); what is committed stays done.
    ``on_batch`` is told the running totals after each committed batch (the daemon logs, the CLI shows them).
    """
    rules = ctx.rewards
    now = ctx.clock.now()
    tally = _Tally()
    # A win-back case is opened by us, not by the customer: it is no complaint signal.
    for step in (partial(_decide_batch, win_back=ctx.winback.workflow), _bonus_batch):
        after = 0
        while not (stop and stop()):
            with ctx.db.begin() as connection:
                last = step(connection, after, batch_size, rules, now, tally)
            if last is None:
                break
            if on_batch is not None:
                on_batch(tally.result())
            after = last
    result = tally.result()
    log.info(
        "event=reward_run confirmed=%d rejected=%d awards=%d recovered=%d points=%d",
        result.confirmed,
        result.rejected,
        result.awards,
        result.recovered,
        result.points,
    )
    return result


def _decide_batch(
    connection: Connection, after: int, size: int, rules: RewardRules, now: datetime, tally: _Tally, *, win_back: str
) -> int | None:
    """Confirm or reject one batch of open flags with ids above ``after``; the last id, or None when done."""
    query = (
        select(flags.c.id, flags.c.staff_id, flags.c.raised_at, flags.c.window_ends_at, flags.c.earns)
        .where(flags.c.status == "open", flags.c.id > after)
        .order_by(flags.c.id)
        .limit(size)
        .with_for_update(skip_locked=True)  # PostgreSQL: another process takes the next rows
    )
    batch = connection.execute(query).all()
    if not batch:
        return None
    found = _signals(connection, [f.id for f in batch], rules.low_score, win_back)
    confirmed: list[tuple[Any, Signal]] = []
    rejected: list[int] = []
    for f in batch:
        signal = first_signal(found.get(f.id, ()), f.raised_at, f.window_ends_at)
        if signal is not None:
            confirmed.append((f, signal))
        elif window_over(f.window_ends_at, now):
            rejected.append(f.id)
    _confirm(connection, confirmed, rules, now, tally)
    _reject(connection, rejected, now, tally)
    return int(batch[-1].id)


def _signals(connection: Connection, ids: Sequence[int], low_score: int, win_back: str) -> dict[int, list[Signal]]:
    """Every signal of the flagged customers since each flag: opened complaints, low scores, losses."""
    on_customer = complaints.c.customer_id == flags.c.customer_id
    opened = select(flags.c.id, literal(OPENED), complaints.c.opened_at, complaints.c.id).join(complaints, on_customer)
    opened = opened.where(_in_window(complaints.c.opened_at), complaints.c.workflow != win_back)
    scored = (
        select(flags.c.id, literal(LOW_SCORE), follow_ups.c.recorded_at, complaints.c.id)
        .join(complaints, on_customer)
        .join(follow_ups, follow_ups.c.complaint_id == complaints.c.id)
        .where(follow_ups.c.score <= low_score, _in_window(follow_ups.c.recorded_at))
    )
    lost = (
        select(flags.c.id, literal(LOST), complaints.c.closed_at, complaints.c.id)
        .join(complaints, on_customer)
        .where(complaints.c.closed_as == Role.DEFECTION.value, _in_window(complaints.c.closed_at))
    )
    chosen = [q.where(flags.c.id.in_(ids)) for q in (opened, scored, lost)]
    signals: dict[int, list[Signal]] = defaultdict(list)
    for flag_id, kind, at, complaint_id in connection.execute(union_all(*chosen)):
        signals[flag_id].append(Signal(kind, at, complaint_id))
    return signals


def _in_window(at: Any) -> Any:
    """SQL for core.rewards.in_window: after the flag, no later than the end of its window."""
    return and_(at > flags.c.raised_at, at <= flags.c.window_ends_at)


def _confirm(
    connection: Connection, confirmed: list[tuple[Any, Signal]], rules: RewardRules, now: datetime, tally: _Tally
) -> None:
    if not confirmed:
        return
    statement = (
        update(flags)
        .where(flags.c.id == bindparam("_id"), flags.c.status == "open")
        .values(status=CONFIRMED, decided_at=now, decision=bindparam("_decision"))
    )
    connection.execute(statement, [{"_id": f.id, "_decision": s.kind} for f, s in confirmed])
    claims = [
        Claim(confirmed_key(f.id), f.staff_id, CONFIRMED, rules.points_confirmed_flag, f.id, s.complaint_id)
        for f, s in confirmed
        if f.earns
    ]
    written = award(connection, claims, rules, now)
    tally.confirmed += len(confirmed)
    tally.awards += len(written)
    tally.points += sum(r["points"] for r in written)


def _reject(connection: Connection, rejected: list[int], now: datetime, tally: _Tally) -> None:
    if rejected:
        connection.execute(
            update(flags)
            .where(flags.c.id.in_(rejected), flags.c.status == "open")
            .values(status="rejected", decided_at=now, decision="window")
        )
        tally.rejected += len(rejected)


def _bonus_batch(
    connection: Connection, after: int, size: int, rules: RewardRules, now: datetime, tally: _Tally
) -> int | None:
    """Award the recovered-customer bonus within one batch of confirmed flags; the last id, or None when done."""
    batch = (
        connection.execute(
            select(flags.c.id)
            .where(flags.c.status == CONFIRMED, flags.c.id > after)
            .order_by(flags.c.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    if not batch:
        return None
    # Read under the locks: a bonus another process paid for one of these flags is already visible.
    claims = [
        Claim(recovered_key(r.id), r.staff_id, RECOVERED, rules.points_recovered_customer, r.id, r.complaint_id)
        for r in connection.execute(_bonus_candidates(batch))
    ]
    written = award(connection, claims, rules, now)
    tally.recovered += len(written)
    tally.points += sum(r["points"] for r in written)
    return int(batch[-1])


def _bonus_candidates(ids: Sequence[int]) -> Any:
    """Of ``ids``, the earning flags without a bonus whose customer's complaint, opened in the window, is resolved.

    Written as a correlated subquery so that SQLite walks the given flags, not every resolved complaint.
    """
    paid = select(ledger.c.id).where(ledger.c.flag_id == flags.c.id, ledger.c.reason == RECOVERED).exists()
    first_resolved = (
        select(func.min(complaints.c.id))
        .where(
            complaints.c.customer_id == flags.c.customer_id,
            complaints.c.closed_as == Role.RESOLUTION.value,
            _in_window(complaints.c.opened_at),
        )
        .scalar_subquery()
    )
    found = (
        select(flags.c.id, flags.c.staff_id, first_resolved.label("complaint_id"))
        .where(flags.c.id.in_(ids), flags.c.earns.is_(True), ~paid)
        .subquery()
    )
    return select(found).where(found.c.complaint_id.is_not(None)).order_by(found.c.id)


def leaderboard(ctx: Context, period: str | None = None) -> list[dict[str, Any]]:
    """Per staff member for a period: flags raised in it, confirmed, recovered, precision; points awarded in it."""
    try:
        period = check_period(period) if period is not None else period_of(ctx.clock.now())
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from exc
    start, end = period_bounds(period)
    raised = and_(flags.c.raised_at >= start, flags.c.raised_at < end)
    counts = select(
        flags.c.staff_id,
        func.count().label("flags"),
        func.sum(case((flags.c.status == CONFIRMED, 1), else_=0)).label("confirmed"),
        func.sum(case((flags.c.status != "open", 1), else_=0)).label("decided"),
    ).where(raised)
    recovered = (
        select(flags.c.staff_id, func.count(func.distinct(flags.c.id)))
        .join(ledger, and_(ledger.c.flag_id == flags.c.id, ledger.c.reason == RECOVERED))
        .where(raised, flags.c.status == CONFIRMED)
    )
    points = select(ledger.c.staff_id, func.sum(ledger.c.points)).where(ledger.c.period == period)
    rows: dict[str, dict[str, Any]] = defaultdict(_empty_row)
    with ctx.read() as connection:
        for staff_id, n, confirmed, decided in connection.execute(counts.group_by(flags.c.staff_id)):
            rows[staff_id].update(flags=n, confirmed=int(confirmed), decided=int(decided))
        for staff_id, n in connection.execute(recovered.group_by(flags.c.staff_id)):
            rows[staff_id]["recovered"] = n
        for staff_id, n in connection.execute(points.group_by(ledger.c.staff_id)):
            rows[staff_id]["points"] = int(n)
    board = [
        {"staff": s, "period": period, **r, "precision": precision(r["confirmed"], r["decided"])}
        for s, r in rows.items()
    ]
    return sorted(board, key=lambda r: (-r["points"], -r["confirmed"], r["staff"]))


def _empty_row() -> dict[str, Any]:
    return {"flags": 0, "confirmed": 0, "decided": 0, "recovered": 0, "points": 0}


def statement(ctx: Context, staff_id: str, limit: int | None = None) -> dict[str, Any]:
    """The ledger rows of one staff member, oldest first (the newest ``limit`` of them), their count and total."""
    mine = ledger.c.staff_id == staff_id
    with ctx.read() as connection:
        name = connection.execute(select(staff.c.name).where(staff.c.id == staff_id)).scalar()
        if name is None:
            raise NotFoundError(f"no staff member {staff_id!r}")
        count, total = connection.execute(
            select(func.count(), func.coalesce(func.sum(ledger.c.points), 0)).where(mine)
        ).one()
        found = connection.execute(select(ledger).where(mine).order_by(ledger.c.id.desc()).limit(limit))
        entries = [_entry(r) for r in reversed(found.mappings().all())]
    return {"staff": staff_id, "name": name, "rows": entries, "count": count, "total": int(total)}


def _entry(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": iso(row["at"]),
        "period": row["period"],
        "points": row["points"],
        "reason": row["reason"],
        "flag_id": row["flag_id"],
        "complaint_id": row["complaint_id"],
        "award_key": row["award_key"],
        "note": row["note"],
    }
