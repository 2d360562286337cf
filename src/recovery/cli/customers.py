"""``recovery customers``: what the whole customer base is worth and who is leaving."""

from __future__ import annotations

import click

from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json


@click.group()
def customers() -> None:
    """Scores of every customer: still a customer, lifetime value, kind (dissatisfied, satisfied, loyal)."""


@customers.command("score")
@json_option
@pass_runtime
def score(runtime: Runtime, as_json: bool) -> None:
    """Score every customer with the newest fitted model, then mark the valuable ones who went silent."""
    from recovery.engine.at_risk import mark_at_risk
    from recovery.engine.scores import score_customers

    ctx = runtime.context()
    run = score_customers(ctx)
    marks = mark_at_risk(ctx)
    if as_json:
        print_json({**run.summary(), "at_risk": marks.summary()})
        return
    classes = ", ".join(f"{count} {name}" for name, count in sorted(run.by_class.items()))
    click.echo(f"{run.customers} customers scored with {run.model}: {classes}; {run.class_changes} changed class")
    click.echo(f"{marks.marked} marked at risk, {marks.rearmed} re-armed")
