"""Settings: the only reader of the config file and the ``RECOVERY_*`` environment.

Precedence, highest first: explicit overrides (CLI flags), ``RECOVERY_SECTION__KEY``
variables (``RECOVERY_DATABASE_URL`` also works), the TOML file, the defaults below.
The file is ``--config``, else ``RECOVERY_CONFIG``, else ``./config/recovery.toml`` if there
is one, else ``recovery.toml`` in the platform's user config directory. Relative paths in
the file are read from the file's directory; relative paths from the environment or a flag,
from the working directory, as any command-line path is.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date, time
from importlib import import_module
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recovery.core.calendar import WEEKDAYS, BusinessCalendar, HolidaysOnFirstUse
from recovery.core.durations import Duration, parse_duration
from recovery.errors import ConfigError
from recovery.logs import LogSettings

# Re-exported: every section is read from here.
from recovery.retention_settings import DashboardSettings as DashboardSettings
from recovery.retention_settings import DigestSettings as DigestSettings
from recovery.retention_settings import GoalSettings as GoalSettings
from recovery.retention_settings import PrescriptionSettings as PrescriptionSettings
from recovery.retention_settings import ReasonSettings as ReasonSettings
from recovery.retention_settings import ReportSettings as ReportSettings
from recovery.retention_settings import RetentionSettings as RetentionSettings
from recovery.retention_settings import SurveySettings as SurveySettings
from recovery.retention_settings import WinBackSettings as WinBackSettings
from recovery.retention_settings import shipped_reasons as shipped_reasons
from recovery.retention_settings import shipped_surveys as shipped_surveys
from recovery.sections import Section, is_structured, kind_of, members, setting
from recovery.sections import SettingsError as SettingsError  # what a section built with a bad value raises
from recovery.setting_checks import clock_time, positive_clock_time

DEFAULT_CONFIG = Path("config/recovery.toml")  # a checkout's own, read when run from the checkout
APP_NAME = "recovery"
_PACKAGE = Path(__file__).parent  # the installed package's own directory, its data files inside
# sqlite:///PATH, with an optional driver and query string; four slashes make PATH absolute.
_SQLITE_URL = re.compile(r"^(?P<head>sqlite(?:\+\w+)?:///)(?P<path>[^?]*)(?P<query>\?.*)?$")
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*$")
_SIZE_UNITS = {None: 1, "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "KB": 1000, "MB": 1000**2, "GB": 1000**3}


def user_config_file() -> Path:
    """``recovery.toml`` in the platform's user config directory (``~/.config/recovery`` on Linux)."""
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "recovery.toml"


def default_database_url() -> str:
    """A SQLite file in the platform's user data directory (``~/.local/share/recovery`` on Linux)."""
    from platformdirs import user_data_path

    return f"sqlite:///{user_data_path(APP_NAME, appauthor=False) / 'recovery.db'}"


def shipped_workflows() -> Path:
    """The directory of the workflows that ship inside the package (standard, minor)."""
    # setuptools installs the package as plain files, so its data has a real path (never a zip member);
    # read beside this module rather than through importlib.resources, whose import costs every command ~4 ms.
    return _PACKAGE / "workflows"


class DatabaseSettings(Section):
    url: str = setting(factory=default_database_url)


class WorkflowSettings(Section):
    dir: Path = setting(factory=shipped_workflows)
    default: str = "standard"


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {value!r} (an IANA name such as Europe/Amsterdam)") from exc
    return value


def _known_days(value: list[str]) -> list[str]:
    bad = [d for d in value if d not in WEEKDAYS]
    if bad or not value:
        raise ValueError(f"expected days from {', '.join(WEEKDAYS)}, got {value!r}")
    return value


def _holiday_spec(value: object) -> object:
    # Checked first so that a bad date is named as such, not as a failed branch of the str | list union.
    problem = f"expected a country code such as 'NL' or a list of dates such as [2026-12-24], got {value!r}"
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise ValueError(problem)
    try:
        return [d if isinstance(d, date) else date.fromisoformat(d) for d in value]
    except (TypeError, ValueError):
        raise ValueError(problem) from None


def _hours(value: str) -> str:
    _parse_hours(value)
    return value


class CalendarSettings(Section):
    timezone: str = setting(default="Europe/Amsterdam", after=_known_zone)
    workdays: list[str] = setting(default=["mon", "tue", "wed", "thu", "fri"], after=_known_days)
    hours: str = setting(default="09:00-17:00", after=_hours)
    holidays: str | list[date] = setting(default="NL", before=_holiday_spec)

    def calendar(self) -> BusinessCalendar:
        """The business calendar these settings describe."""
        opens, closes = _parse_hours(self.hours)
        return BusinessCalendar(
            tz=ZoneInfo(self.timezone),
            workdays=frozenset(WEEKDAYS.index(d) for d in self.workdays),
            opens=opens,
            closes=closes,
            is_holiday=_holidays(self.holidays),
        )


def _size(value: str) -> str:
    parse_size(value)
    return value


class DaemonSettings(Section):
    tick: str = setting(default="30s", after=clock_time)
    reward_every: str = setting(default="1d", after=clock_time)
    batch: int = setting(default=500, ge=1)
    lock_file: Path | None = None


SourceKind = Literal[
    "zendesk", "freshdesk", "zammad", "helpscout", "intercom", "front", "generic", "shopify", "woocommerce"
]


class WebhookSource(Section):
    name: str = setting(pattern=r"^[a-z0-9_-]+$", max_length=64)  # the width of inbox.source
    kind: SourceKind = setting()
    secret_env: str | None = None
    unsigned: bool = False
    options: dict[str, Any] = setting(factory=dict)


class WebhookSettings(Section):
    host: str = "127.0.0.1"
    port: int = setting(default=8080, ge=0, le=65535)
    max_body: str = setting(default="1MiB", after=_size)
    reorder_window: str = "10m"
    admin_token_env: str = "RECOVERY_ADMIN_TOKEN"
    header_timeout: str = setting(default="10s", after=positive_clock_time)
    body_timeout: str = setting(default="30s", after=positive_clock_time)
    keep_alive: str = setting(default="5s", after=positive_clock_time)
    max_header: str = setting(default="16KiB", after=_size)
    sources: list[WebhookSource] = setting(factory=list)

    @property
    def max_body_bytes(self) -> int:
        """``max_body`` in bytes."""
        return parse_size(self.max_body)


class HealthSettings(Section):
    stale_ticks: int = setting(default=3, ge=1)
    inbox_age: str = setting(default="5m", after=positive_clock_time)
    inbox_backlog: int = setting(default=0, ge=0)
    outbox_pending: int = setting(default=1000, ge=0)
    outbox_dead: int = setting(default=100, ge=0)
    timeout: str = setting(default="2s", after=positive_clock_time)


class NotifySettings(Section):
    sink: Literal["log", "http", "smtp"] = "log"
    http_url: str | None = None
    http_secret_env: str | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "recovery@localhost"
    max_attempts: int = setting(default=8, ge=1)
    backoff: str = "30s"


class RewardSettings(Section):
    confirm_window: str = "30d"
    points_confirmed_flag: int = setting(default=10, ge=0)
    points_recovered_customer: int = setting(default=25, ge=0)
    cap_per_period: int = setting(default=200, ge=0)
    low_score: int = setting(default=2, ge=1, le=5)


class Settings(Section):
    """Every setting, by section as in the TOML file; an unknown section is ignored."""

    ignore_extra: ClassVar[bool] = True

    # Built when settings are loaded, not at import: the defaults read the platform's directories.
    database: DatabaseSettings = setting(factory=DatabaseSettings)
    workflows: WorkflowSettings = setting(factory=WorkflowSettings)
    calendar: CalendarSettings = setting(factory=CalendarSettings)
    daemon: DaemonSettings = setting(factory=DaemonSettings)
    webhook: WebhookSettings = setting(factory=WebhookSettings)
    health: HealthSettings = setting(factory=HealthSettings)
    notify: NotifySettings = setting(factory=NotifySettings)
    rewards: RewardSettings = setting(factory=RewardSettings)
    retention: RetentionSettings = setting(factory=RetentionSettings)
    log: LogSettings = setting(factory=LogSettings)
    winback: WinBackSettings = setting(factory=WinBackSettings)
    surveys: SurveySettings = setting(factory=SurveySettings)
    reasons: ReasonSettings = setting(factory=ReasonSettings)
    dashboard: DashboardSettings = setting(factory=DashboardSettings)
    report: ReportSettings = setting(factory=ReportSettings)
    goals: GoalSettings = setting(factory=GoalSettings)
    digest: DigestSettings = setting(factory=DigestSettings)


def load_settings(
    path: Path | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the TOML file (if any) and the environment (``os.environ`` by default); ConfigError names the bad key."""
    path = path or config_file()
    environ = os.environ if environ is None else environ
    document = _read_toml(path)
    _resolve_paths(document, path.absolute().parent)
    legacy_url = environ.get("RECOVERY_DATABASE_URL")
    if legacy_url and "RECOVERY_DATABASE__URL" not in environ:
        document.setdefault("database", {})["url"] = legacy_url
    try:
        settings = Settings.parse(_merged(document, _environment(environ)))
    except SettingsError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    for section, values in (overrides or {}).items():
        try:
            changed = dataclasses.replace(getattr(settings, section), **values)
        except SettingsError as exc:
            raise ConfigError(f"{path}: {SettingsError(exc.under(section))}") from exc
        settings = dataclasses.replace(settings, **{section: changed})
    return settings


def _environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``RECOVERY_SECTION[__KEY…]`` variables as a document; JSON for a list, a table or a whole section."""
    document: dict[str, Any] = {}
    named = [(name.lower().removeprefix("recovery_").split("__"), name) for name in environ]
    for parts, name in sorted(named, key=lambda item: len(item[0])):  # RECOVERY_WEBHOOK before its keys
        if not name.lower().startswith("recovery_") or kind_of(Settings, parts[0]) is None:
            continue  # RECOVERY_DATABASE_URL, RECOVERY_CONFIG, a secret: not a section
        value: Any = _decoded(name, environ[name], _kind_at(parts))
        for part in reversed(parts):
            value = {part: value}
        document = _merged(document, value)
    return document


def _kind_at(parts: list[str]) -> Any:
    """The type of the setting at ``parts`` (section, key, a table's key…); None if there is none."""
    kind: Any = Settings
    for part in parts:
        if isinstance(kind, type) and issubclass(kind, Section):
            kind = kind_of(kind, part)
        elif get_origin(kind) is dict:
            kind = get_args(kind)[1]
        else:
            return None
    return kind


def _decoded(name: str, raw: str, kind: Any) -> Any:
    """A variable's value: JSON for a list, a table or a section, else the text (``str | list``: JSON if it is)."""
    kinds = members(kind) if kind is not None else ()
    if not any(is_structured(member) for member in kinds):
        return raw
    try:
        return json.loads(raw)
    except ValueError as exc:
        if not all(is_structured(member) for member in kinds):
            return raw  # calendar.holidays = NL
        raise ConfigError(f"{name}: expected JSON (a list or a table): {exc}") from None


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s values, tables merged key by key."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        merged[key] = _merged(below, value) if isinstance(value, Mapping) and isinstance(below, Mapping) else value
    return merged


def config_file() -> Path:
    """The file to read when none is given: ``RECOVERY_CONFIG``, the checkout's, or the user's."""
    named = os.environ.get("RECOVERY_CONFIG")
    if named:
        return Path(named)
    if DEFAULT_CONFIG.is_file():
        return DEFAULT_CONFIG
    return user_config_file()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        if path == user_config_file():  # only a file someone named must exist
            return {}
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _resolve_paths(document: dict[str, Any], base: Path) -> None:
    """Make the file's relative paths relative to ``base``, its directory, so any working directory will do."""
    for section, key in (("workflows", "dir"), ("daemon", "lock_file"), ("surveys", "dir"), ("reasons", "file")):
        values = document.get(section)
        if isinstance(values, dict) and isinstance(values.get(key), str):
            values[key] = _beside(base, values[key])
    database = document.get("database")
    if isinstance(database, dict) and isinstance(database.get("url"), str):
        database["url"] = sqlite_url_beside(base, database["url"])


def sqlite_url_beside(base: Path, url: str) -> str:
    """``url`` with a relative SQLite file made relative to ``base``; other URLs unchanged."""
    match = _SQLITE_URL.match(url)
    if match is None:
        return url
    path, query = match["path"], match["query"] or ""
    # Memory and file: URIs (sqlite:///file:x?uri=true) are the driver's to read.
    if not path or path == ":memory:" or path.startswith("file:"):
        return url
    return f"{match['head']}{_beside(base, path)}{query}"


def _beside(base: Path, value: str) -> str:
    """``value`` as a path, ``~`` expanded and relative to ``base``; ``..`` folded so messages read well."""
    return os.path.normpath(base / Path(value).expanduser())


def _parse_hours(value: str) -> tuple[time, time]:
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as exc:
        raise ValueError(f"expected opening hours as HH:MM-HH:MM, got {value!r}") from exc
    if end <= start:
        raise ValueError(f"business hours must close after they open, got {value!r}")
    return start, end


def _holidays(spec: str | list[date]) -> Any:
    if isinstance(spec, list) or not spec:
        return frozenset(spec or ()).__contains__
    return HolidaysOnFirstUse(lambda: _country_holidays(spec))  # importing holidays costs ~0.4 s a command


def _country_holidays(code: str) -> Any:
    try:  # the package is imported here, on first use: see _holidays
        return import_module("holidays").country_holidays(code).__contains__
    except NotImplementedError as exc:
        raise ConfigError(f"calendar.holidays: unknown country code {code!r} for the holidays package") from exc


def parse_size(value: str) -> int:
    """``"1MiB"`` → 1048576; ValueError naming the accepted units."""
    match = _SIZE.match(value)
    if match is None:
        raise ValueError(f"expected a size such as 512KiB or 1MiB, got {value!r}")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2)]


def clock_duration(value: str) -> Duration:
    """A clock-time setting such as ``30s`` as a Duration."""
    return parse_duration(value)
