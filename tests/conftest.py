"""Shared fixtures: real SQLite files and a real PostgreSQL schema per test, a settable clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from recovery.clock import SettableClock
from recovery.config import shipped_workflows
from recovery.core.calendar import BusinessCalendar
from recovery.engine.context import Context
from recovery.engine.registry import WorkflowRegistry
from recovery.store.database import connect, upgrade
from recovery.workflow_files import load_dir

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = shipped_workflows()  # the package's own copy, as an installed `recovery` reads it
POSTGRES_URL = os.environ.get("RECOVERY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Wednesday 25 November 2026, 10:00 in Amsterdam: inside business hours.
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except OperationalError as exc:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {str(exc.orig).strip().splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The PostgreSQL server URL; skipped with the reason outside CI, a failure in CI."""
    reason = _postgres_reachable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL is required)")
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file of this test's own."""
    return f"sqlite:///{tmp_path / 'recovery.db'}"


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema of this test's own, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres_admin_url else "?"
    yield f"{postgres_admin_url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on a fresh SQLite file and on a fresh PostgreSQL schema."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """A migrated database engine."""
    engine = connect(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> SettableClock:
    """A clock standing at T0 until a test moves it."""
    return SettableClock(T0)


@pytest.fixture
def calendar() -> BusinessCalendar:
    """Weekdays 09:00-17:00 in Amsterdam, no holidays unless a test builds its own calendar."""
    from zoneinfo import ZoneInfo

    return BusinessCalendar(tz=ZoneInfo("Europe/Amsterdam"))


@pytest.fixture
def ctx(db: Engine, clock: SettableClock, calendar: BusinessCalendar) -> Context:
    """An engine context on a migrated database with the shipped workflows."""
    return Context(db=db, workflows=WorkflowRegistry(load_dir(WORKFLOWS)), calendar=calendar, clock=clock)
