"""Every input a user can get wrong ends in one line on stderr and exit 1 (2 for bad usage), never a traceback."""

from __future__ import annotations

from collections.abc import Callable
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
        pytest.param(["flag", "list", "--customer", BIG], f"no customer {BIG}", id="flag-list"),
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
