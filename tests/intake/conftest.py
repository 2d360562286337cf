"""Fixtures for the webhook intake tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette

from intake.helpers import KINDS, SECRET, AppClient, settings_for, source
from recovery.bootstrap import configure
from recovery.clock import SettableClock
from recovery.config import Settings
from recovery.core.calendar import BusinessCalendar
from recovery.engine.context import Context
from recovery.engine.registry import WorkflowRegistry
from recovery.intake.app import create_app
from recovery.store.database import connect, upgrade
from recovery.workflow_files import load_dir

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


@pytest.fixture(autouse=True)
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test source reads its secret from the environment, as in production."""
    monkeypatch.setenv("RECOVERY_TEST_SECRET", SECRET)


@pytest.fixture
def settings() -> Settings:
    """One source of each kind, named after its kind."""
    return settings_for(*(source(k) for k in KINDS))


@pytest.fixture
def app_ctx(ctx: Context, settings: Settings) -> Context:
    """The engine context carrying these settings (the inbox reads the reorder window from it)."""
    configure(ctx, settings)
    return ctx


@pytest.fixture
def app(app_ctx: Context, settings: Settings) -> Starlette:
    """The webhook app."""
    return create_app(app_ctx, settings)


@pytest.fixture
def client(app: Starlette) -> AppClient:
    """An in-process HTTP client for the app."""
    return AppClient(app)


@pytest.fixture
def sqlite_ctx(sqlite_url: str, clock: SettableClock, calendar: BusinessCalendar) -> Iterator[Context]:
    """An engine context on a fresh SQLite file only (for the big loopback test)."""
    engine: Engine = connect(sqlite_url)
    upgrade(engine)
    yield Context(db=engine, workflows=WorkflowRegistry(load_dir(WORKFLOWS)), calendar=calendar, clock=clock)
    engine.dispose()
