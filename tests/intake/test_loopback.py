"""Over real HTTP on loopback: 700 tickets walked through the workflow by their own events, shuffled,
30% delivered twice, from 8 concurrent clients, applied while they arrive."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
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

TICKETS = 700
CLIENTS = 8
WALK = ["apologize", "act", "empathize", "compensate", "rated", "resolve"]
ORDER = ["open", "apologize", "act", "empathize", "compensate", "follow_up", "resolve"]


def walk(ticket: int, clock: SettableClock) -> list[dict[str, Any]]:
    """The events that take one ticket from opened to resolved, a minute apart."""
    name = f"T{ticket:04d}"
    start = clock.now() - timedelta(hours=1)
    events: list[dict[str, Any]] = [
        {
            "id": f"{name}-0",
            "type": "complaint.opened",
            "ticket": name,
            "occurred_at": start.isoformat(),
            "customer": {"email": f"c{ticket}@example.com", "name": f"Customer {ticket}"},
            "summary": "the delivery came late",
        }
    ]
    for step, what in enumerate(WALK, start=1):
        at = (start + timedelta(minutes=step)).isoformat()
        base = {"id": f"{name}-{step}", "ticket": name, "occurred_at": at}
        if what == "rated":
            events.append({**base, "type": "satisfaction.rated", "score": 5, "comment": "thanks"})
            continue
        event = {**base, "type": "complaint.trigger", "trigger": what, "actor": "agent-1"}
        if what == "compensate":
            event["compensation"] = {"kind": "discount", "value": "10"}
        events.append(event)
    return events


def send_all(base_url: str, bodies: list[bytes], clock: SettableClock, errors: list[str]) -> None:
    """One client sending its share; any answer but 200/202 is recorded."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for raw in bodies:
            stamp = str(int(clock.now().timestamp()))
            headers = {
                "Content-Type": "application/json",
                "X-Recovery-Timestamp": stamp,
                "X-Recovery-Signature": sign(SECRET, stamp, raw),
            }
            answer = client.post("/webhooks/shop", content=raw, headers=headers)
            if answer.status_code not in (200, 202):
                errors.append(f"{answer.status_code} {answer.text}")


def apply_while(running: threading.Event, ctx: Context, applied: list[int]) -> None:
    """Apply the inbox over and over while deliveries arrive, as the daemon's tick does."""
    while running.is_set():
        count = apply_pending(ctx)
        applied.append(count)
        if not count:
            time.sleep(0.02)  # a quiet inbox: poll again shortly, as the daemon's tick would


def test_seven_hundred_tickets_shuffled_and_duplicated_end_resolved_with_each_event_applied_once_in_order(
    sqlite_ctx: Context, clock: SettableClock
) -> None:
    ctx = sqlite_ctx
    settings = settings_for(source("generic", "shop"))
    configure(ctx, settings)
    rng = random.Random(20261125)
    events = [e for t in range(TICKETS) for e in walk(t, clock)]
    deliveries = events + rng.sample(events, k=int(len(events) * 0.3))
    rng.shuffle(deliveries)
    bodies = [json.dumps(e).encode() for e in deliveries]
    errors: list[str] = []
    applied: list[int] = []
    running = threading.Event()
    running.set()

    with serve(create_app(ctx, settings)) as base_url:
        applier = threading.Thread(target=apply_while, args=(running, ctx, applied))
        applier.start()
        clients = [
            threading.Thread(target=send_all, args=(base_url, bodies[i::CLIENTS], clock, errors))
            for i in range(CLIENTS)
        ]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        running.clear()
        applier.join()
    while apply_pending(ctx):
        pass

    assert errors == []
    with ctx.db.connect() as connection:
        states = Counter(connection.execute(select(complaints.c.state)).scalars())
        statuses = Counter(connection.execute(select(inbox.c.status)).scalars())
        trail = connection.execute(
            select(audit_log.c.complaint_id, audit_log.c.trigger, audit_log.c.at, audit_log.c.outcome).order_by(
                audit_log.c.complaint_id, audit_log.c.id
            )
        ).all()
        stored = connection.execute(select(func.count()).select_from(inbox)).scalar()
        waited = connection.execute(select(func.count()).select_from(inbox).where(inbox.c.attempts > 1)).scalar()
    assert states == {"resolved": TICKETS}
    assert stored == len(events), "each delivery stored once, duplicates not at all"
    assert statuses == {"applied": len(events)}
    assert waited, "some events arrived before their predecessors and waited for them"
    by_complaint: dict[int, list[Any]] = {}
    for row in trail:
        by_complaint.setdefault(row.complaint_id, []).append(row)
    for complaint_id, entries in by_complaint.items():
        assert [e.trigger for e in entries] == ORDER, f"complaint {complaint_id}"
        assert [e.at for e in entries] == sorted(e.at for e in entries), f"complaint {complaint_id}"
        assert {e.outcome for e in entries} == {"applied"}
