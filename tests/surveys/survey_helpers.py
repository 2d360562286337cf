"""Plain helpers the survey tests share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from recovery.engine.context import Context

SECRET = "a-test-secret-that-signs-survey-links"
BASE_URL = "https://shop.example"


def token_of(url: str) -> str:
    """The token at the end of an invitation's link."""
    return url.rsplit("/s/", 1)[1]


def rows(ctx: Context, table: Any) -> list[dict[str, Any]]:
    with ctx.read() as connection:
        return [dict(r) for r in connection.execute(select(table).order_by(table.c.id)).mappings()]
