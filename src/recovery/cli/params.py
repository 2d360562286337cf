"""Click parameter types for record ids and counts, so that no number typed by a user reaches the database unchecked.

Ids live in 64-bit signed columns: a number outside that range cannot name a record, so it is
answered exactly as a missing record is ("no complaint 99999999999999999999999"), not with an
OverflowError from the driver. Limits and batch sizes are bounded ranges (a usage error past them).
"""

from __future__ import annotations

from typing import Any

import click

from recovery.errors import NotFoundError

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


def _fits(digits: str) -> bool:
    # "²" is a digit to isdigit() that int() refuses; past 4,300 digits int() refuses too.
    significant = digits.lstrip("0")
    return digits.isascii() and len(significant) <= len(str(MAX_ID)) and int(significant or "0") <= MAX_ID


COMPLAINT_ID = RecordId("no complaint {}")
INBOX_ID = RecordId("no inbox event {}")
FLAG_ID = RecordId("no flag {}")
CUSTOMER_ID = RecordId("no customer {}")
CUSTOMER = CustomerRef()
