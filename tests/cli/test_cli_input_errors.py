"""Every input a user can get wrong ends in one line on stderr and exit 1 (2 for bad usage), never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Recovery = Callable[..., Any]  # fixtures of tests/cli/conftest.py
ErrorLine = Callable[[Any], str]
BIG = "99999999999999999999999"  # past the 64-bit signed range of every id column


@pytest.mark.parametrize(
    ("args", "line"),
    [
        pytest.param(["complaint", "show", BIG], f"no complaint {BIG}", id="complaint-show"),
        pytest.param(["complaint", "history", BIG], f"no complaint {BIG}", id="complaint-history"),
        pytest.param(["complaint", "fire", BIG, "apologize"], f"no complaint {BIG}", id="complaint-fire"),
        pytest.param(["complaint", "pause", BIG, "--reason", "other"], f"no complaint {BIG}", id="complaint-pause"),
        pytest.param(["complaint", "resume", BIG], f"no complaint {BIG}", id="complaint-resume"),
        pytest.param(["customer", "show", BIG], f"no customer '{BIG}' (give an id or an email)", id="customer-show"),
        pytest.param(
            ["complaint", "open", "--customer", BIG, "--summary", "late"],
            f"no customer '{BIG}' (give an id or an email)",
            id="complaint-open",
        ),
        pytest.param(["inbox", "show", BIG], f"no inbox event {BIG}", id="inbox-show"),
        pytest.param(["inbox", "retry", BIG], f"no inbox event {BIG}", id="inbox-retry"),
        pytest.param(["flag", "confirm", BIG, "--by", "bob"], f"no flag {BIG}", id="flag-confirm"),
        pytest.param(
            ["flag", "list", "--customer", BIG], f"no customer '{BIG}' (give an id or an email)", id="flag-list"
        ),
        pytest.param(["customer", "show", "²"], "no customer '²' (give an id or an email)", id="superscript-digit"),
    ],
)
def test_an_id_out_of_range_is_no_such_record(
    recovery: Recovery, error_line: ErrorLine, args: list[str], line: str
) -> None:
    result = recovery(*args)
    assert result.code == 1, result
    assert error_line(result) == f"error: {line}"


@pytest.mark.parametrize(
    "args",
    [["complaint", "show"], ["complaint", "history"], ["inbox", "show"], ["customer", "show"]],
    ids=lambda a: "-".join(a),
)
def test_an_id_out_of_range_is_answered_like_a_missing_one(
    recovery: Recovery, error_line: ErrorLine, args: list[str]
) -> None:
    missing = error_line(recovery(*args, "999"))
    assert error_line(recovery(*args, BIG)) == missing.replace("999", BIG)


def test_an_id_that_is_not_a_number_is_bad_usage(recovery: Recovery, error_line: ErrorLine) -> None:
    result = recovery("complaint", "show", "abc")
    assert result.code == 2, result
    assert error_line(result).startswith("error: Invalid value for 'COMPLAINT_ID': 'abc' is not a whole number"), result


@pytest.mark.parametrize(
    ("args", "option", "bound"),
    [
        pytest.param(["complaint", "list", "--limit", BIG], "--limit", "1<=x<=100000", id="complaint-list"),
        pytest.param(["customer", "list", "--limit", BIG], "--limit", "1<=x<=100000", id="customer-list"),
        pytest.param(["inbox", "list", "--limit", BIG], "--limit", "1<=x<=100000", id="inbox-list"),
        pytest.param(["flag", "list", "--limit", BIG], "--limit", "1<=x<=100000", id="flag-list"),
        pytest.param(["sla", "scan", "--batch", BIG], "--batch", "1<=x<=10000", id="sla-scan"),
        pytest.param(["rewards", "run", "--batch", BIG], "--batch", "1<=x<=10000", id="rewards-run"),
    ],
)
def test_a_limit_or_batch_out_of_range_is_bad_usage(
    recovery: Recovery, error_line: ErrorLine, args: list[str], option: str, bound: str
) -> None:
    result = recovery(*args)
    assert result.code == 2, result
    assert error_line(result).startswith(f"error: Invalid value for '{option}': {BIG} is not in the range {bound}.")


@pytest.mark.parametrize("args", [["init"], ["status"]], ids=["init", "status"])
def test_a_database_url_of_no_known_kind(bare: Recovery, error_line: ErrorLine, args: list[str]) -> None:
    result = bare(*args, database_url="foo://bar")
    assert result.code == 1, result
    assert error_line(result) == (
        "error: database.url: foo://bar: no driver for 'foo'; use sqlite:///PATH or postgresql+psycopg://USER@HOST/NAME"
    )


def test_a_database_driver_that_is_not_installed(bare: Recovery, error_line: ErrorLine) -> None:
    result = bare("init", database_url="mysql://ann:secret@db/recovery")
    assert result.code == 1, result
    assert error_line(result).startswith("error: database.url: mysql://ann:***@db/recovery: no driver for 'mysql'")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        pytest.param(["init"], "error: cannot use the database /proc/x.db: unable to open database file", id="init"),
        pytest.param(["status"], "error: no database at /proc/x.db: run `recovery init`", id="status"),
    ],
)
def test_an_sqlite_file_that_cannot_be_created(
    bare: Recovery, error_line: ErrorLine, args: list[str], line: str
) -> None:
    result = bare(*args, database_url="sqlite:////proc/x.db")  # /proc takes no new files, even from root
    assert result.code == 1, result
    assert error_line(result) == line


def test_an_sqlite_file_whose_directory_cannot_be_made(bare: Recovery, error_line: ErrorLine, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file, not a directory")
    path = tmp_path / "plain" / "recovery.db"
    result = bare("init", database_url=f"sqlite:///{path}")
    assert result.code == 1, result
    assert error_line(result) == f"error: cannot create the directory of the database {path}: File exists"


def test_an_sqlite_file_that_cannot_be_written(
    recovery: Recovery, error_line: ErrorLine, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # connect() makes the "directory" of "file:…" relative to here
    path = sqlite_url.removeprefix("sqlite:///")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"  # refused writes, as a read-only file would be
    assert recovery("customer", "list", database_url=read_only).code == 0  # reading still works
    result = recovery("customer", "add", "ann@example.com", database_url=read_only)
    assert result.code == 1, result
    assert error_line(result) == f"error: cannot use the database file:{path}: attempt to write a readonly database"


def test_a_file_that_is_not_a_database(bare: Recovery, error_line: ErrorLine, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 100)
    result = bare("init", database_url=f"sqlite:///{path}")
    assert result.code == 1, result
    assert error_line(result) == f"error: cannot use the database {path}: file is not a database"


def test_an_unreachable_server_is_named_without_its_password(bare: Recovery, error_line: ErrorLine) -> None:
    result = bare("init", database_url="postgresql+psycopg://ann:secret@127.0.0.1:1/none")
    assert result.code == 1, result
    line = error_line(result)
    assert line.startswith("error: cannot use the database postgresql+psycopg://ann:***@127.0.0.1:1/none: "), line
    assert "secret" not in line


# Workflow files that used to validate and then crash, or never come back.
def test_validate_refuses_a_yaml_bomb(bare: Recovery, error_line: ErrorLine, tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    lol = '["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'
    nine = ", ".join(["*a"] * 9)
    path.write_text(f"name: bomb\nversion: 1\ndescription:\n  a: &a {lol}\n  b: &b [{nine}]\n")
    result = bare("workflow", "validate", str(path))
    assert result.code == 1, result
    assert error_line(result) == f"error: {path}: line 5: YAML aliases (*a) are not allowed in a workflow file"


def test_validate_refuses_dev_zero(bare: Recovery, error_line: ErrorLine) -> None:
    result = bare("workflow", "validate", "/dev/zero")
    assert result.code == 1, result
    assert error_line(result) == (
        "error: /dev/zero: not a regular file (a workflow cannot be a directory, device or pipe)"
    )


def test_validate_refuses_a_final_response_of_a_million_years(
    bare: Recovery, error_line: ErrorLine, tmp_path: Path
) -> None:
    standard = Path(__file__).resolve().parents[2] / "workflows" / "standard.yaml"
    path = tmp_path / "standard.yaml"
    path.write_text(standard.read_text().replace("final_response: 8w", "final_response: 52000000w"))
    result = bare("workflow", "validate", str(path))
    assert result.code == 1, result
    assert error_line(result) == (
        f"error: {path}: final_response: duration '52000000w' is too long: "
        "at most 10 years (3650d, 521w; in business time 2600bd or 20800bh)"
    )
