"""Customers and staff."""

from __future__ import annotations

from datetime import UTC

import pytest

from recovery.engine.context import Context
from recovery.engine.people import add_customer, add_staff, ensure_customer, find_customer, normalise_email
from recovery.engine.queries import list_staff
from recovery.errors import ConflictError, InvalidInputError, NotFoundError


def test_an_email_is_trimmed_and_lower_cased() -> None:
    assert normalise_email("  Ann@Example.COM ") == "ann@example.com"


@pytest.mark.parametrize("email", ["ann", "ann@", "@example.com", "ann@example", "a nn@example.com", ""])
def test_not_an_email_is_refused(email: str) -> None:
    with pytest.raises(InvalidInputError, match="email: not an email address"):
        normalise_email(email)


def test_add_and_find_a_customer_by_id_or_email(ctx: Context) -> None:
    customer_id = add_customer(ctx, "Ann@Example.com", " Ann ", ("zendesk", "42"))
    with ctx.read() as connection:
        by_id = find_customer(connection, customer_id)
        by_email = find_customer(connection, "ANN@example.com ")
    assert by_id == by_email
    assert (by_id["email"], by_id["name"], by_id["external_source"], by_id["external_id"]) == (
        "ann@example.com",
        "Ann",
        "zendesk",
        "42",
    )
    assert by_id["created_at"].tzinfo is UTC


@pytest.mark.parametrize(
    ("email", "external"),
    [("ann@example.com", None), ("other@example.com", ("zendesk", "42"))],
    ids=["same-email", "same-external-id"],
)
def test_a_duplicate_customer_is_a_conflict(ctx: Context, email: str, external: tuple[str, str] | None) -> None:
    add_customer(ctx, "ann@example.com", external=("zendesk", "42"))
    with pytest.raises(ConflictError, match="already exists"):
        add_customer(ctx, email, external=external)


def test_an_unknown_customer_is_not_found(ctx: Context) -> None:
    with ctx.read() as connection, pytest.raises(NotFoundError, match=r"no customer 'bob@example\.com'"):
        find_customer(connection, "bob@example.com")


def test_ensure_customer_finds_by_external_id_first(ctx: Context) -> None:
    known = add_customer(ctx, "ann@example.com", external=("zendesk", "42"))
    with ctx.db.begin() as connection:
        found = ensure_customer(connection, "new-address@example.com", "", ("zendesk", "42"), ctx.clock.now())
    assert found == known


def test_ensure_customer_finds_by_email(ctx: Context) -> None:
    known = add_customer(ctx, "ann@example.com")
    with ctx.db.begin() as connection:
        assert ensure_customer(connection, "ANN@example.com", "", ("zendesk", "7"), ctx.clock.now()) == known


def test_ensure_customer_adds_an_unknown_one(ctx: Context) -> None:
    known = add_customer(ctx, "ann@example.com")
    with ctx.db.begin() as connection:
        added = ensure_customer(connection, "bob@example.com", "Bob", None, ctx.clock.now())
    assert added != known
    with ctx.read() as connection:
        assert find_customer(connection, added)["name"] == "Bob"


def test_added_staff_is_stored_tidied(ctx: Context) -> None:
    add_staff(ctx, "bob", " Bob ", "Bob@Example.com", "lead")
    (found,) = list_staff(ctx)
    assert (found["name"], found["email"], found["role"]) == ("Bob", "bob@example.com", "lead")


@pytest.mark.parametrize(
    ("staff_id", "name", "role", "message"),
    [
        pytest.param("bob smith", "Bob", "agent", "staff id: use letters, digits", id="bad-id"),
        pytest.param("bob", "Bob", "boss", "role: unknown 'boss'; known: agent, lead, manager", id="bad-role"),
        pytest.param("bob", "  ", "agent", "name: a staff member needs a name", id="no-name"),
    ],
)
def test_bad_staff_is_refused(ctx: Context, staff_id: str, name: str, role: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        add_staff(ctx, staff_id, name, role=role)


def test_duplicate_staff_is_a_conflict(ctx: Context) -> None:
    add_staff(ctx, "bob", "Bob")
    with pytest.raises(ConflictError, match="staff member 'bob' already exists"):
        add_staff(ctx, "bob", "Another Bob")


@pytest.mark.parametrize(
    ("email", "name", "external", "message"),
    [
        pytest.param("ann@example.com", "x" * 201, None, "name: at most 200 characters, got 201", id="name"),
        pytest.param("ann@example.com", "", ("z" * 65, "1"), "external source: at most 64 characters", id="source"),
        pytest.param("ann@example.com", "", ("zendesk", "9" * 201), "external id: at most 200 characters", id="id"),
        pytest.param("a" * 310 + "@example.com", "", None, "email: not an email address", id="email"),
    ],
)
def test_a_value_too_long_for_its_column_is_refused_on_every_database(
    ctx: Context, email: str, name: str, external: tuple[str, str] | None, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        add_customer(ctx, email, name, external)


def test_a_staff_name_too_long_is_refused(ctx: Context) -> None:
    with pytest.raises(InvalidInputError, match="name: at most 200 characters"):
        add_staff(ctx, "bob", "B" * 201)


@pytest.mark.parametrize(
    ("staff_id", "name", "email", "message"),
    [
        pytest.param("eve\n", "Eve", None, "staff id: use letters", id="a-newline-after-the-id"),
        pytest.param("eve", "Eve\x07", None, "name: contains a control character", id="a-bell-in-the-name"),
        pytest.param(
            "eve", "Eve", "eve@example.com\nBcc: x@y.z", "email: not an email address", id="an-injected-header"
        ),
        pytest.param("eve", "Eve\x00", None, "name: contains a NUL character", id="nul"),
    ],
)
def test_staff_with_control_characters_is_refused(
    ctx: Context, staff_id: str, name: str, email: str | None, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        add_staff(ctx, staff_id, name, email)
