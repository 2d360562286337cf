"""How ``run`` turns outcomes into exit codes and one-line errors; the real console script end to end."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
import pytest

from recovery.cli.runtime import print_table, run
from recovery.errors import ConflictError, StorageError, TransitionRefused

ROOT = Path(__file__).resolve().parents[2]


def group_raising(error: BaseException) -> click.Group:
    @click.group()
    def group() -> None:
        """A group with one command that fails."""

    @group.command()
    def go() -> None:
        raise error

    return group


@pytest.mark.parametrize(
    ("error", "line"),
    [
        pytest.param(ConflictError("complaint 3 was changed\nreload"), "error: complaint 3 was changed reload", id="c"),
        pytest.param(TransitionRefused("refused\nhere"), "error: refused here", id="refused"),
        pytest.param(StorageError("first\nsecond"), "error: first; second", id="storage"),
        pytest.param(click.Abort(), "aborted", id="abort"),
    ],
)
def test_expected_failures_are_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], error: BaseException, line: str
) -> None:
    assert run(group_raising(error), ["go"]) == 1
    assert capsys.readouterr().err == f"{line}\n"


def test_a_click_exception_keeps_its_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(group_raising(click.ClickException("no way")), ["go"]) == 1
    assert capsys.readouterr().err == "Error: no way\n"


def test_success_is_exit_0() -> None:
    assert run(group_raising(click.exceptions.Exit(0)), ["go"]) == 0
    assert run(group_raising(click.exceptions.Exit(3)), ["go"]) == 3


def test_an_empty_table_prints_the_empty_text(capsys: pytest.CaptureFixture[str]) -> None:
    print_table([], ["a"], empty="nothing here")
    assert capsys.readouterr().out == "nothing here\n"


def test_a_table_shows_times_to_the_minute_and_none_as_a_dash(capsys: pytest.CaptureFixture[str]) -> None:
    print_table([{"at": "2026-11-25T09:00:00Z", "who": None}], ["at", "who"])  # outside a command: UTC
    assert capsys.readouterr().out.splitlines()[-1].split() == ["2026-11-25", "09:00", "+00:00", "-"]


def test_the_console_script_refuses_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "recovery.toml"
    config.write_text(f'[workflows]\ndir = "{ROOT / "workflows"}"\n[calendar]\nholidays = []\n')
    base = [str(ROOT / ".venv" / "bin" / "recovery"), "--config", str(config)]
    env = {"PATH": "/usr/bin:/bin", "RECOVERY_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    for args in (
        ["init"],
        ["customer", "add", "ann@example.com"],
        ["complaint", "open", "--customer", "1", "--summary", "x"],
    ):
        subprocess.run([*base, *args], env=env, check=True, capture_output=True, timeout=60)
    done = subprocess.run(
        [*base, "complaint", "fire", "1", "resolve", "--by", "system"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done
    assert done.stderr == (
        "error: complaint 1: 'resolve' is not allowed from 'received'; allowed: apologize, withdraw, defect\n"
    ), done


def test_the_group_lists_its_commands_without_importing_them() -> None:
    from recovery.cli.main import COMMANDS, cli

    with click.Context(cli) as ctx:
        assert cli.list_commands(ctx) == list(COMMANDS)
        assert cli.get_command(ctx, "nope") is None


def test_a_runtime_outside_a_command_builds_its_context_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from recovery.cli.runtime import Runtime

    monkeypatch.delenv("RECOVERY_DATABASE_URL", raising=False)
    config = tmp_path / "recovery.toml"
    config.write_text(f'[workflows]\ndir = "{ROOT / "workflows"}"\n[calendar]\nholidays = []\n')
    (tmp_path / "r.db").touch()  # an empty database: only `recovery init` creates one
    runtime = Runtime(config, f"sqlite:///{tmp_path / 'r.db'}")
    assert runtime.settings is runtime.settings
    context = runtime.context(check_schema=False)
    try:
        assert runtime.context() is context
        assert context.workflows.names == ["minor", "standard", "win_back"]
    finally:
        context.db.dispose()
