"""A real uvicorn server in a thread on 127.0.0.1 and a free port, for loopback tests and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import uvicorn

from recovery.config import WebhookSettings


def serve(app: Any, webhook: WebhookSettings | None = None) -> AbstractContextManager[str]:
    """Run ``app`` until the block ends; yield its base URL. With ``webhook``, as the daemon serves it."""
    return serving(lambda _url: app, webhook)


@contextmanager
def serving(make_app: Callable[[str], Any], webhook: WebhookSettings | None = None) -> Iterator[str]:
    """As ``serve``, for an app that must know its own base URL: ``make_app(url)`` builds it once the port is bound."""
    # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted sockets (else Nagle adds ~40 ms per answer).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = make_app(f"http://127.0.0.1:{port}")
    options: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "off"}
    if webhook is None:
        config = uvicorn.Config(app, **options)
    else:
        from recovery.intake.serving import server_config

        config = server_config(app, webhook, "127.0.0.1", port, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
