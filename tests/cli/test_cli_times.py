"""Times a person reads are in the calendar's time zone with the offset; ``--json`` stays UTC with a Z."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from recovery.bootstrap import build_context
from recovery.cli.times import shown, shown_text
from recovery.clock import SettableClock
from recovery.config import load_settings
from recovery.engine.runtime import record_tick

Recovery = Callable[..., Any]  # fixtures of tests/cli/conftest.py
ROOT = Path(__file__).resolve().parents[2]
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """The shipped workflows, no holidays, and a calendar in New York (never UTC, so an unconverted time shows)."""
    path = tmp_path / "recovery.toml"
    path.write_text(
        f'[workflows]\ndir = "{ROOT / "workflows"}"\n[calendar]\nholidays = []\ntimezone = "America/New_York"\n'
    )
    return path


@pytest.fixture
def flagged(shop: Recovery) -> Recovery:
    """The shop with flag 1 raised by bob on ann@example.com."""
    assert shop("flag", "add", "ann@example.com", "--by", "bob", "--reason", "sighed").code == 0
    return shop


def _local(iso: str) -> str:
    """What the human output should show for a --json time."""
    return shown(datetime.fromisoformat(iso), NEW_YORK)


def _json(result: Any) -> Any:
    assert result.code == 0, result
    return json.loads(result.out)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        pytest.param(datetime(2026, 12, 3, 13, 48, tzinfo=UTC), "2026-12-03 08:48 -05:00", id="winter"),
        pytest.param(datetime(2026, 7, 3, 12, 48, tzinfo=UTC), "2026-07-03 08:48 -04:00", id="summer"),
        pytest.param(datetime(2026, 12, 3, 13, 48), "2026-12-03 08:48 -05:00", id="naive-is-utc"),
        pytest.param(None, "-", id="none"),
    ],
)
def test_a_moment_is_shown_in_the_zone_with_its_offset(moment: datetime | None, text: str) -> None:
    assert shown(moment, NEW_YORK) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param("2026-12-03T13:48:09.5Z", "2026-12-03 08:48 -05:00", id="z"),
        pytest.param("2026-12-03T13:48:09+00:00", "2026-12-03 08:48 -05:00", id="offset"),
        pytest.param("Tuesday at 10Z", "Tuesday at 10Z", id="prose-unchanged"),
        pytest.param("2026-13-03T13:48:09Z", "2026-13-03T13:48:09Z", id="no-such-month-unchanged"),
    ],
)
def test_only_iso_times_in_text_are_converted(value: str, text: str) -> None:
    assert shown_text(value, NEW_YORK) == text


def test_flag_list_shows_times_in_the_configured_zone(flagged: Recovery) -> None:
    row = _json(flagged("flag", "list", "--json"))[0]
    line = flagged("flag", "list").out.splitlines()[-1]
    assert _local(row["raised_at"]) in line, line
    assert _local(row["window_ends_at"]) in line, line


def test_flag_show_shows_times_in_the_configured_zone(flagged: Recovery) -> None:
    view = _json(flagged("flag", "show", "1", "--json"))
    assert f"raised_at       {_local(view['raised_at'])}" in flagged("flag", "show", "1").out


def test_json_times_stay_utc_with_a_z(flagged: Recovery) -> None:
    row = _json(flagged("flag", "list", "--json"))[0]
    assert row["raised_at"].endswith("Z"), row
    assert datetime.fromisoformat(row["raised_at"]).utcoffset() == UTC.utcoffset(None)


def test_status_shows_the_last_tick_in_the_configured_zone(
    recovery: Recovery, config_file: Path, sqlite_url: str
) -> None:
    settings = load_settings(config_file, {"database": {"url": sqlite_url}})
    ctx = build_context(settings, SettableClock(datetime(2026, 12, 3, 13, 48, tzinfo=UTC)))
    try:
        record_tick(ctx, "overdue", {})
    finally:
        ctx.db.dispose()
    result = recovery("status")
    assert "last tick: 2026-12-03 08:48 -05:00" in result.out, result
