"""``recovery customer add | list | show``."""

from __future__ import annotations

import click

from recovery.cli.params import CUSTOMER, LIMIT, typed_values
from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json, print_rows, print_table


@click.group()
def customer() -> None:
    """Customers: the people who complain, and whom we want to keep."""


@customer.command("add")
@click.argument("email")
@click.option("--name", default="", help="The customer's name.")
@click.option("--external", help="The helpdesk's id for them, as SOURCE:ID.")
@json_option
@pass_runtime
def add(runtime: Runtime, email: str, name: str, external: str | None, as_json: bool) -> None:
    """Add a customer by email."""
    from recovery.engine.customer_queries import customer_detail
    from recovery.engine.people import add_customer, find_customer

    ref = None
    if external is not None:
        source, sep, ident = external.partition(":")
        if not sep or not source or not ident:
            raise click.BadParameter("expected SOURCE:ID, e.g. zendesk:12345", param_hint="--external")
        ref = (source, ident)
    ctx = runtime.context()
    with typed_values():  # every value add_customer checks was typed here: a malformed one is bad usage
        customer_id = add_customer(ctx, email, name, ref)
    if as_json:
        with ctx.read() as connection:
            print_json(customer_detail(connection, find_customer(connection, str(customer_id))))
        return
    click.echo(f"customer {customer_id} added")


@customer.command("list")
@click.option("--class", "loyalty_class", type=click.Choice(["dissatisfied", "satisfied", "loyal", "unknown"]))
@click.option("--sort", type=click.Choice(["id", "clv"]), default="id", show_default=True)
@click.option("--limit", default=100, show_default=True, type=LIMIT)
@click.option("--at-risk", is_flag=True, help="Only customers marked at risk (silent defectors), highest CLV first.")
@json_option
@pass_runtime
def list_(runtime: Runtime, loyalty_class: str | None, sort: str, limit: int, at_risk: bool, as_json: bool) -> None:
    """List customers with their complaint counts and, once scored, their class and lifetime value."""
    from recovery.engine.customer_queries import list_customers

    rows = list_customers(runtime.context(), limit, loyalty_class, sort, at_risk=at_risk)
    columns = ["id", "email", "name", "external", "complaints", "loyalty_class", "clv"]
    if at_risk:
        columns = ["id", "email", "name", "complaints", "clv", "p_alive", "at_risk_since"]
    empty = "no customers match" if loyalty_class or at_risk else "no customers yet"
    print_rows(rows, columns, empty=empty, as_json=as_json)


@customer.command("show")
@click.argument("ref", metavar="CUSTOMER", type=CUSTOMER)
@json_option
@pass_runtime
def show(runtime: Runtime, ref: str, as_json: bool) -> None:
    """Show a customer (by id or email) and their complaints."""
    from recovery.engine.customer_queries import customer_detail
    from recovery.engine.people import find_customer

    with runtime.context().read() as connection:
        data = customer_detail(connection, find_customer(connection, ref))
    if as_json:
        print_json(data)
        return
    click.echo(f"customer {data['id']}: {data['name'] or '-'} <{data['email']}>  external: {data['external'] or '-'}")
    print_table(data["complaints"], ["id", "state", "severity", "summary", "opened_at"], empty="no complaints")
