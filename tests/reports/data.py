"""A small shop whose retention report is worked out by hand in the tests: rows written straight to the tables.

The report covers January to March 2026 by month, in Amsterdam's days; the clock stands at T0 (25 Nov 2026).
Purchases are at 12:00 UTC on their day. Customers:

- c1: bought 2026-01-05 (100), 01-20 (50), 02-10 (30); three complaints (k1 resolved, k3 open, k4 resolved);
  loyalty: none -> satisfied (01-05), satisfied -> loyal (02-12); scored with CLV 1000, no P(alive).
- c2: bought 2026-01-10 (200) only; complaint k2 lost; a win-back case w1 won back; none -> satisfied (01-10),
  satisfied -> dissatisfied (03-03).
- c3: bought 02-01 (40), 02-11 (60), a refund on 02-15 (-10); a win-back case w2 gone.
- c4: bought 2025-12-01 (80), before the report, and 2026-03-05 (20).
- c5: bought 03-30 (10); scored with P(alive) 0.9.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from recovery.engine.context import Context
from recovery.store.schema import (
    answer_reasons,
    audit_log,
    complaints,
    customer_scores,
    customers,
    flags,
    ledger,
    loyalty_history,
    purchases,
    staff,
    survey_answers,
)

START, END = date(2026, 1, 1), date(2026, 3, 31)


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


class Shop:
    """Writes rows; every id it hands out is the row's own."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.orders = 0

    def _insert(self, table: Any, **values: Any) -> Any:
        with self.ctx.db.begin() as connection:
            return connection.execute(insert(table).values(**values)).inserted_primary_key[0]

    def customer(self, name: str, email: str | None = None) -> int:
        return int(
            self._insert(customers, email=email or f"{name}@example.com", name=name, created_at=at("2025-01-01"))
        )

    def staff(self, staff_id: str, name: str) -> None:
        self._insert(staff, id=staff_id, name=name, role="agent", created_at=at("2025-01-01"))

    def bought(self, customer: int, day: str, amount: str) -> None:
        self.orders += 1
        kind = "refund" if amount.startswith("-") else "purchase"
        self._insert(
            purchases,
            customer_id=customer,
            source="shop",
            order_id=str(self.orders),
            kind=kind,
            ordered_at=at(day),
            amount=Decimal(amount),
            imported_at=at(day),
            day=date.fromisoformat(day),
        )

    def complaint(
        self, customer: int, opened: datetime, closed: datetime | None = None, how: str | None = None, **more: Any
    ) -> int:
        workflow = more.pop("workflow", "standard")
        return self._insert(
            complaints,
            customer_id=customer,
            summary=more.pop("summary", "late"),
            severity="normal",
            channel="email",
            workflow=workflow,
            workflow_version=1,
            state="closed" if closed else "received",
            opened_at=opened,
            state_entered_at=opened,
            closed_at=closed,
            closed_as=how,
            final_deadline=opened + timedelta(weeks=8),
            final_warn_at=opened + timedelta(weeks=6),
            **more,
        )

    def audit(self, complaint: int, moment: datetime, trigger: str, source: str = "s", dest: str = "d") -> None:
        self._insert(
            audit_log,
            complaint_id=complaint,
            at=moment,
            trigger=trigger,
            source=source,
            dest=dest,
            actor="ann",
            outcome="applied",
        )

    def score(self, customer: int, clv: float | None = None, p_alive: float | None = None) -> None:
        self._insert(
            customer_scores,
            customer_id=customer,
            clv=clv,
            p_alive=p_alive,
            loyalty_class="satisfied",
            class_reasons=[],
            scored_at=at("2026-04-01"),
        )

    def moved(self, customer: int, day: str, before: str | None, after: str) -> None:
        self._insert(loyalty_history, customer_id=customer, from_class=before, to_class=after, reasons=[], at=at(day))

    def answer(self, customer: int, day: str, kind: str, number: int | None = None, **more: Any) -> int:
        return self._insert(
            survey_answers,
            survey=more.pop("survey", "relationship"),
            question=more.pop("question", kind),
            kind=kind,
            customer_id=customer,
            language=more.pop("language", "en"),
            number=number,
            source=more.pop("source", "form"),
            answered_at=at(day),
            **more,
        )

    def coded(self, answer: int, reason: str, by: str = "rules") -> None:
        self._insert(
            answer_reasons, answer_id=answer, reason=reason, confidence=0.9, coded_by=by, coded_at=at("2026-04-01")
        )

    def flag(self, customer: int, who: str, day: str, status: str) -> None:
        self._insert(
            flags,
            customer_id=customer,
            staff_id=who,
            reason="looked unhappy",
            status=status,
            raised_at=at(day),
            window_ends_at=at(day) + timedelta(days=30),
        )

    def points(self, who: str, day: str, points: int) -> None:
        self._insert(
            ledger,
            award_key=f"{who}:{day}",
            staff_id=who,
            at=at(day),
            period=day[:7],
            points=points,
            reason="confirmed",
        )


def build(ctx: Context) -> dict[str, int]:
    """The shop of this module's docstring; returns the customers' and complaints' ids by name."""
    shop = Shop(ctx)
    ids = {name: shop.customer(name) for name in ("c1", "c2", "c3", "c4", "c5")}
    c1, c2, c3, c4, c5 = (ids[n] for n in ("c1", "c2", "c3", "c4", "c5"))
    for who, day, amount in [
        (c1, "2026-01-05", "100"),
        (c1, "2026-01-20", "50"),
        (c1, "2026-02-10", "30"),
        (c2, "2026-01-10", "200"),
        (c3, "2026-02-01", "40"),
        (c3, "2026-02-11", "60"),
        (c3, "2026-02-15", "-10"),
        (c4, "2025-12-01", "80"),
        (c4, "2026-03-05", "20"),
        (c5, "2026-03-30", "10"),
    ]:
        shop.bought(who, day, amount)
    shop.score(c1, clv=1000.0)
    shop.score(c5, p_alive=0.9)
    k1 = shop.complaint(c1, at("2026-01-06", 10), at("2026-01-08"), "resolution")
    k2 = shop.complaint(c2, at("2026-01-12"), at("2026-01-20"), "defection")
    k3 = shop.complaint(c1, at("2026-02-03"))
    k4 = shop.complaint(c1, at("2026-02-20", 9), at("2026-02-25"), "resolution")
    # k1: apologised after 2 h; escalated while apologised; acted 24 h after apologising: late.
    shop.audit(k1, at("2026-01-06", 10), "open")
    shop.audit(k1, at("2026-01-06", 12), "apologize")
    shop.audit(k1, at("2026-01-06", 14), "escalate")
    shop.audit(k1, at("2026-01-07", 12), "act")
    # k4: apologised after 4 h, on time.
    shop.audit(k4, at("2026-02-20", 9), "open")
    shop.audit(k4, at("2026-02-20", 13), "apologize")
    w1 = shop.complaint(c2, at("2026-02-01"), at("2026-02-15"), "repurchase", workflow="win_back")
    w2 = shop.complaint(c3, at("2026-03-10"), at("2026-03-20"), "defection", workflow="win_back")
    a1 = shop.answer(c2, "2026-02-02", "open", complaint_id=w1, language="nl", source="interview", text="te duur")
    shop.coded(a1, "price_or_quality")
    shop.coded(a1, "competitor_offer", by="lena")  # a person's coding of the same answer wins
    a2 = shop.answer(c3, "2026-03-12", "open", complaint_id=w2, text="slow and dear")
    shop.coded(a2, "price_or_quality")
    shop.coded(a2, "slow_response")
    a3 = shop.answer(c3, "2026-03-12", "open", complaint_id=w2, question="why2", text="too expensive")
    shop.coded(a3, "price_or_quality")
    for day, kind, number in [
        ("2026-01-10", "nps", 10),
        ("2026-01-11", "nps", 9),
        ("2026-01-12", "nps", 7),
        ("2026-01-13", "nps", 3),
        ("2026-02-10", "nps", 5),
        ("2026-01-10", "csat", 5),
        ("2026-01-11", "csat", 4),
        ("2026-01-12", "csat", 2),
    ]:
        shop.answer(c4, day, kind, number, question=f"{kind}-{day}")
    shop.staff("s1", "Sam One")
    shop.staff("s2", "Sue Two")
    shop.flag(c1, "s1", "2026-01-10", "confirmed")
    shop.flag(c2, "s1", "2026-01-15", "rejected")
    shop.flag(c3, "s2", "2026-02-05", "open")
    shop.flag(c4, "s2", "2026-02-06", "confirmed")
    shop.points("s1", "2026-01-20", 10)
    shop.points("s2", "2026-02-10", 10)
    shop.points("s2", "2026-03-01", 25)
    shop.moved(c1, "2026-01-05", None, "satisfied")
    shop.moved(c1, "2026-02-12", "satisfied", "loyal")
    shop.moved(c2, "2026-01-10", None, "satisfied")
    shop.moved(c2, "2026-03-03", "satisfied", "dissatisfied")
    return {**ids, "k1": k1, "k2": k2, "k3": k3, "k4": k4, "w1": w1, "w2": w2}
