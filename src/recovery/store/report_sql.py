"""SQL a report groups by, written once for both dialects: which period a row falls in, time between two moments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, Integer, case, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement


def period_index(column: Any, bounds: Sequence[date] | Sequence[datetime]) -> ColumnElement[Any]:
    """0 for a value in the first period, 1 in the second…; NULL outside them (``bounds``: n + 1 starts)."""
    whens = [(column < bound, index - 1) for index, bound in enumerate(bounds) if index]
    return case((column < bounds[0], None), *whens, else_=None)


def seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[float]:
    """Seconds from ``start`` to ``end`` (two timestamp columns or expressions)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * literal(86400.0)


def days_between(dialect: str, start: Any, end: Any) -> ColumnElement[int]:
    """Whole days from the day ``start`` to the day ``end`` (two date columns or expressions)."""
    if dialect == "postgresql":
        return cast(end - start, Integer)
    return cast(func.julianday(end) - func.julianday(start), Integer)


def plus_days(dialect: str, moment: Any, days: int) -> ColumnElement[Any]:
    """The timestamp ``days`` days after ``moment``, in the column's own form (text on SQLite)."""
    if dialect == "postgresql":
        return moment + func.make_interval(0, 0, 0, days)  # type: ignore[no-any-return]
    # SQLite keeps times as 'YYYY-MM-DD HH:MM:SS.ffffff' text; strftime keeps that form, so comparisons stay textual.
    return func.strftime("%Y-%m-%d %H:%M:%f000", moment, f"+{int(days)} days")
