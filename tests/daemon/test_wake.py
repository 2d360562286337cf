"""An accepted helpdesk event is applied at once: the webhook wakes the applier, the tick is only a safety net."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from recovery.clock import SystemClock
from recovery.core.signature import sign
from recovery.store.database import connect, upgrade
from recovery.store.schema import inbox

SECRET = "wake-test-secret"
SOURCES = json.dumps([{"name": "shop", "kind": "generic", "secret_env": "WAKE_SECRET"}])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(base: str, body: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(body).encode()
    stamp = str(int(SystemClock().now().timestamp()))  # the daemon process checks the window on its real clock
    headers = {"Content-Type": "application/json", "X-Recovery-Timestamp": stamp}
    headers["X-Recovery-Signature"] = sign(SECRET, stamp, raw)
    return httpx.post(f"{base}/webhooks/shop", content=raw, headers=headers, timeout=10)


def wait_for(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_an_accepted_event_is_applied_without_waiting_for_the_tick(
    db_url: str, recovery_process: Callable[..., Any]
) -> None:
    engine = connect(db_url)
    upgrade(engine)
    port = free_port()
    daemon = recovery_process(
        db_url,
        "daemon",
        "--port",
        str(port),
        RECOVERY_DAEMON__TICK="1h",  # the first tick runs at start; the next would be an hour later
        RECOVERY_WEBHOOK__SOURCES=SOURCES,
        WAKE_SECRET=SECRET,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: _healthy(base), 30), "the daemon did not start"
        time.sleep(1)  # let the first, immediate run of every job finish
        at = SystemClock().now().isoformat()
        event = {
            "id": "evt-wake-1",
            "type": "complaint.opened",
            "ticket": "T-1",
            "occurred_at": at,
            "customer": {"email": "ann@example.com"},
            "summary": "cold soup",
        }
        answer = post(base, event)
        assert answer.status_code == 202, answer.text
        inbox_id = answer.json()["id"]

        def applied() -> bool:
            with engine.connect() as connection:
                return connection.execute(select(inbox.c.status).where(inbox.c.id == inbox_id)).scalar() == "applied"

        assert wait_for(applied, 20), "still pending: nothing woke the applier before the hourly tick"
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        engine.dispose()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/openapi.json", timeout=1).status_code in (200, 401)
    except httpx.TransportError:
        return False
