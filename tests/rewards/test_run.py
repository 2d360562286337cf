"""The reward run: automatic confirmation and rejection, awards, the cap, bonuses, idempotency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.flags import confirm_flag, get_flag, raise_flag, reject_flag
from recovery.engine.rewards import RewardRun, run_rewards

Rows = Callable[[], list[dict[str, Any]]]


def test_a_complaint_opened_in_the_window_confirms_the_flag_and_awards_its_author(
    shop: Context, complain: Callable[[int], int], clock: SettableClock, ledger_rows: Rows
) -> None:
    flag_id = raise_flag(shop, 1, "ann", "left without paying")
    clock.advance(timedelta(days=3))
    complaint_id = complain(1)
    clock.advance(timedelta(hours=1))
    result = run_rewards(shop)
    flag = get_flag(shop, flag_id)
    assert result == RewardRun(confirmed=1, awards=1, points=10)
    assert (flag["status"], flag["decision"], flag["decided_by"]) == ("confirmed", "complaint", None)
    row = ledger_rows()[0]
    assert (row["award_key"], row["staff_id"], row["points"], row["reason"]) == (
        f"flag:{flag_id}:confirmed",
        "ann",
        10,
        "confirmed",
    )
    assert (row["flag_id"], row["complaint_id"], row["period"]) == (flag_id, complaint_id, "2026-11")


def test_the_earliest_signal_names_how_the_flag_was_confirmed(
    shop: Context, complain: Callable[[int], int], walk: Callable[..., None], clock: SettableClock
) -> None:
    flag_id = raise_flag(shop, 2, "bob", "muttered about the refund")
    clock.advance(timedelta(hours=1))
    complaint_id = complain(2)
    walk(complaint_id, "apologize", "act", "empathize", "compensate")
    clock.advance(timedelta(days=1))
    walk(complaint_id, "follow_up", score=1)
    run_rewards(shop)
    assert get_flag(shop, flag_id)["decision"] == "complaint"


def test_a_low_score_on_a_complaint_opened_before_the_flag_confirms_it_but_earns_nothing(
    shop: Context, complain: Callable[[int], int], walk: Callable[..., None], clock: SettableClock, ledger_rows: Rows
) -> None:
    complaint_id = complain(1)
    walk(complaint_id, "apologize", "act", "empathize", "compensate")
    clock.advance(timedelta(hours=1))
    flag_id = raise_flag(shop, 1, "ann", "still cross")
    clock.advance(timedelta(days=2))
    walk(complaint_id, "follow_up", score=1)
    result = run_rewards(shop)
    flag = get_flag(shop, flag_id)
    assert (flag["status"], flag["decision"], flag["earns"]) == ("confirmed", "low_score", False)
    assert result == RewardRun(confirmed=1)
    assert ledger_rows() == []


def test_a_low_score_with_no_new_complaint_confirms_by_score(
    shop: Context, complain: Callable[[int], int], walk: Callable[..., None], clock: SettableClock, rewards: Any
) -> None:
    rewards(low_score=3)
    complaint_id = complain(1)
    walk(complaint_id, "apologize", "act", "empathize", "compensate")
    clock.advance(timedelta(days=1))
    flag_id = raise_flag(shop, 1, "ann", "sulking")
    clock.advance(timedelta(days=1))
    walk(complaint_id, "follow_up", score=3)
    run_rewards(shop)
    assert get_flag(shop, flag_id)["decision"] == "low_score"


def test_a_good_score_does_not_confirm(
    shop: Context, complain: Callable[[int], int], walk: Callable[..., None], clock: SettableClock
) -> None:
    complaint_id = complain(1)
    walk(complaint_id, "apologize", "act", "empathize", "compensate")
    clock.advance(timedelta(hours=1))
    flag_id = raise_flag(shop, 1, "ann", "sulking")
    clock.advance(timedelta(days=1))
    walk(complaint_id, "follow_up", score=4)
    assert run_rewards(shop) == RewardRun()
    assert get_flag(shop, flag_id)["status"] == "open"


def test_a_complaint_ending_lost_confirms_the_flag(
    shop: Context, complain: Callable[[int], int], walk: Callable[..., None], clock: SettableClock
) -> None:
    complaint_id = complain(1)
    clock.advance(timedelta(hours=1))
    flag_id = raise_flag(shop, 1, "ann", "talked about a competitor")
    clock.advance(timedelta(days=5))
    walk(complaint_id, "defect")
    run_rewards(shop)
    flag = get_flag(shop, flag_id)
    assert (flag["status"], flag["decision"]) == ("confirmed", "lost")


def test_a_flag_without_a_signal_by_the_end_of_its_window_is_rejected(
    shop: Context, clock: SettableClock, rewards: Callable[..., None], ledger_rows: Rows
) -> None:
    rewards(confirm_window="7d")
    flag_id = raise_flag(shop, 1, "ann", "looked bored")
    clock.advance(timedelta(days=7))
    assert run_rewards(shop) == RewardRun()  # the window's last moment still counts
    clock.advance(timedelta(seconds=1))
    assert run_rewards(shop) == RewardRun(rejected=1)
    flag = get_flag(shop, flag_id)
    assert (flag["status"], flag["decision"], flag["decided_at"]) == ("rejected", "window", "2026-12-02T09:00:01Z")
    assert ledger_rows() == []


def test_a_signal_after_the_window_does_not_save_the_flag(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], rewards: Callable[..., None]
) -> None:
    rewards(confirm_window="7d")
    flag_id = raise_flag(shop, 1, "ann", "looked bored")
    clock.advance(timedelta(days=8))
    complain(1)
    run_rewards(shop)
    assert get_flag(shop, flag_id)["status"] == "rejected"


def test_a_signal_inside_the_window_confirms_even_when_the_run_comes_after_it(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], rewards: Callable[..., None]
) -> None:
    rewards(confirm_window="7d")
    flag_id = raise_flag(shop, 1, "ann", "looked bored")
    clock.advance(timedelta(days=6))
    complain(1)
    clock.advance(timedelta(days=3))
    run_rewards(shop)
    assert get_flag(shop, flag_id)["status"] == "confirmed"


def test_the_run_leaves_hand_decisions_alone(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], points_of: Callable[[str], int]
) -> None:
    rejected = raise_flag(shop, 1, "ann", "a")
    reject_flag(shop, rejected, "lea")
    confirmed = raise_flag(shop, 2, "ann", "b")
    confirm_flag(shop, confirmed, "lea")
    complain(1)
    complain(2)
    clock.advance(timedelta(days=1))
    assert run_rewards(shop) == RewardRun()
    assert get_flag(shop, rejected)["status"] == "rejected"
    assert points_of("ann") == 10


def test_awards_past_the_cap_are_recorded_with_no_points_and_a_note(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], rewards: Any, ledger_rows: Rows
) -> None:
    rewards(cap_per_period=25, points_confirmed_flag=10)
    flags = [raise_flag(shop, c, "ann", "unhappy") for c in (1, 2, 3)]
    clock.advance(timedelta(days=1))
    for customer in (1, 2, 3):
        complain(customer)
    result = run_rewards(shop)
    rows = ledger_rows()
    assert [(r["flag_id"], r["points"]) for r in rows] == [(flags[0], 10), (flags[1], 10), (flags[2], 5)]
    assert rows[2]["note"] == "cap of 25 points per period reached: 5 of 10 points awarded"
    assert (result.awards, result.points) == (3, 25)


def test_the_cap_starts_again_in_the_next_period(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], rewards: Any, points_of: Any
) -> None:
    rewards(cap_per_period=10)
    first = raise_flag(shop, 1, "ann", "unhappy")
    confirm_flag(shop, first, "lea")
    second = raise_flag(shop, 2, "ann", "unhappy")
    confirm_flag(shop, second, "lea")
    assert points_of("ann") == 10
    clock.advance(timedelta(days=7))  # December
    third = raise_flag(shop, 3, "ann", "unhappy")
    assert confirm_flag(shop, third, "lea").points == 10
    assert points_of("ann") == 20


def test_a_recovered_customer_earns_the_author_a_bonus_once(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], walk: Any, ledger_rows: Rows
) -> None:
    flag_id = raise_flag(shop, 1, "ann", "unhappy with the delivery")
    clock.advance(timedelta(days=1))
    complaint_id = complain(1)
    assert run_rewards(shop) == RewardRun(confirmed=1, awards=1, points=10)
    clock.advance(timedelta(days=10))  # resolved after the window would still count
    walk(complaint_id, "apologize", "act", "empathize", "compensate", "follow_up", "resolve", score=5)
    assert run_rewards(shop) == RewardRun(recovered=1, points=25)
    assert run_rewards(shop) == RewardRun()
    bonus = ledger_rows()[-1]
    assert (bonus["award_key"], bonus["points"], bonus["reason"], bonus["complaint_id"]) == (
        f"flag:{flag_id}:recovered",
        25,
        "recovered",
        complaint_id,
    )


def test_confirmation_and_bonus_can_come_in_one_run(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], walk: Any, points_of: Any
) -> None:
    raise_flag(shop, 1, "ann", "unhappy")
    clock.advance(timedelta(days=1))
    walk(complain(1), "apologize", "act", "empathize", "compensate", "follow_up", "resolve", score=5)
    assert run_rewards(shop) == RewardRun(confirmed=1, awards=1, recovered=1, points=35)
    assert points_of("ann") == 35


@pytest.mark.parametrize("ending", ["defect", "withdraw"], ids=["lost", "withdrawn"])
def test_a_complaint_that_ends_otherwise_earns_no_bonus(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], walk: Any, ending: str, points_of: Any
) -> None:
    raise_flag(shop, 1, "ann", "unhappy")
    clock.advance(timedelta(days=1))
    walk(complain(1), ending)
    run_rewards(shop)
    assert points_of("ann") == 10


def test_a_flag_that_earns_nothing_earns_no_bonus(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], walk: Any, ledger_rows: Rows
) -> None:
    complain(1)
    flag_id = raise_flag(shop, 1, "ann", "we knew")
    clock.advance(timedelta(days=1))
    walk(complain(1), "apologize", "act", "empathize", "compensate", "follow_up", "resolve", score=5)
    run_rewards(shop)
    assert get_flag(shop, flag_id)["status"] == "confirmed"
    assert ledger_rows() == []


def test_overruling_a_confirmed_flag_reverses_the_award_and_the_bonus(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], walk: Any, ledger_rows: Rows, points_of: Any
) -> None:
    flag_id = raise_flag(shop, 1, "ann", "unhappy")
    clock.advance(timedelta(days=1))
    walk(complain(1), "apologize", "act", "empathize", "compensate", "follow_up", "resolve", score=5)
    run_rewards(shop)
    decision = reject_flag(shop, flag_id, "max")
    assert decision.points == -35
    assert points_of("ann") == 0
    assert [(r["reason"], r["points"]) for r in ledger_rows()] == [
        ("confirmed", 10),
        ("recovered", 25),
        ("reversed", -10),
        ("reversed", -25),
    ]
    assert run_rewards(shop) == RewardRun()
    assert points_of("ann") == 0


def test_running_twice_in_a_row_leaves_the_ledger_unchanged(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], walk: Any, ledger_rows: Rows, notices: Rows
) -> None:
    for customer, staff_id in [(1, "ann"), (2, "ann"), (3, "bob"), (1, "bob")]:
        raise_flag(shop, customer, staff_id, "unhappy")
    clock.advance(timedelta(days=1))
    walk(complain(1), "apologize", "act", "empathize", "compensate", "follow_up", "resolve", score=5)
    complain(3)
    clock.advance(timedelta(days=31))
    first = run_rewards(shop, batch_size=1)
    rows, sent = ledger_rows(), notices()
    assert first == RewardRun(confirmed=3, rejected=1, awards=3, recovered=2, points=80)
    assert run_rewards(shop, batch_size=1) == RewardRun()
    assert ledger_rows() == rows
    assert notices() == sent
    assert len(sent) == len(rows)


def test_a_stop_request_ends_the_run_between_batches_and_the_next_run_finishes(
    shop: Context, clock: SettableClock, complain: Callable[[int], int], points_of: Any
) -> None:
    for customer in (1, 2, 3):
        raise_flag(shop, customer, "ann", "unhappy")
    clock.advance(timedelta(days=1))
    for customer in (1, 2, 3):
        complain(customer)
    asked: list[int] = []

    def stop_after_one_batch() -> bool:
        asked.append(1)
        return len(asked) > 1

    assert run_rewards(shop, batch_size=1, stop=stop_after_one_batch) == RewardRun(confirmed=1, awards=1, points=10)
    assert run_rewards(shop) == RewardRun(confirmed=2, awards=2, points=20)
    assert points_of("ann") == 30
