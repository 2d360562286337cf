"""UTCDateTime: aware UTC in and out on SQLite and PostgreSQL; naive datetimes are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select, text
from sqlalchemy.exc import StatementError

from recovery.store.database import connect
from recovery.store.types import UTCDateTime

metadata = MetaData()
moments = Table("moments", metadata, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = connect(db_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def store_and_read(engine: Engine, value: datetime | None) -> datetime | None:
    with engine.begin() as connection:
        connection.execute(insert(moments).values(id=1, at=value))
    with engine.connect() as connection:
        return connection.execute(select(moments.c.at)).scalar_one()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 25, 9, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("Europe/Amsterdam")),
        datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=-5))),
    ],
    ids=["utc", "amsterdam-summer", "minus-five"],
)
def test_an_aware_datetime_comes_back_as_the_same_moment_in_utc(engine: Engine, value: datetime) -> None:
    read = store_and_read(engine, value)
    assert read == value
    assert read is not None
    assert read.utcoffset() == timedelta(0)


def test_none_stays_none(engine: Engine) -> None:
    assert store_and_read(engine, None) is None


def test_a_naive_datetime_is_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match=r"naive datetime .* times are stored as aware UTC"):
        store_and_read(engine, datetime(2026, 11, 25, 9))


def test_sqlite_stores_utc_wall_time(sqlite_url: str) -> None:
    engine = connect(sqlite_url)
    metadata.create_all(engine)
    store_and_read(engine, datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("Europe/Amsterdam")))
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT at FROM moments")).scalar_one()
    engine.dispose()
    assert raw.startswith("2026-07-01 10:00:00")


def test_process_hooks_return_aware_utc() -> None:
    from sqlalchemy.dialects import postgresql

    kind = UTCDateTime()
    dialect = postgresql.dialect()
    amsterdam = datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert kind.process_bind_param(amsterdam, dialect) == amsterdam
    assert kind.process_bind_param(None, dialect) is None
    assert kind.process_result_value(amsterdam, dialect).tzinfo is UTC  # type: ignore[union-attr]
    assert kind.process_result_value(datetime(2026, 1, 1), dialect) == datetime(2026, 1, 1, tzinfo=UTC)
    assert kind.process_result_value(None, dialect) is None
    with pytest.raises(ValueError, match="naive datetime"):
        kind.process_bind_param(datetime(2026, 1, 1), dialect)
