"""``recovery complaint open | list | show | history``; the steps a person takes are in complaint_steps.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from recovery.cli.complaint_params import COMPLAINT, SEVERITY, STATE
from recovery.cli.params import CUSTOMER, LIMIT
from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json, print_rows
from recovery.core.vocabulary import CHANNELS, EXPECTATIONS

if TYPE_CHECKING:  # the engine loads when a command runs, not when the CLI starts
    from recovery.engine.queries import ComplaintFilter

LIST_COLUMNS = ["id", "state", "severity", "customer", "assignee", "deadline", "escalation_level", "summary"]
# An export keeps every field a script may want, the customer's name and email beside their id.
LIST_CSV_COLUMNS = [
    "id",
    "state",
    "workflow",
    "workflow_version",
    "severity",
    "channel",
    "customer_id",
    "customer_name",
    "customer_email",
    "assignee",
    "summary",
    "ticket",
    "deadline",
    "final_deadline",
    "paused",
    "escalation_level",
    "version",
    "opened_at",
    "closed_at",
    "closed_as",
]
HISTORY_COLUMNS = ["at", "trigger", "source", "dest", "actor", "outcome", "note"]
F = TypeVar("F", bound=Callable[..., Any])


# The steps a person takes (complaint_steps.py), imported only when one of them runs or a help lists them.
STEPS = ("fire", "pause", "resume", "assign", "note")


class ComplaintGroup(click.Group):
    """The ``complaint`` group: its step commands are added on first use, so a listing never builds them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand's name, without importing the steps."""
        return sorted({*self.commands, *STEPS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand, importing the steps when it is one of them."""
        if cmd_name in STEPS and cmd_name not in self.commands:
            from recovery.cli.complaint_steps import COMMANDS

            for command in COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, cmd_name)


@click.group(cls=ComplaintGroup)
def complaint() -> None:
    """Complaints: open them and walk them through the five steps."""


def csv_option(function: F) -> F:
    """``--csv``: the rows as RFC 4180 CSV with a header, for a spreadsheet or a script."""
    return click.option("--csv", "as_csv", is_flag=True, help="Print CSV (RFC 4180, with a header).")(function)


@complaint.command("open")
@click.option("--customer", "customer_ref", type=CUSTOMER, required=True, help="Customer id or email.")
@click.option("--summary", required=True, help="What went wrong, in the customer's words.")
@click.option("--severity", default="normal", help="One of the workflow's severities (standard: low … critical).")
@click.option("--channel", type=click.Choice(CHANNELS), default="email")
@click.option("--workflow", help="Workflow name (default from the config).")
@click.option("--assignee", help="Staff id of the person who owns it.")
@click.option(
    "--by", "actor", default="customer", show_default=True, help="Who opened it: a staff id (or a reserved actor)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the complaint as `show --json` does, with severity_raised."
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the new complaint's id.")
@click.option("--expected", type=click.Choice(EXPECTATIONS), help="What the customer expected us to do.")
@pass_runtime
def open_(
    runtime: Runtime,
    customer_ref: str,
    summary: str,
    severity: str,
    channel: str,
    workflow: str | None,
    assignee: str | None,
    actor: str,
    as_json: bool,
    quiet: bool,
    expected: str | None,
) -> None:
    """Open a complaint for a customer; print its class's prescription (and a severity the class raised)."""
    from recovery.core.commands import OpenComplaint
    from recovery.engine import open_complaint
    from recovery.engine.actors import check_known
    from recovery.engine.people import find_customer
    from recovery.engine.prescriptions import raised_note
    from recovery.engine.queries import get_complaint

    if as_json and quiet:
        raise click.UsageError("--json and --quiet: give one")
    ctx = runtime.context()
    known = ctx.workflows.current(workflow or ctx.default_workflow).severity
    if severity not in known:  # the workflow file says which severities there are, not this command
        choices = ", ".join(repr(name) for name in known)
        raise click.BadParameter(f"{severity!r} is not one of {choices}.", param_hint="'--severity'")
    with ctx.read() as connection:
        customer_id = find_customer(connection, customer_ref)["id"]
        check_known(connection, actor)
    complaint_id = open_complaint(
        ctx, OpenComplaint(customer_id, summary, severity, channel, workflow, assignee, actor, expected=expected)
    )
    if quiet:
        click.echo(complaint_id)
        return
    opened = get_complaint(ctx, complaint_id)
    prescription = opened["prescription"]
    # Only the customer's class changes the severity at open (engine/prescriptions.opening).
    raised = raised_note(opened["severity"], prescription["class"]) if opened["severity"] != severity else None
    if as_json:
        print_json({**opened, "severity_raised": raised})
        return
    click.echo(f"complaint {complaint_id} opened")
    if raised:
        click.echo(raised)
    click.echo(
        f"prescription ({prescription['class']} customer): budget {prescription['budget']}; {prescription['advice']}"
    )


@complaint.command("list")
@click.option("--state", "states", type=STATE, multiple=True, help="Only complaints in this state (repeatable).")
@click.option("--severity", "severities", type=SEVERITY, multiple=True, help="Only of this severity (repeatable).")
@click.option("--overdue", is_flag=True, help="Only complaints past a deadline now (a paused step is not).")
@click.option("--customer", "customer_ref", type=CUSTOMER, help="Only this customer's (id or email).")
@click.option("--assignee", help="Only those assigned to this staff member.")
@click.option("--source", help="Only those opened from this helpdesk source (its name in the config).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only those opened on or after DATE.")
@click.option("--search", help="Only those whose summary or ticket contains TEXT (any case).")
@click.option("--limit", default=100, show_default=True, type=LIMIT)
@json_option
@csv_option
@pass_runtime
def list_(
    runtime: Runtime,
    states: tuple[str, ...],
    severities: tuple[str, ...],
    overdue: bool,
    customer_ref: str | None,
    assignee: str | None,
    source: str | None,
    since: datetime | None,
    search: str | None,
    limit: int,
    as_json: bool,
    as_csv: bool,
) -> None:
    """List complaints, newest first."""
    from recovery.engine.queries import ComplaintFilter

    where = ComplaintFilter(
        states, severities, overdue, None, assignee, source, since.date() if since else None, search
    )
    print_listing(runtime, where, customer_ref, limit, as_json, as_csv, empty="no complaints match")


def print_listing(
    runtime: Runtime,
    where: ComplaintFilter,
    customer_ref: str | None,
    limit: int,
    as_json: bool,
    as_csv: bool,
    *,
    empty: str,
) -> None:
    """Print the complaints ``where`` keeps (for ``customer_ref``, id or email, when given) as a table, JSON or CSV."""
    from dataclasses import replace

    from recovery.engine.people import find_customer, staff_email
    from recovery.engine.queries import find_complaints

    one_format(as_json, as_csv)
    ctx = runtime.context()
    with ctx.read() as connection:
        if customer_ref:
            where = replace(where, customer_id=int(find_customer(connection, customer_ref)["id"]))
        if where.assignee is not None:
            staff_email(connection, where.assignee)  # a mistyped staff id is named, not answered "no … match"
    rows = [{**row, "customer": customer_label(row)} for row in find_complaints(ctx, where, limit)]
    if as_csv:
        print_csv(rows, LIST_CSV_COLUMNS)
        return
    print_rows(rows, LIST_COLUMNS, empty=empty, as_json=as_json)


def customer_label(row: dict[str, Any]) -> str:
    """``Ann <ann@example.com>``, or the email alone for a customer without a name."""
    name, email = row["customer_name"], row["customer_email"]
    return f"{name} <{email}>" if name else str(email)


@complaint.command("show")
@click.argument("complaint_id", type=COMPLAINT)
@json_option
@pass_runtime
def show(runtime: Runtime, complaint_id: int, as_json: bool) -> None:
    """Show one complaint (by id or SOURCE:TICKET)."""
    from recovery.engine.queries import get_complaint

    if as_json:
        print_json(get_complaint(runtime.context(), complaint_id))
        return
    data = get_complaint(runtime.context(), complaint_id)
    allowed = data.pop("next_triggers")
    prescription = data.pop("prescription")
    for key, value in data.items():
        click.echo(f"{key:>18}: {'-' if value is None else value}")
    click.echo(f"{'prescription':>18}: {prescription['class']} customer, budget {prescription['budget']}")
    click.echo(f"{'advice':>18}: {prescription['advice']}")
    click.echo(f"{'next triggers':>18}: {', '.join(allowed) or 'none (closed)'}")


@complaint.command("history")
@click.argument("complaint_id", type=COMPLAINT)
@json_option
@csv_option
@pass_runtime
def history(runtime: Runtime, complaint_id: int, as_json: bool, as_csv: bool) -> None:
    """Every transition, note and refused attempt, oldest first."""
    from recovery.engine.queries import history as read_history

    one_format(as_json, as_csv)
    rows = read_history(runtime.context(), complaint_id)
    if as_csv:
        print_csv(rows, [*HISTORY_COLUMNS, "payload"])
        return
    print_rows(rows, HISTORY_COLUMNS, as_json=as_json)


def one_format(as_json: bool, as_csv: bool) -> None:
    """A usage error for ``--json`` with ``--csv``."""
    if as_json and as_csv:
        raise click.UsageError("--json and --csv: give one")


def print_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """``columns`` of ``rows`` as RFC 4180 CSV (CRLF line ends, quoted where needed) with a header."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the csv module's default dialect is RFC 4180's
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(row.get(column)) for column in columns])
    click.echo(buffer.getvalue(), nl=False)


def _csv_value(value: Any) -> str:
    # Times stay UTC ISO 8601 as in --json: an export is read by programs, not people.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return str(json.dumps(value, sort_keys=True))
    return str(value)
