"""``recovery workflow list | show | validate | graph``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json, print_rows, print_table

if TYPE_CHECKING:
    from recovery.core.workflow import Workflow


@click.group()
def workflow() -> None:
    """Workflows: the steps, deadlines and escalations a complaint follows."""


def _files(runtime: Runtime) -> dict[str, Workflow]:
    from recovery.workflow_files import load_dir

    return load_dir(runtime.settings.workflows.dir)


@workflow.command("list")
@json_option
@pass_runtime
def list_(runtime: Runtime, as_json: bool) -> None:
    """List the workflow files."""
    rows = [summary(w) for w in _files(runtime).values()]
    print_rows(rows, ["name", "version", "initial", "states", "triggers"], empty="no workflow files", as_json=as_json)


def summary(w: Workflow) -> dict[str, Any]:
    """One line about a workflow."""
    return {
        "name": w.name,
        "version": w.version,
        "initial": w.initial,
        "states": len(w.states),
        "triggers": len({t.trigger for t in w.transitions}),
    }


@workflow.command("show")
@click.argument("name")
@json_option
@pass_runtime
def show(runtime: Runtime, name: str, as_json: bool) -> None:
    """Show a workflow's states, deadlines and transitions."""
    from recovery.engine.registry import WorkflowRegistry

    w = WorkflowRegistry(_files(runtime)).current(name)
    if as_json:
        print_json({**summary(w), "definition": dict(w.source), "checksum": w.checksum})
        return
    click.echo(f"{w.name} v{w.version}: starts at {w.initial}, resolves at score >= {w.satisfaction_threshold}")
    click.echo(f"follow-up after {w.follow_up_after}, final response within {w.final_response}")
    print_table(
        [{"state": s.name, "sla": str(s.sla) if s.sla else "-", "final": s.final} for s in w.states],
        ["state", "sla", "final"],
    )
    click.echo()
    rows = [
        {
            "trigger": t.trigger,
            "from": ", ".join(t.sources),
            "to": t.dest,
            "guard": t.guard or "-",
            "role": t.role or "-",
        }
        for t in w.transitions
    ]
    print_table(rows, ["trigger", "from", "to", "guard", "role"])


@workflow.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
@pass_runtime
def validate(runtime: Runtime, path: Path) -> None:
    """Check a workflow file; with a database, also that changed rules carry a new version."""
    from recovery.engine.registry import WorkflowRegistry
    from recovery.errors import StorageError
    from recovery.workflow_files import load_file

    w = load_file(path)
    try:
        ctx = runtime.context()
    except StorageError:
        ctx = None
    if ctx is not None:
        with ctx.read() as connection:
            WorkflowRegistry({}).check_unchanged(connection, w)
    click.echo(f"{path}: ok ({w.name} v{w.version}, {len(w.states)} states, {len(w.transitions)} transitions)")


@workflow.command("graph")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@pass_runtime
def graph(runtime: Runtime, name: str, fmt: str) -> None:
    """Draw the state machine as Mermaid or Graphviz dot text."""
    from recovery.diagram import dot, mermaid
    from recovery.engine.registry import WorkflowRegistry

    w = WorkflowRegistry(_files(runtime)).current(name)
    click.echo(mermaid(w) if fmt == "mermaid" else dot(w))
