"""Under load with a tenth of the deliveries poisoned, every innocent one is answered 2xx and applied once.

And generated events of every kind, with arbitrary text, numbers and dates, never get a 5xx: each
accepted event ends applied, skipped, waiting or failed with a reason, never stuck pending.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from intake.helpers import SECRET, settings_for, source
from intake.server import serve
from recovery.bootstrap import configure
from recovery.clock import SettableClock
from recovery.core.signature import sign
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending
from recovery.intake.app import create_app
from recovery.store.schema import audit_log, complaints, inbox

CLIENTS = 8
DELIVERIES = 2000
POISON_KINDS = [
    {"summary": "\ud83d cut in half"},
    {"summary": "NUL \u0000 inside"},
    {"occurred_at": "9999-12-31T23:00:00Z"},
    {"ticket": "T-\udc00"},
    {"customer": {"email": "p@example.com", "name": "P\u0000"}},
]


def opened(n: int, at: datetime) -> dict[str, Any]:
    return {
        "id": f"evt-{n}",
        "type": "complaint.opened",
        "ticket": f"T-{n}",
        "occurred_at": at.isoformat(),
        "customer": {"email": f"c{n % 300}@example.com", "name": f"Customer {n % 300}"},
        "summary": f"complaint {n}",
    }


def post(client: httpx.Client, raw: bytes, clock: SettableClock) -> int:
    stamp = str(int(clock.now().timestamp()))
    headers = {"Content-Type": "application/json", "X-Recovery-Timestamp": stamp}
    headers["X-Recovery-Signature"] = sign(SECRET, stamp, raw)
    return client.post("/webhooks/shop", content=raw, headers=headers).status_code


def send(base_url: str, bodies: list[tuple[int, bytes]], clock: SettableClock, answers: dict[int, int]) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for n, raw in bodies:
            answers[n] = post(client, raw, clock)


def test_two_thousand_deliveries_with_a_tenth_poisoned_apply_every_innocent_one_exactly_once(
    sqlite_ctx: Context, clock: SettableClock
) -> None:
    ctx = sqlite_ctx
    settings = settings_for(source("generic", "shop"))
    configure(ctx, settings)
    rng = random.Random(20261203)
    at = clock.now() - timedelta(minutes=5)
    poisoned = set(rng.sample(range(DELIVERIES), DELIVERIES // 10))
    bodies = []
    for n in range(DELIVERIES):
        body = opened(n, at) | (POISON_KINDS[n % len(POISON_KINDS)] if n in poisoned else {})
        bodies.append((n, json.dumps(body).encode()))
    answers: dict[int, int] = {}

    with serve(create_app(ctx, settings)) as base_url:
        clients = [
            threading.Thread(target=send, args=(base_url, bodies[i::CLIENTS], clock, answers)) for i in range(CLIENTS)
        ]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
    while apply_pending(ctx):
        pass

    innocent = [n for n in range(DELIVERIES) if n not in poisoned]
    assert Counter(answers[n] for n in innocent) == {202: len(innocent)}
    assert Counter(answers[n] for n in poisoned) == {422: len(poisoned)}
    with ctx.read() as connection:
        tickets = Counter(connection.execute(select(complaints.c.ticket_id)).scalars())
        statuses = Counter(connection.execute(select(inbox.c.status)).scalars())
        opens = connection.execute(select(func.count()).select_from(audit_log).where(audit_log.c.trigger == "open"))
        opened_count = opens.scalar_one()
    assert set(tickets) == {f"T-{n}" for n in innocent}
    assert set(tickets.values()) == {1}, "each innocent ticket opened exactly once"
    assert statuses == {"applied": len(innocent)}
    assert opened_count == len(innocent)


# --- generated events ------------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=30)  # lone surrogates, NUL, controls included
NUMBERS = st.one_of(st.integers(-(10**20), 10**20), st.floats(allow_nan=True, allow_infinity=True))
TIMES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)).map(
        lambda d: d.isoformat()
    ),
    ANY_TEXT,
)
EVENTS = st.fixed_dictionaries(
    {
        "id": ANY_TEXT,
        "type": st.sampled_from(
            ["complaint.opened", "complaint.trigger", "satisfaction.rated", "customer.flagged", "customer.lost"]
        ),
        "ticket": st.one_of(st.just("T-1"), ANY_TEXT),
        "occurred_at": TIMES,
    },
    optional={
        "summary": ANY_TEXT,
        "customer": st.one_of(ANY_TEXT, st.fixed_dictionaries({"email": ANY_TEXT}, optional={"name": ANY_TEXT})),
        "trigger": st.one_of(st.sampled_from(["apologize", "act", "compensate", "follow_up", "resolve"]), ANY_TEXT),
        "role": st.one_of(st.sampled_from(["apology", "compensation", "follow_up"]), ANY_TEXT),
        "score": st.one_of(st.integers(-3, 9), NUMBERS),
        "compensation": st.fixed_dictionaries({"kind": ANY_TEXT, "value": st.one_of(ANY_TEXT, NUMBERS)}),
        "actor": ANY_TEXT,
        "reason": ANY_TEXT,
        "note": ANY_TEXT,
    },
)


def encoded(event: dict[str, Any]) -> bytes:
    """JSON as a sender would write it: lone surrogates escaped, NaN and Infinity as JavaScript writes them."""
    return json.dumps(event, allow_nan=True).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(EVENTS, min_size=1, max_size=6))
def test_generated_events_never_get_a_server_error_and_never_stay_pending(
    sqlite_ctx: Context, clock: SettableClock, batch: list[dict[str, Any]]
) -> None:
    ctx = sqlite_ctx
    settings_ = settings_for(source("generic", "shop"))
    configure(ctx, settings_)
    app = create_app(ctx, settings_)
    with serve(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        codes = [post(client, encoded(event), clock) for event in batch]
    assert all(200 <= code < 500 for code in codes), codes
    apply_pending(ctx)
    clock.advance(timedelta(minutes=11))  # past the reorder window: whatever waited is given up
    apply_pending(ctx)
    with ctx.read() as connection:
        rows = connection.execute(select(inbox.c.id, inbox.c.status, inbox.c.error)).all()
    stuck = [r for r in rows if r.status == "pending"]
    assert not stuck, stuck
    assert all(r.error for r in rows if r.status in ("failed", "dead", "held")), rows
