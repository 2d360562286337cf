"""``recovery flag add | list | confirm | reject``."""

from __future__ import annotations

import click

from recovery.cli.params import CUSTOMER, CUSTOMER_ID, FLAG_ID, LIMIT
from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_rows

SIGNALS = ["price", "quality", "responsiveness", "promise", "complaint", "other"]
LIST_COLUMNS = ["id", "customer_id", "staff", "signal", "status", "earns", "raised_at", "window_ends_at", "points"]


@click.group()
def flag() -> None:
    """Flags: staff mark unhappy customers and are rewarded when they were right."""


@flag.command("add")
@click.argument("customer_ref", metavar="CUSTOMER", type=CUSTOMER)
@click.option("--by", "staff_id", required=True, help="Staff id of who saw the unhappy customer.")
@click.option("--reason", required=True, help="What they saw.")
@click.option("--signal", type=click.Choice(SIGNALS), default="other", show_default=True, help="Kind of unhappiness.")
@pass_runtime
def add(runtime: Runtime, customer_ref: str, staff_id: str, reason: str, signal: str) -> None:
    """Flag a customer (id or email) as unhappy."""
    from recovery.engine.flags import get_flag, raise_flag
    from recovery.engine.people import find_customer

    ctx = runtime.context()
    with ctx.read() as connection:
        customer_id = find_customer(connection, customer_ref)["id"]
    flag_id = raise_flag(ctx, customer_id, staff_id, reason, signal)
    view = get_flag(ctx, flag_id)
    click.echo(f"flag {flag_id} raised on customer {customer_id} by {staff_id}; window ends {view['window_ends_at']}")
    if not view["earns"]:
        click.echo(f"flag {flag_id} earns nothing: customer {customer_id} already has an open complaint")


@flag.command("list")
@click.option("--status", type=click.Choice(["open", "confirmed", "rejected"]), help="Only flags in this status.")
@click.option("--by", "staff_id", help="Only flags raised by this staff member.")
@click.option("--customer", "customer_id", type=CUSTOMER_ID, help="Only flags on this customer id.")
@click.option("--limit", default=100, show_default=True, type=LIMIT)
@json_option
@pass_runtime
def list_(
    runtime: Runtime, status: str | None, staff_id: str | None, customer_id: int | None, limit: int, as_json: bool
) -> None:
    """List flags, newest first."""
    from recovery.engine.flags import list_flags

    rows = list_flags(runtime.context(), status, staff_id, customer_id, limit)
    print_rows(rows, LIST_COLUMNS, empty="no flags match", as_json=as_json)


@flag.command("confirm")
@click.argument("flag_id", type=FLAG_ID)
@click.option("--by", "staff_id", required=True, help="Staff id of the lead or manager who confirms.")
@pass_runtime
def confirm(runtime: Runtime, flag_id: int, staff_id: str) -> None:
    """Confirm a flag by hand (leads and managers; never one's own)."""
    from recovery.engine.flags import confirm_flag

    decision = confirm_flag(runtime.context(), flag_id, staff_id)
    click.echo(f"flag {flag_id} confirmed by {staff_id}: {decision.author} earns {decision.points} points")
    for note in decision.notes:
        click.echo(f"note: {note}")


@flag.command("reject")
@click.argument("flag_id", type=FLAG_ID)
@click.option("--by", "staff_id", required=True, help="Staff id of the lead or manager who rejects.")
@pass_runtime
def reject(runtime: Runtime, flag_id: int, staff_id: str) -> None:
    """Reject a flag by hand (leads and managers); a confirmed flag's points are reversed."""
    from recovery.engine.flags import reject_flag

    decision = reject_flag(runtime.context(), flag_id, staff_id)
    reversed_ = f"; {-decision.points} points reversed from {decision.author}" if decision.points else ""
    click.echo(f"flag {flag_id} rejected by {staff_id}{reversed_}")
