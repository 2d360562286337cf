"""Opening the database: SQLite settings, PostgreSQL driver, and the schema check."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.pool import NullPool

from recovery.errors import ConfigError, StorageError
from recovery.store.database import HEAD, check_current, connect, upgrade
from recovery.store.schema import customers, staff
from recovery.store.sql import chunks, insert_ignoring_duplicates


def pragma(engine: Engine, name: str) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Engine:
    engine = connect(sqlite_url)
    upgrade(engine)
    return engine


@pytest.mark.parametrize(("name", "value"), [("journal_mode", "wal"), ("foreign_keys", 1), ("busy_timeout", 30000)])
def test_sqlite_connections_are_configured(sqlite_db: Engine, name: str, value: object) -> None:
    assert pragma(sqlite_db, name) == value


def test_sqlite_enforces_foreign_keys(sqlite_db: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), sqlite_db.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO complaints (customer_id, summary, severity, channel, workflow, workflow_version, state,"
                " opened_at, state_entered_at, escalation_level, warned, follow_up_reminded, final_deadline,"
                " final_warn_at, final_warned, final_breached, reopen_count, version) VALUES (42, 's', 'normal',"
                " 'email', 'standard', 1, 'received', '2026-01-01', '2026-01-01', 0, 0, 0, '2026-01-01',"
                " '2026-01-01', 0, 0, 0, 1)"
            )
        )


def test_a_plain_postgresql_url_uses_psycopg_3() -> None:
    engine = connect("postgresql://nobody@127.0.0.1:1/none")
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()


def test_without_a_pool_each_use_gets_a_new_connection() -> None:
    engine = connect("postgresql+psycopg://nobody@127.0.0.1:1/none", pool=False)
    assert isinstance(engine.pool, NullPool)
    engine.dispose()


def test_a_malformed_url_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"database\.url: not a database URL: 'not a url'"):
        connect("not a url")


def test_check_current_passes_on_a_migrated_database(db: Engine) -> None:
    check_current(db)


def test_check_current_says_to_run_init_on_an_empty_database(db_url: str) -> None:
    engine = connect(db_url)
    with pytest.raises(StorageError, match=r"the database has no schema yet: run `recovery init`"):
        check_current(engine)
    engine.dispose()


def test_check_current_says_to_run_init_on_an_old_schema(db: Engine) -> None:
    with db.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(StorageError, match=rf"schema is at 0000, this version needs {HEAD}: run `recovery init`"):
        check_current(db)


def test_check_current_reports_an_unreachable_database() -> None:
    engine = connect("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StorageError, match="cannot open the database"):
        check_current(engine)
    engine.dispose()


def test_insert_ignoring_duplicates_skips_a_taken_key(db: Engine) -> None:
    from datetime import UTC, datetime

    row = {"id": "bob", "name": "Bob", "role": "agent", "created_at": datetime(2026, 1, 1, tzinfo=UTC)}
    with db.begin() as connection:
        connection.execute(insert_ignoring_duplicates(connection, staff), row)
        connection.execute(insert_ignoring_duplicates(connection, staff), {**row, "name": "Other"})
    with db.connect() as connection:
        assert connection.execute(text("SELECT name FROM staff")).scalars().all() == ["Bob"]


def test_chunks_cut_a_sequence() -> None:
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunks([]) == []


def test_tables_use_named_constraints() -> None:
    names = {c.name for c in customers.constraints}
    assert {"pk_customers", "uq_customers_email", "uq_customers_external"} <= names


def test_an_in_memory_sqlite_database_needs_no_folder() -> None:
    engine = connect("sqlite://")
    upgrade(engine)
    check_current(engine)
    engine.dispose()
