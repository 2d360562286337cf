"""``recovery`` run from a directory outside the checkout, with the platform's own config and data dirs.

HOME and the XDG directories point into the test's tmp dir, so platformdirs finds
``<tmp>/config/recovery/recovery.toml`` and ``<tmp>/data/recovery/recovery.db`` on Linux.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.conftest import Outcome
from recovery.cli.main import main
from recovery.config import load_settings, shipped_workflows
from recovery.store.database import HEAD

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Place:
    """Where a user runs ``recovery`` from, and where the platform keeps its config and data."""

    cwd: Path
    config_dir: Path  # the user's config dir for recovery
    data_dir: Path  # the user's data dir for recovery

    @property
    def database(self) -> Path:
        return self.data_dir / "recovery.db"


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Place:
    """A working directory with no config/ in it, and HOME and the XDG dirs inside the test's tmp dir."""
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert ROOT not in (cwd, *cwd.parents)  # outside the checkout
    return Place(cwd, tmp_path / "config" / "recovery", tmp_path / "data" / "recovery")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
    """``recovery ARGS`` in-process, with no --config or --database-url."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return Outcome(code, out, err)


def test_init_then_list_with_the_shipped_workflows(place: Place, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "init")
    assert result.code == 0, result
    assert result.out == f"database ready: sqlite:///{place.database}\n", result
    listed = run(capsys, "complaint", "list", "--json")
    assert (listed.code, json.loads(listed.out)) == (0, []), listed
    workflows = run(capsys, "workflow", "list", "--json")
    assert [w["name"] for w in json.loads(workflows.out)] == ["minor", "standard", "win_back"], workflows
    assert list(place.cwd.iterdir()) == [], "nothing is written to the working directory"


def test_a_complaint_walks_from_anywhere(place: Place, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init").code == 0
    assert run(capsys, "staff", "add", "ann", "--name", "Ann").code == 0
    assert run(capsys, "customer", "add", "jo@example.com").code == 0
    opened = run(capsys, "complaint", "open", "--customer", "jo@example.com", "--summary", "cold soup")
    assert opened.code == 0, opened
    fired = run(capsys, "complaint", "fire", "1", "apologize", "--by", "ann")
    assert fired.code == 0, fired
    shown = run(capsys, "complaint", "show", "1", "--json")
    assert json.loads(shown.out)["state"] == "apologized", shown


def test_status_before_init_names_the_database_and_creates_nothing(
    place: Place, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(capsys, "status")
    assert result.code == 1, result
    assert result.err == f"error: no database at {place.database}: run `recovery init`\n", result
    assert not place.data_dir.exists()
    assert list(place.cwd.iterdir()) == []


def test_an_old_schema_names_the_database(place: Place, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init").code == 0
    with sqlite3.connect(place.database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0000'")
    connection.close()
    result = run(capsys, "complaint", "list")
    assert result.code == 1, result
    assert result.err == (
        f"error: {place.database}: the database schema is at 0000, this version needs {HEAD}: run `recovery init`\n"
    ), result


def test_a_server_database_without_a_schema_is_named_without_its_password(
    place: Place, capsys: pytest.CaptureFixture[str], postgres_url: str
) -> None:
    # PostgreSQL here trusts local connections, so a password in the URL is accepted and ignored.
    url = postgres_url.replace("://postgres@", "://postgres:hunter2@")
    assert url != postgres_url
    result = run(capsys, "--database-url", url, "status")
    assert result.code == 1, result
    shown = postgres_url.replace("://postgres@", "://postgres:***@")
    assert result.err == f"error: {shown}: the database has no schema yet: run `recovery init`\n", result


def test_the_user_config_is_read_and_its_paths_are_beside_it(place: Place, capsys: pytest.CaptureFixture[str]) -> None:
    place.config_dir.mkdir(parents=True)
    (place.config_dir / "recovery.toml").write_text('[database]\nurl = "sqlite:///db/mine.db"\n')
    result = run(capsys, "init")
    assert result.code == 0, result
    assert (place.config_dir / "db" / "mine.db").is_file()
    assert not place.database.exists()


def test_a_relative_workflows_dir_resolves_next_to_the_config_file(
    place: Place, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "settings"
    (settings / "flows").mkdir(parents=True)
    shutil.copy(shipped_workflows() / "minor.yaml", settings / "flows" / "minor.yaml")
    config = settings / "recovery.toml"
    config.write_text('[workflows]\ndir = "flows"\ndefault = "minor"\n[daemon]\nlock_file = "run/daemon.lock"\n')
    for how in (["--config", str(config)], ["--config", os.path.relpath(config)]):
        result = run(capsys, *how, "workflow", "list", "--json")
        assert result.code == 0, result
        assert [w["name"] for w in json.loads(result.out)] == ["minor"], result
    assert load_settings(Path(os.path.relpath(config))).daemon.lock_file == settings / "run" / "daemon.lock"


def test_a_config_dir_in_the_working_directory_comes_before_the_users(
    place: Place, capsys: pytest.CaptureFixture[str]
) -> None:
    # What keeps a checkout's own config/recovery.toml (and so `make run`) in use from the checkout.
    (place.cwd / "config").mkdir()
    (place.cwd / "config" / "recovery.toml").write_text('[database]\nurl = "sqlite:///../var/here.db"\n')
    place.config_dir.mkdir(parents=True)
    (place.config_dir / "recovery.toml").write_text('[database]\nurl = "sqlite:///theirs.db"\n')
    assert run(capsys, "init").code == 0
    assert (place.cwd / "var" / "here.db").is_file()
    assert not (place.config_dir / "theirs.db").exists()


def test_an_environment_database_url_is_read_from_the_working_directory(
    place: Place, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the Makefile's RECOVERY_DATABASE_URL=sqlite:///var/recovery.db: like any command-line path.
    monkeypatch.setenv("RECOVERY_DATABASE_URL", "sqlite:///var/recovery.db")
    assert run(capsys, "init").code == 0
    assert (place.cwd / "var" / "recovery.db").is_file()


def test_the_installed_command_works_from_another_directory(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "recovery"  # the venv's console script
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {name: value for name, value in os.environ.items() if not name.startswith("RECOVERY_")}
    env |= {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "c"),
        "XDG_DATA_HOME": str(tmp_path / "d"),
    }

    def recovery(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(command), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    before = recovery("status")
    assert before.returncode == 1, before
    assert f"no database at {tmp_path / 'd' / 'recovery' / 'recovery.db'}" in before.stderr, before
    for args in (["init"], ["customer", "add", "jo@example.com"], ["complaint", "list"], ["status"]):
        done = recovery(*args)
        assert done.returncode == 0, (args, done)
    assert list(cwd.iterdir()) == []


@pytest.mark.slow
def test_the_wheel_carries_the_shipped_workflows_and_the_licence(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ behind
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    constraints = ROOT / "requirements" / "constraints.txt"
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--quiet", "-w", str(tmp_path)]
    built = subprocess.run(
        [*command, "--build-constraint", str(constraints)], capture_output=True, text=True, timeout=600, check=False
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("recovery-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"recovery/workflows/{path.name}" for path in shipped_workflows().glob("*.yaml")}
    assert shipped == {
        "recovery/workflows/minor.yaml",
        "recovery/workflows/standard.yaml",
        "recovery/workflows/win_back.yaml",
    }
    assert shipped <= names, sorted(names)
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), sorted(names)
