"""``recovery model``: fitting the purchase models to the business's own purchases."""

from __future__ import annotations

from datetime import datetime

import click

from recovery.cli.runtime import Runtime, json_option, pass_runtime, print_json


@click.group()
def model() -> None:
    """The purchase models: how often customers buy, whether they are still customers, what they spend."""


@model.command("fit")
@click.option(
    "--until", type=click.DateTime(formats=["%Y-%m-%d"]), help="Fit on purchases up to this day (default today)."
)
@click.option("--model", "which", type=click.Choice(["bgnbd", "pareto_nbd", "auto"]), default="auto", show_default=True)
@json_option
@pass_runtime
def fit(runtime: Runtime, until: datetime | None, which: str, as_json: bool) -> None:
    """Fit BG/NBD or Pareto/NBD (auto: the likelier) and Gamma-Gamma spend; the fit is kept."""
    from recovery.engine.models import fit as fit_models

    fitted = fit_models(runtime.context(), until.date() if until else None, which)
    view = fitted.view()
    if as_json:
        print_json(view)
        return
    params = ", ".join(f"{name} = {value:.4g}" for name, value in fitted.params.items())
    click.echo(f"{fitted.model} on {fitted.customers} customers until {view['until']}: {params}")
    click.echo(f"log-likelihood {fitted.log_likelihood:.1f}")
    spend = fitted.spend or {}
    if spend.get("params"):
        spent = ", ".join(f"{name} = {value:.4g}" for name, value in spend["params"].items())
        click.echo(f"spend (Gamma-Gamma) on {spend['customers']} repeat buyers: {spent}")
    else:
        click.echo(f"spend: not fitted ({spend.get('error', 'no repeat buyers')})")
