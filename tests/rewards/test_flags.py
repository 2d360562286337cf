"""Raising flags, the rules against gaming, and deciding flags by hand."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.flags import confirm_flag, get_flag, list_flags, raise_flag, reject_flag
from recovery.errors import ConfigError, FlagRefused, InvalidInputError, NotFoundError

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # the clock fixture's start


def test_a_flag_starts_open_with_a_window_of_the_configured_length(shop: Context, rewards: Callable[..., None]) -> None:
    rewards(confirm_window="14d")
    flag = get_flag(shop, raise_flag(shop, 1, "ann", "sighed at the till", "quality"))
    assert (flag["status"], flag["signal"], flag["earns"], flag["staff"]) == ("open", "quality", True, "ann")
    assert flag["raised_at"] == "2026-11-25T09:00:00Z"
    assert flag["window_ends_at"] == "2026-12-09T09:00:00Z"


def test_a_window_in_business_days_follows_the_calendar(shop: Context, rewards: Callable[..., None]) -> None:
    rewards(confirm_window="3bd")
    flag = get_flag(shop, raise_flag(shop, 1, "ann", "sighed"))
    assert flag["window_ends_at"] == "2026-11-30T09:00:00Z"  # Wednesday 10:00 local + 3 business days = Monday


def test_a_flag_inside_the_callers_transaction_commits_with_it(shop: Context) -> None:
    with shop.db.begin() as connection:
        flag_id = raise_flag(shop, 1, "ann", "from the helpdesk", connection=connection, at=T0 - timedelta(hours=1))
    assert get_flag(shop, flag_id)["raised_at"] == "2026-11-25T08:00:00Z"


def test_the_callers_rollback_takes_the_flag_with_it(shop: Context) -> None:
    def failing_event() -> None:
        with shop.db.begin() as connection:
            raise_flag(shop, 1, "ann", "from the helpdesk", connection=connection)
            raise RuntimeError("the helpdesk event failed later")

    with pytest.raises(RuntimeError):
        failing_event()
    assert list_flags(shop) == []


def test_unknown_staff_cannot_flag(shop: Context) -> None:
    with pytest.raises(FlagRefused, match="unknown staff member 'zoe' cannot flag"):
        raise_flag(shop, 1, "zoe", "looked unhappy")


def test_a_second_open_flag_by_the_same_staff_on_the_same_customer_is_refused(shop: Context) -> None:
    first = raise_flag(shop, 1, "ann", "looked unhappy")
    with pytest.raises(FlagRefused, match=f"ann already has an open flag on customer 1 \\(flag {first}\\)"):
        raise_flag(shop, 1, "ann", "still unhappy")


def test_of_two_racing_flags_by_the_same_staff_on_the_same_customer_one_is_refused(shop: Context) -> None:
    outcome: list[BaseException] = []

    def second_attempt() -> None:
        try:
            raise_flag(shop, 1, "ann", "seen from the other till")
        except FlagRefused as exc:
            outcome.append(exc)

    racer = threading.Thread(target=second_attempt)
    with shop.db.begin() as first:
        raise_flag(shop, 1, "ann", "seen from the till", connection=first)
        racer.start()
        racer.join(timeout=0.5)  # it now waits on our uncommitted row (PostgreSQL) or write lock (SQLite)
    racer.join(timeout=30)
    # Refused by the check (it saw the committed flag) or by the partial unique index (it raced past the check).
    assert len(outcome) == 1
    assert str(outcome[0]).startswith("ann already has an open flag on customer 1")
    assert len(list_flags(shop)) == 1


def test_a_malformed_confirm_window_is_a_configuration_error(shop: Context, rewards: Callable[..., None]) -> None:
    with pytest.raises(ConfigError, match=r"rewards\.confirm_window: bad duration 'soon'"):
        rewards(confirm_window="soon")


def test_another_staff_member_may_flag_the_same_customer(shop: Context) -> None:
    raise_flag(shop, 1, "ann", "looked unhappy")
    assert get_flag(shop, raise_flag(shop, 1, "bob", "complained to me too"))["status"] == "open"


def test_a_new_flag_is_allowed_once_the_first_is_decided(shop: Context) -> None:
    first = raise_flag(shop, 1, "ann", "looked unhappy")
    reject_flag(shop, first, "lea")
    assert raise_flag(shop, 1, "ann", "unhappy again") > first


def test_a_flag_on_a_customer_with_an_open_complaint_is_accepted_but_earns_nothing(
    shop: Context, complain: Callable[[int], int]
) -> None:
    complain(1)
    assert get_flag(shop, raise_flag(shop, 1, "ann", "we know already"))["earns"] is False


def test_a_flag_after_the_complaint_closed_earns_again(
    shop: Context, complain: Callable[[int], int], walk: Callable[..., None]
) -> None:
    shop.winback = dataclasses.replace(shop.winback, open_on_lost=False)  # else the win-back case is open
    walk(complain(1), "defect")
    assert get_flag(shop, raise_flag(shop, 1, "ann", "back and unhappy"))["earns"] is True


def test_a_flag_on_a_customer_in_an_open_win_back_case_earns_nothing(
    shop: Context, complain: Callable[[int], int], walk: Callable[..., None]
) -> None:
    walk(complain(1), "defect")  # lost: a win-back case opens, someone is calling them already
    assert get_flag(shop, raise_flag(shop, 1, "ann", "back and unhappy"))["earns"] is False


@pytest.mark.parametrize(
    ("reason", "signal", "message"),
    [("  ", "other", "a flag needs a reason"), ("slow", "weather", "signal: unknown 'weather'")],
    ids=["blank-reason", "unknown-signal"],
)
def test_malformed_flags_are_refused(shop: Context, reason: str, signal: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        raise_flag(shop, 1, "ann", reason, signal)


def test_a_flag_on_an_unknown_customer_is_not_found(shop: Context) -> None:
    with pytest.raises(NotFoundError, match="no customer 99"):
        raise_flag(shop, 99, "ann", "who?")


def test_a_lead_confirms_by_hand_and_the_author_earns_the_points(
    shop: Context, points_of: Callable[[str], int], clock: SettableClock
) -> None:
    flag_id = raise_flag(shop, 1, "ann", "looked unhappy")
    clock.advance(timedelta(hours=2))
    decision = confirm_flag(shop, flag_id, "lea")
    flag = get_flag(shop, flag_id)
    assert (decision.status, decision.author, decision.points) == ("confirmed", "ann", 10)
    assert (flag["status"], flag["decided_by"], flag["decision"], flag["points"]) == ("confirmed", "lea", "hand", 10)
    assert flag["decided_at"] == "2026-11-25T11:00:00Z"
    assert points_of("ann") == 10


@pytest.mark.parametrize(
    ("author", "decider", "message"),
    [
        ("ann", "bob", "only a lead or a manager may confirm a flag; bob is agent"),
        ("lea", "lea", "lea raised this flag: nobody may confirm their own flag"),
        ("ann", "zoe", "unknown staff member 'zoe' cannot confirm flags"),
    ],
    ids=["agent", "own-flag", "unknown"],
)
def test_confirming_by_hand_is_refused(shop: Context, author: str, decider: str, message: str) -> None:
    flag_id = raise_flag(shop, 1, author, "looked unhappy")
    with pytest.raises(FlagRefused, match=message):
        confirm_flag(shop, flag_id, decider)
    assert get_flag(shop, flag_id)["status"] == "open"


def test_nobody_is_rewarded_twice_through_the_same_flag(shop: Context, points_of: Callable[[str], int]) -> None:
    flag_id = raise_flag(shop, 1, "ann", "looked unhappy")
    confirm_flag(shop, flag_id, "lea")
    with pytest.raises(FlagRefused, match=f"flag {flag_id}: cannot confirm: the flag is already confirmed"):
        confirm_flag(shop, flag_id, "max")
    assert points_of("ann") == 10


def test_confirming_a_flag_that_earns_nothing_gives_no_points_and_says_why(
    shop: Context, complain: Callable[[int], int], ledger_rows: Callable[[], list[Any]]
) -> None:
    complain(1)
    decision = confirm_flag(shop, raise_flag(shop, 1, "ann", "we know already"), "lea")
    assert decision.points == 0
    assert "the customer already had an open complaint" in decision.notes[0]
    assert ledger_rows() == []


def test_a_lead_rejects_an_open_flag_by_hand_without_moving_points(
    shop: Context, ledger_rows: Callable[[], list[Any]]
) -> None:
    flag_id = raise_flag(shop, 1, "ann", "looked unhappy")
    decision = reject_flag(shop, flag_id, "max")
    flag = get_flag(shop, flag_id)
    assert (decision.status, decision.points) == ("rejected", 0)
    assert (flag["status"], flag["decided_by"], flag["decision"]) == ("rejected", "max", "hand")
    assert ledger_rows() == []


def test_an_agent_cannot_reject(shop: Context) -> None:
    with pytest.raises(FlagRefused, match="only a lead or a manager may reject a flag; bob is agent"):
        reject_flag(shop, raise_flag(shop, 1, "ann", "looked unhappy"), "bob")


def test_a_rejected_flag_cannot_be_confirmed_or_rejected_again(shop: Context) -> None:
    flag_id = raise_flag(shop, 1, "ann", "looked unhappy")
    reject_flag(shop, flag_id, "lea")
    with pytest.raises(FlagRefused, match="already rejected"):
        confirm_flag(shop, flag_id, "max")
    with pytest.raises(FlagRefused, match="already rejected"):
        reject_flag(shop, flag_id, "max")


def test_deciding_an_unknown_flag_is_not_found(shop: Context) -> None:
    with pytest.raises(NotFoundError, match="no flag 42"):
        confirm_flag(shop, 42, "lea")
    with pytest.raises(NotFoundError, match="no flag 42"):
        get_flag(shop, 42)


def test_rejecting_a_confirmed_flag_reverses_its_award(
    shop: Context, points_of: Callable[[str], int], ledger_rows: Callable[[], list[Any]], clock: SettableClock
) -> None:
    flag_id = raise_flag(shop, 1, "ann", "looked unhappy")
    confirm_flag(shop, flag_id, "lea")
    clock.advance(timedelta(days=1))
    decision = reject_flag(shop, flag_id, "max")
    reversal = ledger_rows()[-1]
    assert decision.points == -10
    assert points_of("ann") == 0
    assert (reversal["award_key"], reversal["points"], reversal["reason"]) == (
        f"flag:{flag_id}:confirmed:reversed",
        -10,
        "reversed",
    )
    assert reversal["note"] == f"flag {flag_id} rejected by max: reverses flag:{flag_id}:confirmed"
    assert get_flag(shop, flag_id)["points"] == 0


def test_every_award_and_reversal_notifies_the_staff_member(
    shop: Context, notices: Callable[[], list[dict[str, Any]]]
) -> None:
    flag_id = raise_flag(shop, 1, "ann", "looked unhappy")
    confirm_flag(shop, flag_id, "lea")
    reject_flag(shop, flag_id, "lea")
    sent = notices()
    assert [(n["topic"], n["recipient"], n["payload"]["points"]) for n in sent] == [
        ("reward.confirmed", "ann@shop.example", 10),
        ("reward.reversed", "ann@shop.example", -10),
    ]
    assert sent[0]["dedupe_key"] == f"reward:flag:{flag_id}:confirmed"


def test_listing_filters_by_status_staff_and_customer(shop: Context) -> None:
    first = raise_flag(shop, 1, "ann", "a")
    second = raise_flag(shop, 2, "bob", "b")
    reject_flag(shop, second, "lea")
    assert [f["id"] for f in list_flags(shop)] == [second, first]
    assert [f["id"] for f in list_flags(shop, status="open")] == [first]
    assert [f["id"] for f in list_flags(shop, staff_id="bob")] == [second]
    assert [f["id"] for f in list_flags(shop, customer_id=1)] == [first]
