"""``recovery model``: fitting the purchase models to the business's own purchases."""

from __future__ import annotations

from datetime import datetime

import click

from recovery.cli.params import LIMIT
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


@model.command("check")
@click.option(
    "--until", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="Fit on purchases up to this day."
)
@click.option(
    "--to", type=click.DateTime(formats=["%Y-%m-%d"]), help="Compare up to this day (default: the last purchase)."
)
@click.option("--model", "which", type=click.Choice(["bgnbd", "pareto_nbd", "auto"]), default="auto", show_default=True)
@json_option
@pass_runtime
def check(runtime: Runtime, until: datetime, to: datetime | None, which: str, as_json: bool) -> None:
    """Fit up to a day, predict the period after it, and compare with what customers really bought."""
    from recovery.engine.models import check as check_model

    found = check_model(runtime.context(), until.date(), to.date() if to else None, which)
    if as_json:
        print_json(found)
        return
    click.echo(
        f"{found['model']} fitted until {found['until']} on {found['customers']} customers; "
        f"{found['holdout_weeks']} weeks to {found['to']}"
    )
    click.echo(f"repeat purchases predicted {found['predicted']}, actual {found['actual']:.0f}")
    click.echo(f"AUC of 1 - P(alive) for buying nothing after {found['until']}: {found['auc']}")
    for row in found["by_frequency"]:
        click.echo(
            f"  bought {row['repeat_purchases_before']:>2} times before: {row['customers']:>5} customers, "
            f"mean predicted {row['predicted_mean']:.2f}, actual {row['actual_mean']:.2f}"
        )


@model.command("show")
@click.option("--history", is_flag=True, help="Every stored fit, newest first.")
@click.option("--limit", default=100, show_default=True, type=LIMIT, help="With --history: the newest N fits.")
@json_option
@pass_runtime
def show(runtime: Runtime, history: bool, limit: int, as_json: bool) -> None:
    """Show the newest stored fit (the one customers are scored with), or every fit with --history."""
    from recovery.cli.times import shown_text
    from recovery.engine.fits import fit_history, newest_fit

    given = click.get_current_context().get_parameter_source("limit") is not click.core.ParameterSource.DEFAULT
    if given and not history:
        raise click.UsageError("--limit goes with --history (without it the newest fit alone is shown)")
    fits = fit_history(runtime.context(), limit) if history else [newest_fit(runtime.context())]
    if as_json:
        print_json(fits if history else fits[0])
        return
    if not fits:
        click.echo("no fitted model yet")
    for found in fits:
        params = ", ".join(f"{name} = {value:.4g}" for name, value in found["params"].items())
        at = shown_text(found["fitted_at"], runtime.tz)
        click.echo(
            f"fit {found['id']} at {at}: {found['model']} on {found['customers']} customers "
            f"until {found['until']}: {params}; log-likelihood {found['log_likelihood']:.1f}"
        )
