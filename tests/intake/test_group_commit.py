"""The group commit: a delivery the database refuses fails alone, and a slow writer never freezes the web server.

The edge now refuses values no database can hold (422 naming the field), so these tests let such a
value reach the store the two ways it still can: a row built directly (as a future adapter or a
value the edge does not foresee would build it), or the edge check switched off over real HTTP —
exactly the requests of issue 9.2, which failed every innocent delivery committed with them.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import threading
import time
from collections import Counter
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import Engine, select

from intake.helpers import SECRET, settings_for, source
from intake.server import serve
from recovery.bootstrap import configure
from recovery.clock import SettableClock
from recovery.core.signature import sign
from recovery.engine.context import Context
from recovery.intake.app import create_app
from recovery.intake.deliveries import GroupCommit, rows_of
from recovery.intake.delivery import Delivery
from recovery.intake.rules import SourceRules
from recovery.intake.sources import generic
from recovery.store.database import connect
from recovery.store.schema import inbox

CLIENTS = 8
DELIVERIES = 800


def opened(n: int, clock: SettableClock) -> dict[str, Any]:
    return {
        "id": f"evt-{n}",
        "type": "complaint.opened",
        "ticket": f"T-{n}",
        "occurred_at": clock.now().isoformat(),
        "customer": {"email": f"c{n}@example.com", "name": f"C {n}"},
        "summary": "cold soup",
    }


def rows(n: int, clock: SettableClock, ticket: str | None = None) -> list[dict[str, Any]]:
    """One delivery's inbox rows, as the app builds them; ``ticket`` replaces the stored ticket."""
    body = opened(n, clock)
    events = generic.parse(body, SourceRules(), Delivery.of({}, json.dumps(body).encode(), clock.now()))
    built = rows_of("shop", events, clock.now(), "-")
    if ticket is not None:
        built[0]["ticket"] = ticket
    return built


def poisons(db: Engine) -> list[str]:
    """Tickets the database refuses: a lone surrogate anywhere; on PostgreSQL also NUL and 300 characters."""
    found = ["T-\ud83d"]
    if db.dialect.name == "postgresql":
        found += ["T-\x00", "T" * 300]
    return found


def store_together(db: Engine, deliveries: list[list[dict[str, Any]]]) -> list[Any]:
    """Store the deliveries as requests arriving at once do: one group commit."""

    async def run() -> list[Any]:
        commit = GroupCommit(db)
        return list(await asyncio.gather(*(commit.store(d) for d in deliveries), return_exceptions=True))

    return anyio.run(run)


def stored_ids(ctx: Context) -> Counter[str]:
    with ctx.read() as connection:
        return Counter(connection.execute(select(inbox.c.delivery_id)).scalars())


def test_a_delivery_the_database_refuses_fails_alone_and_the_rest_of_its_group_is_stored(
    app_ctx: Context, clock: SettableClock
) -> None:
    from recovery.intake.app import refused_values

    for number, poison in enumerate(poisons(app_ctx.db)):
        first = number * 10
        group = [rows(first, clock), rows(first + 1, clock, ticket=poison), rows(first + 2, clock)]

        outcomes = store_together(app_ctx.db, group)

        assert [type(o).__name__ for o in outcomes[::2]] == ["Stored", "Stored"], (poison[:8], outcomes)
        assert isinstance(outcomes[1], Exception)
        assert refused_values(outcomes[1]), (poison[:8], outcomes[1])
    innocent = {f"evt-{n * 10 + k}" for n in range(len(poisons(app_ctx.db))) for k in (0, 2)}
    assert stored_ids(app_ctx) == Counter(innocent)


def test_a_database_that_cannot_be_written_fails_the_whole_group_with_503_at_once(
    app_ctx: Context, clock: SettableClock, tmp_path: Any
) -> None:
    from recovery.intake.app import _storage_refusal

    broken = connect(f"sqlite:///{tmp_path}/gone/x.db")
    (tmp_path / "gone").rmdir()

    outcomes = store_together(broken, [rows(1, clock), rows(2, clock)])

    assert [_storage_refusal("shop", o).status for o in outcomes] == [503, 503]
    broken.dispose()


@pytest.fixture
def edge_check_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let values the edge refuses reach the store, as every value did when issue 9.2 was filed."""
    monkeypatch.setattr("recovery.intake.app.unstorable", lambda events: None)


def send(base_url: str, share: list[tuple[str, bytes]], clock: SettableClock, answers: dict[str, Any]) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for name, raw in share:
            stamp = str(int(clock.now().timestamp()))
            headers = {"Content-Type": "application/json", "X-Recovery-Timestamp": stamp}
            headers["X-Recovery-Signature"] = sign(SECRET, stamp, raw)
            answer = client.post("/webhooks/shop", content=raw, headers=headers)
            answers[name] = (answer.status_code, answer.text)


def test_under_load_each_refused_delivery_fails_alone_and_every_innocent_one_is_stored_once(
    app_ctx: Context, clock: SettableClock, edge_check_off: None
) -> None:
    settings = settings_for(source("generic", name="shop"))
    configure(app_ctx, settings)
    kinds = [p for p in poisons(app_ctx.db) if len(p) < 200]  # a long ticket is stored hashed (issue 9.5)
    bodies: list[tuple[str, bytes]] = []
    for n in range(DELIVERIES):
        body = opened(n, clock)
        if n % 10 == 3:  # a tenth poisoned
            body["ticket"] = kinds[n % len(kinds)]
        bodies.append((body["id"], json.dumps(body).encode()))
    random.Random(9).shuffle(bodies)
    answers: dict[str, Any] = {}

    with serve(create_app(app_ctx, settings)) as base_url:
        threads = [
            threading.Thread(target=send, args=(base_url, bodies[k::CLIENTS], clock, answers)) for k in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    poisoned = {f"evt-{n}" for n in range(DELIVERIES) if n % 10 == 3}
    innocent = {name for name, _ in bodies} - poisoned
    wrong = {name: a for name, a in answers.items() if name in innocent and a[0] != 202}
    assert not wrong, f"{len(wrong)} innocent deliveries not accepted, e.g. {list(wrong.items())[:3]}"
    refused = Counter(answers[name][0] for name in poisoned)
    assert refused == Counter({422: len(poisoned)}), refused
    assert all("cannot be stored" in answers[name][1] for name in poisoned)
    assert stored_ids(app_ctx) == Counter(innocent)


def test_while_another_connection_holds_the_write_lock_only_deliveries_wait(
    sqlite_ctx: Context, clock: SettableClock
) -> None:
    settings = settings_for(source("generic", name="shop"), health={"timeout": "1s"})
    configure(sqlite_ctx, settings)
    hold = 4.0
    database = sqlite_ctx.db.url.database
    assert database is not None
    took: dict[str, float] = {}
    statuses: dict[str, int] = {}
    delivery: dict[str, Any] = {}
    with serve(create_app(sqlite_ctx, settings)) as base_url:
        locker = sqlite3.connect(database, isolation_level=None, timeout=30, check_same_thread=False)
        locker.execute("BEGIN IMMEDIATE")  # another process's long write transaction
        release = threading.Timer(hold, lambda: locker.execute("ROLLBACK"))
        release.start()
        poster = threading.Thread(
            target=send, args=(base_url, [("evt-1", json.dumps(opened(1, clock)).encode())], clock, delivery)
        )
        poster.start()
        time.sleep(0.3)  # the delivery is now waiting for the lock
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for path in ("/metrics", "/openapi.json", "/healthz"):
                began = time.monotonic()
                statuses[path] = client.get(path).status_code
                took[path] = time.monotonic() - began
        poster.join(timeout=30)
        release.join()
        locker.close()

    assert took["/metrics"] < hold / 4, took
    assert took["/openapi.json"] < hold / 4, took
    assert took["/healthz"] < hold / 2, took  # its write probe gives up after health.timeout
    assert statuses == {"/metrics": 200, "/openapi.json": 200, "/healthz": 503}
    assert delivery["evt-1"][0] == 202, delivery
