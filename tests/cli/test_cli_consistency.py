"""One CLI: ``-h`` everywhere, a group alone shows its help, bad usage exits 2, one option name per idea."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
import pytest

from recovery.cli.main import COMMANDS, cli

Recovery = Callable[..., Any]  # fixtures of tests/cli/conftest.py
ErrorLine = Callable[[Any], str]


def _groups() -> list[str]:
    """Every registered command that has subcommands (importing them is fine in a test)."""
    context = click.Context(cli, info_name="recovery")
    return [name for name in COMMANDS if isinstance(cli.get_command(context, name), click.Group)]


def test_h_at_the_root_prints_the_help(bare: Recovery) -> None:
    result = bare("-h")
    assert result.code == 0, result
    assert result.out.startswith("Usage: recovery"), result


def test_h_on_a_subcommand_prints_its_help(bare: Recovery) -> None:
    result = bare("flag", "list", "-h")
    assert result.code == 0, result
    assert result.out.startswith("Usage: recovery flag list"), result


def test_the_root_alone_prints_its_help(bare: Recovery) -> None:
    result = bare()
    assert result.code == 0, result
    assert result.out.startswith("Usage: recovery"), result
    assert result.err == "", result


@pytest.mark.parametrize("group", _groups())
def test_a_group_without_a_subcommand_prints_its_help(bare: Recovery, group: str) -> None:
    result = bare(group)
    assert result.code == 0, result
    assert result.out.startswith(f"Usage: recovery {group} "), result
    assert "Commands:" in result.out, result
    assert result.err == "", result


@pytest.mark.parametrize(
    ("args", "names"),
    [
        pytest.param(["rewards", "leaderboard", "--period", "nov"], "'--period'", id="leaderboard-period"),
        pytest.param(["flag", "add", "ann@example.com", "--by", "bob", "--reason", " "], "'--reason'", id="blank"),
        pytest.param(["inbox", "skip", "1", "--reason", ""], "'--reason'", id="skip-blank-reason"),
        pytest.param(["customer", "add", "not-an-email"], "email:", id="customer-email"),
        pytest.param(["staff", "add", "bob smith", "--name", "Bob"], "staff id:", id="staff-id"),
        pytest.param(["flag", "list", "--state", "closed"], "'--state'", id="unknown-choice"),
        pytest.param(["outbox", "list", "--dead", "--state", "sent"], "contradict", id="contradiction"),
        pytest.param(["flag", "list", "--nonsense"], "--nonsense", id="unknown-option"),
    ],
)
def test_bad_usage_exits_2_in_one_line(shop: Recovery, error_line: ErrorLine, args: list[str], names: str) -> None:
    result = shop(*args)
    assert result.code == 2, result
    assert names in error_line(result), result


def test_a_refusal_by_the_data_exits_1(shop: Recovery) -> None:
    result = shop("flag", "confirm", "42", "--by", "bob")
    assert result.code == 1, result


def test_flag_list_takes_the_customer_by_email(shop: Recovery) -> None:
    assert shop("flag", "add", "1", "--by", "bob", "--reason", "sighed").code == 0
    result = shop("flag", "list", "--customer", "ann@example.com", "--json")
    assert result.code == 0, result
    assert [row["customer_id"] for row in json.loads(result.out)] == [1], result


@pytest.mark.parametrize("spelling", ["--state", "--status"])
def test_listings_filter_by_state_and_the_old_status_still_works(shop: Recovery, spelling: str) -> None:
    assert shop("flag", "add", "1", "--by", "bob", "--reason", "sighed").code == 0
    assert json.loads(shop("flag", "list", spelling, "rejected", "--json").out) == []
    assert len(json.loads(shop("flag", "list", spelling, "open", "--json").out)) == 1


def test_the_old_status_spelling_is_hidden_from_help(bare: Recovery) -> None:
    assert "--status" not in bare("outbox", "list", "--help").out


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["customer", "add", "jo@example.com"], id="customer-add"),
        pytest.param(["staff", "add", "cy", "--name", "Cy"], id="staff-add"),
        pytest.param(["flag", "add", "1", "--by", "bob", "--reason", "sighed"], id="flag-add"),
    ],
)
def test_a_command_that_creates_something_prints_it_with_json(shop: Recovery, args: list[str]) -> None:
    result = shop(*args, "--json")
    assert result.code == 0, result
    assert "id" in json.loads(result.out), result
