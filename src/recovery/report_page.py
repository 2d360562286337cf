"""The retention report as one printable HTML page: its tables and its charts inline as SVG, no script.

Rendered with Jinja2 from ``templates/report/`` with autoescape on, so a customer's name (the chronic
complainers' list) is shown as text, never read as markup; only the charts' own SVG is put in as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from recovery.charts import Chart

DASH = "–"  # a figure with nothing to measure on


def percent(share: float | None) -> str:
    """0.1234 → ``12.3%``."""
    return DASH if share is None else f"{share * 100:.1f}%"


def money(amount: float | None) -> str:
    """1234.5 → ``1,234.50``."""
    return DASH if amount is None else f"{amount:,.2f}"


def number(value: float | None) -> str:
    """A count or a score as a person reads it."""
    if value is None:
        return DASH
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def shown(value: float | None, kind: str) -> str:
    """``value`` as ``kind`` says: percent, money or number."""
    return {"percent": percent, "money": money}.get(kind, number)(value)


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("recovery", "templates/report"), autoescape=True, undefined=StrictUndefined
    )
    environment.filters.update(percent=percent, money=money, number=number, shown=shown)
    return environment


def render_report(report: Mapping[str, Any], charts: Mapping[str, Chart], generated: str) -> str:
    """The whole page; ``generated`` is when it was made, as a person reads it."""
    svgs = {name: Markup(chart.svg()) for name, chart in charts.items()}  # matplotlib escapes the text it writes
    titles = {name: chart.title for name, chart in charts.items()}
    template = _environment().get_template("retention.html")
    return template.render(report=report, charts=svgs, titles=titles, generated=generated)
