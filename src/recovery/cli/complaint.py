"""``recovery complaint open | list | show | fire | pause | resume | history``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from recovery.cli.params import COMPLAINT_ID, CUSTOMER, LIMIT
from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json, print_rows
from recovery.core.commands import CHANNELS

if TYPE_CHECKING:
    from recovery.core.guards import Compensation

LIST_COLUMNS = ["id", "state", "severity", "customer_id", "assignee", "deadline", "escalation_level", "summary"]


@click.group()
def complaint() -> None:
    """Complaints: open them and walk them through the five steps."""


@complaint.command("open")
@click.option("--customer", "customer_ref", type=CUSTOMER, required=True, help="Customer id or email.")
@click.option("--summary", required=True, help="What went wrong, in the customer's words.")
@click.option("--severity", default="normal", help="One of the workflow's severities (standard: low … critical).")
@click.option("--channel", type=click.Choice(CHANNELS), default="email")
@click.option("--workflow", help="Workflow name (default from the config).")
@click.option("--assignee", help="Staff id of the person who owns it.")
@click.option("--by", "actor", help="Staff id of who opened it.")
@json_option
@pass_runtime
def open_(
    runtime: Runtime,
    customer_ref: str,
    summary: str,
    severity: str,
    channel: str,
    workflow: str | None,
    assignee: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Open a complaint for a customer; print its class's prescription (and a severity the class raised)."""
    from recovery.core.commands import OpenComplaint
    from recovery.engine import open_complaint
    from recovery.engine.people import find_customer
    from recovery.engine.prescriptions import raised_note
    from recovery.engine.queries import get_complaint

    ctx = runtime.context()
    known = ctx.workflows.current(workflow or ctx.default_workflow).severity
    if severity not in known:  # the workflow file says which severities there are, not this command
        choices = ", ".join(repr(name) for name in known)
        raise click.BadParameter(f"{severity!r} is not one of {choices}.", param_hint="'--severity'")
    with ctx.read() as connection:
        customer_id = find_customer(connection, customer_ref)["id"]
    command = OpenComplaint(customer_id, summary, severity, channel, workflow, assignee, actor)
    complaint_id = open_complaint(ctx, command)
    opened = get_complaint(ctx, complaint_id)
    prescription = opened["prescription"]
    # Only the customer's class changes the severity at open (engine/prescriptions.opening).
    raised = raised_note(opened["severity"], prescription["class"]) if opened["severity"] != severity else None
    if as_json:
        view = {"id": complaint_id, "severity": opened["severity"], "severity_raised": raised}
        print_json({**view, "prescription": prescription})
        return
    click.echo(f"complaint {complaint_id} opened")
    if raised:
        click.echo(raised)
    click.echo(
        f"prescription ({prescription['class']} customer): budget {prescription['budget']}; {prescription['advice']}"
    )


@complaint.command("list")
@click.option("--state", help="Only complaints in this state.")
@click.option("--overdue", is_flag=True, help="Only complaints past a deadline.")
@click.option("--customer", "customer_ref", type=CUSTOMER, help="Only this customer's (id or email).")
@click.option("--limit", default=100, show_default=True, type=LIMIT)
@json_option
@pass_runtime
def list_(
    runtime: Runtime, state: str | None, overdue: bool, customer_ref: str | None, limit: int, as_json: bool
) -> None:
    """List complaints, newest first."""
    from recovery.engine.people import find_customer
    from recovery.engine.queries import list_complaints

    ctx = runtime.context()
    customer_id = None
    if customer_ref:
        with ctx.read() as connection:
            customer_id = find_customer(connection, customer_ref)["id"]
    rows = list_complaints(ctx, state, overdue, customer_id, limit)
    print_rows(rows, LIST_COLUMNS, empty="no complaints match", as_json=as_json)


@complaint.command("show")
@click.argument("complaint_id", type=COMPLAINT_ID)
@json_option
@pass_runtime
def show(runtime: Runtime, complaint_id: int, as_json: bool) -> None:
    """Show one complaint."""
    from recovery.engine.queries import get_complaint

    data = get_complaint(runtime.context(), complaint_id)
    if as_json:
        print_json(data)
        return
    allowed = data.pop("next_triggers")
    prescription = data.pop("prescription")
    for key, value in data.items():
        click.echo(f"{key:>18}: {'-' if value is None else value}")
    click.echo(f"{'prescription':>18}: {prescription['class']} customer, budget {prescription['budget']}")
    click.echo(f"{'advice':>18}: {prescription['advice']}")
    click.echo(f"{'next triggers':>18}: {', '.join(allowed) or 'none (closed)'}")


@complaint.command("fire")
@click.argument("complaint_id", type=COMPLAINT_ID)
@click.argument("trigger")
@click.option("--by", "actor", help="Staff id of who did it.")
@click.option("--note", default="", help="A note for the history.")
@click.option("--compensation", help="What was given, as KIND:VALUE (gift, discount, refund, service, gesture).")
@click.option("--score", type=click.IntRange(1, 5), help="The customer's satisfaction, 1-5 (follow_up).")
@click.option("--comment", default="", help="The customer's own words at follow-up.")
@click.option("--reason", help="Why (withdraw, defect).")
@click.option("--approved-by", help="Staff id of the lead or manager who approves a compensation above the budget.")
@pass_runtime
def fire(
    runtime: Runtime,
    complaint_id: int,
    trigger: str,
    actor: str | None,
    note: str,
    compensation: str | None,
    score: int | None,
    comment: str,
    reason: str | None,
    approved_by: str | None,
) -> None:
    """Fire a trigger of the complaint's workflow (`complaint show` lists the ones allowed next)."""
    from recovery.core.commands import FireTrigger
    from recovery.engine import fire as fire_trigger

    if approved_by is not None and not compensation:
        raise click.BadParameter("approves a compensation: give --compensation too", param_hint="--approved-by")
    given = parse_compensation(compensation, note, approved_by) if compensation else None
    fired = fire_trigger(
        runtime.context(), FireTrigger(complaint_id, trigger, actor, note, given, score, comment, reason)
    )
    click.echo(f"complaint {complaint_id}: {trigger} -> {fired.state}")


def parse_compensation(text: str, note: str = "", approved_by: str | None = None) -> Compensation:
    """``gift:0`` or ``refund:25.50`` as a Compensation (approved by a lead when given); BadParameter when malformed."""
    from decimal import Decimal, InvalidOperation

    from recovery.core.guards import Compensation

    kind, sep, value = text.partition(":")
    try:
        amount = Decimal(value or "0")
    except InvalidOperation:
        raise click.BadParameter(
            f"expected KIND:VALUE such as gift:0 or refund:25, got {text!r}", param_hint="--compensation"
        ) from None
    if not kind or (sep and not value) or not amount.is_finite():
        raise click.BadParameter(
            f"expected KIND:VALUE such as gift:0 or refund:25, got {text!r}", param_hint="--compensation"
        )
    return Compensation(kind.strip().lower(), amount, note, approved_by)


@complaint.command("pause")
@click.argument("complaint_id", type=COMPLAINT_ID)
@click.option("--reason", help="waiting_on_customer, third_party or other (the workflow may name others).")
@click.option("--by", "actor", help="Staff id.")
@click.option("--note", default="", help="A note for the history.")
@pass_runtime
def pause(runtime: Runtime, complaint_id: int, reason: str | None, actor: str | None, note: str) -> None:
    """Stop the step clock; paused time does not count against the deadline."""
    from recovery.core.commands import PauseComplaint
    from recovery.engine import pause as pause_complaint

    pause_complaint(runtime.context(), PauseComplaint(complaint_id, reason, actor, note))
    click.echo(f"complaint {complaint_id} paused ({reason})")


@complaint.command("resume")
@click.argument("complaint_id", type=COMPLAINT_ID)
@click.option("--by", "actor", help="Staff id.")
@click.option("--note", default="", help="A note for the history.")
@pass_runtime
def resume(runtime: Runtime, complaint_id: int, actor: str | None, note: str) -> None:
    """Restart the step clock; deadlines move later by the paused time."""
    from recovery.core.commands import ResumeComplaint
    from recovery.engine import resume as resume_complaint

    resumed = resume_complaint(runtime.context(), ResumeComplaint(complaint_id, actor, note))
    deadline = resumed.timers.deadline.isoformat() if resumed.timers.deadline else "none"
    click.echo(f"complaint {complaint_id} resumed; deadline {deadline}")


@complaint.command("history")
@click.argument("complaint_id", type=COMPLAINT_ID)
@json_option
@pass_runtime
def history(runtime: Runtime, complaint_id: int, as_json: bool) -> None:
    """Every transition and refused attempt, oldest first."""
    from recovery.engine.queries import history as read_history

    rows = read_history(runtime.context(), complaint_id)
    print_rows(rows, ["at", "trigger", "source", "dest", "actor", "outcome", "note"], as_json=as_json)
