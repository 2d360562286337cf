"""Progress bars on long commands: drawn for a person at a terminal, never into a file or a pipe.

CliRunner's stdout is not a terminal, so these commands must print their result and no bar; a real
pseudo-terminal shows the bar (``recovery sla scan`` with complaints due).
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from recovery.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
LATER = "2030-01-07T10:00:00"  # every complaint opened now is past every deadline by then
BAR_MARKS = ("\r", "[#", "%", "\x1b")

Recovery = Callable[..., object]


@pytest.fixture
def due(shop: Recovery, sqlite_url: str, config_file: Path) -> list[str]:
    """Three open complaints, all due at LATER; the global options that reach their database."""
    for n in range(3):
        shop("complaint", "open", "--customer", "ann@example.com", "--summary", f"late {n}", "--assignee", "bob")
    return ["--database-url", sqlite_url, "--config", str(config_file)]


def run(options: list[str], *args: str) -> Result:
    """``recovery OPTIONS ARGS`` under CliRunner, whose output is not a terminal."""
    return CliRunner().invoke(cli, [*options, *args], catch_exceptions=False)


def assert_no_bar(result: Result) -> None:
    """Exit 0 and no trace of a progress bar on stdout or stderr."""
    assert result.exit_code == 0, result.output
    assert not [mark for mark in BAR_MARKS if mark in result.output + result.stderr], repr(result.output)


def test_a_scan_by_hand_into_a_pipe_prints_its_result_and_no_bar(due: list[str]) -> None:
    result = run(due, "sla", "scan", "--clock-start", LATER)
    assert_no_bar(result)
    assert "looked at 3 complaints" in result.output, result.output


def test_a_reward_run_into_a_pipe_shows_no_bar(due: list[str]) -> None:
    result = run(due, "rewards", "run")
    assert_no_bar(result)
    assert result.output.startswith("confirmed 0"), result.output


def test_a_purchases_import_into_a_pipe_shows_no_count(due: list[str], tmp_path: Path) -> None:
    feed = tmp_path / "orders.csv"
    feed.write_text("customer,order_id,ordered_at,amount\nann@example.com,o1,2026-11-01,12.50\n")
    result = run(due, "purchases", "import", str(feed))
    assert_no_bar(result)
    assert result.output.startswith("1 stored"), result.output


def test_at_a_terminal_the_scan_draws_a_bar_to_the_total_due(due: list[str]) -> None:
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")} | {"COLUMNS": "100"}
    argv = [sys.executable, "-m", "recovery", *due, "sla", "scan", "--clock-start", LATER]
    process = subprocess.Popen(argv, stdout=follower, stderr=follower, cwd=ROOT, env=env)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the other end closed: the process is done
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0, seen
    text = seen.decode()
    assert ("overdue scan" in text, "3/3" in text) == (True, True), repr(text)
    assert "looked at 3 complaints" in text, repr(text)
