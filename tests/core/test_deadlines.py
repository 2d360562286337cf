"""Step deadlines, severity scaling, pauses, escalation and the scheduler's next look (``due_at``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.core import deadlines
from recovery.core.calendar import BusinessCalendar
from recovery.core.durations import Duration
from recovery.core.workflow import Workflow, parse_workflow

AMS = ZoneInfo("Europe/Amsterdam")
CALENDAR = BusinessCalendar(tz=AMS)
STANDARD_FILE = Path(__file__).resolve().parents[2] / "workflows" / "standard.yaml"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS).astimezone(UTC)


def standard(**changes: Any) -> Workflow:
    document = yaml.safe_load(STANDARD_FILE.read_text())
    document.update(changes)
    return parse_workflow(document, "standard.yaml")


STANDARD = standard()
WEDNESDAY_10 = local(2026, 11, 25, 10)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        pytest.param("critical", local(2026, 11, 25, 11), id="critical-quarter-of-4bh-is-1bh"),
        pytest.param("high", local(2026, 11, 25, 12), id="high-half"),
        pytest.param("normal", local(2026, 11, 25, 14), id="normal"),
        pytest.param("low", local(2026, 11, 26, 10), id="low-double"),
    ],
)
def test_severity_scales_the_step_deadline(severity: str, expected: datetime) -> None:
    assert deadlines.opened(STANDARD, severity, WEDNESDAY_10, CALENDAR).deadline == expected


def test_step_sla_of_critical_received_is_one_business_hour() -> None:
    assert deadlines.step_sla(STANDARD, "received", "critical") == Duration(1, "bh")


def test_unknown_severity_is_not_scaled() -> None:
    assert deadlines.step_sla(STANDARD, "received", "unheard-of") == Duration(4, "bh")


def test_a_state_without_sla_has_none() -> None:
    assert deadlines.step_sla(STANDARD, "compensated", "normal") is None


def test_opened_sets_the_final_response_in_clock_time() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    assert timers.final_deadline == WEDNESDAY_10 + timedelta(weeks=8)
    assert timers.final_warn_at == WEDNESDAY_10 + timedelta(weeks=6)


def test_opened_warns_at_the_share_of_the_step() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    assert timers.warn_at == local(2026, 11, 25, 13)  # 0.75 of 4bh


def test_entering_a_state_starts_its_escalation_over() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    timers = replace(timers, escalation_level=2, warned=True)
    entered = deadlines.entered(STANDARD, "acting", "normal", local(2026, 11, 25, 12), timers, CALENDAR)
    assert (entered.escalation_level, entered.warned) == (0, False)
    assert entered.deadline == local(2026, 11, 27, 12)  # 2bd


def test_entering_compensated_sets_the_follow_up_date_and_no_deadline() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    entered = deadlines.entered(STANDARD, "compensated", "normal", WEDNESDAY_10, timers, CALENDAR)
    assert entered.deadline is None
    assert entered.follow_up_due_at == WEDNESDAY_10 + timedelta(days=3)


def test_entering_a_final_state_closes_the_timers() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    entered = deadlines.entered(STANDARD, "resolved", "normal", WEDNESDAY_10, timers, CALENDAR)
    assert entered.closed
    assert (entered.deadline, entered.warn_at, entered.follow_up_due_at) == (None, None, None)
    assert deadlines.due_at(STANDARD, entered, CALENDAR) is None


def test_a_pause_ends_by_itself_at_the_cap() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    paused = deadlines.paused(STANDARD, WEDNESDAY_10, timers, CALENDAR)
    assert paused.paused_at == WEDNESDAY_10
    assert paused.pause_ends_at == local(2026, 12, 2, 10)  # 5bd


def test_a_pause_without_cap_has_no_end() -> None:
    uncapped = standard(pause={"reasons": ["other"]})
    timers = deadlines.opened(uncapped, "normal", WEDNESDAY_10, CALENDAR)
    assert deadlines.paused(uncapped, WEDNESDAY_10, timers, CALENDAR).pause_ends_at is None


def test_resume_moves_business_deadlines_by_the_paused_business_time() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    paused = deadlines.paused(STANDARD, local(2026, 11, 25, 15), timers, CALENDAR)
    resumed = deadlines.resumed(STANDARD, "received", local(2026, 11, 26, 11), paused, CALENDAR)
    # Wed 15:00-17:00 and Thu 09:00-11:00: four business hours.
    assert resumed.deadline == CALENDAR.add_business(timers.deadline, timedelta(hours=4))  # type: ignore[arg-type]
    assert CALENDAR.business_between(timers.deadline, resumed.deadline) == timedelta(hours=4)  # type: ignore[arg-type]
    assert (resumed.paused_at, resumed.pause_ends_at) == (None, None)


def test_a_pause_outside_business_hours_leaves_a_closing_time_deadline_alone() -> None:
    # Opened Tuesday evening with 8bh: due at Wednesday's closing; paused overnight only.
    timers = deadlines.opened(STANDARD, "low", local(2026, 11, 24, 17, 30), CALENDAR)
    assert timers.deadline == local(2026, 11, 25, 17)
    paused = deadlines.paused(STANDARD, local(2026, 11, 24, 18), timers, CALENDAR)
    resumed = deadlines.resumed(STANDARD, "received", local(2026, 11, 25, 8), paused, CALENDAR)
    assert resumed.deadline == local(2026, 11, 25, 17)


def test_resume_moves_clock_deadlines_by_the_paused_wall_time() -> None:
    hourly = standard(
        states=[{"name": "received", "sla": "4h"}, {"name": "done", "final": True}],
        transitions=[{"trigger": "finish", "source": "received", "dest": "done"}],
    )
    timers = deadlines.opened(hourly, "normal", WEDNESDAY_10, CALENDAR)
    paused = deadlines.paused(hourly, WEDNESDAY_10, timers, CALENDAR)
    resumed = deadlines.resumed(hourly, "received", WEDNESDAY_10 + timedelta(hours=30), paused, CALENDAR)
    assert resumed.deadline == timers.deadline + timedelta(hours=30)  # type: ignore[operator]


def test_resume_leaves_the_final_response_alone() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    paused = deadlines.paused(STANDARD, WEDNESDAY_10, timers, CALENDAR)
    resumed = deadlines.resumed(STANDARD, "received", WEDNESDAY_10 + timedelta(days=2), paused, CALENDAR)
    assert resumed.final_deadline == timers.final_deadline


def test_resume_moves_the_follow_up_date_by_wall_time() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    timers = deadlines.entered(STANDARD, "compensated", "normal", WEDNESDAY_10, timers, CALENDAR)
    paused = deadlines.paused(STANDARD, WEDNESDAY_10, timers, CALENDAR)
    resumed = deadlines.resumed(STANDARD, "compensated", WEDNESDAY_10 + timedelta(hours=5), paused, CALENDAR)
    assert resumed.follow_up_due_at == timers.follow_up_due_at + timedelta(hours=5)  # type: ignore[operator]


def test_resume_when_not_paused_changes_nothing() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    assert deadlines.resumed(STANDARD, "received", WEDNESDAY_10, timers, CALENDAR) is timers


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        pytest.param(0, local(2026, 11, 25, 14), id="level-1-at-the-deadline"),
        pytest.param(1, local(2026, 11, 26, 10), id="level-2-four-business-hours-later"),
        pytest.param(2, local(2026, 11, 27, 14), id="level-3-two-business-days-later"),
        pytest.param(3, None, id="none-left"),
    ],
)
def test_escalation_due(level: int, expected: datetime | None) -> None:
    timers = replace(deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR), escalation_level=level)
    assert deadlines.escalation_due(STANDARD, timers, CALENDAR) == expected


def test_no_escalation_without_a_deadline() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    timers = deadlines.entered(STANDARD, "compensated", "normal", WEDNESDAY_10, timers, CALENDAR)
    assert deadlines.escalation_due(STANDARD, timers, CALENDAR) is None


def test_due_at_is_the_warning_first() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    assert deadlines.due_at(STANDARD, timers, CALENDAR) == timers.warn_at


def test_due_at_after_the_warning_is_the_escalation() -> None:
    timers = replace(deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR), warned=True)
    assert deadlines.due_at(STANDARD, timers, CALENDAR) == timers.deadline


def test_due_at_while_paused_is_the_pause_cap() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    paused = deadlines.paused(STANDARD, WEDNESDAY_10, timers, CALENDAR)
    assert deadlines.due_at(STANDARD, paused, CALENDAR) == paused.pause_ends_at


def test_due_at_in_compensated_is_the_follow_up() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    timers = deadlines.entered(STANDARD, "compensated", "normal", WEDNESDAY_10, timers, CALENDAR)
    assert deadlines.due_at(STANDARD, timers, CALENDAR) == timers.follow_up_due_at


def test_due_at_falls_back_to_the_final_response() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    timers = deadlines.entered(STANDARD, "compensated", "normal", WEDNESDAY_10, timers, CALENDAR)
    timers = replace(timers, follow_up_reminded=True)
    assert deadlines.due_at(STANDARD, timers, CALENDAR) == timers.final_warn_at
    assert deadlines.due_at(STANDARD, replace(timers, final_warned=True), CALENDAR) == timers.final_deadline


def test_due_at_is_none_when_everything_is_done() -> None:
    timers = deadlines.opened(STANDARD, "normal", WEDNESDAY_10, CALENDAR)
    timers = deadlines.entered(STANDARD, "compensated", "normal", WEDNESDAY_10, timers, CALENDAR)
    timers = replace(timers, follow_up_reminded=True, final_warned=True, final_breached=True)
    assert deadlines.due_at(STANDARD, timers, CALENDAR) is None


# Laws over the whole step: severity multipliers and start times vary.
starts = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
units = st.sampled_from(["h", "d", "bh", "bd"])
amounts = st.integers(min_value=0, max_value=40)


@settings(max_examples=100, deadline=None)
@given(start=starts, amount=amounts, unit=units)
def test_law_a_step_deadline_never_precedes_its_start(start: datetime, amount: int, unit: str) -> None:
    assert CALENDAR.add(start, Duration(amount, unit)) >= start


@settings(max_examples=100, deadline=None)
@given(start=starts, a=amounts, b=amounts, unit=units)
def test_law_a_step_deadline_grows_with_its_duration(start: datetime, a: int, b: int, unit: str) -> None:
    shorter, longer = sorted((a, b))
    assert CALENDAR.add(start, Duration(shorter, unit)) <= CALENDAR.add(start, Duration(longer, unit))


@settings(max_examples=100, deadline=None)
@given(start=starts, severity=st.sampled_from(["critical", "high", "normal", "low"]))
def test_law_a_more_severe_complaint_is_never_due_later(start: datetime, severity: str) -> None:
    order = ["critical", "high", "normal", "low"]
    due = {s: deadlines.opened(STANDARD, s, start, CALENDAR).deadline for s in order}
    position = order.index(severity)
    assert all(due[severity] <= due[later] for later in order[position:])  # type: ignore[operator]


@settings(max_examples=100, deadline=None)
@given(
    opened_at=starts,
    pause_after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    paused_for=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=6)),
)
def test_law_resume_moves_the_deadline_by_exactly_the_paused_business_time(
    opened_at: datetime, pause_after: timedelta, paused_for: timedelta
) -> None:
    timers = deadlines.opened(STANDARD, "normal", opened_at, CALENDAR)
    paused_at = opened_at + pause_after
    paused = deadlines.paused(STANDARD, paused_at, timers, CALENDAR)
    resumed = deadlines.resumed(STANDARD, "received", paused_at + paused_for, paused, CALENDAR)
    moved = CALENDAR.business_between(timers.deadline, resumed.deadline)  # type: ignore[arg-type]
    assert moved == CALENDAR.business_between(paused_at, paused_at + paused_for)
    assert resumed.deadline >= timers.deadline  # type: ignore[operator]
