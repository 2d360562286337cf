"""The overdue rules, without a database: which deadlines of a complaint have passed, and whom to tell."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from recovery.core import deadlines
from recovery.core.calendar import BusinessCalendar
from recovery.core.overdue import Due, due_now, pause_over
from recovery.core.workflow import parse_workflow

AMS = ZoneInfo("Europe/Amsterdam")
CALENDAR = BusinessCalendar(tz=AMS)
STANDARD = parse_workflow(yaml.safe_load((Path(__file__).resolve().parents[2] / "workflows/standard.yaml").read_text()))
OPENED = datetime(2026, 11, 25, 10, tzinfo=AMS).astimezone(UTC)  # a Wednesday; received is due 14:00
TIMERS = deadlines.opened(STANDARD, "normal", OPENED, CALENDAR)


def at(hour: int, minute: int = 0, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=AMS).astimezone(UTC)


def test_nothing_is_due_before_the_warning() -> None:
    timers, dues = due_now(STANDARD, TIMERS, at(12), CALENDAR)
    assert (timers, dues) == (TIMERS, [])


def test_the_assignee_is_warned_at_three_quarters_of_the_step() -> None:
    timers, dues = due_now(STANDARD, TIMERS, at(13, 1), CALENDAR)
    assert dues == [Due("warn", ("assignee",), moment=at(14))]
    assert timers.warned


def test_a_warning_whose_deadline_has_passed_is_not_sent() -> None:
    timers, dues = due_now(STANDARD, TIMERS, at(14, 1), CALENDAR)
    assert [d.kind for d in dues] == ["escalate"]
    assert timers.warned


def test_an_escalation_jumps_to_the_highest_level_passed_and_tells_everyone_crossed() -> None:
    # Level 2 is 4 business hours past the deadline (Thursday 10:00); level 3 two business days (Friday 14:00).
    _, dues = due_now(STANDARD, TIMERS, at(15, day=27), CALENDAR)
    (escalation,) = [d for d in dues if d.kind == "escalate"]
    assert (escalation.level, escalation.recipients) == (3, ("assignee", "lead", "manager"))


def test_an_escalated_level_is_not_raised_again() -> None:
    timers, _ = due_now(STANDARD, TIMERS, at(15), CALENDAR)
    assert timers.escalation_level == 1
    assert due_now(STANDARD, timers, at(16), CALENDAR)[1] == []


def test_a_paused_complaint_gets_no_step_warning_or_escalation() -> None:
    paused = deadlines.paused(STANDARD, at(11), TIMERS, CALENDAR)
    assert due_now(STANDARD, paused, at(16), CALENDAR)[1] == []


def test_the_final_breach_supersedes_its_warning_when_both_have_passed() -> None:
    late = TIMERS.final_deadline + timedelta(hours=1)
    timers, dues = due_now(STANDARD, replace(TIMERS, escalation_level=3), late, CALENDAR)
    assert [d.kind for d in dues] == ["final_breach"]
    assert dues[0].recipients == ("assignee", "manager")
    assert (timers.final_warned, timers.final_breached) == (True, True)


def test_the_follow_up_is_reminded_once_when_its_date_comes() -> None:
    compensated = deadlines.entered(STANDARD, "compensated", "normal", OPENED, TIMERS, CALENDAR)
    assert compensated.follow_up_due_at is not None
    timers, dues = due_now(STANDARD, compensated, compensated.follow_up_due_at, CALENDAR)
    assert [d.kind for d in dues] == ["remind_follow_up"]
    assert due_now(STANDARD, timers, compensated.follow_up_due_at + timedelta(hours=1), CALENDAR)[1] == []


def test_a_closed_complaint_is_never_due() -> None:
    closed = deadlines.entered(STANDARD, "resolved", "normal", OPENED, TIMERS, CALENDAR)
    assert due_now(STANDARD, closed, OPENED + timedelta(weeks=52), CALENDAR)[1] == []


def test_a_pause_is_over_once_its_cap_is_reached() -> None:
    paused = deadlines.paused(STANDARD, at(11), TIMERS, CALENDAR)
    assert paused.pause_ends_at is not None
    assert not pause_over(paused, paused.pause_ends_at - timedelta(seconds=1))
    assert pause_over(paused, paused.pause_ends_at)
    assert not pause_over(TIMERS, at(23, day=30))
