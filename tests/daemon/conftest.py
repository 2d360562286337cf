"""Fixtures for daemon tests: real `recovery` processes, killed at the end if still running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from daemon_support import ROOT, prepare

from recovery.engine.context import Context


@pytest.fixture
def recovery_process(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start ``recovery ARGS`` as a real process (cwd: the project, so it reads config/ and workflows/)."""
    started: list[subprocess.Popen[str]] = []

    def start(url: str, *args: str, **env: str) -> subprocess.Popen[str]:
        environ = {
            **os.environ,
            "RECOVERY_DATABASE_URL": url,
            "RECOVERY_DAEMON__TICK": "1s",
            "RECOVERY_NOTIFY__SINK": "log",
            **env,
        }
        environ.pop("RECOVERY_CONFIG", None)
        log = (tmp_path / f"process-{len(started)}.log").open("w+")
        process = subprocess.Popen(
            [sys.executable, "-m", "recovery", *args],
            cwd=ROOT,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        process.log = log  # type: ignore[attr-defined]
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.log.close()  # type: ignore[attr-defined]


@pytest.fixture
def prepared() -> Iterator[Callable[[str, int], Context]]:
    """``prepare`` (a database with staff and complaints opened at T0), its engine disposed afterwards."""
    made: list[Context] = []

    def make(url: str, complaints: int) -> Context:
        made.append(prepare(url, complaints))
        return made[-1]

    yield make
    for ctx in made:
        ctx.db.dispose()


@pytest.fixture
def unused_port() -> int:
    """A loopback port nobody listens on right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def handlers() -> Iterator[None]:
    """Put back the signal handlers a daemon run installs."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)
