"""Settings: the TOML file, RECOVERY_* overrides, and bad values that name their key."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from recovery.config import (
    DEFAULT_CONFIG,
    RetentionSettings,
    Settings,
    SettingsError,
    WebhookSource,
    clock_duration,
    load_settings,
    parse_size,
)
from recovery.core.durations import Duration
from recovery.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("RECOVERY_"):
            monkeypatch.delenv(name)


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recovery.toml"
    path.write_text(text)
    return path


def test_the_shipped_config_loads() -> None:
    settings = load_settings(ROOT / "config" / "recovery.toml")
    assert (settings.database.url, settings.calendar.holidays, settings.workflows.default) == (
        f"sqlite:///{ROOT / 'var' / 'recovery.db'}",  # its relative path is read from config/
        "NL",
        "standard",
    )


def test_without_a_file_the_defaults_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert not DEFAULT_CONFIG.exists()
    settings = load_settings()
    assert (settings.calendar.timezone, settings.calendar.hours, settings.daemon.tick) == (
        "Europe/Amsterdam",
        "09:00-17:00",
        "30s",
    )


def test_recovery_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_CONFIG", str(config(tmp_path, '[database]\nurl = "sqlite:///x.db"\n')))
    assert load_settings().database.url == f"sqlite:///{tmp_path / 'x.db'}"  # beside the file


def test_a_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"absent\.toml: configuration file not found"):
        load_settings(tmp_path / "absent.toml")


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = config(tmp_path, "[calendar\nhours = 1\n")
    with pytest.raises(ConfigError, match=rf"^{path}: not valid TOML"):
        load_settings(path)


def test_section_key_variables_override_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = config(tmp_path, '[calendar]\nhours = "09:00-17:00"\ntimezone = "Europe/Amsterdam"\n')
    monkeypatch.setenv("RECOVERY_CALENDAR__HOURS", "08:00-16:00")
    settings = load_settings(path)
    assert (settings.calendar.hours, settings.calendar.timezone) == ("08:00-16:00", "Europe/Amsterdam")


def test_a_nested_list_can_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_CALENDAR__WORKDAYS", '["sat", "sun"]')
    assert load_settings(config(tmp_path, "")).calendar.workdays == ["sat", "sun"]


def test_recovery_database_url_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_DATABASE_URL", "postgresql+psycopg://db/recovery")
    settings = load_settings(config(tmp_path, '[database]\nurl = "sqlite:///file.db"\n'))
    assert settings.database.url == "postgresql+psycopg://db/recovery"


def test_the_section_variable_beats_recovery_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_DATABASE_URL", "sqlite:///legacy.db")
    monkeypatch.setenv("RECOVERY_DATABASE__URL", "sqlite:///section.db")
    assert load_settings(config(tmp_path, "")).database.url == "sqlite:///section.db"


def test_explicit_overrides_beat_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_DATABASE__URL", "sqlite:///env.db")
    settings = load_settings(config(tmp_path, ""), {"database": {"url": "sqlite:///flag.db"}})
    assert settings.database.url == "sqlite:///flag.db"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        pytest.param(
            '[calendar]\nhours = "9-5"\n', "calendar.hours", "expected opening hours as HH:MM-HH:MM", id="hrs"
        ),
        pytest.param(
            '[calendar]\nhours = "17:00-09:00"\n',
            "calendar.hours",
            "business hours must close after they open",
            id="backwards",
        ),
        pytest.param('[calendar]\ntimezone = "Mars/Olympus"\n', "calendar.timezone", "unknown timezone", id="tz"),
        pytest.param('[calendar]\nworkdays = ["mon", "funday"]\n', "calendar.workdays", "expected days from", id="day"),
        pytest.param("[calendar]\nworkdays = []\n", "calendar.workdays", "expected days from", id="no-days"),
        pytest.param(
            '[calendar]\nholidays = ["someday"]\n', "calendar.holidays", "expected a country code", id="bad-date"
        ),
        pytest.param(
            "[calendar]\nholidays = 5\n", "calendar.holidays", "expected a country code such as 'NL'", id="bad-type"
        ),
        pytest.param('[daemon]\ntick = "1bd"\n', "daemon.tick", "expected clock time", id="business-tick"),
        pytest.param('[daemon]\ntick = "often"\n', "daemon.tick", "bad duration", id="bad-tick"),
        pytest.param('[webhook]\nmax_body = "big"\n', "webhook.max_body", "expected a size", id="size"),
        pytest.param("[webhook]\nport = 70000\n", "webhook.port", "", id="port"),
        pytest.param('[notify]\nsink = "pigeon"\n', "notify.sink", "", id="sink"),
        pytest.param('[log]\nformat = "xml"\n', "log.format", "Input should be 'text' or 'json'", id="log-format"),
        pytest.param('[log]\nlevel = "loud"\n', "log.level", "", id="log-level"),
        pytest.param("[database]\nurl = 5\n", "database.url", "", id="url-type"),
        pytest.param("[database]\nhost = 'x'\n", "database.host", "Extra inputs are not permitted", id="unknown-key"),
    ],
)
def test_a_bad_value_names_its_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = config(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert str(raised.value).startswith(f"{path}: {key}: {problem}"), raised.value


def test_a_bad_environment_value_names_its_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_CALENDAR__TIMEZONE", "Nowhere/Land")
    with pytest.raises(ConfigError, match=r"calendar\.timezone: unknown timezone 'Nowhere/Land'"):
        load_settings(config(tmp_path, ""))


def test_several_bad_values_are_counted(tmp_path: Path) -> None:
    path = config(tmp_path, '[calendar]\nhours = "x"\ntimezone = "y"\n')
    with pytest.raises(ConfigError, match=r"\(and 1 more\)$"):
        load_settings(path)


def test_the_calendar_follows_the_settings(tmp_path: Path) -> None:
    text = '[calendar]\ntimezone = "Europe/London"\nworkdays = ["mon", "sat"]\nhours = "08:30-12:00"\nholidays = []\n'
    calendar = load_settings(config(tmp_path, text)).calendar.calendar()
    assert (calendar.tz, calendar.workdays, calendar.opens, calendar.closes) == (
        ZoneInfo("Europe/London"),
        frozenset({0, 5}),
        time(8, 30),
        time(12),
    )


def test_holidays_as_a_list_of_dates(tmp_path: Path) -> None:
    text = "[calendar]\nholidays = [2026-12-24, 2026-12-31]\n"
    calendar = load_settings(config(tmp_path, text)).calendar.calendar()
    assert (calendar.is_holiday(date(2026, 12, 24)), calendar.is_holiday(date(2026, 12, 25))) == (True, False)


def test_holidays_as_dates_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_CALENDAR__HOLIDAYS", '["2026-12-24"]')
    assert load_settings(config(tmp_path, "")).calendar.calendar().is_holiday(date(2026, 12, 24))


def test_holidays_by_country_code(tmp_path: Path) -> None:
    calendar = load_settings(config(tmp_path, '[calendar]\nholidays = "NL"\n')).calendar.calendar()
    assert calendar.is_holiday(date(2027, 4, 27))  # King's Day
    assert not calendar.is_holiday(date(2027, 4, 28))


def test_no_holidays(tmp_path: Path) -> None:
    calendar = load_settings(config(tmp_path, '[calendar]\nholidays = ""\n')).calendar.calendar()
    assert not calendar.is_holiday(date(2026, 12, 25))


def test_an_unknown_country_code_names_the_key(tmp_path: Path) -> None:
    calendar = load_settings(config(tmp_path, '[calendar]\nholidays = "XX"\n')).calendar.calendar()
    # The holidays package is loaded on the first question (it costs ~0.4 s), so the code is checked then.
    with pytest.raises(ConfigError, match=r"calendar\.holidays: unknown country code 'XX'"):
        calendar.is_holiday(date(2026, 12, 25))


@pytest.mark.parametrize(
    ("text", "size"), [("512", 512), ("1KiB", 1024), ("1MiB", 1048576), ("2 MB", 2_000_000), ("1GiB", 1024**3)]
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_max_body_in_bytes(tmp_path: Path) -> None:
    assert load_settings(config(tmp_path, '[webhook]\nmax_body = "2KiB"\n')).webhook.max_body_bytes == 2048


def test_clock_duration() -> None:
    assert clock_duration("30s") == Duration(30, "s")


def test_environment_values_take_the_setting_s_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "RECOVERY_DAEMON__BATCH": "25",
        "RECOVERY_WINBACK__OPEN_ON_LOST": "false",
        "RECOVERY_RETENTION__SCORE_AT": "05:30",
        "RECOVERY_RETENTION__MARGIN": "0.4",
        "RECOVERY_RETENTION__PRESCRIPTIONS__LOYAL__CAP": "12.50",
        "RECOVERY_DAEMON__LOCK_FILE": "my.lock",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(config(tmp_path, ""))
    assert (settings.daemon.batch, settings.winback.open_on_lost, settings.retention.score_at) == (
        25,
        False,
        time(5, 30),
    )
    assert (settings.retention.margin, settings.retention.prescriptions["loyal"].cap) == (0.4, Decimal("12.50"))
    assert settings.daemon.lock_file == Path("my.lock")  # from the working directory, as a flag's path


def test_a_list_of_tables_from_the_environment_is_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_WEBHOOK__SOURCES", '[{"name": "shop", "kind": "generic", "unsigned": true}]')
    [source] = load_settings(config(tmp_path, "")).webhook.sources
    assert (source.name, source.kind, source.unsigned, source.options) == ("shop", "generic", True, {})


def test_a_whole_section_from_the_environment_under_its_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_LOG", '{"level": "debug", "format": "text"}')
    monkeypatch.setenv("RECOVERY_LOG__FORMAT", "json")
    log = load_settings(config(tmp_path, '[log]\nlevel = "error"\n')).log
    assert (log.level, log.format) == ("debug", "json")


def test_a_list_variable_that_is_not_json_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_CALENDAR__WORKDAYS", "mon")
    with pytest.raises(ConfigError, match=r"^RECOVERY_CALENDAR__WORKDAYS: expected JSON"):
        load_settings(config(tmp_path, ""))


def test_variables_that_name_no_section_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOVERY_ZENDESK_SECRET", "s3cret")
    monkeypatch.setenv("RECOVERY_TEST_POSTGRES_URL", "postgresql://x")
    assert load_settings(config(tmp_path, "[unknown_section]\nkey = 1\n")).database.url


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            "[[webhook.sources]]\nname = 'A B'\nkind = 'generic'\n",
            "webhook.sources.0.name: String should match pattern '^[a-z0-9_-]+$'",
            id="pattern",
        ),
        pytest.param(
            "[[webhook.sources]]\nkind = 'generic'\n", "webhook.sources.0.name: Field required", id="required"
        ),
        pytest.param(
            "[retention.prescriptions.bogus]\ncap = 1\n",
            "retention.prescriptions.bogus: Input should be 'dissatisfied', 'satisfied', 'loyal' or 'unknown'",
            id="table-key",
        ),
        pytest.param(
            "[retention.prescriptions.loyal]\ncap = -1\n",
            "retention.prescriptions.loyal.cap: Input should be greater than or equal to 0",
            id="nested-bound",
        ),
        pytest.param("[retention]\nmargin = 0\n", "retention.margin: Input should be greater than 0", id="gt"),
        pytest.param(
            "[retention]\nscore_at = 'dawn'\n", "retention.score_at: Input should be in a valid time", id="time"
        ),
        pytest.param(
            "[winback]\nopen_on_lost = 'maybe'\n", "winback.open_on_lost: Input should be a valid boolean", id="bool"
        ),
        pytest.param("database = 5\n", "database: Input should be a valid dictionary", id="section-type"),
    ],
)
def test_a_bad_nested_value_names_where_it_is(tmp_path: Path, text: str, problem: str) -> None:
    path = config(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert str(raised.value).startswith(f"{path}: {problem}"), raised.value


def test_a_bad_override_names_its_key(tmp_path: Path) -> None:
    path = config(tmp_path, "")
    with pytest.raises(ConfigError, match=rf"^{path}: daemon\.batch: Input should be greater than or equal to 1$"):
        load_settings(path, {"daemon": {"batch": 0}})


def test_sections_built_in_code_are_checked_and_coerced() -> None:
    settings = Settings(
        database={"url": "sqlite://"}, webhook={"port": "81", "sources": [{"name": "a", "kind": "front"}]}
    )
    assert (settings.database.url, settings.webhook.port, settings.webhook.sources[0].kind) == (
        "sqlite://",
        81,
        "front",
    )
    assert RetentionSettings.parse({"prescriptions": {"loyal": {"floor": 0}}}).prescriptions["loyal"].floor == 0
    with pytest.raises(SettingsError, match=r"^name: String should have at most 64 characters$"):
        WebhookSource(name="s" * 65, kind="generic")
    with pytest.raises(SettingsError, match=r"^kind: Input should be 'zendesk', .* or 'woocommerce'$"):
        WebhookSource(name="s", kind="fax")  # type: ignore[arg-type]


def test_a_setting_s_list_default_is_its_own() -> None:
    first, second = Settings(), Settings()
    first.calendar.workdays.append("sat")
    assert second.calendar.workdays == ["mon", "tue", "wed", "thu", "fri"]


def test_reading_the_settings_imports_no_pydantic() -> None:
    code = (
        "import sys, recovery.config as c; c.load_settings(); print(sorted(m for m in sys.modules if 'pydantic' in m))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOVERY_")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_a_section_is_frozen_and_compared_by_value() -> None:
    from dataclasses import FrozenInstanceError, replace

    first = Settings(daemon={"tick": "1s"}).daemon
    with pytest.raises(FrozenInstanceError):
        first.tick = "2s"  # type: ignore[misc]
    assert (first == replace(first), first == replace(first, batch=7), hash(first) == hash(replace(first))) == (
        True,
        False,
        True,
    )
    assert repr(first) == "DaemonSettings(tick='1s', reward_every='1d', batch=500, lock_file=None)"
