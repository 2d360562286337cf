"""Staff flags on unhappy customers: raise one, confirm or reject it by hand, list them.

The rules against gaming live here and in core/rewards.py; each refusal is a FlagRefused
whose message says which rule said no.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from recovery.core.rewards import CONFIRMED, SIGNALS, confirmed_key, decision_refusal
from recovery.engine.context import Context
from recovery.engine.ledger import Claim, award, reverse
from recovery.engine.queries import iso
from recovery.errors import FlagRefused, InvalidInputError, NotFoundError
from recovery.store.schema import complaints, customers, flags, ledger, staff
from recovery.store.sql import inserted_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Decision:
    """What a hand confirmation or rejection did: the flag's new status and the points it moved."""

    flag_id: int
    status: str
    author: str
    points: int
    notes: tuple[str, ...] = ()


def raise_flag(
    ctx: Context,
    customer_id: int,
    staff_id: str,
    reason: str,
    signal: str = "other",
    *,
    connection: Connection | None = None,
    at: datetime | None = None,
) -> int:
    """Record ``staff_id``'s flag on an unhappy customer and return its id; FlagRefused names the rule."""
    if not reason.strip():
        raise InvalidInputError("reason: a flag needs a reason (what did you see?)")
    if signal not in SIGNALS:
        raise InvalidInputError(f"signal: unknown {signal!r}; known: {', '.join(SIGNALS)}")
    now = at or ctx.clock.now()
    if connection is not None:
        return _insert(ctx, connection, customer_id, staff_id, reason.strip(), signal, now)
    with ctx.db.begin() as own:
        return _insert(ctx, own, customer_id, staff_id, reason.strip(), signal, now)


def _insert(
    ctx: Context, connection: Connection, customer_id: int, staff_id: str, reason: str, signal: str, now: datetime
) -> int:
    if connection.execute(select(staff.c.id).where(staff.c.id == staff_id)).first() is None:
        raise FlagRefused(f"unknown staff member {staff_id!r} cannot flag: add them first with `recovery staff add`")
    if connection.execute(select(customers.c.id).where(customers.c.id == customer_id)).first() is None:
        raise NotFoundError(f"no customer {customer_id}")
    _refuse_second_open(connection, customer_id, staff_id)
    already_open = connection.execute(
        select(complaints.c.id).where(complaints.c.customer_id == customer_id, complaints.c.closed_at.is_(None))
    ).first()
    row = {
        "customer_id": customer_id,
        "staff_id": staff_id,
        "reason": reason,
        "signal": signal,
        "status": "open",
        "raised_at": now,
        "window_ends_at": ctx.calendar.add(now, ctx.rewards.confirm_window),
        "earns": already_open is None,  # the problem was already known: no reward for seeing it
    }
    try:
        with connection.begin_nested():
            return inserted_id(connection.execute(flags.insert().values(row)))
    except IntegrityError as exc:  # a concurrent twin won the partial unique index
        raise FlagRefused(_second_open_message(staff_id, customer_id, None)) from exc


def _refuse_second_open(connection: Connection, customer_id: int, staff_id: str) -> None:
    found = connection.execute(
        select(flags.c.id).where(
            flags.c.customer_id == customer_id, flags.c.staff_id == staff_id, flags.c.status == "open"
        )
    ).scalar()
    if found is not None:
        raise FlagRefused(_second_open_message(staff_id, customer_id, int(found)))


def _second_open_message(staff_id: str, customer_id: int, flag_id: int | None) -> str:
    which = f" (flag {flag_id})" if flag_id is not None else ""
    return f"{staff_id} already has an open flag on customer {customer_id}{which}: one open flag per customer each"


def confirm_flag(ctx: Context, flag_id: int, by: str) -> Decision:
    """A lead or manager confirms an open flag by hand; its author earns the points (within the cap)."""
    rules = ctx.rewards
    with ctx.db.begin() as connection:
        flag = _decidable(connection, flag_id, by, "confirm")
        now = ctx.clock.now()
        _set_status(connection, flag, CONFIRMED, by, now)
        claims = [Claim(confirmed_key(flag_id), flag["staff_id"], CONFIRMED, rules.points_confirmed_flag, flag_id)]
        written = award(connection, claims if flag["earns"] else [], rules, now)
    log.info("event=flag_confirmed flag=%d by=%s author=%s rows=%d", flag_id, by, flag["staff_id"], len(written))
    notes = tuple(r["note"] for r in written if r["note"])
    if not flag["earns"]:
        notes += ("it earns nothing: the customer already had an open complaint when it was raised",)
    return Decision(flag_id, CONFIRMED, flag["staff_id"], sum(r["points"] for r in written), notes)


def reject_flag(ctx: Context, flag_id: int, by: str) -> Decision:
    """A lead or manager rejects a flag by hand; a confirmed one has its awards reversed."""
    rules = ctx.rewards
    with ctx.db.begin() as connection:
        flag = _decidable(connection, flag_id, by, "reject")
        now = ctx.clock.now()
        _set_status(connection, flag, "rejected", by, now)
        written = reverse(connection, flag_id, by, rules, now) if flag["status"] == CONFIRMED else []
    log.info("event=flag_rejected flag=%d by=%s author=%s reversals=%d", flag_id, by, flag["staff_id"], len(written))
    return Decision(flag_id, "rejected", flag["staff_id"], sum(r["points"] for r in written))


def _decidable(connection: Connection, flag_id: int, by: str, action: str) -> dict[str, Any]:
    """The flag, locked, once ``by`` may ``action`` it; FlagRefused or NotFoundError otherwise."""
    flag = connection.execute(select(flags).where(flags.c.id == flag_id).with_for_update()).mappings().first()
    if flag is None:
        raise NotFoundError(f"no flag {flag_id}")
    decider = connection.execute(select(staff.c.role).where(staff.c.id == by)).scalar()
    if decider is None:
        raise FlagRefused(f"flag {flag_id}: unknown staff member {by!r} cannot {action} flags")
    refusal = decision_refusal(action, flag["status"], decider, by, flag["staff_id"])
    if refusal is not None:
        raise FlagRefused(f"flag {flag_id}: cannot {action}: {refusal}")
    return dict(flag)


def _set_status(connection: Connection, flag: dict[str, Any], status: str, by: str, now: datetime) -> None:
    # Guarded by the status read under the lock: a concurrent decision makes this a no-op, never a double.
    result = connection.execute(
        update(flags)
        .where(flags.c.id == flag["id"], flags.c.status == flag["status"])
        .values(status=status, decided_at=now, decided_by=by, decision="hand")
    )
    if result.rowcount != 1:  # pragma: no cover - the row lock (PostgreSQL) or BEGIN IMMEDIATE (SQLite) prevents it
        raise FlagRefused(f"flag {flag['id']}: someone else decided it meanwhile; look again")


def get_flag(ctx: Context, flag_id: int) -> dict[str, Any]:
    """One flag as the CLI shows it."""
    found = list_flags(ctx, flag_id=flag_id)
    if not found:
        raise NotFoundError(f"no flag {flag_id}")
    return found[0]


def list_flags(
    ctx: Context,
    status: str | None = None,
    staff_id: str | None = None,
    customer_id: int | None = None,
    limit: int = 100,
    flag_id: int | None = None,
) -> list[dict[str, Any]]:
    """Flags, newest first, with the points each has earned so far."""
    points = select(ledger.c.flag_id, func.sum(ledger.c.points).label("points")).group_by(ledger.c.flag_id).subquery()
    query = select(flags, func.coalesce(points.c.points, 0).label("points")).outerjoin(
        points, points.c.flag_id == flags.c.id
    )
    filters = {
        flags.c.status: status,
        flags.c.staff_id: staff_id,
        flags.c.customer_id: customer_id,
        flags.c.id: flag_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    with ctx.read() as connection:
        found = connection.execute(query.order_by(flags.c.id.desc()).limit(limit)).mappings()
        return [flag_view(r) for r in found]


def flag_view(row: Any) -> dict[str, Any]:
    """A flag as --json shows it."""
    return {
        "id": row["id"],
        "customer_id": row["customer_id"],
        "staff": row["staff_id"],
        "reason": row["reason"],
        "signal": row["signal"],
        "status": row["status"],
        "earns": bool(row["earns"]),
        "raised_at": iso(row["raised_at"]),
        "window_ends_at": iso(row["window_ends_at"]),
        "decided_at": iso(row["decided_at"]),
        "decided_by": row["decided_by"],
        "decision": row["decision"],
        "points": int(row["points"]),
    }
