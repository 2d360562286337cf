"""Typed access to a payload's fields; every mistake names the field (422)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from recovery.intake.errors import ShapeError


def obj(value: Any, where: str) -> dict[str, Any]:
    """``value`` as a JSON object, or ShapeError naming ``where``."""
    if not isinstance(value, dict):
        raise ShapeError(where, "expected an object")
    return value


def get(payload: Mapping[str, Any], path: str, kind: type | tuple[type, ...], *, required: bool = True) -> Any:
    """The value at a dotted ``path``, checked against ``kind``; ShapeError names the path."""
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value or value[part] is None:
            if required:
                raise ShapeError(path, "is required")
            return None
        value = value[part]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ShapeError(path, "has the wrong type")
    if not isinstance(value, kind):
        raise ShapeError(path, "has the wrong type")
    return value


def text(payload: Mapping[str, Any], path: str, *, required: bool = True, default: str = "") -> str:
    """A string or number field as text."""
    value = get(payload, path, (str, int), required=required)
    return default if value is None else str(value)


def timestamp(payload: Mapping[str, Any], path: str) -> datetime:
    """An ISO 8601 or unix-seconds field as an aware UTC datetime."""
    value = get(payload, path, (str, int, float))
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), UTC)
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise ShapeError(path, f"not a time: {str(value)[:40]!r}") from None
    if parsed.tzinfo is None:
        raise ShapeError(path, "a time needs its UTC offset")
    return parsed.astimezone(UTC)


def first_text(payload: Mapping[str, Any], *paths: str) -> str:
    """The first of ``paths`` that holds non-blank text or a number (a body may name one field several ways).

    "" when none does; a value of another kind under one of the names is passed over, not refused.
    """
    for path in paths:
        try:
            value = text(payload, path, required=False).strip()
        except ShapeError:
            continue
        if value:
            return value
    return ""


def event_time(payload: Mapping[str, Any], paths: tuple[str, ...], arrival: datetime) -> tuple[datetime, bool]:
    """The latest of ``paths`` that holds a time with its offset, and False; else ``arrival`` and True.

    Bodies written with placeholders may render a time as a date without a clock ("February 3,
    2025"): such a value is no event time, and the arrival time stands in, saying so.
    """
    found = []
    for path in paths:
        try:
            found.append(timestamp(payload, path))
        except ShapeError:  # absent, blank, or not a time with its offset
            continue
    return (max(found), False) if found else (arrival, True)


def tag_list(value: Any, where: str) -> list[str]:
    """Tags given as a list of strings, a list of {name|tag: …} objects, or one space/comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [t for t in value.replace(",", " ").split() if t]
    if not isinstance(value, list):
        raise ShapeError(where, "expected a list of tags")
    tags = []
    for item in value:
        if isinstance(item, str):
            tags.append(item)
        elif isinstance(item, dict) and isinstance(name := item.get("name", item.get("tag")), str):
            tags.append(name)
        else:
            raise ShapeError(where, "expected tags as strings or objects with a name")
    return tags


def score_1_to_5(value: Any, where: str) -> int:
    """A satisfaction score from 1 to 5."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ShapeError(where, "expected a score from 1 to 5")
    return value


def rating_score(value: Any, where: str) -> int | None:
    """A helpdesk rating as 1-5: numbers as they are, words (good/great/okay/bad/not good) mapped; blank is None."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return score_1_to_5(value, where)
    word = str(value).strip().lower().replace("_", " ").replace("-", " ")
    if word.isdigit():
        return score_1_to_5(int(word), where)
    words = {"great": 5, "good": 5, "okay": 3, "ok": 3, "not good": 1, "bad": 1, "offered": None, "unoffered": None}
    if word not in words:
        raise ShapeError(where, f"unknown rating {str(value)[:20]!r}")
    return words[word]
