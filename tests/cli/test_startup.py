"""Commands that only read pay only for what they read: no holiday tables, no migrations, no YAML.

Each run is a real process, so that the imports counted are the command's own (``-X importtime``).
benchmarks/bench_startup.py measures the time itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READERS = [["complaint", "list"], ["complaint", "show", "1"], ["status"]]


def recovery(config: Path, *args: str, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    """``python -m recovery --config CONFIG ARGS`` in a process of its own, without the caller's RECOVERY_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    flags = ["-X", "importtime"] if importtime else []
    argv = [sys.executable, *flags, "-m", "recovery", "--config", str(config), *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=True, timeout=60)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one complaint, and a calendar with a country's holidays (the costly kind)."""
    folder = tmp_path_factory.mktemp("startup")
    path = folder / "recovery.toml"
    path.write_text('[database]\nurl = "sqlite:///recovery.db"\n[calendar]\nholidays = "NL"\n')
    recovery(path, "init")
    recovery(path, "customer", "add", "jo@example.com", "--name", "Jo")
    recovery(path, "complaint", "open", "--customer", "jo@example.com", "--summary", "cold soup")
    return path


def imported(config: Path, args: list[str]) -> set[str]:
    """The modules the command imported, by their full names."""
    found = recovery(config, *args, importtime=True)
    return {line.split("|")[-1].strip() for line in found.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_reading_command_imports_neither_holidays_nor_alembic_nor_yaml(config: Path, args: list[str]) -> None:
    modules = imported(config, args)
    assert "sqlalchemy" in modules, sorted(modules)
    costly = {m.split(".")[0] for m in modules} & {"holidays", "alembic", "yaml"}
    assert not costly, f"{' '.join(args)} imported {sorted(costly)}"


def test_opening_a_complaint_reads_the_holidays_it_computes_with(config: Path) -> None:
    modules = imported(config, ["complaint", "open", "--customer", "jo@example.com", "--summary", "late"])
    assert {"holidays", "yaml"} <= {m.split(".")[0] for m in modules}


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_reading_command_loads_no_writer_no_pydantic_and_no_postgresql_dialect(config: Path, args: list[str]) -> None:
    modules = imported(config, args)
    loaded = {
        "pydantic",
        "pydantic_settings",
        "transitions",
        "sqlalchemy.dialects.postgresql",
        "recovery.engine.complaints",
    }
    assert not modules & loaded, f"{' '.join(args)} imported {sorted(modules & loaded)}"


# What each reading command leaves out since the figures of 1.50-1.71x (the README's start-up section).
LEFT_OUT = {
    "complaint list": {
        "tabulate",  # the CLI draws its own tables (cli/table.py)
        "recovery.store.schema_retention",  # the retention half of the schema, declared on first use
        "recovery.cli.complaint_steps",  # the step commands, added when one runs
        "recovery.core.commands",
        "recovery.core.workflow",  # the workflow parser: a listing reads no rules
        "recovery.engine.prescriptions",
        "recovery.engine.value",
        "recovery.engine.customer_queries",
    },
    "complaint show 1": {"tabulate", "recovery.cli.complaint_steps", "recovery.core.commands"},
    "status": {
        "tabulate",
        "recovery.cli.complaint",
        "recovery.core.commands",
        "recovery.core.workflow",
        "recovery.engine.prescriptions",
    },
}


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_reading_command_leaves_out_what_it_does_not_run(config: Path, args: list[str]) -> None:
    modules = imported(config, args)
    loaded = modules & LEFT_OUT[" ".join(args)]
    assert not loaded, f"{' '.join(args)} imported {sorted(loaded)}"
