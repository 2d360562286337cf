"""Run ``recovery`` in-process on a SQLite file of the test's own, with a config file of its own."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from recovery.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Outcome:
    """What one run printed and how it ended."""

    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}--- stderr\n{self.err}"


Recovery = Callable[..., Outcome]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No RECOVERY_* variable of the developer's shell may leak into a test."""
    for name in list(os.environ):
        if name.startswith("RECOVERY_"):
            monkeypatch.delenv(name)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A config with the shipped workflows and no holidays."""
    path = tmp_path / "recovery.toml"
    path.write_text(f'[workflows]\ndir = "{ROOT / "workflows"}"\n[calendar]\nholidays = []\n')
    return path


@pytest.fixture
def bare(sqlite_url: str, config_file: Path, capsys: pytest.CaptureFixture[str]) -> Recovery:
    """``recovery …`` on a database that does not exist yet."""

    def run(*args: str, database_url: str = sqlite_url) -> Outcome:
        capsys.readouterr()
        code = main(["--database-url", database_url, "--config", str(config_file), *args])
        out, err = capsys.readouterr()
        return Outcome(code, out, err)

    return run


@pytest.fixture
def recovery(bare: Recovery) -> Recovery:
    """``recovery …`` on an initialised database."""
    assert bare("init").code == 0
    return bare


@pytest.fixture
def shop(recovery: Recovery) -> Recovery:
    """An initialised database with customer 1 (ann@example.com) and staff member bob."""
    assert recovery("customer", "add", "ann@example.com", "--name", "Ann").code == 0
    assert recovery("staff", "add", "bob", "--name", "Bob").code == 0
    return recovery


def one_error_line(result: Outcome) -> str:
    """The single stderr line of a failed run (asserting there is exactly one and no traceback)."""
    assert "Traceback" not in result.err, result
    lines = result.err.splitlines()
    assert len(lines) == 1, result
    return lines[0]


@pytest.fixture
def error_line() -> Callable[[Outcome], str]:
    return one_error_line
