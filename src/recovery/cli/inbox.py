"""``recovery inbox list [--state S | --failed] | show ID | retry ID | skip ID | test SOURCE FILE``: deliveries."""

from __future__ import annotations

from pathlib import Path

import click

from recovery.cli.params import INBOX_ID, LIMIT, TEXT
from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json, print_table, state_option

# engine/inbox/batch.STATUSES, repeated so that --help imports no SQLAlchemy (a test keeps them equal)
STATUSES = ["pending", "held", "applied", "skipped", "failed", "dead", "ignored"]


@click.group()
def inbox() -> None:
    """Helpdesk deliveries: what arrived, what was applied, what failed and why."""


@inbox.command("list")
@state_option(STATUSES, "Only events in this state.")
@click.option("--failed", is_flag=True, help="Only the events that need a person: failed, dead-lettered and held.")
@click.option("--limit", default=100, show_default=True, type=LIMIT)
@json_option
@pass_runtime
def list_(runtime: Runtime, state: str | None, failed: bool, limit: int, as_json: bool) -> None:
    """List the newest inbox events."""
    from recovery.engine.inbox import list_events
    from recovery.engine.inbox.listing import FAILED

    if failed and state not in (None, *FAILED):
        raise click.UsageError(f"--failed and --state {state} contradict each other")
    rows = list_events(runtime.context(), failed=failed, state=state, limit=limit)
    if as_json:
        print_json(rows)
        return
    empty = f"no {state} events" if state else "no failed events" if failed else "the inbox is empty"
    print_table(rows, ["id", "source", "ticket", "event_type", "status", "occurred_at", "error"], empty=empty)


@inbox.command("show")
@click.argument("inbox_id", metavar="ID", type=INBOX_ID)
@json_option
@pass_runtime
def show(runtime: Runtime, inbox_id: int, as_json: bool) -> None:
    """Show one event with the body it was stored with."""
    from recovery.cli.times import shown_text
    from recovery.engine.inbox import event_detail

    data = event_detail(runtime.context(), inbox_id)
    if as_json:
        print_json(data)
        return
    for key in ("id", "source", "delivery_id", "ticket", "event_type", "status"):
        click.echo(f"{key:12} {data[key]}")
    for key in ("occurred_at", "received_at"):
        click.echo(f"{key:12} {shown_text(data[key], runtime.tz)}")
    click.echo(f"{'attempts':12} {data['attempts']}")
    click.echo(f"{'error':12} {data['error'] or '-'}")
    click.echo(f"{'applied_at':12} {shown_text(data['applied_at'], runtime.tz)}")
    print_json(data["body"])


@inbox.command("retry")
@click.argument("inbox_id", metavar="ID", type=INBOX_ID)
@json_option
@pass_runtime
def retry(runtime: Runtime, inbox_id: int, as_json: bool) -> None:
    """Apply a pending, held, failed or dead-lettered event again now, once its cause is fixed."""
    from recovery.engine.inbox import event_detail
    from recovery.engine.inbox import retry as retry_event

    ctx = runtime.context()
    result = retry_event(ctx, inbox_id)
    if as_json:  # the event as `inbox show --json` prints it; a failure still exits 1 below
        print_json(event_detail(ctx, inbox_id))
    if result.status == "failed":
        from recovery.errors import RecoveryError

        raise RecoveryError(f"inbox event {inbox_id} failed again: {result.error}")
    if not as_json:
        click.echo(f"inbox event {inbox_id} {result.status}" + (f": {result.error}" if result.error else ""))


@inbox.command("skip")
@click.argument("inbox_id", metavar="ID", type=INBOX_ID)
@click.option("--reason", type=TEXT, required=True, help="Why the event is given up (kept with it).")
@json_option
@pass_runtime
def skip(runtime: Runtime, inbox_id: int, reason: str, as_json: bool) -> None:
    """Give up on a pending, held, failed or dead event; the ticket's held events go on."""
    from recovery.engine.inbox import event_detail
    from recovery.engine.inbox import skip as skip_event

    ctx = runtime.context()
    result = skip_event(ctx, inbox_id, reason)
    if as_json:
        print_json(event_detail(ctx, inbox_id))
        return
    click.echo(f"inbox event {inbox_id} {result.status}: {result.error}")


@inbox.command("test")
@click.argument("source")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--headers",
    "headers_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The request's headers: a JSON object or 'Name: value' lines (Help Scout needs X-HelpScout-Event).",
)
@json_option
@pass_runtime
def try_(runtime: Runtime, source: str, file: Path, headers_file: Path | None, as_json: bool) -> None:
    """Run a payload through SOURCE's parser and rules, storing nothing; print the events it would produce."""
    from recovery.clock import SystemClock
    from recovery.engine.registry import WorkflowRegistry
    from recovery.errors import RecoveryError
    from recovery.intake.trial import read_headers, try_payload
    from recovery.workflow_files import load_dir

    settings = runtime.settings
    workflow = WorkflowRegistry(load_dir(settings.workflows.dir)).current(settings.workflows.default)
    headers = read_headers(headers_file.read_text(encoding="utf-8")) if headers_file else {}
    trial = try_payload(settings.webhook, workflow, source, file.read_bytes(), headers, SystemClock().now())
    if as_json:
        print_json(trial.as_json())
    elif trial.status == 202:
        click.echo(f"202: would store {len(trial.events)} event(s)")
        for event in trial.events:
            click.echo(_event_line(event))
    if trial.status != 202:
        field = f" (field {trial.field})" if trial.field else ""
        raise RecoveryError(f"{trial.status}: {trial.error}{field}")


def _event_line(event: dict[str, object]) -> str:
    """One event on one line: its type and ticket, then its other fields as compact JSON."""
    import json

    hidden = ("type", "ticket", "delivery_id")
    shown = {k: v for k, v in event.items() if k not in hidden and v not in (None, "", False)}
    return f"  {event['type']:<20} ticket={event.get('ticket') or '-'}  {json.dumps(shown, ensure_ascii=False)}"
