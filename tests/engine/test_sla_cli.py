"""``recovery sla scan [--dry-run]`` in-process: what it prints and what it changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from recovery.cli.main import cli
from recovery.engine.context import Context
from recovery.engine.people import add_staff
from recovery.store.schema import complaints

ROOT = Path(__file__).resolve().parents[2]
LATE = "2026-11-26T09:00:00+00:00"  # past the second escalation level of a complaint opened at T0


@pytest.fixture
def run(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Run ``recovery --database-url URL ARGS`` from the project folder; return stdout, asserting exit 0."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("RECOVERY_CONFIG", raising=False)
    url = ctx.db.url.render_as_string(hide_password=False)

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--database-url", url, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


@pytest.fixture
def late(ctx: Context, open_one: Callable[..., int]) -> int:
    add_staff(ctx, "ann", "Ann", "ann@example.com")
    add_staff(ctx, "lena", "Lena", None, "lead")
    return open_one(assignee="ann")


def level_of(ctx: Context, complaint: int) -> int:
    with ctx.read() as connection:
        return int(
            connection.execute(select(complaints.c.escalation_level).where(complaints.c.id == complaint)).scalar()
        )


def test_a_dry_run_lists_the_escalations_and_changes_nothing(ctx: Context, late: int, run: Callable[..., str]) -> None:
    output = run("sla", "scan", "--dry-run", "--clock-start", LATE)

    assert "escalate" in output
    assert "ann, lena" in output
    assert "would do: escalate 1 (looked at 1 complaints)\ndry run: nothing was changed" in output
    assert level_of(ctx, late) == 0


def test_a_scan_escalates_and_says_what_it_did(ctx: Context, late: int, run: Callable[..., str]) -> None:
    output = run("sla", "scan", "--clock-start", LATE)

    assert output.strip() == "done: escalate 1 (looked at 1 complaints)"
    assert level_of(ctx, late) == 2


def test_a_scan_reports_json(ctx: Context, late: int, run: Callable[..., str]) -> None:
    report = json.loads(run("sla", "scan", "--json", "--batch", "1", "--clock-start", LATE))

    assert (report["dry_run"], report["escalate"], report["batches"], report["actions"]) == (False, 1, 1, None)


def test_a_scan_with_nothing_due_says_so(ctx: Context, run: Callable[..., str]) -> None:
    assert run("sla", "scan", "--dry-run").splitlines() == [
        "nothing is due",
        "would do: nothing to do (looked at 0 complaints)",
        "dry run: nothing was changed",
    ]
