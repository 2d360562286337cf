"""The overdue scan on a settable clock: warnings, escalations level by level, reminders, pauses, the final response.

Standard workflow, Amsterdam 09-17 Mon-Fri. T0 is Wednesday 25 November 2026 10:00 local (09:00 UTC):
a complaint opened then must leave ``received`` within 4 business hours, by 14:00 local (13:00 UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from recovery.clock import SettableClock
from recovery.config import CalendarSettings
from recovery.core.commands import FireTrigger, OpenComplaint, PauseComplaint
from recovery.core.guards import Compensation
from recovery.engine import fire, open_complaint, pause
from recovery.engine.context import Context
from recovery.engine.people import add_staff
from recovery.engine.queries import get_complaint
from recovery.engine.sla import scan
from recovery.store.schema import audit_log, complaints, outbox

WARN = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 3 of 4 business hours used
DEADLINE = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
LEVEL_2 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 4 business hours later: Thursday 10:00 local
LEVEL_3 = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # 2 business days later: Friday 14:00 local
SCHEDULER = ("warn", "escalate", "remind_follow_up", "final_warn", "final_breach", "resume")


@pytest.fixture
def people(ctx: Context) -> None:
    """An agent, a lead and two managers."""
    add_staff(ctx, "ann", "Ann Agent", "ann@example.com", "agent")
    add_staff(ctx, "lena", "Lena Lead", "lena@example.com", "lead")
    add_staff(ctx, "max", "Max Manager", "max@example.com", "manager")
    add_staff(ctx, "mia", "Mia Manager", None, "manager")


@pytest.fixture
def complaint(people: None, open_one: Callable[..., int]) -> int:
    """A normal complaint assigned to Ann, opened at T0."""
    return open_one(assignee="ann")


def scheduler_audit(ctx: Context, complaint_id: int) -> list[dict[str, Any]]:
    """The audit rows the scheduler wrote for a complaint, oldest first."""
    query = (
        select(audit_log)
        .where(audit_log.c.complaint_id == complaint_id, audit_log.c.trigger.in_(SCHEDULER))
        .order_by(audit_log.c.id)
    )
    with ctx.read() as connection:
        return [dict(r) for r in connection.execute(query).mappings()]


def messages(ctx: Context, topic: str | None = None) -> list[tuple[str | None, dict[str, Any]]]:
    """(recipient, payload) of every outbox row written by the scheduler, oldest first."""
    query = select(outbox.c.recipient, outbox.c.payload, outbox.c.topic).order_by(outbox.c.id)
    with ctx.read() as connection:
        found = connection.execute(query).all()
    return [(r.recipient, r.payload) for r in found if r.topic != "complaint.assigned" and topic in (None, r.topic)]


def after_t0(**delta: float) -> datetime:
    return datetime(2026, 11, 25, 9, 0, tzinfo=UTC) + timedelta(**delta)


def at(ctx: Context, moment: datetime) -> None:
    assert isinstance(ctx.clock, SettableClock)
    ctx.clock.set(moment)


def walk(ctx: Context, complaint_id: int, *triggers: str) -> None:
    fields: dict[str, dict[str, Any]] = {
        "compensate": {"compensation": Compensation("gift", Decimal("10"), "flowers")},
        "follow_up": {"score": 2, "comment": "still unhappy"},
    }
    for trigger in triggers:
        fire(ctx, FireTrigger(complaint_id, trigger, actor="ann", **fields.get(trigger, {})))


def test_nothing_is_done_before_the_warning(ctx: Context, complaint: int) -> None:
    at(ctx, WARN - timedelta(seconds=1))

    report = scan(ctx)

    assert report.looked == 0
    assert scheduler_audit(ctx, complaint) == []


def test_the_assignee_is_warned_when_three_quarters_of_the_step_time_is_used(ctx: Context, complaint: int) -> None:
    at(ctx, WARN)

    scan(ctx)

    [entry] = scheduler_audit(ctx, complaint)
    assert (entry["trigger"], entry["actor"], entry["outcome"]) == ("warn", "scheduler", "applied")
    assert messages(ctx) == [("ann", messages(ctx)[0][1])]
    assert messages(ctx)[0][1]["email"] == "ann@example.com"


def test_a_complaint_walks_past_each_deadline_and_is_escalated_level_by_level(ctx: Context, complaint: int) -> None:
    expected = {1: ["ann"], 2: ["ann", "lena"], 3: ["max", "mia"]}
    for level, moment in ((1, DEADLINE), (2, LEVEL_2), (3, LEVEL_3)):
        at(ctx, moment - timedelta(seconds=1))
        scan(ctx)
        assert get_complaint(ctx, complaint)["escalation_level"] == level - 1
        at(ctx, moment)
        scan(ctx)
        assert get_complaint(ctx, complaint)["escalation_level"] == level
        sent = [recipient for recipient, payload in messages(ctx, "complaint.escalated") if payload["level"] == level]
        assert sent == expected[level], f"level {level}"

    entries = [e for e in scheduler_audit(ctx, complaint) if e["trigger"] == "escalate"]
    assert [(e["payload"]["level"], e["payload"]["notify"]) for e in entries] == list(expected.items())
    assert all(e["source"] == e["dest"] == "received" for e in entries)
    assert entries[1]["payload"]["overdue_by_seconds"] == int((LEVEL_2 - DEADLINE).total_seconds())


def test_a_repeated_scan_does_nothing_a_second_time(ctx: Context, complaint: int) -> None:
    at(ctx, DEADLINE + timedelta(minutes=5))
    first = scan(ctx)

    second = scan(ctx)

    assert first.counts["escalate"] == 1
    assert second.looked == 0
    assert len(scheduler_audit(ctx, complaint)) == 1
    assert len(messages(ctx)) == 1


def test_after_downtime_the_scan_jumps_to_the_highest_level_and_tells_everyone_it_crossed(
    ctx: Context, complaint: int
) -> None:
    at(ctx, LEVEL_3 + timedelta(hours=1))

    report = scan(ctx)

    [entry] = scheduler_audit(ctx, complaint)  # the warning was overtaken by the breach: not sent
    assert entry["trigger"] == "escalate"
    assert entry["payload"]["level"] == 3
    assert entry["payload"]["notify"] == ["ann", "lena", "max", "mia"]
    assert sorted(r for r, _ in messages(ctx)) == ["ann", "lena", "max", "mia"]
    assert report.counts == {"escalate": 1}


def test_the_next_look_is_the_next_level_threshold(ctx: Context, complaint: int) -> None:
    at(ctx, DEADLINE)

    scan(ctx)

    with ctx.read() as connection:
        due = connection.execute(select(complaints.c.due_at).where(complaints.c.id == complaint)).scalar()
    assert due == LEVEL_2


def test_a_resolved_complaint_is_never_escalated(ctx: Context, complaint: int) -> None:
    walk(ctx, complaint, "apologize", "act", "empathize", "compensate")
    fire(ctx, FireTrigger(complaint, "follow_up", actor="ann", score=5))
    walk(ctx, complaint, "resolve")
    at(ctx, after_t0(weeks=20))

    report = scan(ctx)

    assert report.looked == 0
    assert scheduler_audit(ctx, complaint) == []
    assert get_complaint(ctx, complaint)["escalation_level"] == 0


def test_a_reopened_complaint_gets_fresh_deadlines_and_is_escalated_again(ctx: Context, complaint: int) -> None:
    walk(ctx, complaint, "apologize", "act")  # acting at T0: 2 business days, Friday 10:00 local
    at(ctx, datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    scan(ctx)
    assert get_complaint(ctx, complaint)["escalation_level"] == 1
    walk(ctx, complaint, "empathize", "compensate", "follow_up", "reopen")  # reopened on Friday 10:00 local

    reopened = get_complaint(ctx, complaint)
    assert (reopened["state"], reopened["escalation_level"]) == ("acting", 0)
    assert reopened["deadline"] == "2026-12-01T09:00:00Z"  # Tuesday 10:00 local, over the weekend
    at(ctx, datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    scan(ctx)

    escalations = [e for e in scheduler_audit(ctx, complaint) if e["trigger"] == "escalate"]
    assert [e["payload"]["level"] for e in escalations] == [1, 1]
    assert len(messages(ctx, "complaint.escalated")) == 2  # a new step entry, a new message


def test_deadlines_skip_the_weekend_and_public_holidays(ctx: Context, people: None, customer_id: int) -> None:
    ctx.calendar = CalendarSettings(holidays="NL").calendar()
    at(ctx, datetime(2026, 12, 24, 14, 0, tzinfo=UTC))  # Thursday 15:00 local; Christmas on Friday and Saturday
    complaint = open_complaint(ctx, OpenComplaint(customer_id, "broken", assignee="ann"))
    deadline = datetime(2026, 12, 28, 10, 0, tzinfo=UTC)  # 2 hours on Thursday, 2 on Monday: 11:00 local

    assert get_complaint(ctx, complaint)["deadline"] == "2026-12-28T10:00:00Z"
    at(ctx, deadline - timedelta(minutes=1))
    assert scan(ctx).counts["escalate"] == 0
    at(ctx, deadline)
    assert scan(ctx).counts["escalate"] == 1


def test_a_complaint_opened_outside_business_hours_starts_its_clock_next_morning(
    ctx: Context, people: None, customer_id: int
) -> None:
    at(ctx, datetime(2026, 11, 25, 19, 0, tzinfo=UTC))  # Wednesday 20:00 local
    complaint = open_complaint(ctx, OpenComplaint(customer_id, "rude staff", assignee="ann"))

    at(ctx, datetime(2026, 11, 26, 10, 59, tzinfo=UTC))
    assert scan(ctx).counts == {}
    at(ctx, datetime(2026, 11, 26, 11, 0, tzinfo=UTC))  # Thursday 12:00 local: 3 of 4 hours
    assert scan(ctx).counts == {"warn": 1}
    at(ctx, datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    assert scan(ctx).counts == {"escalate": 1}
    assert get_complaint(ctx, complaint)["escalation_level"] == 1


def test_a_pause_past_its_cap_resumes_itself_as_of_the_cap(ctx: Context, complaint: int) -> None:
    at(ctx, after_t0(hours=1))  # 1 of 4 business hours used
    pause(ctx, PauseComplaint(complaint, "waiting_on_customer", actor="ann"))
    cap = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # 5 business days later: Wednesday 11:00 local
    at(ctx, cap + timedelta(hours=2))  # noticed two hours late: the resume still counts from the cap

    report = scan(ctx)

    [entry] = [e for e in scheduler_audit(ctx, complaint) if e["trigger"] == "resume"]
    assert (entry["actor"], entry["at"], entry["payload"]["automatic"]) == ("scheduler", cap, True)
    shown = get_complaint(ctx, complaint)
    assert not shown["paused"]
    assert shown["deadline"] == "2026-12-02T13:00:00Z"  # the 3 hours left, counted from the cap
    assert report.counts["resume"] == 1
    assert report.counts["escalate"] == 0


def test_a_paused_complaint_is_not_escalated(ctx: Context, complaint: int) -> None:
    pause(ctx, PauseComplaint(complaint, "third_party", actor="ann"))
    at(ctx, LEVEL_3)

    assert scan(ctx).looked == 0
    assert scheduler_audit(ctx, complaint) == []


def test_the_final_response_warning_and_breach_come_while_paused(ctx: Context, complaint: int) -> None:
    final_warn, final = after_t0(weeks=6), after_t0(weeks=8)
    for moment, kind in ((final_warn, "final_warn"), (final, "final_breach")):
        at(ctx, moment - timedelta(hours=1))
        scan(ctx)
        pause(ctx, PauseComplaint(complaint, "third_party", actor="ann"))
        at(ctx, moment)

        report = scan(ctx)

        assert report.counts == {kind: 1}
        assert get_complaint(ctx, complaint)["paused"]
        [entry] = [e for e in scheduler_audit(ctx, complaint) if e["trigger"] == kind]
        assert entry["payload"]["notify"] == ["ann", "max", "mia"]
    assert len(messages(ctx, "complaint.final_breach")) == 3


def test_a_final_breach_found_late_overtakes_its_warning(ctx: Context, complaint: int) -> None:
    at(ctx, after_t0(weeks=9))

    report = scan(ctx)

    assert report.counts["final_breach"] == 1
    assert report.counts["final_warn"] == 0
    assert get_complaint(ctx, complaint)["escalation_level"] == 3


def test_the_follow_up_reminder_comes_once_when_its_date_has_come(ctx: Context, complaint: int) -> None:
    walk(ctx, complaint, "apologize", "act", "empathize", "compensate")  # compensated at T0: follow up in 3 days
    at(ctx, after_t0(days=3))

    first = scan(ctx)
    at(ctx, after_t0(days=4))
    second = scan(ctx)

    assert first.counts == {"remind_follow_up": 1}
    assert second.counts == {}
    [(recipient, payload)] = messages(ctx, "complaint.follow_up_due")
    assert (recipient, payload["state"]) == ("ann", "compensated")


def test_an_unassigned_complaint_reaches_the_leads_where_the_ladder_says_assignee(
    ctx: Context, people: None, open_one: Callable[..., int]
) -> None:
    complaint = open_one()  # as one opened from a helpdesk ticket that no staff member holds
    at(ctx, WARN)
    scan(ctx)
    at(ctx, DEADLINE)

    scan(ctx)

    warned, escalated = scheduler_audit(ctx, complaint)
    assert (warned["trigger"], warned["payload"]["notify"]) == ("warn", ["lena"])
    assert (escalated["trigger"], escalated["payload"]["notify"]) == ("escalate", ["lena"])
    assert [(recipient, payload["email"]) for recipient, payload in messages(ctx)] == [
        ("lena", "lena@example.com"),
        ("lena", "lena@example.com"),
    ]


def test_an_unassigned_complaint_escalated_to_assignee_and_lead_tells_each_lead_once(
    ctx: Context, people: None, open_one: Callable[..., int]
) -> None:
    complaint = open_one()
    at(ctx, LEVEL_2)

    scan(ctx)

    [entry] = scheduler_audit(ctx, complaint)
    assert (entry["payload"]["level"], entry["payload"]["notify"]) == (2, ["lena"])


def test_with_no_lead_an_unassigned_complaint_is_escalated_with_nobody_to_tell_at_level_one(
    ctx: Context, open_one: Callable[..., int]
) -> None:
    add_staff(ctx, "ann", "Ann Agent", "ann@example.com", "agent")
    complaint = open_one()
    at(ctx, DEADLINE)

    scan(ctx)

    [entry] = scheduler_audit(ctx, complaint)
    assert (entry["trigger"], entry["payload"]["notify"]) == ("escalate", [])
    assert messages(ctx) == []


def test_a_dry_run_lists_what_would_be_done_and_changes_nothing(ctx: Context, complaint: int) -> None:
    at(ctx, LEVEL_2)

    report = scan(ctx, dry_run=True)

    assert [(a.complaint_id, a.kind, a.level, a.notify) for a in report.actions] == [
        (complaint, "escalate", 2, ("ann", "lena"))
    ]
    assert scheduler_audit(ctx, complaint) == []
    assert messages(ctx) == []
    assert get_complaint(ctx, complaint)["escalation_level"] == 0


def test_a_scan_works_in_batches_until_nothing_is_due(ctx: Context, people: None, open_one: Callable[..., int]) -> None:
    opened = [open_one(assignee="ann") for _ in range(5)]
    at(ctx, DEADLINE)

    report = scan(ctx, batch=2, record=True)

    assert report.batches == 3
    assert sorted(a.complaint_id for a in report.actions) == opened
    with ctx.read() as connection:
        levels = connection.execute(select(func.min(complaints.c.escalation_level))).scalar()
    assert levels == 1


def test_a_stop_request_ends_the_scan_between_batches(ctx: Context, people: None, open_one: Callable[..., int]) -> None:
    for _ in range(3):
        open_one(assignee="ann")
    at(ctx, DEADLINE)
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1

    report = scan(ctx, batch=1, stop=stop)

    assert (report.batches, report.counts["escalate"]) == (1, 1)


def test_a_dry_run_looks_through_every_batch(ctx: Context, people: None, open_one: Callable[..., int]) -> None:
    opened = [open_one(assignee="ann") for _ in range(3)]
    at(ctx, DEADLINE)

    report = scan(ctx, batch=1, dry_run=True)

    assert sorted(a.complaint_id for a in report.actions) == opened
    assert scan(ctx).counts["escalate"] == 3  # and nothing was kept
