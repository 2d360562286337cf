"""Settings: the only reader of the config file and the ``RECOVERY_*`` environment.

Precedence, highest first: explicit overrides (CLI flags), ``RECOVERY_SECTION__KEY``
variables (``RECOVERY_DATABASE_URL`` also works), the TOML file, the defaults below.
The file is ``--config``, else ``RECOVERY_CONFIG``, else ``./config/recovery.toml`` if there
is one, else ``recovery.toml`` in the platform's user config directory. Relative paths in
the file are read from the file's directory; relative paths from the environment or a flag,
from the working directory, as any command-line path is.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from importlib import import_module, resources
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from recovery.core.calendar import WEEKDAYS, BusinessCalendar, HolidaysOnFirstUse
from recovery.core.durations import Duration, parse_duration
from recovery.errors import ConfigError
from recovery.logs import LogSettings

DEFAULT_CONFIG = Path("config/recovery.toml")  # a checkout's own, read when run from the checkout
APP_NAME = "recovery"
# sqlite:///PATH, with an optional driver and query string; four slashes make PATH absolute.
_SQLITE_URL = re.compile(r"^(?P<head>sqlite(?:\+\w+)?:///)(?P<path>[^?]*)(?P<query>\?.*)?$")
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*$")
_SIZE_UNITS = {None: 1, "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "KB": 1000, "MB": 1000**2, "GB": 1000**3}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    # setuptools installs the package as plain files, so its data has a real path (never a zip member).
    return Path(str(resources.files("recovery") / "workflows"))


def shipped_surveys() -> Path:
    """The directory of the surveys that ship inside the package (relationship, follow_up, win_back)."""
    return Path(str(resources.files("recovery") / "surveys"))


def shipped_reasons() -> Path:
    """The reason taxonomy that ships inside the package (the checkout's config/reasons.yaml links to it)."""
    return Path(str(resources.files("recovery") / "reasons" / "reasons.yaml"))


class DatabaseSettings(_Section):
    url: str = Field(default_factory=default_database_url)


class WorkflowSettings(_Section):
    dir: Path = Field(default_factory=shipped_workflows)
    default: str = "standard"


class CalendarSettings(_Section):
    timezone: str = "Europe/Amsterdam"
    workdays: list[str] = ["mon", "tue", "wed", "thu", "fri"]
    hours: str = "09:00-17:00"
    holidays: str | list[date] = "NL"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (an IANA name such as Europe/Amsterdam)") from exc
        return value

    @field_validator("workdays")
    @classmethod
    def _known_days(cls, value: list[str]) -> list[str]:
        bad = [d for d in value if d not in WEEKDAYS]
        if bad or not value:
            raise ValueError(f"expected days from {', '.join(WEEKDAYS)}, got {value!r}")
        return value

    @field_validator("holidays", mode="before")
    @classmethod
    def _holiday_spec(cls, value: object) -> object:
        # Checked here so that a bad date is named as such, not as a failed branch of the str | list union.
        problem = f"expected a country code such as 'NL' or a list of dates such as [2026-12-24], got {value!r}"
        if isinstance(value, str):
            return value
        if not isinstance(value, list):
            raise ValueError(problem)
        try:
            return [d if isinstance(d, date) else date.fromisoformat(d) for d in value]
        except (TypeError, ValueError):
            raise ValueError(problem) from None

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        _parse_hours(value)
        return value

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


class DaemonSettings(_Section):
    tick: str = "30s"
    reward_every: str = "1d"
    batch: int = Field(default=500, ge=1)
    lock_file: Path | None = None

    @field_validator("tick", "reward_every")
    @classmethod
    def _clock_duration(cls, value: str) -> str:
        return _clock_time(value)


SourceKind = Literal[
    "zendesk", "freshdesk", "zammad", "helpscout", "intercom", "front", "generic", "shopify", "woocommerce"
]


class WebhookSource(_Section):
    name: str = Field(pattern=r"^[a-z0-9_-]+$", max_length=64)  # the width of inbox.source
    kind: SourceKind
    secret_env: str | None = None
    unsigned: bool = False
    options: dict[str, Any] = {}


class WebhookSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body: str = "1MiB"
    reorder_window: str = "10m"
    admin_token_env: str = "RECOVERY_ADMIN_TOKEN"
    header_timeout: str = "10s"
    body_timeout: str = "30s"
    keep_alive: str = "5s"
    max_header: str = "16KiB"
    sources: list[WebhookSource] = []

    @field_validator("max_body", "max_header")
    @classmethod
    def _size(cls, value: str) -> str:
        parse_size(value)
        return value

    @field_validator("header_timeout", "body_timeout", "keep_alive")
    @classmethod
    def _timeout(cls, value: str) -> str:
        return _clock_time(value, positive=True)

    @property
    def max_body_bytes(self) -> int:
        """``max_body`` in bytes."""
        return parse_size(self.max_body)


class HealthSettings(_Section):
    stale_ticks: int = Field(default=3, ge=1)
    inbox_age: str = "5m"
    inbox_backlog: int = Field(default=0, ge=0)
    outbox_pending: int = Field(default=1000, ge=0)
    outbox_dead: int = Field(default=100, ge=0)
    timeout: str = "2s"

    @field_validator("inbox_age", "timeout")
    @classmethod
    def _clock_duration(cls, value: str) -> str:
        return _clock_time(value, positive=True)


class NotifySettings(_Section):
    sink: Literal["log", "http", "smtp"] = "log"
    http_url: str | None = None
    http_secret_env: str | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "recovery@localhost"
    max_attempts: int = Field(default=8, ge=1)
    backoff: str = "30s"


class RewardSettings(_Section):
    confirm_window: str = "30d"
    points_confirmed_flag: int = Field(default=10, ge=0)
    points_recovered_customer: int = Field(default=25, ge=0)
    cap_per_period: int = Field(default=200, ge=0)
    low_score: int = Field(default=2, ge=1, le=5)


class PrescriptionSettings(_Section):
    """One class's prescription; a key left out keeps the default of ``recovery.core.retention``."""

    advice: str | None = None
    budget_share: float | None = Field(default=None, ge=0, le=1)
    floor: Decimal | None = Field(default=None, ge=0)
    cap: Decimal | None = Field(default=None, ge=0)
    severity: str | None = None
    second_follow_up: bool | None = None


class RetentionSettings(_Section):
    model: Literal["bgnbd", "pareto_nbd", "auto"] = "auto"
    horizon_weeks: float = Field(default=52.0, gt=0, le=520)
    margin: float = Field(default=1.0, gt=0, le=1)
    monthly_discount: float = Field(default=0.01, ge=0, lt=1)
    score_at: time = time(4, 0)
    alive_low: float = Field(default=0.5, ge=0, le=1)
    loyal_alive: float = Field(default=0.8, ge=0, le=1)
    loyal_repeat_purchases: int = Field(default=3, ge=1)
    low_score: int = Field(default=2, ge=1, le=5)
    good_score: int = Field(default=4, ge=1, le=5)
    at_risk_alive_below: float = Field(default=0.5, ge=0, le=1)
    at_risk_top_share: float = Field(default=0.2, gt=0, le=1)
    leave_probability: float = Field(default=0.5, ge=0, le=1)
    leave_window: str = "180d"
    leave_min_complainants: int = Field(default=30, ge=1)
    prescriptions: dict[Literal["dissatisfied", "satisfied", "loyal", "unknown"], PrescriptionSettings] = {}

    @field_validator("leave_window")
    @classmethod
    def _window(cls, value: str) -> str:
        return _clock_time(value, positive=True)


class WinBackSettings(_Section):
    """When a win-back case opens by itself; each cause opens at most one case."""

    workflow: str = "win_back"
    open_on_lost: bool = True  # a complaint ends lost (its defection role)
    open_on_helpdesk_lost: bool = True  # a helpdesk sends customer.lost
    open_on_at_risk: bool = True  # the daily run marks a valuable customer at risk


class SurveySettings(_Section):
    """Where surveys are read from and how their links are made."""

    dir: Path = Field(default_factory=shipped_surveys)
    base_url: str = "http://127.0.0.1:8080"  # the public address links are built from: {base_url}/s/{token}
    secret_env: str = "RECOVERY_SURVEY_SECRET"  # the variable holding the key that signs the links
    token_lifetime: str = "30d"
    default_language: Literal["en", "nl", "de"] = "en"
    max_answer: int = Field(default=4000, ge=1)  # characters of one open answer
    follow_up: str = "follow_up"  # the survey a complaint's follow-up step sends; "" sends none

    @field_validator("token_lifetime")
    @classmethod
    def _lifetime(cls, value: str) -> str:
        return _clock_time(value, positive=True)


class ReasonSettings(_Section):
    """The reason taxonomy open answers are coded into."""

    file: Path = Field(default_factory=shipped_reasons)
    min_confidence: float = Field(default=0.6, gt=0, le=1)  # below it an answer waits for a person


class Settings(BaseSettings):
    """Every setting, by section as in the TOML file."""

    model_config = SettingsConfigDict(env_prefix="RECOVERY_", env_nested_delimiter="__", extra="ignore", frozen=True)

    # Built when settings are loaded, not at import: the defaults read the platform's directories.
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    workflows: WorkflowSettings = Field(default_factory=WorkflowSettings)
    calendar: CalendarSettings = CalendarSettings()
    daemon: DaemonSettings = DaemonSettings()
    webhook: WebhookSettings = WebhookSettings()
    health: HealthSettings = HealthSettings()
    notify: NotifySettings = NotifySettings()
    rewards: RewardSettings = RewardSettings()
    retention: RetentionSettings = RetentionSettings()
    log: LogSettings = LogSettings()
    winback: WinBackSettings = WinBackSettings()
    surveys: SurveySettings = Field(default_factory=SurveySettings)
    reasons: ReasonSettings = Field(default_factory=ReasonSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment overrides the file, which arrives as init values."""
        return (env_settings, init_settings)


def load_settings(path: Path | None = None, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Settings:
    """Read the TOML file (if any) and the environment; raise ConfigError naming the bad key."""
    path = path or config_file()
    document = _read_toml(path)
    _resolve_paths(document, path.absolute().parent)
    legacy_url = os.environ.get("RECOVERY_DATABASE_URL")
    if legacy_url and "RECOVERY_DATABASE__URL" not in os.environ:
        document.setdefault("database", {})["url"] = legacy_url
    try:
        settings = Settings(**document)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from exc
    for section, values in (overrides or {}).items():
        changed = getattr(settings, section).model_copy(update=dict(values))
        settings = settings.model_copy(update={section: changed})
    return settings


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


def _describe(exc: ValidationError, path: Path) -> str:
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    message = first["msg"].removeprefix("Value error, ")
    return f"{path}: {key}: {message}{more}"


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


def _clock_time(value: str, *, positive: bool = False) -> str:
    """``value`` if it is clock time (30s, 1d), and more than zero when ``positive``; else ValueError."""
    duration = parse_duration(value)
    if duration.is_business:
        raise ValueError("expected clock time such as 30s or 1d, not business time")
    if positive and not duration.clock():
        raise ValueError(f"expected a time above zero, got {value!r}")
    return value


def parse_size(value: str) -> int:
    """``"1MiB"`` → 1048576; ValueError naming the accepted units."""
    match = _SIZE.match(value)
    if match is None:
        raise ValueError(f"expected a size such as 512KiB or 1MiB, got {value!r}")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2)]


def clock_duration(value: str) -> Duration:
    """A clock-time setting such as ``30s`` as a Duration."""
    return parse_duration(value)
