"""Click parameter types for what a user types, so that no malformed value reaches the database unchecked.

A value whose shape alone is wrong (not a period, blank where text is needed) is a usage error,
exit 2, before anything is read; a well-formed value the data refuses is the engine's answer, exit 1.

Ids live in 64-bit signed columns: a number outside that range cannot name a record, so it is
answered exactly as a missing record is ("no complaint 99999999999999999999999"), not with an
OverflowError from the driver. Limits and batch sizes are bounded ranges (a usage error past them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from recovery.errors import InvalidInputError, NotFoundError

MAX_ID = 2**63 - 1
# A listing longer than this is an export, not a screenful; a larger batch would also pass
# SQLite's 32,766 bound parameters in one IN list.
LIMIT = click.IntRange(1, 100_000)
BATCH = click.IntRange(1, 10_000)


class RecordId(click.ParamType[int]):
    """A whole number naming a record; ``missing`` (such as ``"no complaint {}"``) answers one out of range."""

    name = "id"

    def __init__(self, missing: str) -> None:
        self.missing = missing

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """The id as an int; BadParameter when it is not a whole number, NotFoundError when it cannot exist."""
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            try:
                number = int(text)
            except ValueError:
                if text.lstrip("+-").isdigit():  # more digits than int() accepts: a number, just far too large
                    raise NotFoundError(self.missing.format(text)) from None
                self.fail(f"{value!r} is not a whole number", param, ctx)
        if not -MAX_ID - 1 <= number <= MAX_ID:
            raise NotFoundError(self.missing.format(number))
        return number


class CustomerRef(click.ParamType[str]):
    """A customer id or email, as ``find_customer`` takes it; an id out of range is answered as a missing one."""

    name = "customer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """The reference unchanged; NotFoundError for digits that cannot be a stored id."""
        text = str(value).strip()
        if text.isdigit() and not _fits(text):
            raise NotFoundError(f"no customer {text!r} (give an id or an email)")
        return str(value)


class Period(click.ParamType[str]):
    """A month as ``YYYY-MM``, as the rewards ledger keeps periods."""

    name = "period"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """The period unchanged; a usage error naming the format otherwise."""
        from recovery.core.rewards import check_period  # imported on use: --help stays fast

        try:
            return check_period(str(value).strip())
        except ValueError:
            self.fail(f"expected YYYY-MM such as 2026-11, got {value!r}", param, ctx)


class Text(click.ParamType[str]):
    """Text that says something: blank or whitespace-only is a usage error (``--reason ''``)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """The text unchanged; a usage error when it is blank."""
        text = str(value)
        if not text.strip():
            self.fail("must not be blank", param, ctx)
        return text


@contextmanager
def typed_values() -> Iterator[None]:
    """Around a use case whose InvalidInputError can only be about the values typed: answer it as bad usage (exit 2)."""
    try:
        yield
    except InvalidInputError as exc:
        raise click.UsageError(str(exc), click.get_current_context(silent=True)) from exc


def _fits(digits: str) -> bool:
    # "²" is a digit to isdigit() that int() refuses; past 4,300 digits int() refuses too.
    significant = digits.lstrip("0")
    return digits.isascii() and len(significant) <= len(str(MAX_ID)) and int(significant or "0") <= MAX_ID


COMPLAINT_ID = RecordId("no complaint {}")
INBOX_ID = RecordId("no inbox event {}")
FLAG_ID = RecordId("no flag {}")
CUSTOMER_ID = RecordId("no customer {}")
CUSTOMER = CustomerRef()
PERIOD = Period()
TEXT = Text()
