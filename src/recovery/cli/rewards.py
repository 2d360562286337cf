"""``recovery rewards run | leaderboard | statement``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import click

from recovery.cli.params import BATCH, LIMIT, PERIOD
from recovery.cli.runtime import (
    Runtime,
    clock_start_option,
    json_option,
    pass_runtime,
    print_json,
    print_rows,
    print_table,
)

BOARD_COLUMNS = ["staff", "flags", "confirmed", "recovered", "points", "precision"]
STATEMENT_COLUMNS = ["id", "at", "period", "points", "reason", "flag_id", "complaint_id", "note"]


@click.group()
def rewards() -> None:
    """Rewards for staff whose flags were right: the run, the leaderboard, statements."""


@rewards.command("run")
@click.option("--batch", "batch_size", default=2000, show_default=True, type=BATCH, help="Flags per commit.")
@click.option(
    "--pause", type=click.FloatRange(0), default=0.0, help="Seconds to wait between commits, to spare a busy database."
)
@json_option
@clock_start_option
@pass_runtime
def run(runtime: Runtime, batch_size: int, pause: float, as_json: bool, clock_start: datetime | None) -> None:
    """Decide the flags that can be decided and write the awards (what the daemon does daily)."""
    import time

    from recovery.cli.progress import progress
    from recovery.engine.rewards import RewardRun, run_rewards

    ctx = runtime.context(clock_start=clock_start)

    def rest_between_commits() -> bool:
        time.sleep(pause)
        return False  # never asks the run to stop

    def show(totals: RewardRun) -> None:
        bar.update(totals.confirmed + totals.rejected + totals.recovered, f"{totals.points} points")

    with progress("reward run", unit="flags and customers decided") as bar:
        result = run_rewards(ctx, batch_size=batch_size, stop=rest_between_commits, on_batch=show)
    if as_json:
        print_json(asdict(result))
        return
    click.echo(
        f"confirmed {result.confirmed}, rejected {result.rejected}, awards {result.awards}, "
        f"recovered customers {result.recovered}, points {result.points}"
    )


@rewards.command("leaderboard")
@click.option("--period", type=PERIOD, help="Month as YYYY-MM (default: the current one).")
@json_option
@pass_runtime
def leaderboard(runtime: Runtime, period: str | None, as_json: bool) -> None:
    """Flags raised, confirmed, customers recovered, points and precision per staff member."""
    from recovery.engine.rewards import leaderboard as board

    rows = board(runtime.context(), period)
    print_rows(rows, BOARD_COLUMNS, empty="no flags or points in this period", as_json=as_json)


@rewards.command("statement")
@click.argument("staff_id", metavar="STAFF")
@click.option(
    "--limit", default=100, show_default=True, type=LIMIT, help="The newest N ledger rows (the total counts all)."
)
@json_option
@pass_runtime
def statement(runtime: Runtime, staff_id: str, limit: int, as_json: bool) -> None:
    """The ledger rows of a staff member, oldest first, with the total of every row."""
    from recovery.engine.rewards import statement as read_statement

    found = read_statement(runtime.context(), staff_id, limit)
    if as_json:
        print_json(found)
        return
    print_table(found["rows"], STATEMENT_COLUMNS, empty=f"no ledger rows for {staff_id}")
    if found["count"] > len(found["rows"]):
        click.echo(f"the newest {len(found['rows'])} of {found['count']} rows (--limit)")
    click.echo(f"total: {found['total']} points")
