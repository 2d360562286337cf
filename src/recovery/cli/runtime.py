"""What every command shares: settings and engine built on first use, output, and error handling."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from recovery.cli.collector import started
from recovery.errors import ConflictError, NotFoundError, RecoveryError, StorageError, TransitionRefused

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from recovery.config import Settings
    from recovery.engine.context import Context

F = TypeVar("F", bound=Callable[..., Any])


class Runtime:
    """Lazily built settings and engine context for one CLI invocation."""

    def __init__(self, config_path: Path | None = None, database_url: str | None = None) -> None:
        self.config_path = config_path
        self.database_url = database_url
        self._settings: Settings | None = None
        self._context: Context | None = None

    @property
    def settings(self) -> Settings:
        """Settings from the file and the environment, with the CLI's overrides."""
        if self._settings is None:
            from recovery.config import load_settings

            overrides = {"database": {"url": self.database_url}} if self.database_url else None
            self._settings = load_settings(self.config_path, overrides)
        return self._settings

    @property
    def tz(self) -> ZoneInfo:
        """The calendar's time zone: every time a person reads is shown in it (see cli/times.py)."""
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.settings.calendar.timezone)

    def context(self, *, check_schema: bool = True, clock_start: datetime | None = None) -> Context:
        """The engine context (connects and reads the workflow files once); ``clock_start``: see clock_start_option."""
        if self._context is None:
            from recovery.bootstrap import build_context

            clock = None
            if clock_start is not None:
                from recovery.clock import OffsetClock

                start = clock_start if clock_start.tzinfo else clock_start.replace(tzinfo=UTC)
                clock = OffsetClock.starting_at(start)
            self._context = build_context(self.settings, clock, check_schema=check_schema)
            started()  # what start-up made is built: the collector resumes without it (cli/collector.py)
            current = click.get_current_context(silent=True)
            if current is not None:  # no pooled connection outlives the command (in-process tests run many)
                current.find_root().call_on_close(self._context.db.dispose)
        return self._context

    def database_problem(self, exc: BaseException) -> StorageError | None:
        """A one-line StorageError naming the database when ``exc`` says it cannot be opened or written, else None."""
        # Imported only on a failure: importing SQLAlchemy would slow every command down.
        from sqlalchemy.exc import DatabaseError, OperationalError

        from recovery.store.database import describe

        # Exactly DatabaseError is SQLite's "file is not a database"; its subclasses (IntegrityError, …)
        # are races or bugs and keep their traceback.
        if not isinstance(exc, OperationalError) and type(exc) is not DatabaseError:
            return None
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
        return StorageError(f"cannot use the database {describe(self.settings.database.url)}: {reason}")


_pass_runtime = click.make_pass_decorator(Runtime)


def pass_runtime(function: F) -> F:
    """Pass the Runtime as the first argument; a database that cannot be opened or written fails in one line."""

    @functools.wraps(function)
    def with_database_errors(runtime: Runtime, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(runtime, *args, **kwargs)
        except Exception as exc:
            problem = runtime.database_problem(exc)
            if problem is None:
                raise
            raise problem from exc

    return cast(F, _pass_runtime(with_database_errors))


def clock_start_option(function: F) -> F:
    """The hidden ``--clock-start ISO`` option: run as if the clock read ISO at start (for tests only)."""
    return click.option(
        "--clock-start",
        type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
        hidden=True,
        help="Testing only: the clock reads this moment at start (UTC if no offset) and runs on from there.",
    )(function)


def json_option(function: F) -> F:
    """Add ``--json`` to a listing or ``show``."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(function)


def state_option(choices: Sequence[str], help_text: str) -> Callable[[F], F]:
    """``--state S``: the one name of a listing's filter by lifecycle; ``--status``, its old spelling, stays hidden."""

    def decorate(function: F) -> F:
        hidden = click.option("--status", "state", type=click.Choice(choices), hidden=True)
        return click.option("--state", "state", type=click.Choice(choices), help=help_text)(hidden(function))

    return decorate


def print_json(data: Any) -> None:
    """Pretty, stable JSON on stdout."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], empty: str = "nothing to show") -> None:
    """A plain text table of ``columns`` from ``rows``; times in the calendar's zone (cli/times.py)."""
    from recovery.cli.table import table

    if not rows:
        click.echo(empty)
        return
    tz = current_tz()
    click.echo(table([[_cell(r.get(c), tz) for c in columns] for r in rows], columns))


def print_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], *, as_json: bool, empty: str = "nothing to show"
) -> None:
    """A listing: JSON rows with every key for ``--json``, else a table of ``columns``."""
    if as_json:
        print_json(rows)
    else:
        print_table(rows, columns, empty=empty)


def current_tz() -> ZoneInfo:
    """The running command's calendar time zone; UTC outside a command (nothing configured to say otherwise)."""
    from zoneinfo import ZoneInfo

    current = click.get_current_context(silent=True)
    runtime = current.find_object(Runtime) if current is not None else None
    return runtime.tz if runtime is not None else ZoneInfo("UTC")


def _cell(value: Any, tz: ZoneInfo) -> str:
    from recovery.cli.times import shown, shown_text

    if value is None:
        return "-"
    if isinstance(value, datetime):
        return shown(value, tz)
    if isinstance(value, str):
        return shown_text(value, tz)
    return str(value)


def run(group: click.Group, argv: list[str]) -> int:
    """Run the CLI: bad command-line input exits 2, a refused or failed operation 1, each as one line on stderr.

    The rule: what the command line alone shows to be wrong (an unknown option, a value of the wrong shape or
    out of range, a missing argument) is a click usage error, raised before anything is read or written;
    a well-formed request the data refuses (not found, not allowed now, a conflict) is a RecoveryError.
    """
    try:
        # Without standalone mode click catches ``ctx.exit(code)`` itself and returns the code.
        code = group.main(args=argv, prog_name="recovery", standalone_mode=False)
    except click.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.exceptions.NoArgsIsHelpError as exc:  # a group alone asks what it can do: not an error
        click.echo(exc.ctx.get_help())
        return 0
    except click.UsageError as exc:  # one line, like every other error, instead of click's usage block
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except RecoveryError as exc:
        click.echo(f"error: {_first_line(exc)}", err=True)
        return 1
    return code if isinstance(code, int) and not isinstance(code, bool) else 0


def _first_line(exc: RecoveryError) -> str:
    text = str(exc)
    if isinstance(exc, TransitionRefused | ConflictError | NotFoundError):
        return text.replace("\n", " ")
    return text.replace("\n", "; ")
