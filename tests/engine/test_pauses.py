"""Honest pauses: the step clock stops, paused business time is left out, every attempt is audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from recovery.clock import SettableClock
from recovery.core.calendar import BusinessCalendar
from recovery.core.commands import FireTrigger, PauseComplaint, ResumeComplaint
from recovery.engine import fire, pause, resume
from recovery.engine.context import Context
from recovery.engine.queries import get_complaint, list_complaints
from recovery.errors import TransitionRefused
from recovery.store.complaints import MUTABLE, load, values_of

AMS = ZoneInfo("Europe/Amsterdam")
WEDNESDAY_15 = datetime(2026, 11, 25, 15, tzinfo=AMS)
THURSDAY_11 = datetime(2026, 11, 26, 11, tzinfo=AMS)


def stored(ctx: Context, complaint_id: int) -> dict[str, Any]:
    """The complaint's changeable columns as stored."""
    with ctx.read() as connection:
        return values_of(load(connection, complaint_id), MUTABLE)


@pytest.fixture
def acting(ctx: Context, open_one: Callable[..., int]) -> int:
    """A complaint in ``acting`` since Wednesday 10:00 Amsterdam time, due Friday 10:00."""
    complaint_id = open_one()
    fire(ctx, FireTrigger(complaint_id, "apologize"))
    fire(ctx, FireTrigger(complaint_id, "act"))
    return complaint_id


def pause_and_resume(ctx: Context, clock: SettableClock, complaint_id: int) -> tuple[datetime, datetime]:
    """Pause Wednesday 15:00, resume Thursday 11:00 (local); return the deadline before and after."""
    before = stored(ctx, complaint_id)["deadline"]
    clock.set(WEDNESDAY_15)
    pause(ctx, PauseComplaint(complaint_id, "waiting_on_customer", actor="bob", note="asked for photos"))
    clock.set(THURSDAY_11)
    resume(ctx, ResumeComplaint(complaint_id, actor="bob"))
    return before, stored(ctx, complaint_id)["deadline"]


def test_resume_moves_the_deadline_by_exactly_the_paused_business_time(
    ctx: Context, clock: SettableClock, calendar: BusinessCalendar, acting: int
) -> None:
    before, after = pause_and_resume(ctx, clock, acting)
    # Wednesday 15:00-17:00 plus Thursday 09:00-11:00.
    assert calendar.business_between(before, after) == timedelta(hours=4)
    assert after == datetime(2026, 11, 27, 14, tzinfo=AMS)


def test_the_deadline_move_equals_the_business_time_paused(
    ctx: Context, clock: SettableClock, calendar: BusinessCalendar, acting: int
) -> None:
    before, after = pause_and_resume(ctx, clock, acting)
    assert calendar.business_between(before, after) == calendar.business_between(WEDNESDAY_15, THURSDAY_11)


def test_a_pause_over_a_closed_night_moves_nothing(ctx: Context, clock: SettableClock, acting: int) -> None:
    before = stored(ctx, acting)["deadline"]
    clock.set(datetime(2026, 11, 25, 18, tzinfo=AMS))
    pause(ctx, PauseComplaint(acting, "third_party"))
    clock.set(datetime(2026, 11, 26, 8, tzinfo=AMS))
    resume(ctx, ResumeComplaint(acting))
    assert stored(ctx, acting)["deadline"] == before


def test_the_warning_moves_with_the_deadline(
    ctx: Context, clock: SettableClock, calendar: BusinessCalendar, acting: int
) -> None:
    warn_before = stored(ctx, acting)["warn_at"]
    pause_and_resume(ctx, clock, acting)
    assert calendar.business_between(warn_before, stored(ctx, acting)["warn_at"]) == timedelta(hours=4)


def test_the_final_response_deadline_never_pauses(ctx: Context, clock: SettableClock, acting: int) -> None:
    final = stored(ctx, acting)["final_deadline"]
    pause_and_resume(ctx, clock, acting)
    assert stored(ctx, acting)["final_deadline"] == final


def test_a_pause_is_audited_with_its_reason(
    ctx: Context, clock: SettableClock, acting: int, audit_of: Callable[[int], list[dict[str, Any]]]
) -> None:
    clock.set(WEDNESDAY_15)
    pause(ctx, PauseComplaint(acting, "waiting_on_customer", actor="bob", note="asked for photos"))
    last = audit_of(acting)[-1]
    assert (last["trigger"], last["source"], last["dest"], last["outcome"], last["actor"]) == (
        "pause",
        "acting",
        "acting",
        "applied",
        "bob",
    )
    assert (last["payload"], last["note"], last["at"]) == (
        {"reason": "waiting_on_customer"},
        "asked for photos",
        WEDNESDAY_15,
    )


def test_a_resume_is_audited_with_the_time_paused(
    ctx: Context, clock: SettableClock, acting: int, audit_of: Callable[[int], list[dict[str, Any]]]
) -> None:
    pause_and_resume(ctx, clock, acting)
    last = audit_of(acting)[-1]
    assert (last["trigger"], last["outcome"], last["actor"]) == ("resume", "applied", "bob")
    assert last["payload"] == {"reason": "waiting_on_customer", "paused_seconds": 20 * 3600, "automatic": False}


def test_a_paused_complaint_shows_its_pause(ctx: Context, clock: SettableClock, acting: int) -> None:
    clock.set(WEDNESDAY_15)
    pause(ctx, PauseComplaint(acting, "third_party"))
    view = get_complaint(ctx, acting)
    assert (view["paused"], view["pause_reason"], view["paused_at"]) == (True, "third_party", "2026-11-25T14:00:00Z")


def test_the_cap_sets_when_the_pause_ends(
    ctx: Context, clock: SettableClock, calendar: BusinessCalendar, acting: int
) -> None:
    clock.set(WEDNESDAY_15)
    pause(ctx, PauseComplaint(acting, "other"))
    row = stored(ctx, acting)
    assert row["pause_ends_at"] == datetime(2026, 12, 2, 15, tzinfo=AMS)  # 5bd
    assert row["due_at"] == row["pause_ends_at"]


def test_a_paused_complaint_past_its_step_deadline_is_not_overdue(
    ctx: Context, clock: SettableClock, acting: int
) -> None:
    pause(ctx, PauseComplaint(acting, "third_party"))
    clock.set(datetime(2026, 11, 30, 12, tzinfo=AMS))
    assert list_complaints(ctx, overdue=True) == []


def test_a_transition_while_paused_ends_the_pause(ctx: Context, clock: SettableClock, acting: int) -> None:
    clock.set(WEDNESDAY_15)
    pause(ctx, PauseComplaint(acting, "waiting_on_customer"))
    clock.set(THURSDAY_11)
    fire(ctx, FireTrigger(acting, "empathize"))
    row = stored(ctx, acting)
    assert (row["paused_at"], row["pause_reason"], row["pause_ends_at"]) == (None, None, None)
    assert row["deadline"] == datetime(2026, 11, 27, 11, tzinfo=AMS)  # a fresh 1bd from Thursday 11:00


REFUSED_PAUSES = [
    pytest.param(None, [], "a pause needs a reason: one of waiting_on_customer, third_party, other", id="no-reason"),
    pytest.param("", [], "a pause needs a reason", id="empty-reason"),
    pytest.param("lunch", [], "unknown reason 'lunch'; known: waiting_on_customer", id="unknown-reason"),
    pytest.param("other", ["pause"], "already paused since 2026-11-25 09:00 UTC (other)", id="already-paused"),
    pytest.param("other", ["withdraw"], "the complaint is closed (withdrawn)", id="closed"),
]


def prepare(ctx: Context, complaint_id: int, steps: list[str]) -> None:
    for step in steps:
        if step == "pause":
            pause(ctx, PauseComplaint(complaint_id, "other"))
        else:
            fire(ctx, FireTrigger(complaint_id, step, reason="gone"))


@pytest.mark.parametrize(("reason", "steps", "why"), REFUSED_PAUSES)
def test_a_refused_pause_changes_nothing(
    ctx: Context, clock: SettableClock, open_one: Callable[..., int], reason: str | None, steps: list[str], why: str
) -> None:
    complaint_id = open_one()
    prepare(ctx, complaint_id, steps)
    before = stored(ctx, complaint_id)
    clock.advance(timedelta(hours=1))
    with pytest.raises(TransitionRefused, match=re.escape(f"pause refused: {why}")):
        pause(ctx, PauseComplaint(complaint_id, reason))
    assert stored(ctx, complaint_id) == before


@pytest.mark.parametrize(("reason", "steps", "why"), REFUSED_PAUSES)
def test_a_refused_pause_is_audited(
    ctx: Context,
    open_one: Callable[..., int],
    audit_of: Callable[[int], list[dict[str, Any]]],
    reason: str | None,
    steps: list[str],
    why: str,
) -> None:
    complaint_id = open_one()
    prepare(ctx, complaint_id, steps)
    with pytest.raises(TransitionRefused):
        pause(ctx, PauseComplaint(complaint_id, reason, actor="bob"))
    last = audit_of(complaint_id)[-1]
    assert (last["trigger"], last["outcome"], last["dest"], last["actor"]) == ("pause", "refused", None, "bob")
    assert why in last["note"]


def test_resume_when_not_paused_is_refused_and_audited(
    ctx: Context, acting: int, audit_of: Callable[[int], list[dict[str, Any]]]
) -> None:
    before = stored(ctx, acting)
    with pytest.raises(TransitionRefused, match="resume refused: it is not paused"):
        resume(ctx, ResumeComplaint(acting, actor="bob"))
    assert stored(ctx, acting) == before
    last = audit_of(acting)[-1]
    assert (last["trigger"], last["outcome"], last["note"]) == ("resume", "refused", "it is not paused")


def test_paused_at_is_stored_as_aware_utc(ctx: Context, clock: SettableClock, acting: int) -> None:
    clock.set(WEDNESDAY_15)
    pause(ctx, PauseComplaint(acting, "other"))
    assert stored(ctx, acting)["paused_at"].tzinfo is UTC


def test_a_pause_without_a_note_shows_its_reason_in_the_history(
    ctx: Context, acting: int, audit_of: Callable[[int], list[dict[str, Any]]]
) -> None:
    pause(ctx, PauseComplaint(acting, "third_party"))
    assert audit_of(acting)[-1]["note"] == "third_party"
