"""Issue 11's small gaps: ``--limit`` on every listing, ``inbox list --state``, and ``status`` as people read it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from recovery.store.database import connect
from recovery.store.runtime import put
from recovery.store.schema import customer_scores, inbox, ledger, model_fits

Recovery = Callable[..., Any]  # the ``recovery`` fixture of tests/cli/conftest.py
Outcome = Any
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(sqlite_url: str, shop: Recovery) -> Iterator[Engine]:
    """The shop's database, to write the rows a listing reads (ledger, fits, inbox) as the engine would."""
    engine = connect(sqlite_url)
    yield engine
    engine.dispose()


def listed(result: Outcome) -> list[dict[str, Any]]:
    assert result.code == 0, result
    rows: list[dict[str, Any]] = json.loads(result.out)
    return rows


def test_staff_list_takes_a_limit(shop: Recovery) -> None:
    assert shop("staff", "add", "amy", "--name", "Amy").code == 0
    assert [row["id"] for row in listed(shop("staff", "list", "--json"))] == ["amy", "bob"]
    assert [row["id"] for row in listed(shop("staff", "list", "--limit", "1", "--json"))] == ["amy"]
    result = shop("staff", "list", "--limit", "1")
    assert ("amy" in result.out, "bob" in result.out) == (True, False), result


def test_the_statement_shows_the_newest_rows_and_the_whole_total(shop: Recovery, db: Engine) -> None:
    rows = [
        {"award_key": f"k{n}", "staff_id": "bob", "at": T0 + timedelta(days=n), "period": "2026-11", "points": n}
        for n in (1, 2, 3)
    ]
    with db.begin() as connection:
        connection.execute(insert(ledger), [{**row, "reason": "confirmed", "note": ""} for row in rows])
    found = shop("rewards", "statement", "bob", "--limit", "2", "--json")
    assert found.code == 0, found
    statement = json.loads(found.out)
    assert ([row["points"] for row in statement["rows"]], statement["count"], statement["total"]) == ([2, 3], 3, 6)
    text = shop("rewards", "statement", "bob", "--limit", "2")
    assert text.out.endswith("the newest 2 of 3 rows (--limit)\ntotal: 6 points\n"), text
    assert "of 3 rows" not in shop("rewards", "statement", "bob").out


def test_model_show_history_takes_a_limit(shop: Recovery, db: Engine, error_line: Callable[[Outcome], str]) -> None:
    fit = {"model": "bgnbd", "params": {"r": 1.0}, "log_likelihood": -1.0, "customers": 5, "until": T0}
    with db.begin() as connection:
        connection.execute(insert(model_fits), [{**fit, "fitted_at": T0 + timedelta(hours=n)} for n in range(3)])
    assert [f["id"] for f in listed(shop("model", "show", "--history", "--json"))] == [3, 2, 1]
    assert [f["id"] for f in listed(shop("model", "show", "--history", "--limit", "2", "--json"))] == [3, 2]
    alone = shop("model", "show", "--limit", "2")
    assert alone.code == 2, alone
    assert "--limit goes with --history" in error_line(alone)


@pytest.fixture
def events(db: Engine) -> None:
    """Inbox events in four states, as the webhook and the applier leave them."""
    rows = [
        {"source": "shop", "delivery_id": f"d{n}", "received_at": T0, "body": {}, "status": status}
        for n, status in enumerate(["pending", "applied", "failed", "dead"], start=1)
    ]
    with db.begin() as connection:
        connection.execute(insert(inbox), rows)


@pytest.mark.usefixtures("events")
@pytest.mark.parametrize(
    ("args", "states"),
    [
        pytest.param([], ["dead", "failed", "applied", "pending"], id="all"),
        pytest.param(["--state", "pending"], ["pending"], id="pending"),
        pytest.param(["--state", "applied"], ["applied"], id="applied"),
        pytest.param(["--failed"], ["dead", "failed"], id="failed"),
        pytest.param(["--failed", "--state", "dead"], ["dead"], id="failed-dead"),
        pytest.param(["--state", "skipped"], [], id="none"),
    ],
)
def test_inbox_list_by_state(shop: Recovery, args: list[str], states: list[str]) -> None:
    assert [row["status"] for row in listed(shop("inbox", "list", *args, "--json"))] == states


@pytest.mark.usefixtures("events")
def test_inbox_list_state_in_words(shop: Recovery, error_line: Callable[[Outcome], str]) -> None:
    assert "no skipped events" in shop("inbox", "list", "--state", "skipped").out
    contradiction = shop("inbox", "list", "--failed", "--state", "applied")
    assert contradiction.code == 2, contradiction
    assert "--failed and --state applied contradict each other" in error_line(contradiction)
    unknown = shop("inbox", "list", "--state", "lost")
    assert unknown.code == 2, unknown


def test_status_json_writes_the_last_tick_in_utc_with_a_z(shop: Recovery, db: Engine) -> None:
    at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with db.begin() as connection:  # as engine/runtime.record_tick stores it: isoformat, +00:00
        put(connection, "last_tick", {"at": at.isoformat(), "job": "tick", "pid": 1, "host": "h"}, at)
    data = json.loads(shop("status", "--json").out)
    assert data["last_tick"]["at"] == "2026-11-25T10:00:00Z", data
    assert data["last_tick"]["job"] == "tick"
    assert "last tick: 2026-11-25 11:00" in shop("status").out  # shown in the calendar's zone, Amsterdam


def test_status_says_revenue_at_risk_needs_scores_until_a_customer_is_scored(shop: Recovery, db: Engine) -> None:
    assert shop("complaint", "open", "--customer", "1", "--summary", "late").code == 0
    before = shop("status")
    assert "revenue at risk: not scored yet (run `recovery model fit`, then `recovery customers score`)" in before.out
    assert json.loads(shop("status", "--json").out)["customers_scored"] == 0
    score = {"customer_id": 1, "clv": 100.0, "p_alive": 0.9, "loyalty_class": "loyal", "class_reasons": []}
    with db.begin() as connection:
        connection.execute(insert(customer_scores).values(**score, scored_at=T0))
    after = shop("status")
    assert "revenue at risk: 50.00" in after.out, after


def test_the_inbox_states_the_cli_offers_are_the_engine_s() -> None:
    from recovery.cli import inbox as cli_inbox
    from recovery.engine.inbox import batch

    assert tuple(cli_inbox.STATUSES) == batch.STATUSES
