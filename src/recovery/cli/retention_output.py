"""How ``recovery report retention`` shows its report: a text summary, CSV, the HTML page, the charts as PNG."""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from recovery.cli.runtime import print_table

# The CSV's columns: section, the figure in its per-period rows.
CSV_COLUMNS = (
    ("customers", ("new", "active", "repeat_purchase_rate", "early_defected", "early_defection_rate")),
    ("customers", ("transactions", "spend_per_transaction", "revenue")),
    ("recovery", ("opened", "closed", "recovered", "recovery_rate", "steps", "on_time")),
    ("winback", ("cases", "won", "won_rate")),
    ("voice", ("nps", "nps_answers", "csat", "csat_answers")),
    ("staff", ("flags", "confirmed", "precision", "points")),
)


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def print_summary(data: dict[str, Any]) -> None:
    """Each section's per-period figures as text tables, then the goals."""
    click.echo(f"retention from {data['from']} to {data['to']} by {data['period']}")
    for section, columns in CSV_COLUMNS:
        click.echo(f"\n{section}")
        print_table(data[section]["periods"], ["period", *columns])
    value = data["value"]
    pareto = value["pareto"]
    click.echo("\nvalue")
    click.echo(
        f"revenue lost per year: {value['revenue_lost_per_year']}; revenue at risk now: {value['revenue_at_risk']}"
    )
    click.echo(
        f"revenue from the top 20% of customers: {_percent(pareto['revenue_share_top_20'])}; "
        f"complaints from the top 20% of complainers: {_percent(pareto['complaint_share_top_20'])}; "
        f"chronic complainers: {value['chronic_complainers']['count']}"
    )
    click.echo("\nrecovery outcome")
    print_table(data["recovery"]["outcome"]["groups"], ["group", "count", "repurchase_rate", "mean_spend"])
    click.echo("\ngoals")
    print_table(data["goals"], ["goal", "target", "actual", "met"], empty="no goals set ([goals] in the config)")


def print_csv(data: dict[str, Any]) -> None:
    """One row per period (RFC 4180, with a header): ``section.figure`` columns."""
    writer = csv.writer(sys.stdout, lineterminator="\r\n")
    header = ["period", "from", "to"] + [f"{section}.{name}" for section, names in CSV_COLUMNS for name in names]
    writer.writerow(header)
    for index, period in enumerate(data["periods"]):
        row = [period["period"], period["from"], period["to"]]
        for section, names in CSV_COLUMNS:
            figures = data[section]["periods"][index]
            row += ["" if figures[name] is None else figures[name] for name in names]
        writer.writerow(row)


def write_html(data: dict[str, Any], path: Path, now: datetime, tz: ZoneInfo) -> None:
    """The printable page with its charts inline."""
    from recovery.charts import retention_charts
    from recovery.report_page import render_report

    page = render_report(data, retention_charts(data), now.astimezone(tz).strftime("%Y-%m-%d %H:%M %z"))
    path.write_text(page, encoding="utf-8")
    click.echo(f"wrote {path}", err=True)


def write_pngs(data: dict[str, Any], directory: Path) -> None:
    """Each chart as ``DIR/NAME.png``."""
    from recovery.charts import retention_charts

    directory.mkdir(parents=True, exist_ok=True)
    for name, chart in retention_charts(data).items():
        (directory / f"{name}.png").write_bytes(chart.png())
    click.echo(f"wrote the charts to {directory}", err=True)
