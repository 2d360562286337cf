"""``recovery sla scan [--dry-run]``: one overdue scan by hand, what the daemon does each tick."""

from __future__ import annotations

from datetime import datetime

import click

from recovery.cli.params import BATCH
from recovery.cli.runtime import Runtime, clock_start_option, json_option, pass_runtime, print_json, print_table


@click.group()
def sla() -> None:
    """Deadlines: the overdue scan."""


@sla.command("scan")
@click.option("--dry-run", is_flag=True, help="List what would be done and change nothing.")
@click.option("--batch", type=BATCH, help="Complaints per transaction (default: daemon.batch).")
@json_option
@clock_start_option
@pass_runtime
def scan(runtime: Runtime, dry_run: bool, batch: int | None, as_json: bool, clock_start: datetime | None) -> None:
    """Warn, escalate, remind and resume every complaint due now; print what was done."""
    from recovery.cli.progress import progress
    from recovery.engine.sla import due_count
    from recovery.engine.sla import scan as run_scan

    ctx = runtime.context(clock_start=clock_start)
    try:
        # A dry run is one transaction rolled back at the end: no batches to show.
        with progress("overdue scan", None if dry_run else due_count(ctx), unit="complaints") as bar:
            report = run_scan(
                ctx,
                batch=batch or runtime.settings.daemon.batch,
                dry_run=dry_run,
                on_batch=lambda done, _actions: bar.update(done.looked),
            )
    finally:
        ctx.db.dispose()
    actions = [
        {
            "complaint": a.complaint_id,
            "action": a.kind,
            "state": a.state,
            "level": a.level,
            "notify": ", ".join(a.notify),
        }
        for a in report.actions
    ]
    if as_json:
        print_json({"dry_run": dry_run, **report.summary(), "actions": actions if dry_run else None})
        return
    if dry_run:
        print_table(actions, ["complaint", "action", "state", "level", "notify"], empty="nothing is due")
    done = ", ".join(f"{kind} {n}" for kind, n in sorted(report.counts.items())) or "nothing to do"
    click.echo(f"{'would do' if dry_run else 'done'}: {done} (looked at {report.looked} complaints)")
    if dry_run:
        click.echo("dry run: nothing was changed")
