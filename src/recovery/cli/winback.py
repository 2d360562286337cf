"""``recovery winback open | list | show``: win-back cases, which the complaint commands also walk.

A case is a complaint in the win-back workflow: ``complaint fire ID reach_out``, ``hear_out --code … --words …``,
``make_offer --compensation …``; a purchase closes it as won back, the offer's window as gone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from recovery.cli.complaint import csv_option, print_listing
from recovery.cli.complaint_params import COMPLAINT
from recovery.cli.complaint_steps import acting, by_option, print_complaint
from recovery.cli.params import CUSTOMER, LIMIT
from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json
from recovery.cli.times import shown_text


@click.group()
def winback() -> None:
    """Win back customers who left or are fading, and learn why (docs/winback.md)."""


@winback.command("open")
@click.argument("customer_ref", metavar="CUSTOMER", type=CUSTOMER)
@by_option
@click.option("--assignee", help="Staff id of the person who will call (default: nobody; the leads stand in).")
@click.option("--note", default="", help="Why this customer, for the case's summary.")
@click.option("--json", "as_json", is_flag=True, help="Print the case as `complaint show --json` does.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the new case's id.")
@pass_runtime
def open_(
    runtime: Runtime, customer_ref: str, actor: str, assignee: str | None, note: str, as_json: bool, quiet: bool
) -> None:
    """Open a win-back case for a customer (by id or email)."""
    from recovery.engine.people import find_customer
    from recovery.engine.winback import open_case

    if as_json and quiet:
        raise click.UsageError("--json and --quiet: give one")
    ctx = acting(runtime, actor)
    with ctx.read() as connection:
        customer_id = int(find_customer(connection, customer_ref)["id"])
    case = open_case(ctx, customer_id, by=actor, assignee=assignee, note=note)
    if quiet:
        click.echo(case)
    elif as_json:
        print_complaint(ctx, case)
    else:
        click.echo(f"win-back case {case} opened for {customer_ref}: reach out with `complaint fire {case} reach_out`")


@winback.command("list")
@click.option("--state", "states", multiple=True, help="Only cases in this step (repeatable).")
@click.option("--open", "only_open", is_flag=True, help="Only cases still running.")
@click.option("--assignee", help="Only those assigned to this staff member.")
@click.option("--customer", "customer_ref", type=CUSTOMER, help="Only this customer's (id or email).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only those opened on or after DATE.")
@click.option("--limit", default=100, show_default=True, type=LIMIT)
@json_option
@csv_option
@pass_runtime
def list_(
    runtime: Runtime,
    states: tuple[str, ...],
    only_open: bool,
    assignee: str | None,
    customer_ref: str | None,
    since: datetime | None,
    limit: int,
    as_json: bool,
    as_csv: bool,
) -> None:
    """List win-back cases, newest first."""
    from recovery.engine.queries import ComplaintFilter

    ctx = runtime.context()
    workflow = ctx.workflows.current(ctx.winback.workflow)
    unknown = [s for s in states if s not in {state.name for state in workflow.states}]
    if unknown:
        names = ", ".join(state.name for state in workflow.states)
        raise click.BadParameter(f"{unknown[0]!r} is not a step of {workflow.name}: {names}", param_hint="'--state'")
    if only_open:
        states = states or tuple(s.name for s in workflow.states if not s.final)
    where = ComplaintFilter(states, assignee=assignee, since=since.date() if since else None, workflow=workflow.name)
    print_listing(runtime, where, customer_ref, limit, as_json, as_csv, empty="no win-back cases match")


@winback.command("show")
@click.argument("case_id", metavar="CASE", type=COMPLAINT)
@json_option
@pass_runtime
def show(runtime: Runtime, case_id: int, as_json: bool) -> None:
    """Show one case with what the customer said and the reasons they gave."""
    from recovery.engine.queries import get_complaint
    from recovery.engine.winback import interviews_of

    ctx = runtime.context()
    case = get_complaint(ctx, case_id)
    heard = interviews_of(ctx, case_id)
    if as_json:
        print_json({**case, "interviews": heard})
        return
    for key in ("id", "state", "summary", "customer_id", "assignee", "deadline", "opened_at", "closed_as"):
        click.echo(f"{key:>14}: {'-' if case[key] is None else shown_text(str(case[key]), runtime.tz)}")
    click.echo(f"{'next triggers':>14}: {', '.join(case['next_triggers']) or 'none (closed)'}")
    for answer in heard:
        at = shown_text(answer["answered_at"], runtime.tz)
        click.echo(f"\n{at} {answer['recorded_by'] or ''} ({answer['language']}):")
        click.echo(f"  {answer['text']}")
        click.echo(f"  reasons: {', '.join(_reasons(answer)) or 'none yet'}")


def _reasons(answer: dict[str, Any]) -> list[str]:
    return [f"{r['reason']} ({r['coded_by']})" for r in answer["reasons"]]
