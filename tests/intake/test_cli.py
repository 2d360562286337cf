"""``recovery inbox list [--failed] [--json] | show ID | retry ID``, run in-process on a SQLite file."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recovery.cli.main import main
from recovery.clock import SettableClock
from recovery.intake.deliveries import rows_of, store
from recovery.intake.delivery import Delivery
from recovery.intake.rules import SourceRules
from recovery.intake.sources import generic
from recovery.store.database import connect

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def recovery(sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """``recovery …`` on an initialised database of this test's own."""
    config = tmp_path / "recovery.toml"
    config.write_text(f'[workflows]\ndir = "{ROOT / "workflows"}"\n[calendar]\nholidays = []\n')

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--database-url", sqlite_url, "--config", str(config), *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init")[0] == 0
    return run


def deliver(sqlite_url: str, body: dict[str, object]) -> int:
    """Store one generic delivery as the webhook would."""
    now = datetime(2026, 11, 25, 9, tzinfo=UTC)
    raw = json.dumps(body).encode()
    events = generic.parse(body, SourceRules(), Delivery.of({}, raw, now))
    engine = connect(sqlite_url)
    try:
        return store(engine, rows_of("shop", events, now, "-")).inbox_id
    finally:
        engine.dispose()


ORPHAN = {
    "id": "e1",
    "type": "complaint.trigger",
    "trigger": "apologize",
    "ticket": "T-9",
    "occurred_at": "2026-11-25T08:00:00Z",
}


def test_list_shows_stored_events_and_failed_narrows_to_failures(recovery: Run, sqlite_url: str) -> None:
    inbox_id = deliver(sqlite_url, ORPHAN)
    code, out, _ = recovery("inbox", "list")
    assert code == 0
    assert "T-9" in out
    assert "pending" in out
    assert recovery("inbox", "list", "--failed")[1].strip() == "no failed events"
    rows = json.loads(recovery("inbox", "list", "--json")[1])
    assert [(r["id"], r["status"], r["event_type"]) for r in rows] == [(inbox_id, "pending", "complaint.trigger")]


def test_show_prints_the_stored_body(recovery: Run, sqlite_url: str) -> None:
    inbox_id = deliver(sqlite_url, ORPHAN)
    code, out, _ = recovery("inbox", "show", str(inbox_id))
    assert code == 0
    assert '"trigger": "apologize"' in out
    assert json.loads(recovery("inbox", "show", str(inbox_id), "--json")[1])["body"]["ticket"] == "T-9"


def test_show_of_an_unknown_id_is_one_error_line(recovery: Run) -> None:
    code, _, err = recovery("inbox", "show", "77")
    assert (code, err.strip()) == (1, "error: no inbox event 77")


def test_retry_of_an_event_still_missing_its_complaint_fails_with_the_reason(
    recovery: Run, sqlite_url: str, clock: SettableClock
) -> None:
    from sqlalchemy import update

    from recovery.store.schema import inbox

    inbox_id = deliver(sqlite_url, ORPHAN)
    engine = connect(sqlite_url)
    with engine.begin() as connection:
        connection.execute(update(inbox).values(status="dead", error="waited 600 s"))
    engine.dispose()

    code, _, err = recovery("inbox", "retry", str(inbox_id))
    assert code == 1
    assert "no complaint for ticket 'T-9'" in err
    failed = json.loads(recovery("inbox", "list", "--failed", "--json")[1])
    assert [r["status"] for r in failed] == ["failed"]


def test_retry_of_a_pending_event_applies_it_at_once_without_waiting(recovery: Run, sqlite_url: str) -> None:
    inbox_id = deliver(sqlite_url, ORPHAN)
    code, _, err = recovery("inbox", "retry", str(inbox_id))
    assert code == 1
    assert err == (
        f"error: inbox event {inbox_id} failed again: no complaint for ticket 'T-9' yet "
        "(its complaint.opened has not arrived)\n"
    )


def test_retry_of_an_applied_event_is_refused(recovery: Run, sqlite_url: str) -> None:
    inbox_id = deliver(
        sqlite_url, {**ORPHAN, "type": "complaint.opened", "customer": "ann@example.com", "summary": "x"}
    )
    assert recovery("inbox", "retry", str(inbox_id))[0] == 0
    code, _, err = recovery("inbox", "retry", str(inbox_id))
    assert code == 1
    assert "is applied: only pending, held, failed, dead ones" in err


def test_skip_gives_an_event_up_with_its_reason(recovery: Run, sqlite_url: str) -> None:
    inbox_id = deliver(sqlite_url, ORPHAN)
    code, out, _ = recovery("inbox", "skip", str(inbox_id), "--reason", "test event")
    assert (code, out.strip()) == (0, f"inbox event {inbox_id} skipped: skipped by hand: test event")


def test_retry_applies_a_failed_event_whose_cause_is_fixed(recovery: Run, sqlite_url: str) -> None:
    from sqlalchemy import update

    from recovery.store.schema import inbox

    opened = {
        "id": "e0",
        "type": "complaint.opened",
        "ticket": "T-9",
        "occurred_at": "2026-11-25T07:00:00Z",
        "customer": {"email": "ann@example.com"},
        "summary": "late",
    }
    deliver(sqlite_url, opened)
    inbox_id = deliver(sqlite_url, ORPHAN)
    engine = connect(sqlite_url)
    with engine.begin() as connection:
        connection.execute(update(inbox).where(inbox.c.id == inbox_id).values(status="failed"))
    engine.dispose()
    from recovery.bootstrap import build_context
    from recovery.config import load_settings

    settings = load_settings(overrides={"database": {"url": sqlite_url}, "workflows": {"dir": ROOT / "workflows"}})
    ctx = build_context(settings)
    from recovery.engine.inbox import apply_pending

    apply_pending(ctx)
    ctx.db.dispose()
    code, out, _ = recovery("inbox", "retry", str(inbox_id))
    assert (code, out.strip()) == (0, f"inbox event {inbox_id} applied")


def test_show_of_a_delivery_that_did_nothing_says_which_rules_were_tried_on_which_values(
    recovery: Run, sqlite_url: str
) -> None:
    from recovery.intake.sources import zendesk

    now = datetime(2026, 11, 25, 9, tzinfo=UTC)
    body: dict[str, object] = {"ticket_id": "12", "ticket_type": "Question", "tags": "billing"}
    events = zendesk.parse(body, SourceRules(), Delivery.of({}, json.dumps(body).encode(), now))
    engine = connect(sqlite_url)
    try:
        inbox_id = store(engine, rows_of("zendesk", events, now, "-")).inbox_id
    finally:
        engine.dispose()
    assert recovery("inbox", "retry", str(inbox_id))[0] == 0  # applied at once, as the daemon's tick would

    code, out, _ = recovery("inbox", "show", str(inbox_id))
    assert code == 0
    assert "ignored" in out.splitlines()[5], out
    assert "no complaint rule matched type='Question', tags=['billing']; rules: complaint_tags ['complaint']" in out, (
        out
    )
