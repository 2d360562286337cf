"""``recovery daemon [--no-webhook] [--host H] [--port P]``."""

from __future__ import annotations

from datetime import datetime

import click

from recovery.cli.runtime import Runtime, clock_start_option, pass_runtime


@click.command()
@click.option("--no-webhook", is_flag=True, help="Run the scheduler only, without the HTTP server.")
@click.option("--host", help="Address the webhook server listens on (default: webhook.host).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port of the webhook server (default: webhook.port).")
@clock_start_option
@pass_runtime
def daemon(
    runtime: Runtime, no_webhook: bool, host: str | None, port: int | None, clock_start: datetime | None
) -> None:
    """Run the overdue scan, follow-up reminders, outbox, inbox and reward jobs until SIGTERM or Ctrl-C."""
    from recovery.daemon import Daemon
    from recovery.logs import configure

    configure(runtime.settings.log)
    ctx = runtime.context(clock_start=clock_start)
    try:
        Daemon(ctx, runtime.settings, webhook=not no_webhook, host=host, port=port).run()
    finally:
        ctx.db.dispose()
