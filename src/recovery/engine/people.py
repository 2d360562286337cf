"""Customers and staff: who complains and who helps."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from recovery.core.values import text_problem
from recovery.engine.context import Context
from recovery.errors import ConflictError, InvalidInputError, NotFoundError
from recovery.store.schema import customers, staff
from recovery.store.sql import insert_ignoring_duplicates, inserted_id

STAFF_ROLES = ("agent", "lead", "manager")
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
_STAFF_ID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


def normalise_email(email: str) -> str:
    """A trimmed, lower-case address; InvalidInputError when it is not one."""
    value = email.strip().lower()
    if not _EMAIL.fullmatch(value) or len(value) > 320:
        raise InvalidInputError(f"email: not an email address: {email!r}")
    return value


def fits(field: str, value: str, limit: int) -> None:
    """InvalidInputError unless ``value`` fits its column (PostgreSQL would refuse it, SQLite keep it) and is
    plain text: no control characters, nothing a database cannot hold."""
    if len(value) > limit:
        raise InvalidInputError(f"{field}: at most {limit} characters, got {len(value)}")
    problem = text_problem(value)
    if problem is None and any(unicodedata.category(c) == "Cc" for c in value):
        problem = "contains a control character"
    if problem is not None:
        raise InvalidInputError(f"{field}: {problem}")


def add_customer(ctx: Context, email: str, name: str = "", external: tuple[str, str] | None = None) -> int:
    """Add a customer; ConflictError when the email or external id is taken."""
    with ctx.db.begin() as connection:
        return insert_customer(connection, email, name, external, ctx.clock.now())


def insert_customer(
    connection: Connection, email: str, name: str, external: tuple[str, str] | None, now: datetime
) -> int:
    """Insert a customer inside the caller's transaction."""
    row = _customer_row(email, name, external, now)
    try:
        with connection.begin_nested():
            return inserted_id(connection.execute(customers.insert().values(row)))
    except IntegrityError as exc:
        raise ConflictError(f"a customer with email {row['email']} or that external id already exists") from exc


def _customer_row(email: str, name: str, external: tuple[str, str] | None, now: datetime) -> dict[str, Any]:
    fits("name", name.strip(), 200)
    if external:
        fits("external source", external[0], 64)
        fits("external id", external[1], 200)
    return {
        "email": normalise_email(email),
        "name": name.strip(),
        "created_at": now,
        "external_source": external[0] if external else None,
        "external_id": external[1] if external else None,
    }


def ensure_customer(
    connection: Connection, email: str, name: str, external: tuple[str, str] | None, now: datetime
) -> int:
    """The id of the customer with this external id or email, added if neither is known.

    Race-free: when another transaction adds the same customer at the same moment, the insert
    does nothing and the second look finds theirs.
    """
    found = _known_customer(connection, email, external)
    if found is not None:
        return found
    row = _customer_row(email, name, external, now)
    connection.execute(insert_ignoring_duplicates(connection, customers).values(row))
    found = _known_customer(connection, email, external)
    if found is None:  # pragma: no cover - the insert or a racer's must have left one
        raise ConflictError(f"customer {row['email']} could not be added or found")
    return found


def known_customer(connection: Connection, email: str, external: tuple[str, str] | None) -> int | None:
    """The id of the customer with this external id, else with this email (either may be blank); None if neither."""
    if external is None and not email.strip():
        return None
    return _known_customer(connection, email, external)


def staff_by_email(connection: Connection, email: str) -> str | None:
    """The id of the staff member with this address (matched whole, case-insensitively), or None."""
    found = connection.execute(select(staff.c.id).where(func.lower(staff.c.email) == email.strip().lower())).scalar()
    return None if found is None else str(found)


def _known_customer(connection: Connection, email: str, external: tuple[str, str] | None) -> int | None:
    if external is not None:
        found = connection.execute(
            select(customers.c.id).where(
                customers.c.external_source == external[0], customers.c.external_id == external[1]
            )
        ).scalar()
        if found is not None:
            return int(found)
    if not email.strip():
        return None
    found = connection.execute(select(customers.c.id).where(customers.c.email == normalise_email(email))).scalar()
    return None if found is None else int(found)


def find_customer(connection: Connection, ref: str | int) -> dict[str, Any]:
    """A customer by id or email."""
    text = str(ref).strip()
    column = customers.c.id if text.isdigit() else customers.c.email
    value: Any = int(text) if text.isdigit() else text.lower()
    found = connection.execute(select(customers).where(column == value)).mappings().first()
    if found is None:
        raise NotFoundError(f"no customer {text!r} (give an id or an email)")
    return dict(found)


def add_staff(ctx: Context, staff_id: str, name: str, email: str | None = None, role: str = "agent") -> None:
    """Add a staff member with a role (agent, lead or manager)."""
    if not _STAFF_ID.fullmatch(staff_id):
        raise InvalidInputError(f"staff id: use letters, digits and . _ @ - (at most 64), got {staff_id!r}")
    if role not in STAFF_ROLES:
        raise InvalidInputError(f"role: unknown {role!r}; known: {', '.join(STAFF_ROLES)}")
    if not name.strip():
        raise InvalidInputError("name: a staff member needs a name")
    fits("name", name.strip(), 200)
    row = {
        "id": staff_id,
        "name": name.strip(),
        "email": normalise_email(email) if email else None,
        "role": role,
        "created_at": ctx.clock.now(),
    }
    try:
        with ctx.db.begin() as connection:
            connection.execute(staff.insert().values(row))
    except IntegrityError as exc:
        raise ConflictError(f"staff member {staff_id!r} already exists") from exc


def staff_email(connection: Connection, staff_id: str) -> str | None:
    """A staff member's address (None when they have none); NotFoundError names an unknown id."""
    person = connection.execute(select(staff.c.email).where(staff.c.id == staff_id)).first()
    if person is None:
        raise NotFoundError(f"no staff member {staff_id!r}")
    return str(person.email) if person.email else None
