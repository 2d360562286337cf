"""``recovery report``: what complaints and leaving customers cost the business, on its own data."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from recovery.cli.runtime import Runtime, clock_start_option, json_option, pass_runtime, print_json, print_table


@click.group()
def report() -> None:
    """Reports on the business's own data."""


@report.command("value")
@json_option
@clock_start_option
@pass_runtime
def value(runtime: Runtime, as_json: bool, clock_start: datetime | None) -> None:
    """Customers, yearly spend and defection, revenue lost per year and at risk, the 80/20 splits."""
    from recovery.cli.times import shown_text
    from recovery.engine.value import value_report

    data = value_report(runtime.context(clock_start=clock_start))
    if as_json:
        print_json(data)
        return
    period = data["period"]
    day = {end: shown_text(period[end], runtime.tz)[:10] for end in ("from", "to")}  # the calendar's days
    click.echo(f"the year from {day['from']} to {day['to']}")
    print_table(_rows(data), ["figure", "value"])
    click.echo(f"leave probability: {data['leave_probability']['basis']}")
    click.echo(f"defection rate: {data['basis']['yearly_defection_rate']}")


@report.command("gaps")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only complaints opened on or after DATE.")
@json_option
@pass_runtime
def gaps(runtime: Runtime, since: datetime | None, as_json: bool) -> None:
    """The quality gap: what customers expected, what they were given, what they felt they got, their score."""
    from recovery.engine.gaps import quality_gaps

    ctx = runtime.context()
    start = since.replace(tzinfo=ctx.calendar.tz) if since else None  # the day starts where the team works
    data = quality_gaps(ctx, start)
    if as_json:
        print_json(data)
        return
    met = data["perceived_as_expected"]
    click.echo(f"{data['complaints']} complaints, {data['with_expectation']} with what the customer expected")
    click.echo(f"got what they expected (in their words): {_percent(met) or 'nobody said'}")
    print_table(data["pairs"], ["expected", "received", "complaints", "mean_score", "perceived_as_expected"])


@report.command("retention")
@click.option("--from", "start", type=click.DateTime(formats=["%Y-%m-%d"]), help="First day (default: a year back).")
@click.option("--to", "end", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day (default: today).")
@click.option("--period", type=click.Choice(["month", "quarter"]), default="month", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON, one key per section.")
@click.option("--csv", "as_csv", is_flag=True, help="Print one row per period with each section's figures.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), help="Write the page to FILE.")
@click.option("--png", "png_dir", type=click.Path(file_okay=False, path_type=Path), help="Write the charts to DIR.")
@clock_start_option
@pass_runtime
def retention(
    runtime: Runtime,
    start: datetime | None,
    end: datetime | None,
    period: str,
    as_json: bool,
    as_csv: bool,
    html_file: Path | None,
    png_dir: Path | None,
    clock_start: datetime | None,
) -> None:
    """Customers, value, recovery, win-back, voice and staff per period, against the goals in [goals]."""
    from recovery.cli.retention_output import print_csv, print_summary, write_html, write_pngs
    from recovery.engine.retention_report import ReportRequest, retention_report

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    if start and end and end < start:
        raise click.BadParameter(f"--to {end:%Y-%m-%d} is before --from {start:%Y-%m-%d}", param_hint="--to")
    settings = runtime.settings
    request = ReportRequest(
        start=start.date() if start else None,
        end=end.date() if end else None,
        kind="quarter" if period == "quarter" else "month",
        goals=dataclasses.asdict(settings.goals),
        defected_after_intervals=settings.report.defected_after_intervals,
        chronic_complaints=settings.report.chronic_complaints,
    )
    ctx = runtime.context(clock_start=clock_start)
    data = retention_report(ctx, request)
    if html_file is not None:
        write_html(data, html_file, ctx.clock.now(), runtime.tz)
    if png_dir is not None:
        write_pngs(data, png_dir)
    if as_json:
        print_json(data)
    elif as_csv:
        print_csv(data)
    elif html_file is None and png_dir is None:
        print_summary(data)


def _rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's figures as a person reads them: money with two decimals, shares as percentages."""
    pareto = data["pareto"]
    unscored = data["open_complaints_unscored"]
    unscored_text = f" ({unscored} unscored, not counted)" if unscored else ""
    figures = [
        ("customers", data["customers"]),
        ("average yearly spend", _money(data["average_yearly_spend"])),
        ("yearly defection rate", _percent(data["yearly_defection_rate"])),
        ("revenue lost per year", _money(data["revenue_lost_per_year"])),
        ("open complaints", f"{data['open_complaints_at_risk']}{unscored_text}"),
        ("revenue at risk", _money(data["revenue_at_risk"])),
        ("leave probability", f"{data['leave_probability']['value']:.2f}"),
        (f"revenue from top 20% of {pareto['customers']} customers", _percent(pareto["revenue_share_top_20"])),
        (f"complaints from top 20% of {pareto['complainers']} complainers", _percent(pareto["complaint_share_top_20"])),
    ]
    return [{"figure": name, "value": shown} for name, shown in figures]


def _money(amount: float | None) -> str | None:
    return None if amount is None else f"{amount:,.2f}"


def _percent(share: float | None) -> str | None:
    return None if share is None else f"{share:.0%}"
