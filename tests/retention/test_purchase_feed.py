"""The purchase feed: rows stored once, refunds kept, customers matched or added, bad rows named by line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from recovery.engine.context import Context
from recovery.engine.people import add_customer
from recovery.engine.purchases import import_rows
from recovery.errors import InvalidInputError
from recovery.store.schema import customers, purchases


def rows(*items: Mapping[str, Any]) -> Iterable[tuple[int, Mapping[str, Any]]]:
    """Feed rows with the line numbers a CSV with a header gives them."""
    return ((line, item) for line, item in enumerate(items, start=2))


def row(customer: str, order: str, amount: str = "10.00", at: str = "2026-11-02", **extra: str) -> dict[str, str]:
    return {"customer": customer, "order_id": order, "ordered_at": at, "amount": amount, **extra}


def stored(ctx: Context) -> list[tuple[str, str, Decimal, int]]:
    with ctx.read() as connection:
        found = connection.execute(
            select(purchases.c.order_id, purchases.c.kind, purchases.c.amount, purchases.c.customer_id).order_by(
                purchases.c.id
            )
        ).all()
    return [tuple(r) for r in found]  # type: ignore[misc]


def test_a_purchase_is_stored_for_the_customer_with_that_email(ctx: Context) -> None:
    ann = add_customer(ctx, "ann@example.com", "Ann")
    report = import_rows(ctx, rows(row("Ann@Example.com", "o-1", "12.50", currency="eur")))
    assert (report.stored, report.customers_added) == (1, 0)
    assert stored(ctx) == [("o-1", "purchase", Decimal("12.50"), ann)]


def test_importing_the_same_rows_twice_changes_nothing(ctx: Context) -> None:
    feed = [row("c-1", "o-1"), row("c-1", "o-2"), row("c-2", "o-3")]
    first = import_rows(ctx, rows(*feed), source="shop")
    second = import_rows(ctx, rows(*feed), source="shop")
    assert (first.stored, second.stored, second.duplicates, second.customers_added) == (3, 0, 3, 0)
    assert len(stored(ctx)) == 3


def test_the_same_order_id_from_another_source_is_another_order(ctx: Context) -> None:
    import_rows(ctx, rows(row("c-1", "o-1")), source="shop")
    import_rows(ctx, rows(row("c-1", "o-1")), source="till")
    assert len(stored(ctx)) == 2


def test_a_negative_amount_is_a_refund_kept_beside_its_order(ctx: Context) -> None:
    report = import_rows(ctx, rows(row("c-1", "o-1", "30.00"), row("c-1", "o-1", "-30.00", at="2026-11-05")))
    assert (report.stored, report.refunds) == (2, 1)
    assert [(o, k, a) for o, k, a, _ in stored(ctx)] == [
        ("o-1", "purchase", Decimal("30.00")),
        ("o-1", "refund", Decimal("-30.00")),
    ]


def test_an_unknown_customer_is_added_under_the_feeds_id(ctx: Context) -> None:
    import_rows(ctx, rows(row("00042", "o-1"), row("00042", "o-2")), source="cdnow")
    with ctx.read() as connection:
        found = connection.execute(
            select(customers.c.email, customers.c.external_source, customers.c.external_id)
        ).all()
    assert [tuple(r) for r in found] == [("00042@cdnow.invalid", "cdnow", "00042")]


BAD = [
    pytest.param(row("", "o-9"), "line 3: customer: missing", id="no-customer"),
    pytest.param(row("c-1", "o-9", "ten"), "line 3: amount: not a number: 'ten'", id="amount-not-a-number"),
    pytest.param(row("c-1", "o-9", "NaN"), "line 3: amount: a finite number", id="amount-nan"),
    pytest.param(row("c-1", "o-9", at="yesterday"), "line 3: ordered_at: not a date or time", id="bad-date"),
    pytest.param(row("c-1", "o-9", at="2026-11-02T10:00:00"), "line 3: ordered_at: a time needs its UTC", id="naive"),
    pytest.param(row("c-1", "o-9", at="9999-12-31"), "line 3: ordered_at: a time between the years", id="far-date"),
    pytest.param(row("c-1", "o-9", currency="euro"), "line 3: currency: a three-letter code", id="currency"),
    pytest.param(row("c-\u0000", "o-9"), "line 3: customer: contains a NUL", id="nul"),
    pytest.param(row("not@an email", "o-9"), "line 3: email: not an email address", id="bad-email"),
]


@pytest.mark.parametrize(("bad", "message"), BAD)
def test_a_bad_row_refuses_the_whole_file_naming_its_line(ctx: Context, bad: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        import_rows(ctx, rows(row("c-1", "o-1"), bad, row("c-1", "o-2")))
    assert message in str(refused.value)
    assert str(refused.value).startswith("1 bad row(s), nothing imported")
    assert stored(ctx) == []


def test_skip_bad_imports_the_good_rows_and_reports_the_bad_ones(ctx: Context) -> None:
    report = import_rows(ctx, rows(row("c-1", "o-1"), row("c-1", "o-2", "ten"), row("c-1", "o-3")), skip_bad=True)
    assert (report.stored, report.bad_count, report.bad) == (2, 1, ["line 3: amount: not a number: 'ten'"])


def test_a_feed_larger_than_a_chunk_is_stored_whole(ctx: Context) -> None:
    feed = [row(f"c-{n % 700}", f"o-{n}", at=f"2026-{n % 12 + 1:02d}-01") for n in range(12_345)]
    report = import_rows(ctx, rows(*feed), source="big")
    with ctx.read() as connection:
        count = connection.execute(select(func.count()).select_from(purchases)).scalar_one()
        people = connection.execute(select(func.count()).select_from(customers)).scalar_one()
    assert (report.stored, count, report.customers_added, people) == (12_345, 12_345, 700, 700)
