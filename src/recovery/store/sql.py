"""Small statements whose SQL differs by dialect."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, CursorResult, Insert, Table, bindparam

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


def _insert(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's own INSERT, which knows ON CONFLICT."""
    # Imported here: at the top, every command would load both dialects (~40 ms) to use one or none.
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_ignoring_duplicates(connection: Connection, table: Table) -> Insert:
    """An INSERT that skips rows violating a unique key (ON CONFLICT DO NOTHING on both dialects)."""
    return _insert(connection, table).on_conflict_do_nothing()


def upsert(connection: Connection, table: Table, keys: Sequence[str], values: dict[str, Any]) -> None:
    """Insert one row, or update the row with the same ``keys`` to ``values``."""
    statement = _insert(connection, table).values(values)
    changed = {name: value for name, value in values.items() if name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changed))


def chunks(items: Sequence[Any], size: int = 500) -> list[Sequence[Any]]:
    """``items`` cut into slices of at most ``size`` (bind-parameter limits)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row a single-row INSERT created."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - only for executemany results
        raise RuntimeError("no primary key: not a single-row insert")
    return int(key[0])


def insert_many(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_duplicates: bool,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) in one executemany; the number of rows stored.

    The statement is compiled once and each value bound by its column's own type, but not row by row
    through SQLAlchemy's parameter machinery: for a feed of a million rows that machinery, not the
    database, was most of the time.
    """
    if not rows:
        return 0
    statement = insert_ignoring_duplicates(connection, table) if ignore_duplicates else _insert(connection, table)
    dialect = connection.dialect
    compiled = statement.values({name: bindparam(name) for name in columns}).compile(dialect=dialect)
    binders = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    values = [_bound(bind, [row[i] for row in rows]) for i, bind in enumerate(binders)]
    if compiled.positional:
        params: list[Any] = list(
            zip(*(values[columns.index(name)] for name in compiled.positiontup or ()), strict=True)
        )
    else:
        params = [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
    result = connection.exec_driver_sql(compiled.string, params)
    return int(result.rowcount)


def _bound(bind: Callable[[Any], Any] | None, column: list[Any]) -> list[Any]:
    """One column's values as the driver takes them; each distinct value is bound once (a feed repeats its days)."""
    if bind is None:
        return column
    memo: dict[Any, Any] = {}
    out: list[Any] = []
    for value in column:
        try:
            out.append(memo[value])
        except KeyError:
            out.append(memo.setdefault(value, bind(value)))
        except TypeError:  # unhashable (a JSON list): bound each time
            out.append(bind(value))
    return out
