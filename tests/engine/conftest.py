"""Helpers for engine tests: a customer, a complaint opened for them, and its audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from recovery.core.commands import OpenComplaint
from recovery.engine import open_complaint
from recovery.engine.context import Context
from recovery.engine.people import add_customer
from recovery.store.schema import audit_log


@pytest.fixture
def customer_id(ctx: Context) -> int:
    """A customer to complain."""
    return add_customer(ctx, "ann@example.com", "Ann")


@pytest.fixture
def open_one(ctx: Context, customer_id: int) -> Callable[..., int]:
    """Open a complaint (keyword arguments go to OpenComplaint) and return its id."""

    def opener(**changes: Any) -> int:
        return open_complaint(ctx, OpenComplaint(**{"customer_id": customer_id, "summary": "late parcel", **changes}))

    return opener


@pytest.fixture
def audit_of(ctx: Context) -> Callable[[int], list[dict[str, Any]]]:
    """The audit rows of a complaint, oldest first."""

    def read(complaint_id: int) -> list[dict[str, Any]]:
        query = select(audit_log).where(audit_log.c.complaint_id == complaint_id).order_by(audit_log.c.id)
        with ctx.read() as connection:
            return [dict(r) for r in connection.execute(query).mappings()]

    return read
