"""Opening the database: SQLite's quirks handled here, schema upgrades through Alembic."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from recovery.errors import ConfigError, StorageError
from recovery.store.schema import for_dialect

HEAD = "0006"
# FULL: a commit is on disk (the WAL synced) before it returns, so a webhook answered 202 survives a power
# loss too; NORMAL survives a process crash only. The group commit pays one sync for many deliveries
# (docs/webhooks.md, "Durability", has both benchmark figures).
SQLITE_SYNCHRONOUS = "FULL"
SQLITE_CACHE_KIB = 64 * 1024
# SQLite errors after which a connection must be opened again: a file opened read-only stays read-only
# for the connection's life even once it is writable; a moved, replaced or unreadable file likewise.
_REOPEN_CODES = frozenset({8, 10, 14})  # SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN (primary codes)


def connect(url: str, *, pool: bool = True, create: bool = True) -> Engine:
    """An Engine for ``url``; SQLite gets WAL, a busy timeout, foreign keys and BEGIN IMMEDIATE.

    With ``create=False`` a missing SQLite file is a StorageError saying to run ``recovery init``.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database.url: not a database URL: {url!r}") from exc
    try:
        engine = _engine(parsed, url, pool=pool, create=create)
    except (NoSuchModuleError, ImportError) as exc:  # an unknown scheme, or a driver that is not installed
        raise ConfigError(
            f"database.url: {describe(url)}: no driver for {parsed.drivername!r}; "
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST/NAME"
        ) from exc
    except OSError as exc:  # the SQLite file's directory cannot be made
        raise StorageError(f"cannot create the directory of the database {describe(url)}: {exc.strerror}") from exc
    for_dialect(engine.dialect.name)  # its dialect is loaded now: the partial indexes can name their conditions
    return engine


def _engine(parsed: URL, url: str, *, pool: bool, create: bool) -> Engine:
    if parsed.get_backend_name() == "sqlite":
        if not create:
            _require_file(parsed)
        return _sqlite(url, parsed.database)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    # pre-ping: a connection the server dropped (a restart, a failover) is replaced on checkout.
    kwargs: dict[str, Any] = {"pool_pre_ping": True} if pool else {"poolclass": NullPool}
    return create_engine(parsed, hide_parameters=True, **kwargs)


def describe(url: str | URL) -> str:
    """The database in messages: an SQLite file by its path, anything else by its URL without the password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return repr(str(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


def _require_file(parsed: URL) -> None:
    """Refuse a SQLite file that does not exist: connecting would create an empty one."""
    database = parsed.database or ":memory:"
    if parsed.query.get("uri") in ("true", "1"):  # sqlite:///file:PATH?mode=ro&uri=true
        if parsed.query.get("mode") == "memory":
            return
        database = database.removeprefix("file:")
    if database == ":memory:" or Path(database).exists():
        return
    raise StorageError(f"no database at {Path(database).absolute()}: run `recovery init`")


def _sqlite(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: a failed statement's message carries no customer text or email into the log.
    engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Our own BEGIN below; pysqlite's deferred BEGIN would fail read-then-write transactions at once.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # A page cache of up to 64 MiB (SQLite's default is 2 MiB): a million-row import into tables
        # with three indexes spilled pages to the WAL on every chunk and ran 7x slower than it need.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = "DEFERRED" if connection.get_execution_options().get("readonly") else "IMMEDIATE"
        connection.exec_driver_sql(f"BEGIN {mode}")

    event.listen(engine, "handle_error", _reopen_after_file_errors)
    return engine


def _reopen_after_file_errors(context: Any) -> None:
    """Treat the file errors that a new connection may not have as a disconnect: the pool is opened afresh."""
    code = getattr(context.original_exception, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _REOPEN_CODES:
        context.is_disconnect = True


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create the schema or bring it to the newest revision (or to ``revision``)."""
    from alembic import command

    with engine.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def check_current(engine: Engine) -> None:
    """Raise StorageError unless the database exists at the newest schema revision.

    One read of Alembic's version table and no Alembic import: every command pays for this check.
    """
    no_schema = StorageError(f"{describe(engine.url)}: the database has no schema yet: run `recovery init`")
    try:
        with engine.connect() as connection:
            current = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except (OperationalError, ProgrammingError) as exc:
        # No version table: SQLite says "no such table", PostgreSQL raises undefined_table (42P01).
        if "no such table" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "42P01":
            raise no_schema from exc
        raise StorageError(f"cannot open the database {describe(engine.url)}: {exc.orig}") from exc
    if current != HEAD:
        raise StorageError(
            f"{describe(engine.url)}: the database schema is at {current}, this version needs {HEAD}: "
            "run `recovery init`"
        )


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


def is_embedded(db: Engine) -> bool:
    """True for SQLite: one local file, no server."""
    return db.dialect.name == "sqlite"


@contextmanager
def writer(db: Engine) -> Iterator[None]:
    """On SQLite, one writing thread per process at a time.

    SQLite's busy handler backs off in sleeps of up to 100 ms while another connection holds
    the write lock; queueing our own threads on a lock instead keeps webhook latency low.
    """
    if db.dialect.name != "sqlite":
        yield
        return
    with _WRITERS_GUARD:
        lock = _WRITERS.setdefault(db, threading.Lock())
    with lock:
        yield
