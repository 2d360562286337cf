"""``recovery staff add | list``."""

from __future__ import annotations

import click

from recovery.cli.params import LIMIT, typed_values
from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json, print_rows


@click.group()
def staff() -> None:
    """Staff: who handles complaints and who flags unhappy customers."""


@staff.command("add")
@click.argument("staff_id", metavar="STAFF")
@click.option("--name", required=True, help="Full name.")
@click.option("--email", help="Where notifications go.")
@click.option("--role", type=click.Choice(["agent", "lead", "manager"]), default="agent", show_default=True)
@json_option
@pass_runtime
def add(runtime: Runtime, staff_id: str, name: str, email: str | None, role: str, as_json: bool) -> None:
    """Add a staff member."""
    from recovery.engine.people import add_staff
    from recovery.engine.queries import list_staff

    ctx = runtime.context()
    with typed_values():  # every value add_staff checks was typed here: a malformed one is bad usage
        add_staff(ctx, staff_id, name, email, role)
    if as_json:
        print_json(next(row for row in list_staff(ctx) if row["id"] == staff_id))
        return
    click.echo(f"staff member {staff_id} added ({role})")


@staff.command("list")
@click.option("--limit", default=100, show_default=True, type=LIMIT)
@json_option
@pass_runtime
def list_(runtime: Runtime, limit: int, as_json: bool) -> None:
    """List staff, by id."""
    from recovery.engine.queries import list_staff

    rows = list_staff(runtime.context(), limit)
    print_rows(rows, ["id", "name", "email", "role"], empty="no staff yet", as_json=as_json)


@staff.command("sign-in-link")
@click.argument("staff_id", metavar="STAFF")
@json_option
@pass_runtime
def sign_in_link(runtime: Runtime, staff_id: str, as_json: bool) -> None:
    """Print a single-use link that signs STAFF in to the dashboard (for a first sign-in without mail)."""
    from recovery.cli.times import shown
    from recovery.config import clock_duration
    from recovery.engine.queries import iso
    from recovery.engine.sign_ins import print_link

    dashboard = runtime.settings.dashboard
    lifetime = clock_duration(dashboard.link_lifetime).clock()
    link = print_link(runtime.context(), staff_id, base_url=dashboard.base_url, lifetime=lifetime)
    if as_json:
        print_json({"staff": link.staff_id, "url": link.url, "expires_at": iso(link.expires_at)})
        return
    click.echo(link.url)
    click.echo(f"works once, until {shown(link.expires_at, runtime.tz)}", err=True)
