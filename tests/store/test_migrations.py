"""The Alembic migration builds exactly the tables the code describes, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from recovery.store.database import HEAD, connect, upgrade
from recovery.store.schema import metadata


def test_the_migration_matches_the_metadata(db: Engine) -> None:
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == [], differences


def test_every_table_exists_after_upgrade(db: Engine) -> None:
    assert set(metadata.tables) <= set(inspect(db).get_table_names())


def test_upgrade_twice_is_harmless(db: Engine) -> None:
    with db.begin() as connection:
        connection.execute(
            text("INSERT INTO runtime (key, value, updated_at) VALUES ('k', '1', '2026-01-01 00:00:00+00:00')")
        )
    upgrade(db)
    with db.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
        assert connection.execute(text("SELECT count(*) FROM runtime")).scalar_one() == 1


def test_upgrade_creates_a_missing_sqlite_file_and_its_folder(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "var" / "nested" / "recovery.db"
    engine = connect(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    assert path.exists()


def test_complaints_closed_before_roles_get_the_role_that_closed_them(db_url: str) -> None:
    engine = connect(db_url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO customers (id, email, name, created_at) VALUES (1, 'a@example.com', '', :at)"),
            {"at": "2026-01-01 00:00:00+00:00"},
        )
        for complaint_id, state in enumerate(("resolved", "withdrawn", "lost", "acting"), start=1):
            connection.execute(
                text(
                    "INSERT INTO complaints (id, customer_id, summary, severity, channel, workflow, workflow_version,"
                    " state, opened_at, state_entered_at, final_deadline, final_warn_at, escalation_level, warned,"
                    " follow_up_reminded, final_warned, final_breached, reopen_count, version)"
                    " VALUES (:id, 1, 's', 'normal', 'email', 'standard', 1, :state, :at, :at, :at, :at, 0,"
                    " false, false, false, false, 0, 1)"
                ),
                {"id": complaint_id, "state": state, "at": "2026-01-01 00:00:00+00:00"},
            )
    upgrade(engine)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT state, closed_as FROM complaints ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in found] == [
        ("resolved", "resolution"),
        ("withdrawn", "withdrawal"),
        ("lost", "defection"),
        ("acting", None),
    ]


def test_the_partial_index_has_its_condition_in_each_dialect(db: Engine) -> None:
    """The metadata's index says ``WHERE status = 'open'`` to the engine's dialect, as migration 0001 made it."""
    from sqlalchemy.schema import CreateIndex

    [index] = [i for i in metadata.tables["flags"].indexes if i.name == "uq_flags_open_per_staff"]
    created = str(CreateIndex(index).compile(dialect=db.dialect))
    assert created.endswith("WHERE status = 'open'"), created


def test_importing_the_tables_loads_no_postgresql_dialect() -> None:
    """Naming ``postgresql_where`` in the Index would import the PostgreSQL dialect on every command."""
    import subprocess
    import sys

    code = "import sys, recovery.store.schema; print('sqlalchemy.dialects.postgresql' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr
