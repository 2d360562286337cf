"""Webhook benchmark: our signed, durable endpoint vs a no-op endpoint; and inbox application speed.

Run: .venv/bin/python benchmarks/bench_webhook.py [--seconds 8] [--connections 32] [--events 7000]
         [--synchronous full|normal]

HTTP: wrk (Debian package `wrk`: apt-get install -y wrk) drives both servers with the same
settings: uvicorn, one worker, on 127.0.0.1, 32 connections, 2 threads. Generic signatures carry
a timestamp, so the requests are signed beforehand with the current time (the run is far inside
the 5-minute window) and each carries its own delivery id; a Lua script hands them out in turn.
wrk is used rather than a Python client because a Python client on this 2-core machine saturates
before a no-op server does, which would flatter the ratio. Our server runs as the daemon serves it
(``recovery.intake.serving.server_config``: its timeouts and header limit); ``--synchronous`` sets
SQLite's ``PRAGMA synchronous`` for both benchmarks (``full``, the default, or ``normal``).

Inbox: the same generic walk (open, four steps, rating, resolve) for N/7 tickets is stored, then
applied with apply_pending; the baseline applies the same walk straight through the engine
(open_complaint per complaint + one fire_batch), the path a caller without the inbox would take.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret"
SERVER = """
import sys, uvicorn
from pathlib import Path
kind, url, port, synchronous = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if kind == "noop":
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def noop(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"id": 0, "status": "accepted", "events": 1}, status_code=202)

    app = Starlette(routes=[Route("/webhooks/{source}", noop, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
else:
    from recovery.store import database
    database.SQLITE_SYNCHRONOUS = synchronous.upper()
    from recovery.bootstrap import build_context
    from recovery.config import Settings, WebhookSettings, WebhookSource
    from recovery.intake.app import create_app
    from recovery.intake.serving import server_config
    settings = Settings(
        database={"url": url},
        workflows={"dir": Path("workflows")},
        webhook=WebhookSettings(sources=[WebhookSource(name="shop", kind="generic", secret_env="BENCH_SECRET")]),
    )
    app = create_app(build_context(settings), settings)
    config = server_config(app, settings.webhook, "127.0.0.1", port, log_level="warning", access_log=False)
    uvicorn.Server(config).run()
"""
LUA = """
-- Requests are built in init(): wrk.host (the Host header) is only known by then.
local requests = {}
local n = 0
local counter = 0
init = function(args)
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local stamp, signature, body = line:match("^(%S+)\\t(%S+)\\t(.*)$")
    n = n + 1
    requests[n] = wrk.format("POST", "/webhooks/shop", {
      ["Host"] = wrk.host,
      ["Content-Type"] = "application/json",
      ["X-Recovery-Timestamp"] = stamp,
      ["X-Recovery-Signature"] = signature,
    }, body)
  end
end
local threads = 0
setup = function(thread) thread:set("offset", threads) threads = threads + 1 end
request = function()
  counter = counter + 1
  return requests[((counter * 2 + offset) % n) + 1]
end
"""


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(kind: str, url: str, synchronous: str) -> tuple[subprocess.Popen[bytes], int]:
    """Start one uvicorn server process and wait until it answers."""
    port = free_port()
    env = {**os.environ, "BENCH_SECRET": SECRET, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-c", SERVER, kind, url, str(port), synchronous]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the {kind} server did not start")


def presign(path: Path, count: int) -> None:
    """Write ``count`` signed generic events, one per line: timestamp, signature, body."""
    from recovery.core.signature import sign

    stamp = str(int(time.time()))
    with path.open("w") as handle:
        for n in range(count):
            body = json.dumps(
                {
                    "id": f"bench-{n}",
                    "type": "complaint.trigger",
                    "ticket": f"B{n % 5000}",
                    "trigger": "apologize",
                    "occurred_at": "2026-11-25T09:00:00Z",
                }
            )
            handle.write(f"{stamp}\t{sign(SECRET, stamp, body.encode())}\t{body}\n")


def wrk(port: int, seconds: int, connections: int, script: Path, requests: Path) -> dict[str, float]:
    """Run wrk against a server; return requests/s, p99 (ms) and non-2xx answers."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_REQUESTS": str(requests)},
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rate, "p99_ms": float(p99.group(1)) * scale, "non_2xx": float(bad.group(1)) if bad else 0.0}


def http_benchmark(seconds: int, connections: int, synchronous: str) -> None:
    """Our endpoint vs the no-op endpoint, one after the other on the same machine."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (Debian package)")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        subprocess.run(
            [sys.executable, "-m", "recovery", "--database-url", url, "init"], cwd=ROOT, check=True, capture_output=True
        )
        requests, script = Path(tmp) / "requests.tsv", Path(tmp) / "sign.lua"
        presign(requests, 20_000 * seconds)
        script.write_text(LUA)
        results = {}
        for kind in ("noop", "ours"):
            process, port = start(kind, url, synchronous)
            try:
                results[kind] = wrk(port, seconds, connections, script, requests)
            finally:
                process.terminate()
                process.wait(timeout=20)
    noop, ours = results["noop"], results["ours"]
    print(f"no-op endpoint (baseline): {noop['rps']:8.0f} requests/s   p99 {noop['p99_ms']:6.2f} ms")
    print(
        f"signed durable endpoint  : {ours['rps']:8.0f} requests/s   p99 {ours['p99_ms']:6.2f} ms"
        f"   non-2xx {ours['non_2xx']:.0f}"
    )
    print(f"ratio ours / no-op       : {ours['rps'] / noop['rps']:8.2f}   (target >= 0.40, p99 < 50 ms)")
    print(f"SQLite synchronous       : {synchronous}")


def walk_events(tickets: int, start: datetime) -> list[dict[str, Any]]:
    """Generic events that take each ticket from opened to resolved."""
    events: list[dict[str, Any]] = []
    steps = ["apologize", "act", "empathize", "compensate", "rated", "resolve"]
    for t in range(tickets):
        at = start + timedelta(seconds=t)
        customer = {"email": f"c{t}@example.com", "name": "C"}
        base = {"ticket": f"T{t}"}
        events.append({**base, "id": f"{t}-0", "type": "complaint.opened", "customer": customer, "summary": "late"})
        for n, step in enumerate(steps, start=1):
            event: dict[str, Any] = {**base, "id": f"{t}-{n}", "type": "complaint.trigger", "trigger": step}
            if step == "rated":
                event = {**base, "id": f"{t}-{n}", "type": "satisfaction.rated", "score": 5}
            if step == "compensate":
                event["compensation"] = {"kind": "discount", "value": "5"}
            events.append(event)
        for n, event in enumerate(events[-7:]):
            event["occurred_at"] = (at + timedelta(minutes=n)).isoformat()
    return events


def context(url: str) -> Any:
    """A fresh migrated database and its engine context."""
    from recovery.clock import SettableClock
    from recovery.engine.context import Context
    from recovery.engine.registry import WorkflowRegistry
    from recovery.store.database import connect, upgrade
    from recovery.workflow_files import load_dir

    engine = connect(url)
    upgrade(engine)
    clock = SettableClock(datetime(2026, 11, 25, 9, tzinfo=UTC))
    return Context(db=engine, workflows=WorkflowRegistry(load_dir(ROOT / "workflows")), clock=clock)


def inbox_benchmark(count: int) -> None:
    """apply_pending on stored events vs the same walk straight through the engine."""
    from recovery.engine.inbox import apply_pending
    from recovery.intake.deliveries import rows_of, store
    from recovery.intake.delivery import Delivery
    from recovery.intake.rules import SourceRules
    from recovery.intake.sources import generic

    with tempfile.TemporaryDirectory() as tmp:
        ctx = context(f"sqlite:///{tmp}/inbox.db")
        events = walk_events(count // 7, ctx.clock.now() - timedelta(days=1))
        for body in events:
            raw = json.dumps(body).encode()
            parsed = generic.parse(body, SourceRules(), Delivery.of({}, raw, ctx.clock.now()))
            store(ctx.db, rows_of("shop", parsed, ctx.clock.now(), "-"))
        began = time.perf_counter()
        applied = 0
        while done := apply_pending(ctx):
            applied += done
        inbox_seconds = time.perf_counter() - began
        assert applied == len(events), (applied, len(events))
        direct_seconds = direct(f"sqlite:///{tmp}/direct.db", events)
    inbox_rate, direct_rate = len(events) / inbox_seconds, len(events) / direct_seconds
    print(f"engine directly (baseline): {direct_rate:8.0f} events/s   ({len(events)} events)")
    print(f"inbox apply_pending       : {inbox_rate:8.0f} events/s   (target >= 2000)")
    print(f"ratio inbox / direct      : {inbox_rate / direct_rate:8.2f}")


def direct(url: str, events: list[dict[str, Any]]) -> float:
    """Seconds to apply the walk with open_complaint per complaint and one fire_batch for the steps."""
    from recovery.core.commands import FireTrigger, OpenComplaint
    from recovery.core.guards import Compensation
    from recovery.engine.complaints import fire_batch, open_complaint
    from recovery.engine.people import add_customer

    ctx = context(url)
    began = time.perf_counter()
    ids: dict[str, int] = {}
    commands = []
    for event in events:
        at = datetime.fromisoformat(event["occurred_at"])
        if event["type"] == "complaint.opened":
            customer = add_customer(ctx, event["customer"]["email"], event["customer"]["name"])
            command = OpenComplaint(customer, event["summary"], channel="helpdesk", ticket_id=event["ticket"], at=at)
            ids[event["ticket"]] = open_complaint(ctx, command)
            continue
        trigger = "follow_up" if event["type"] == "satisfaction.rated" else event["trigger"]
        compensation = Compensation("discount", Decimal(5)) if trigger == "compensate" else None
        commands.append(
            FireTrigger(ids[event["ticket"]], trigger, compensation=compensation, score=event.get("score"), at=at)
        )
    fire_batch(ctx, commands)
    return time.perf_counter() - began


def main() -> None:
    """Run both benchmarks and print each figure with its ratio to the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--events", type=int, default=7000)
    parser.add_argument("--synchronous", choices=["full", "normal"], default="full")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from recovery.store import database

    database.SQLITE_SYNCHRONOUS = args.synchronous.upper()
    http_benchmark(args.seconds, args.connections, args.synchronous)
    inbox_benchmark(args.events)


if __name__ == "__main__":
    main()
