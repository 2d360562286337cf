"""Values a database can hold and the engine can compute with: checked at every way in.

JSON may carry a lone UTF-16 surrogate (an emoji cut in half) that no database can encode,
PostgreSQL text cannot hold NUL, ``NaN`` and ``Infinity`` pass ``Decimal()`` and fail later, and a
date near year 9999 overflows as soon as a deadline is added to it. Each check returns the
problem as a sentence, or None.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

EARLIEST_YEAR = 1900
LATEST_YEAR = 9000  # ten-year deadlines and more must still fit before year 9999


def text_problem(value: str) -> str | None:
    """A lone surrogate or a NUL character; None when the text can be stored."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate (a character cut in half)"
    return None


def number_problem(value: float | Decimal) -> str | None:
    """Not a finite number (NaN or an infinity); None when it is one."""
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    return None if finite else f"not a finite number: {value}"


def moment_problem(value: datetime) -> str | None:
    """A time too far from now to compute deadlines with; None when it is usable."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return f"a time between the years {EARLIEST_YEAR} and {LATEST_YEAR} is needed, got {value.year}"
    return None


def problems(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, problem) in JSON-like ``data``: texts, numbers and times at any depth, keys included."""
    if isinstance(data, str):
        problem = text_problem(data)
    elif isinstance(data, bool | int):
        problem = None
    elif isinstance(data, float | Decimal):
        problem = number_problem(data)
    elif isinstance(data, datetime):
        problem = moment_problem(data)
    else:
        problem = None
        yield from _nested(data, path)
    if problem is not None:
        yield path or "body", problem


def _nested(data: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (problem := text_problem(key)) is not None:
                yield where, f"its name {problem}"
            yield from problems(value, where)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from problems(value, f"{path}[{index}]")
