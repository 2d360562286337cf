"""``recovery init`` and ``recovery status``."""

from __future__ import annotations

from typing import Any

import click

from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json, print_table


@click.command()
@pass_runtime
def init(runtime: Runtime) -> None:
    """Create the database or upgrade it to the newest schema."""
    from recovery.store.database import connect, upgrade

    url = runtime.settings.database.url
    engine = connect(url)
    upgrade(engine)
    engine.dispose()
    click.echo(f"database ready: {engine.url.render_as_string(hide_password=True)}")


@click.command()
@json_option
@pass_runtime
def status(runtime: Runtime, as_json: bool) -> None:
    """Counts by state, overdue and escalated complaints, the outbox, the last scheduler tick, revenue at risk."""
    from recovery.cli.times import shown_text
    from recovery.engine.queries import status as read_status

    data = read_status(runtime.context())
    if as_json:
        print_json(data)
        return
    print_table(
        [{"state": s, "complaints": n} for s, n in sorted(data["complaints"].items())],
        ["state", "complaints"],
        empty="no complaints yet",
    )
    box = data["outbox"]
    click.echo(f"overdue: {data['overdue']}  escalated: {data['escalated']}")
    click.echo(f"outbox: {box['pending']} pending, {box['dead']} dead, {box['sent']} sent")
    tick = data["last_tick"]
    at = tick["at"] if isinstance(tick, dict) else tick
    click.echo(f"last tick: {shown_text(at, runtime.tz) if at else 'never'}")
    click.echo(f"revenue at risk: {revenue_at_risk(data)}")


def revenue_at_risk(data: dict[str, Any]) -> str:
    """The status line's figure; before any customer is scored, the commands that score them instead of 0.00."""
    if not data["customers_scored"]:
        return "not scored yet (run `recovery model fit`, then `recovery customers score`)"
    unscored = data["revenue_at_risk_unscored"]
    return f"{data['revenue_at_risk']:,.2f}" + (f" ({unscored} open unscored, not counted)" if unscored else "")
