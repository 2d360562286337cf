"""``recovery flag add | list | show | confirm | reject``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from recovery.cli.params import CUSTOMER, FLAG_ID, LIMIT, TEXT
from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json, print_rows, state_option

if TYPE_CHECKING:
    from recovery.engine.context import Context

SIGNALS = ["price", "quality", "responsiveness", "promise", "complaint", "other"]
STATES = ["open", "confirmed", "rejected"]
LIST_COLUMNS = ["id", "customer_id", "staff", "signal", "status", "earns", "raised_at", "window_ends_at", "points"]


@click.group()
def flag() -> None:
    """Flags: staff mark unhappy customers and are rewarded when they were right."""


@flag.command("add")
@click.argument("customer_ref", metavar="CUSTOMER", type=CUSTOMER)
@click.option("--by", "staff_id", required=True, help="Staff id of who saw the unhappy customer.")
@click.option("--reason", type=TEXT, required=True, help="What they saw.")
@click.option("--signal", type=click.Choice(SIGNALS), default="other", show_default=True, help="Kind of unhappiness.")
@json_option
@pass_runtime
def add(runtime: Runtime, customer_ref: str, staff_id: str, reason: str, signal: str, as_json: bool) -> None:
    """Flag a customer (id or email) as unhappy."""
    from recovery.cli.times import shown_text
    from recovery.engine.flags import get_flag, raise_flag

    ctx = runtime.context()
    customer_id = _customer_id(ctx, customer_ref)
    flag_id = raise_flag(ctx, customer_id, staff_id, reason, signal)
    view = get_flag(ctx, flag_id)
    if as_json:
        print_json(view)
        return
    ends = shown_text(view["window_ends_at"], runtime.tz)
    click.echo(f"flag {flag_id} raised on customer {customer_id} by {staff_id}; window ends {ends}")
    if not view["earns"]:
        click.echo(f"flag {flag_id} earns nothing: customer {customer_id} already has an open complaint")


@flag.command("list")
@state_option(STATES, "Only flags in this state.")
@click.option("--by", "staff_id", help="Only flags raised by this staff member.")
@click.option("--customer", "customer_ref", type=CUSTOMER, help="Only flags on this customer (id or email).")
@click.option("--limit", default=100, show_default=True, type=LIMIT)
@json_option
@pass_runtime
def list_(
    runtime: Runtime, state: str | None, staff_id: str | None, customer_ref: str | None, limit: int, as_json: bool
) -> None:
    """List flags, newest first."""
    from recovery.engine.flags import list_flags

    ctx = runtime.context()
    customer_id = _customer_id(ctx, customer_ref) if customer_ref is not None else None
    rows = list_flags(ctx, state, staff_id, customer_id, limit)
    print_rows(rows, LIST_COLUMNS, empty="no flags match", as_json=as_json)


@flag.command("show")
@click.argument("flag_id", metavar="ID", type=FLAG_ID)
@json_option
@pass_runtime
def show(runtime: Runtime, flag_id: int, as_json: bool) -> None:
    """Show one flag: who raised it on whom, its window, its decision and the points it earned."""
    from recovery.engine.flags import get_flag

    _print(runtime, get_flag(runtime.context(), flag_id), as_json)


@flag.command("confirm")
@click.argument("flag_id", metavar="ID", type=FLAG_ID)
@click.option("--by", "staff_id", required=True, help="Staff id of the lead or manager who confirms.")
@json_option
@pass_runtime
def confirm(runtime: Runtime, flag_id: int, staff_id: str, as_json: bool) -> None:
    """Confirm a flag by hand (leads and managers; never one's own)."""
    from recovery.engine.flags import confirm_flag, get_flag

    ctx = runtime.context()
    decision = confirm_flag(ctx, flag_id, staff_id)
    if as_json:
        print_json({**get_flag(ctx, flag_id), "notes": list(decision.notes)})
        return
    click.echo(f"flag {flag_id} confirmed by {staff_id}: {decision.author} earns {decision.points} points")
    for note in decision.notes:
        click.echo(f"note: {note}")


@flag.command("reject")
@click.argument("flag_id", metavar="ID", type=FLAG_ID)
@click.option("--by", "staff_id", required=True, help="Staff id of the lead or manager who rejects.")
@json_option
@pass_runtime
def reject(runtime: Runtime, flag_id: int, staff_id: str, as_json: bool) -> None:
    """Reject a flag by hand (leads and managers); a confirmed flag's points are reversed."""
    from recovery.engine.flags import get_flag, reject_flag

    ctx = runtime.context()
    decision = reject_flag(ctx, flag_id, staff_id)
    if as_json:
        print_json(get_flag(ctx, flag_id))
        return
    reversed_ = f"; {-decision.points} points reversed from {decision.author}" if decision.points else ""
    click.echo(f"flag {flag_id} rejected by {staff_id}{reversed_}")


def _customer_id(ctx: Context, ref: str) -> int:
    """The id of the customer ``ref`` (an id or an email) names; NotFoundError otherwise."""
    from recovery.engine.people import find_customer

    with ctx.read() as connection:
        found: int = find_customer(connection, ref)["id"]
    return found


def _print(runtime: Runtime, view: dict[str, Any], as_json: bool) -> None:
    """A flag as ``show`` prints it: one field a line, times in the calendar's zone."""
    from recovery.cli.times import shown_text

    if as_json:
        print_json(view)
        return
    for key, value in view.items():
        text = shown_text(value, runtime.tz) if isinstance(value, str) or value is None else str(value)
        click.echo(f"{key:15} {text}")
