"""The ``recovery`` command. Subcommands are imported only when run, so ``--help`` stays fast."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

# name -> "module:attribute"; a module is imported only when its command runs or shows help.
COMMANDS = {
    "init": "recovery.cli.admin:init",
    "status": "recovery.cli.admin:status",
    "daemon": "recovery.cli.daemon:daemon",
    "customer": "recovery.cli.customer:customer",
    "staff": "recovery.cli.staff:staff",
    "complaint": "recovery.cli.complaint:complaint",
    "workflow": "recovery.cli.workflow:workflow",
    "sla": "recovery.cli.sla:sla",
    "inbox": "recovery.cli.inbox:inbox",
    "outbox": "recovery.cli.outbox:outbox",
    "flag": "recovery.cli.flag:flag",
    "rewards": "recovery.cli.rewards:rewards",
    "purchases": "recovery.cli.purchases:purchases",
    "model": "recovery.cli.model:model",
    "customers": "recovery.cli.customers:customers",
    "report": "recovery.cli.report:report",
    "survey": "recovery.cli.survey:survey",
    "reasons": "recovery.cli.reasons:reasons",
    "winback": "recovery.cli.winback:winback",
}
HELP = {
    "init": "Create or upgrade the database.",
    "status": "Counts by state, overdue, escalations, outbox, last tick.",
    "daemon": "Run the scheduler (and the webhook server).",
    "customer": "Add, list and show customers.",
    "staff": "Add and list staff.",
    "complaint": "Open complaints and walk them through the workflow.",
    "workflow": "List, show, validate and draw workflows.",
    "sla": "Run the overdue scan by hand.",
    "inbox": "Helpdesk deliveries: list, show, retry.",
    "outbox": "Notifications on their way out: list, show, retry a dead one.",
    "flag": "Flags on unhappy customers raised by staff.",
    "rewards": "Reward run, leaderboard and statements.",
    "purchases": "Import what customers bought.",
    "model": "Fit the purchase models (lifetime value, still a customer).",
    "customers": "Score every customer: P(alive), CLV, loyalty class.",
    "report": "What complaints cost: revenue at risk, the value report.",
    "survey": "Send surveys, record answers, code open answers.",
    "reasons": "Why customers leave: the reason taxonomy; code one open answer.",
    "winback": "Win back customers who left or are fading: open, list, show cases.",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, without importing any."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the command's module now."""
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands from the static help texts."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, HELP[name]) for name in COMMANDS])


# Every subcommand's context inherits the help option names from the root's.
@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar="RECOVERY_DATABASE_URL", help="Database URL (overrides the config).")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Path of recovery.toml.")
@click.version_option(package_name="recovery")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, config_path: Path | None) -> None:
    """recovery: every complaint walked through the five recovery steps, on time."""
    if ctx.invoked_subcommand is None:  # `recovery` alone (or with global options only) asks what it can do
        click.echo(ctx.get_help())
        ctx.exit(0)
    from recovery.cli.runtime import Runtime

    ctx.obj = Runtime(config_path=config_path, database_url=database_url)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the console script and of ``python -m recovery``; tests run it in their process with ``argv``."""
    from recovery.cli.runtime import run

    if argv is not None:
        return run(cli, argv)
    from recovery.cli.collector import paused_start

    with paused_start():  # this process is the command's own: see cli/collector.py
        return run(cli, sys.argv[1:])
