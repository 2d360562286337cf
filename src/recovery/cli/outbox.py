"""``recovery outbox list [--dead] | show ID | retry ID``: the notifications on their way out, and mending them."""

from __future__ import annotations

from typing import Any

import click

from recovery.cli.params import LIMIT, RecordId
from recovery.cli.runtime import (
    Runtime,
    clock_start_option,
    json_option,
    pass_runtime,
    print_json,
    print_rows,
    state_option,
)

OUTBOX_ID = RecordId("no outbox message {}")
STATUSES = ["pending", "sent", "dead"]  # store/outbox.STATUSES, repeated so --help imports no SQLAlchemy
COLUMNS = ["id", "topic", "recipient", "status", "attempts", "next_attempt_at", "last_error"]


@click.group()
def outbox() -> None:
    """Notifications on their way out: what is pending, sent or dead, and queueing a dead one again."""


@outbox.command("list")
@click.option("--dead", is_flag=True, help="Only dead messages (the same as --state dead).")
@state_option(STATUSES, "Only messages in this state.")
@click.option("--limit", default=100, show_default=True, type=LIMIT)
@json_option
@pass_runtime
def list_(runtime: Runtime, dead: bool, state: str | None, limit: int, as_json: bool) -> None:
    """List the newest outbox messages."""
    from recovery.engine.outbox_admin import list_messages

    if dead and state not in (None, "dead"):
        raise click.UsageError(f"--dead and --state {state} contradict each other")
    wanted = "dead" if dead else state
    rows = list_messages(runtime.context(), status=wanted, limit=limit)
    empty = f"no {wanted} messages" if wanted else "the outbox is empty"
    print_rows(rows, COLUMNS, as_json=as_json, empty=empty)


@outbox.command("show")
@click.argument("message_id", metavar="ID", type=OUTBOX_ID)
@json_option
@pass_runtime
def show(runtime: Runtime, message_id: int, as_json: bool) -> None:
    """Show one message: the notice as it would be written, its payload, attempts, last error and times."""
    from recovery.engine.outbox_admin import message_detail

    _print(message_detail(runtime.context(), message_id), as_json, runtime)


@outbox.command("retry")
@click.argument("message_id", metavar="ID", type=OUTBOX_ID)
@click.option("--by", "actor", help="Staff id of who retries it (kept in the complaint's history).")
@json_option
@clock_start_option
@pass_runtime
def retry(runtime: Runtime, message_id: int, actor: str | None, as_json: bool, clock_start: Any) -> None:
    """Queue a dead or failing message again now, with its attempts reset, once the cause is fixed."""
    from recovery.engine.outbox_admin import retry_message

    data = retry_message(runtime.context(clock_start=clock_start), message_id, actor=actor)
    if as_json:
        _print(data, True, runtime)
        return
    from recovery.cli.times import shown_text

    click.echo(
        f"outbox message {message_id} queued again: next attempt at {shown_text(data['next_attempt_at'], runtime.tz)}"
    )


def _print(data: dict[str, Any], as_json: bool, runtime: Runtime) -> None:
    """A message as ``show`` prints it (times in the calendar's zone); ``--json`` adds the notice beside the row."""
    from recovery.cli.times import shown_text

    data = {**data, "notice": _notice(data)}
    if as_json:
        print_json(data)
        return
    for key in ("id", "dedupe_key", "topic", "recipient", "status", "attempts"):
        click.echo(f"{key:16} {data[key] if data[key] is not None else '-'}")
    for key in ("next_attempt_at", "created_at", "sent_at"):
        click.echo(f"{key:16} {shown_text(data[key], runtime.tz)}")
    click.echo(f"{'last_error':16} {data['last_error'] or '-'}")
    notice = data["notice"]
    click.echo(f"{'to':16} {notice['to'] or '- (no email address)'}")
    click.echo(f"{'subject':16} {notice['subject']}")
    click.echo("")
    click.echo(notice["body"].rstrip("\n"))
    click.echo("")
    click.echo("payload:")
    print_json(data["payload"])


def _notice(data: dict[str, Any]) -> dict[str, Any]:
    """The email the smtp sink would write for this message (the log and http sinks send the payload as it is)."""
    from recovery.notify.sinks import Message
    from recovery.notify.smtp import address_of, compose

    payload = data["payload"] if isinstance(data["payload"], dict) else {}
    message = Message(data["id"], data["dedupe_key"], data["topic"], data["recipient"], payload, data["attempts"])
    to = address_of(message)
    try:
        email = compose(message, "recovery", to or "undisclosed-recipients:;")
        return {"to": to, "subject": str(email["Subject"]), "body": str(email.get_content())}
    except ValueError as exc:  # an address the email library refuses: the sink would refuse it too
        return {"to": to, "subject": None, "body": f"(cannot be written as an email: {exc})"}
