"""The purchase feed: rows of what customers bought, stored once per (source, order, kind), in chunks.

A file is imported in one transaction, a chunk of rows at a time (constant memory): customers are
matched by email or by their id in the feed's source, and unknown ones are added; a bad row is
reported by its line and refuses the whole file unless bad rows are to be skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import islice
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from recovery.core.values import moment_problem, text_problem
from recovery.engine import winback
from recovery.engine.context import Context
from recovery.engine.people import normalise_email
from recovery.errors import InvalidInputError
from recovery.store.schema import customers, purchases
from recovery.store.sql import chunks, insert_ignoring_duplicates, insert_many

FIELDS = ("customer", "order_id", "ordered_at", "amount", "currency")
REQUIRED = FIELDS[:4]
CHUNK = 5000
AMOUNT_MAX = Decimal(10) ** 12  # purchases.amount is NUMERIC(14, 2)
NO_EMAIL = "invalid"  # customers known only by a feed id get <id>@<source>.invalid: the reserved TLD says so
REPORTED = 20  # bad rows named in the error; the rest are counted
NAME_MAX = 200  # customer references and order ids, as wide as their columns
KNOWN_MAX = 200_000  # customer ids remembered during one import


class Purchase(NamedTuple):
    """One valid row of a feed (a tuple: a frozen dataclass took most of a row's parsing time)."""

    line: int
    customer: str
    order_id: str
    ordered_at: datetime
    day: date  # the business's local day of ordered_at: the models count purchase-days
    amount: Decimal
    currency: str | None


@dataclass
class ImportReport:
    """What one import did: rows read, purchases and refunds stored, duplicates, customers added, bad rows."""

    rows: int = 0
    stored: int = 0
    refunds: int = 0
    duplicates: int = 0
    customers_added: int = 0
    bad: list[str] = field(default_factory=list)
    bad_count: int = 0
    won_back: int = 0  # open win-back cases closed by a purchase of this import

    def summary(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "rows": self.rows,
            "stored": self.stored,
            "refunds": self.refunds,
            "duplicates": self.duplicates,
            "customers_added": self.customers_added,
            "bad_rows": self.bad_count,
            "bad": self.bad,
            "cases_won_back": self.won_back,
        }


def import_rows(
    ctx: Context,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    source: str = "file",
    skip_bad: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store every valid (line, row) of a feed; InvalidInputError naming the bad lines unless ``skip_bad``."""
    report = ImportReport()
    tz = ctx.calendar.tz
    known: dict[str, int] = {}
    with ctx.db.begin() as connection:
        for chunk in _chunked(_parsed(rows, tz, report), CHUNK):
            store_purchases(connection, chunk, source, ctx.clock.now(), report, known)
            if progress is not None:
                progress(report.rows)
        if report.bad_count and not skip_bad:
            connection.rollback()
            more = f" and {report.bad_count - len(report.bad)} more" if report.bad_count > len(report.bad) else ""
            raise InvalidInputError(
                f"{report.bad_count} bad row(s), nothing imported (--skip-bad imports the rest): "
                + "; ".join(report.bad)
                + more
            )
        report.won_back = winback.confirm_won_back(ctx, connection)
    return report


def _parsed(rows: Iterable[tuple[int, Mapping[str, Any]]], tz: ZoneInfo, report: ImportReport) -> Iterator[Purchase]:
    for line, row in rows:
        report.rows += 1
        try:
            yield parse_row(line, row, tz)
        except InvalidInputError as exc:
            report.bad_count += 1
            if len(report.bad) < REPORTED:
                report.bad.append(f"line {line}: {exc}")


def parse_row(line: int, row: Mapping[str, Any], tz: ZoneInfo) -> Purchase:
    """One feed row as a Purchase; InvalidInputError names the field that is wrong."""
    # Written for a million rows: plain locals, and the general checks only when a cheap one fails.
    get = row.get
    customer = _text(get("customer"))
    order_id = _text(get("order_id"))
    ordered_at = _text(get("ordered_at"))
    amount = _text(get("amount"))
    currency = _text(get("currency"))
    if not (customer and order_id and ordered_at and amount):
        _missing(customer, order_id, ordered_at, amount)
    joined = customer + order_id + ordered_at + amount + currency
    if not joined.isascii() or "\x00" in joined:
        _check_texts(customer, order_id, ordered_at, amount, currency)
    if "@" in customer:
        customer = normalise_email(customer)
    elif len(customer) > NAME_MAX:
        _limited("customer", customer, NAME_MAX)
    if len(order_id) > NAME_MAX:
        _limited("order_id", order_id, NAME_MAX)
    moment, day = _moment(ordered_at, tz)
    return Purchase(
        line,
        customer,
        order_id,
        moment,
        day,
        _amount(amount),
        _currency(currency) if currency else None,
    )


def _text(raw: Any) -> str:
    return "" if raw is None else str(raw).strip()


def _missing(*values: str) -> None:
    for name, value in zip(REQUIRED, values, strict=True):
        if not value:
            raise InvalidInputError(f"{name}: missing")


def _check_texts(*values: str) -> None:
    """Name the field holding a NUL or a lone surrogate, if any (non-ASCII text is otherwise fine)."""
    for name, value in zip(FIELDS, values, strict=True):
        problem = text_problem(value)
        if problem is not None:
            raise InvalidInputError(f"{name}: {problem}")


def _limited(name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise InvalidInputError(f"{name}: at most {limit} characters, got {len(value)}")
    return value


@lru_cache(maxsize=4096)  # a feed repeats its days and times: each is parsed once
def _moment(text: str, tz: ZoneInfo) -> tuple[datetime, date]:
    """An ISO 8601 date (the business's local midnight) or date-time with an offset: aware UTC and the local day."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
        elif len(text) == 8 and text.isdigit():  # 19970101, as many exports write it
            day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise InvalidInputError(f"ordered_at: a time needs its UTC offset: {text[:40]!r}")
            _check_year(moment)
            return moment.astimezone(UTC), moment.astimezone(tz).date()
    except ValueError:
        raise InvalidInputError(f"ordered_at: not a date or time: {text[:40]!r}") from None
    moment = datetime.combine(day, time(0), tz)
    _check_year(moment)
    return moment.astimezone(UTC), day


def _check_year(moment: datetime) -> None:
    problem = moment_problem(moment)
    if problem is not None:
        raise InvalidInputError(f"ordered_at: {problem}")


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidInputError(f"amount: not a number: {text[:40]!r}") from None
    if not amount.is_finite() or abs(amount) >= AMOUNT_MAX:
        raise InvalidInputError(f"amount: a finite number below {AMOUNT_MAX:,} is needed, got {text[:40]!r}")
    return amount.quantize(Decimal("0.01"))


def _currency(text: str) -> str | None:
    if not text:
        return None
    if len(text) != 3 or not text.isalpha():
        raise InvalidInputError(f"currency: a three-letter code such as EUR, got {text[:20]!r}")
    return text.upper()


def _chunked(items: Iterable[Purchase], size: int) -> Iterator[list[Purchase]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


COLUMNS = ("customer_id", "source", "order_id", "kind", "ordered_at", "amount", "currency", "imported_at", "day")


def store_purchases(
    connection: Connection,
    chunk: list[Purchase],
    source: str,
    now: datetime,
    report: ImportReport,
    known: dict[str, int] | None = None,
) -> None:
    """Store a chunk of purchases from ``source`` (adding unknown customers), skipping orders already stored.

    ``known`` caches customer ids by reference across the chunks of one import (one transaction).
    """
    ids = _customers(connection, {p.customer for p in chunk}, source, now, report, {} if known is None else known)
    rows = [
        (
            ids[p.customer],
            source,
            p.order_id,
            "refund" if p.amount < 0 else "purchase",
            p.ordered_at,
            p.amount,
            p.currency,
            now,
            p.day,
        )
        for p in chunk
    ]
    stored = insert_many(connection, purchases, COLUMNS, rows, ignore_duplicates=True)
    report.stored += stored
    report.duplicates += len(rows) - stored
    report.refunds += sum(1 for p in chunk if p.amount < 0)


def _customers(
    connection: Connection, refs: set[str], source: str, now: datetime, report: ImportReport, known: dict[str, int]
) -> dict[str, int]:
    """Customer ids by the feed's reference: an email, or the customer's id in ``source``; unknown ones added."""
    if len(known) > KNOWN_MAX:  # a cache, not a copy of the customers table
        known.clear()
    found = {ref: known[ref] for ref in refs if ref in known}
    found.update(_known(connection, refs - set(found), source))
    missing = sorted(refs - set(found))
    if missing:
        new = [
            {
                "email": _email_of(ref, source),
                "name": "",
                "external_source": None if "@" in ref else source,
                "external_id": None if "@" in ref else ref,
                "created_at": now,
            }
            for ref in missing
        ]
        connection.execute(insert_ignoring_duplicates(connection, customers), new)
        report.customers_added += len(new)
        found.update(_known(connection, set(missing), source))
    known.update(found)
    return found


def _email_of(ref: str, source: str) -> str:
    return ref if "@" in ref else f"{ref.lower()}@{source.lower()}.{NO_EMAIL}"


def _known(connection: Connection, refs: set[str], source: str) -> dict[str, int]:
    emails = {r: r for r in refs if "@" in r}  # normalised when parsed
    externals = [r for r in refs if "@" not in r]
    found: dict[str, int] = {}
    for part in chunks(sorted(emails)):
        for row in connection.execute(select(customers.c.id, customers.c.email).where(customers.c.email.in_(part))):
            found[emails[row.email]] = int(row.id)
    for part in chunks(externals):
        query = select(customers.c.id, customers.c.external_id).where(
            customers.c.external_source == source, customers.c.external_id.in_(part)
        )
        for row in connection.execute(query):
            found[row.external_id] = int(row.id)
    return found
