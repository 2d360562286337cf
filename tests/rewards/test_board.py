"""The leaderboard and the statement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from recovery.clock import SettableClock
from recovery.engine.context import Context
from recovery.engine.flags import confirm_flag, raise_flag, reject_flag
from recovery.engine.rewards import leaderboard, run_rewards, statement
from recovery.errors import InvalidInputError, NotFoundError


@pytest.fixture
def november(shop: Context, clock: SettableClock, complain: Callable[[int], int], walk: Any) -> Context:
    """ann: 3 flags (1 recovered, 1 rejected by window, 1 open); bob: 1 flag confirmed by hand."""
    raise_flag(shop, 1, "ann", "unhappy")
    raise_flag(shop, 2, "ann", "unhappy")
    confirm_flag(shop, raise_flag(shop, 3, "bob", "unhappy"), "lea")
    clock.advance(timedelta(days=1))
    walk(complain(1), "apologize", "act", "empathize", "compensate", "follow_up", "resolve", score=5)
    clock.advance(timedelta(days=30, hours=1))  # 26 December: flag 2's window has ended
    raise_flag(shop, 3, "ann", "unhappy")
    clock.set(clock.now().replace(day=30))
    run_rewards(shop)
    return shop


KEYS = ("staff", "flags", "confirmed", "decided", "recovered", "points", "precision")


def rows_of(board: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The leaderboard rows as tuples of KEYS."""
    return [tuple(r[k] for k in KEYS) for r in board]


def test_the_leaderboard_counts_flags_raised_in_the_period_and_points_awarded_in_it(november: Context) -> None:
    board = leaderboard(november, "2026-11")
    assert rows_of(board) == [("bob", 1, 1, 1, 0, 10, 1.0), ("ann", 2, 1, 2, 1, 0, 0.5)]
    assert {r["period"] for r in board} == {"2026-11"}


def test_points_count_in_the_period_they_were_awarded(november: Context) -> None:
    assert rows_of(leaderboard(november, "2026-12")) == [("ann", 1, 0, 0, 0, 35, None)]


def test_the_leaderboard_defaults_to_the_current_period(november: Context) -> None:
    assert [r["period"] for r in leaderboard(november)] == ["2026-12"]


def test_a_malformed_period_is_refused(shop: Context) -> None:
    with pytest.raises(InvalidInputError, match="expected YYYY-MM"):
        leaderboard(shop, "12/2026")


def test_a_period_without_flags_or_points_is_empty(shop: Context) -> None:
    assert leaderboard(shop, "2020-01") == []


def test_an_overruled_flag_counts_as_rejected_and_its_points_net_out(
    shop: Context, clock: SettableClock, complain: Callable[[int], int]
) -> None:
    flag_id = raise_flag(shop, 1, "ann", "unhappy")
    confirm_flag(shop, flag_id, "lea")
    reject_flag(shop, flag_id, "max")
    assert rows_of(leaderboard(shop, "2026-11")) == [("ann", 1, 0, 1, 0, 0, 0.0)]


def test_the_statement_lists_every_ledger_row_with_the_total(november: Context) -> None:
    found = statement(november, "ann")
    assert (found["staff"], found["name"], found["total"]) == ("ann", "Ann Agent", 35)
    assert [(r["reason"], r["points"], r["period"]) for r in found["rows"]] == [
        ("confirmed", 10, "2026-12"),
        ("recovered", 25, "2026-12"),
    ]
    assert found["rows"][0]["award_key"] == "flag:1:confirmed"
    assert found["rows"][0]["at"] == "2026-12-30T10:00:00Z"


def test_a_statement_without_awards_is_empty_with_total_zero(shop: Context) -> None:
    assert statement(shop, "lea") == {"staff": "lea", "name": "Lea Lead", "rows": [], "count": 0, "total": 0}


def test_the_statement_of_unknown_staff_is_not_found(shop: Context) -> None:
    with pytest.raises(NotFoundError, match="no staff member 'zoe'"):
        statement(shop, "zoe")
