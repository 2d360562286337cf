"""``recovery init``, ``recovery status``, the group itself, and how errors come out."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Recovery = Callable[..., Any]  # the ``recovery`` fixture of tests/cli/conftest.py
Outcome = Any

ROOT = Path(__file__).resolve().parents[2]


def test_init_creates_the_database(bare: Recovery, tmp_path: Path) -> None:
    result = bare("init")
    assert (result.code, result.err) == (0, ""), result
    assert result.out.startswith("database ready: sqlite:///"), result
    assert (tmp_path / "recovery.db").exists()


def test_init_twice_is_harmless(recovery: Recovery) -> None:
    result = recovery("init")
    assert result.code == 0, result


def test_init_on_postgresql(bare: Recovery, postgres_url: str) -> None:
    result = bare("init", database_url=postgres_url)
    assert result.code == 0, result
    assert bare("status", "--json", database_url=postgres_url).code == 0


def test_a_command_before_init_says_to_run_init(
    bare: Recovery, error_line: Callable[[Outcome], str], tmp_path: Path
) -> None:
    result = bare("status")
    assert result.code == 1, result
    assert error_line(result) == f"error: no database at {tmp_path / 'recovery.db'}: run `recovery init`"
    assert not (tmp_path / "recovery.db").exists()


def test_status_on_an_empty_database(recovery: Recovery) -> None:
    result = recovery("status")
    assert result.code == 0, result
    assert "no complaints yet" in result.out, result
    assert "last tick: never" in result.out, result


def test_status_json_has_the_documented_keys(shop: Recovery) -> None:
    shop("complaint", "open", "--customer", "1", "--summary", "late", "--assignee", "bob")
    result = shop("status", "--json")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert {"complaints", "overdue", "outbox", "last_tick"} <= set(data), result
    assert {"pending", "dead"} <= set(data["outbox"]), result
    assert (data["complaints"], data["outbox"]["pending"], data["last_tick"]) == ({"received": 1}, 1, None)


def test_status_table_counts_by_state(shop: Recovery) -> None:
    shop("complaint", "open", "--customer", "1", "--summary", "late")
    result = shop("status")
    assert "received" in result.out, result
    assert "outbox: 0 pending, 0 dead, 0 sent" in result.out, result


def test_help_lists_every_command(bare: Recovery) -> None:
    result = bare("--help")
    assert result.code == 0, result
    for command in ("init", "status", "customer", "staff", "complaint", "workflow"):
        assert f"  {command}" in result.out, result


def test_an_unknown_command_is_bad_usage_on_one_line(bare: Recovery, error_line: Callable[[Outcome], str]) -> None:
    result = bare("bogus")
    assert result.code == 2, result
    assert error_line(result) == "error: No such command 'bogus'. (see `recovery --help`)"


def test_version(bare: Recovery) -> None:
    result = bare("--version")
    assert (result.code, result.out.startswith("recovery, version ")) == (0, True), result


def test_a_bad_config_names_the_key(bare: Recovery, config_file: Path, error_line: Callable[[Outcome], str]) -> None:
    config_file.write_text('[calendar]\nhours = "9-5"\n')
    result = bare("status")
    assert result.code == 1, result
    assert error_line(result).startswith(f"error: {config_file}: calendar.hours: expected opening hours as HH:MM-HH:MM")


def top_level_imports(*args: str) -> set[str]:
    """The top-level packages ``python -m recovery ARGS`` imports (from ``-X importtime``)."""
    found = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "recovery", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    return {line.split("|")[-1].strip().split(".")[0] for line in found.stderr.splitlines() if "|" in line}


def test_help_imports_neither_the_database_nor_the_web_stack() -> None:
    imported = top_level_imports("--help")
    assert "recovery" in imported, sorted(imported)
    heavy = {"sqlalchemy", "starlette", "uvicorn", "alembic", "apscheduler", "numpy", "scipy"}
    assert imported.isdisjoint(heavy), sorted(imported)


def test_complaint_list_imports_no_purchase_model_library(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'recovery.db'}"
    subprocess.run([sys.executable, "-m", "recovery", "--database-url", url, "init"], cwd=ROOT, check=True, timeout=60)
    imported = top_level_imports("--database-url", url, "complaint", "list")
    assert "sqlalchemy" in imported, sorted(imported)
    assert imported.isdisjoint({"numpy", "scipy"}), sorted(imported)


@pytest.mark.parametrize("args", [["complaint", "--help"], ["workflow", "graph", "--help"]])
def test_subcommand_help_works(bare: Recovery, args: list[str]) -> None:
    result = bare(*args)
    assert (result.code, "Usage: recovery" in result.out) == (0, True), result
