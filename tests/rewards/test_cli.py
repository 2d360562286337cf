"""``recovery flag …`` and ``recovery rewards …`` run in-process on a real database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from recovery.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(db: Engine, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run ``recovery`` with the test database and a config of its own; (exit code, stdout, stderr)."""
    config = tmp_path / "recovery.toml"
    config.write_text(f'[workflows]\ndir = "{ROOT / "workflows"}"\n[calendar]\nholidays = []\n')

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--database-url", db_url, "--config", str(config), *args])
        out, err = capsys.readouterr()
        return code, out, err

    run("staff", "add", "ann", "--name", "Ann", "--email", "ann@shop.example")
    run("staff", "add", "lea", "--name", "Lea", "--role", "lead")
    run("customer", "add", "cat@example.com", "--name", "Cat")
    return run


def test_flag_add_raises_a_flag_on_a_customer_given_by_email(cli: Cli) -> None:
    code, out, err = cli("flag", "add", "cat@example.com", "--by", "ann", "--reason", "sighed", "--signal", "price")
    assert (code, err) == (0, ""), err
    assert out.startswith("flag 1 raised on customer 1 by ann; window ends ")
    code, out, _ = cli("flag", "list", "--json")
    assert [(f["id"], f["signal"], f["status"], f["earns"]) for f in json.loads(out)] == [(1, "price", "open", True)]


def test_flag_add_says_when_a_flag_earns_nothing(cli: Cli) -> None:
    cli("complaint", "open", "--customer", "1", "--summary", "broken")
    code, out, _ = cli("flag", "add", "1", "--by", "ann", "--reason", "we know")
    assert code == 0
    assert "flag 1 earns nothing: customer 1 already has an open complaint" in out


def test_a_refused_flag_is_one_line_on_stderr_and_exit_1(cli: Cli) -> None:
    code, out, err = cli("flag", "add", "1", "--by", "zoe", "--reason", "sighed")
    assert (code, out) == (1, "")
    assert err == "error: unknown staff member 'zoe' cannot flag: add them first with `recovery staff add`\n"


def test_an_unknown_signal_is_bad_usage(cli: Cli) -> None:
    code, _, err = cli("flag", "add", "1", "--by", "ann", "--reason", "x", "--signal", "weather")
    assert code == 2, err


def test_flag_confirm_and_reject_by_hand(cli: Cli) -> None:
    cli("flag", "add", "1", "--by", "ann", "--reason", "sighed")
    code, out, err = cli("flag", "confirm", "1", "--by", "lea")
    assert (code, out) == (0, "flag 1 confirmed by lea: ann earns 10 points\n"), err
    code, out, err = cli("flag", "reject", "1", "--by", "lea")
    assert (code, out) == (0, "flag 1 rejected by lea; 10 points reversed from ann\n"), err
    code, out, _ = cli("flag", "list", "--status", "rejected")
    assert out.splitlines()[2].split()[:5] == ["1", "1", "ann", "other", "rejected"]


def test_flag_confirm_of_an_own_flag_is_refused(cli: Cli) -> None:
    cli("flag", "add", "1", "--by", "lea", "--reason", "sighed")
    code, _, err = cli("flag", "confirm", "1", "--by", "lea")
    assert code == 1
    assert err == "error: flag 1: cannot confirm: lea raised this flag: nobody may confirm their own flag\n"


def test_flag_confirm_prints_the_cap_note(cli: Cli) -> None:
    cli("customer", "add", "dan@example.com")
    cli("flag", "add", "1", "--by", "ann", "--reason", "sighed")
    cli("complaint", "open", "--customer", "2", "--summary", "broken")
    cli("flag", "add", "2", "--by", "ann", "--reason", "we know")
    _, out, _ = cli("flag", "confirm", "2", "--by", "lea")
    assert out.splitlines() == [
        "flag 2 confirmed by lea: ann earns 0 points",
        "note: it earns nothing: the customer already had an open complaint when it was raised",
    ]


def test_flag_reject_of_an_open_flag_moves_no_points(cli: Cli) -> None:
    cli("flag", "add", "1", "--by", "ann", "--reason", "sighed")
    code, out, _ = cli("flag", "reject", "1", "--by", "lea")
    assert (code, out) == (0, "flag 1 rejected by lea\n")


def test_an_empty_flag_list_says_so(cli: Cli) -> None:
    assert cli("flag", "list")[1] == "no flags match\n"


def test_rewards_run_prints_what_it_did(cli: Cli) -> None:
    cli("flag", "add", "1", "--by", "ann", "--reason", "sighed")
    cli("complaint", "open", "--customer", "1", "--summary", "broken")
    code, out, err = cli("rewards", "run")
    assert (code, out) == (0, "confirmed 1, rejected 0, awards 1, recovered customers 0, points 10\n"), err
    code, out, _ = cli("rewards", "run", "--json")
    assert json.loads(out) == {"confirmed": 0, "rejected": 0, "awards": 0, "recovered": 0, "points": 0}


def test_rewards_run_can_start_its_clock_at_a_given_moment(cli: Cli) -> None:
    cli("flag", "add", "1", "--by", "ann", "--reason", "sighed")
    code, out, err = cli("rewards", "run", "--clock-start", "2030-01-01T00:00:00+00:00", "--json")
    assert (code, json.loads(out)["rejected"]) == (0, 1), err


def test_rewards_leaderboard_table_and_json(cli: Cli) -> None:
    cli("flag", "add", "1", "--by", "ann", "--reason", "sighed")
    cli("flag", "confirm", "1", "--by", "lea")
    _, out, _ = cli("rewards", "leaderboard")
    assert out.splitlines()[0].split() == ["staff", "flags", "confirmed", "recovered", "points", "precision"]
    assert out.splitlines()[2].split() == ["ann", "1", "1", "0", "10", "1"]
    _code, out, _ = cli("rewards", "leaderboard", "--json")
    row = json.loads(out)[0]
    assert {k: row[k] for k in ("staff", "flags", "confirmed", "recovered", "points", "precision")} == {
        "staff": "ann",
        "flags": 1,
        "confirmed": 1,
        "recovered": 0,
        "points": 10,
        "precision": 1.0,
    }


def test_rewards_leaderboard_of_an_empty_period_and_a_malformed_one(cli: Cli) -> None:
    assert cli("rewards", "leaderboard", "--period", "2001-01")[1] == "no flags or points in this period\n"
    code, _, err = cli("rewards", "leaderboard", "--period", "Jan")
    assert (code, err) == (  # bad usage: exit 2
        2,
        "error: Invalid value for '--period': expected YYYY-MM such as 2026-11, got 'Jan' "
        "(see `recovery rewards leaderboard --help`)\n",
    )


def test_rewards_statement_table_and_json(cli: Cli) -> None:
    cli("flag", "add", "1", "--by", "ann", "--reason", "sighed")
    cli("flag", "confirm", "1", "--by", "lea")
    _, out, _ = cli("rewards", "statement", "ann")
    assert "confirmed" in out
    assert out.endswith("total: 10 points\n")
    _code, out, _ = cli("rewards", "statement", "ann", "--json")
    found = json.loads(out)
    assert (found["total"], [r["award_key"] for r in found["rows"]]) == (10, ["flag:1:confirmed"])


def test_rewards_statement_without_rows_and_of_unknown_staff(cli: Cli) -> None:
    assert cli("rewards", "statement", "lea")[1] == "no ledger rows for lea\ntotal: 0 points\n"
    assert cli("rewards", "statement", "zoe")[2] == "error: no staff member 'zoe'\n"
