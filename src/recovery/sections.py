"""Settings sections: frozen dataclasses whose fields are coerced to their types and checked when built.

A section is declared like a dataclass, with ``setting(...)`` for a field's default and rules::

    class DaemonSettings(Section):
        tick: str = setting(default="30s", after=_clock_time)
        batch: int = setting(default=500, ge=1)

Building one (``DaemonSettings(batch="25")``, or ``DaemonSettings.parse(mapping)`` which also refuses
unknown keys) coerces each value the way a TOML file or an environment variable gives it (``"25"`` → 25,
``"true"`` → True, a mapping → a nested section) and raises SettingsError listing every bad value with
where it is (``webhook.sources.0.name``). Types understood: str, bool, int, float, Decimal, Path, date,
time, Literal, unions (``X | None`` included), list, dict and sections; Any passes unchanged.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import operator
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import UnionType
from typing import Any, ClassVar, Literal, Self, Union, dataclass_transform, get_args, get_origin, get_type_hints

Location = tuple[str | int, ...]
Check = Callable[[Any], Any]
_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


class SettingsError(ValueError):
    """One or more bad values, each with its location inside the section or value checked."""

    def __init__(self, problems: list[tuple[Location, str]]) -> None:
        self.problems = problems
        first, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        where = ".".join(str(part) for part in first)  # ("webhook", "sources", 0, "name"): webhook.sources.0.name
        super().__init__(f"{where}: {message}{more}" if first else f"{message}{more}")

    def under(self, *prefix: str | int) -> list[tuple[Location, str]]:
        """The problems with ``prefix`` put in front of their locations."""
        return [((*prefix, *location), message) for location, message in self.problems]


@dataclasses.dataclass(frozen=True)
class Rules:
    """What a field's value must satisfy beyond its type; ``before`` sees the raw value, ``after`` the typed one."""

    ge: Any = None
    gt: Any = None
    le: Any = None
    lt: Any = None
    pattern: str | None = None
    max_length: int | None = None
    before: Check | None = None
    after: Check | None = None


def setting(
    *,
    default: Any = dataclasses.MISSING,
    factory: Callable[[], Any] | None = None,
    ge: Any = None,
    gt: Any = None,
    le: Any = None,
    lt: Any = None,
    pattern: str | None = None,
    max_length: int | None = None,
    before: Check | None = None,
    after: Check | None = None,
) -> Any:
    """A section field: its default (a list or dict is copied for each section) or ``factory``, and its rules."""
    if isinstance(default, list | dict):
        factory, default = functools.partial(copy.copy, default), dataclasses.MISSING
    rules = Rules(ge, gt, le, lt, pattern, max_length, before, after)
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={"rules": rules})
    return dataclasses.field(default=default, metadata={"rules": rules})


@dataclass_transform(frozen_default=True, field_specifiers=(setting,))
class Section:
    """A frozen dataclass checked when built; subclasses declare fields as a dataclass does."""

    ignore_extra: ClassVar[bool] = False  # parse() refuses unknown keys unless a subclass says otherwise

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Only __init__ is generated per class: the frozen, repr and eq methods below serve every section.
        # Generating all six, as dataclass(frozen=True) does, cost every command ~8 ms for the 15 sections.
        dataclasses.dataclass(repr=False, eq=False)(cls)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dict__:  # set once, by __init__
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __repr__(self) -> str:
        shown = ", ".join(f"{field.name}={getattr(self, field.name)!r}" for field in _fields(type(self)))
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in _fields(type(self)))

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, field.name) for field in _fields(type(self))))

    def __post_init__(self) -> None:
        problems: list[tuple[Location, str]] = []
        kinds = _kinds(type(self))
        for field in _fields(type(self)):
            rules = field.metadata.get("rules", Rules())
            try:
                value = checked(getattr(self, field.name), kinds[field.name], rules)
            except SettingsError as exc:
                problems.extend(exc.under(field.name))
            else:
                object.__setattr__(self, field.name, value)
        if problems:
            raise SettingsError(problems)

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> Self:
        """The section from a mapping such as a TOML table: unknown keys and missing required ones are errors."""
        fields = {field.name: field for field in _fields(cls)}
        problems: list[tuple[Location, str]] = []
        if not cls.ignore_extra:
            problems += [((key,), "Extra inputs are not permitted") for key in values if key not in fields]
        missing: list[tuple[Location, str]] = [
            ((name,), "Field required") for name, field in fields.items() if _required(field, values)
        ]
        section = None
        if not missing:
            try:
                section = cls(**{key: value for key, value in values.items() if key in fields})
            except SettingsError as exc:
                problems += exc.problems
        if section is None or problems:
            raise SettingsError(sorted(problems + missing, key=lambda problem: _order(fields, problem[0])))
        return section


def _required(field: dataclasses.Field[Any], values: Mapping[str, Any]) -> bool:
    missing = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    return missing and field.name not in values


def _order(fields: Mapping[str, Any], location: Location) -> int:
    """Problems in the order of the fields, as they are checked; unknown keys last."""
    names = list(fields)
    first = location[0] if location else None
    return names.index(first) if isinstance(first, str) and first in fields else len(names)


def _fields(cls: type[Section]) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)  # type: ignore[arg-type]  # every Section subclass is made a dataclass


_KINDS: dict[type[Section], dict[str, Any]] = {}


def _kinds(cls: type[Section]) -> dict[str, Any]:
    """The fields' types, evaluated once per class (the annotations are strings)."""
    if cls not in _KINDS:
        _KINDS[cls] = {name: kind for name, kind in get_type_hints(cls).items() if name != "ignore_extra"}
    return _KINDS[cls]


def kind_of(cls: type[Section], name: str) -> Any:
    """The type of ``cls``'s field ``name``; None when there is no such field."""
    return _kinds(cls).get(name)


def checked(value: Any, kind: Any, rules: Rules) -> Any:
    """``value`` coerced to ``kind`` and checked against ``rules``; SettingsError locates what is wrong."""
    try:
        if rules.before is not None:
            value = rules.before(value)
        value = coerce(value, kind)
        if value is not None:
            _bounds(value, rules)
        if rules.after is not None:
            value = rules.after(value)
    except SettingsError:
        raise
    except ValueError as exc:
        raise SettingsError([((), str(exc))]) from None
    return value


def _bounds(value: Any, rules: Rules) -> None:
    if rules.max_length is not None and isinstance(value, str) and len(value) > rules.max_length:
        raise ValueError(f"String should have at most {rules.max_length} characters")
    if rules.pattern is not None and isinstance(value, str) and re.search(rules.pattern, value) is None:
        raise ValueError(f"String should match pattern '{rules.pattern}'")
    for bound, holds, words in (
        (rules.ge, operator.ge, "greater than or equal to"),
        (rules.gt, operator.gt, "greater than"),
        (rules.le, operator.le, "less than or equal to"),
        (rules.lt, operator.lt, "less than"),
    ):
        if bound is not None and not holds(value, bound):
            raise ValueError(f"Input should be {words} {bound}")


def coerce(value: Any, kind: Any) -> Any:
    """``value`` as ``kind``: ValueError if it is not one, SettingsError if something inside it is not."""
    origin = get_origin(kind)
    if kind is Any:
        return value
    if origin is Literal:
        return _literal(value, get_args(kind))
    if origin is Union or origin is UnionType:
        return _union(value, get_args(kind))
    if origin is list:
        return _list(value, get_args(kind)[0])
    if origin is dict:
        return _dict(value, *get_args(kind))
    if isinstance(kind, type) and issubclass(kind, Section):
        return _section(value, kind)
    return _SCALARS[kind](value)


def members(kind: Any) -> tuple[Any, ...]:
    """The types a value of ``kind`` may have: a union's members but None, else ``kind`` alone."""
    origin = get_origin(kind)
    if origin is Union or origin is UnionType:
        return tuple(member for member in get_args(kind) if member is not type(None))
    return (kind,)


def is_structured(kind: Any) -> bool:
    """Whether ``kind`` is a list, a dict or a section (written as JSON in an environment variable)."""
    return get_origin(kind) in (list, dict) or (isinstance(kind, type) and issubclass(kind, Section))


def _literal(value: Any, choices: tuple[Any, ...]) -> Any:
    if value in choices and not isinstance(value, bool):
        return value
    names = [repr(choice) for choice in choices]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    raise ValueError(f"Input should be {listed}")


def _union(value: Any, members: tuple[Any, ...]) -> Any:
    if value is None and type(None) in members:
        return None
    first: ValueError | None = None
    for member in members:
        if member is type(None):
            continue
        try:
            return coerce(value, member)
        except ValueError as exc:
            first = first or exc
    assert first is not None
    raise first


def _list(value: Any, item: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ValueError("Input should be a valid list")
    problems: list[tuple[Location, str]] = []
    items = []
    for index, element in enumerate(value):
        try:
            items.append(checked(element, item, Rules()))
        except SettingsError as exc:
            problems += exc.under(index)
    if problems:
        raise SettingsError(problems)
    return items


def _dict(value: Any, key_kind: Any, item: Any) -> dict[Any, Any]:
    if not isinstance(value, Mapping):
        raise ValueError("Input should be a valid dictionary")
    problems: list[tuple[Location, str]] = []
    result = {}
    for key, element in value.items():
        try:
            result[checked(key, key_kind, Rules())] = checked(element, item, Rules())
        except SettingsError as exc:
            problems += exc.under(key)
    if problems:
        raise SettingsError(problems)
    return result


def _section(value: Any, kind: type[Section]) -> Section:
    if isinstance(value, kind):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"Input should be a valid dictionary or instance of {kind.__name__}")
    return kind.parse(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("Input should be a valid string")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("Input should be a valid boolean")


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError("Input should be a valid integer")


def _float(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ValueError("Input should be a valid number")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            pass
        else:
            if number.is_finite():
                return number
    raise ValueError("Input should be a valid decimal")


def _path(value: Any) -> Path:
    if isinstance(value, str | Path):
        return Path(value)
    raise ValueError("Input should be a valid path")


def _time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("Input should be in a valid time format (HH:MM or HH:MM:SS)")


def _date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("Input should be a valid date (YYYY-MM-DD)")


_SCALARS: dict[Any, Callable[[Any], Any]] = {
    str: _str,
    bool: _bool,
    int: _int,
    float: _float,
    Decimal: _decimal,
    Path: _path,
    time: _time,
    date: _date,
}
