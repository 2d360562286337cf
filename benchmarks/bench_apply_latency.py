"""From a webhook's 202 to the event applied, under a light load, with a real daemon (SQLite and PostgreSQL).

Sends ``--events`` signed generic events (a complaint opened, then its apology) at ``--rate`` per
second to a ``recovery daemon`` process whose tick is an hour, so only the wake-up can apply them in
time, and reads each event's received and applied times from the inbox (``applied_at`` is when its
batch began: the figure leaves out the few ms the batch itself takes). Prints p50/p99 in ms and the
ratio of the p99 to the default 30 s tick it replaces (target p99 < 2 s).

    .venv/bin/python benchmarks/bench_apply_latency.py [--events 200] [--rate 10] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-latency"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(url: str, events: int, rate: float) -> list[float]:
    """Latencies in seconds (applied_at − received_at) of every event sent to a daemon on ``url``."""
    from recovery.core.signature import sign
    from recovery.store.database import connect, upgrade
    from recovery.store.schema import inbox

    engine = connect(url)
    upgrade(engine)
    port = free_port()
    env = {
        **os.environ,
        "RECOVERY_DATABASE_URL": url,
        "RECOVERY_DAEMON__TICK": "1h",
        "RECOVERY_NOTIFY__SINK": "log",
        "RECOVERY_WEBHOOK__SOURCES": json.dumps([{"name": "shop", "kind": "generic", "secret_env": "BENCH_SECRET"}]),
        "BENCH_SECRET": SECRET,
    }
    daemon = subprocess.Popen(
        [sys.executable, "-m", "recovery", "daemon", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        time.sleep(1)
        with httpx.Client(base_url=base, timeout=10) as client:
            for n in range(events):
                ticket = f"T-{n // 2}"
                body = {
                    "id": f"evt-{n}",
                    "ticket": ticket,
                    "occurred_at": f"2026-12-03T09:{n // 60 % 60:02d}:{n % 60:02d}Z",
                }
                if n % 2 == 0:
                    body |= {"type": "complaint.opened", "customer": {"email": f"c{n}@example.com"}, "summary": "x"}
                else:
                    body |= {"type": "complaint.trigger", "trigger": "apologize"}
                raw = json.dumps(body).encode()
                stamp = str(int(time.time()))
                headers = {"Content-Type": "application/json", "X-Recovery-Timestamp": stamp}
                headers["X-Recovery-Signature"] = sign(SECRET, stamp, raw)
                assert client.post("/webhooks/shop", content=raw, headers=headers).status_code == 202
                time.sleep(1 / rate)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                rows = connection.execute(select(inbox.c.status, inbox.c.received_at, inbox.c.applied_at)).all()
            if all(r.status == "applied" for r in rows) and len(rows) == events:
                break
            time.sleep(0.2)
        return sorted((r.applied_at - r.received_at).total_seconds() for r in rows if r.applied_at is not None)
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        engine.dispose()


def report(name: str, latencies: list[float], events: int) -> None:
    if len(latencies) < events:
        print(f"[{name}] only {len(latencies)} of {events} events applied within 30 s")
        return
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"[{name}] {events} events: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms (target < 2 s)")
    print(f"[{name}] p99 / the 30 s tick it replaces: {p99 / 30:.4f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    with tempfile.TemporaryDirectory() as tmp:
        report("sqlite", run(f"sqlite:///{tmp}/latency.db", args.events, args.rate), args.events)
    if args.sqlite_only:
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(args.postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = f"{args.postgres_url}?options=-csearch_path%3D{schema}"
        report("postgresql", run(url, args.events, args.rate), args.events)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
