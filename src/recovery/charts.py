"""The retention report's charts, drawn with matplotlib (Agg, no display) from ``report retention --json``'s dict.

API, for the report and the dashboard alike::

    from recovery.charts import retention_charts

    charts = retention_charts(report)          # {"customers": Chart, "classes": Chart, "pareto": Chart, …}
    chart = charts["pareto"]
    chart.title                                # "The 80/20 split: revenue and complaints"
    chart.svg()                                # SVG text, its words kept as <text> (searchable, scalable)
    chart.png()                                # PNG bytes (150 dpi)

A Chart draws when ``svg()`` or ``png()`` is first called; matplotlib is imported then, never when this
module is: every other command starts without it. The charts read in greyscale: series differ by line
style, marker and hatching, not by colour alone. Names, in order: customers, classes, pareto, recovery,
outcome, reasons, voice, staff; a chart with nothing to show says so in its plot.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Draw = Callable[["Axes"], None]
GREYS = ("#000000", "#555555", "#999999", "#333333")
LINES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"))
HATCHES = ("", "//", "..", "xx", "\\\\")
SIZE = (8.0, 3.4)  # inches: 800 x 340 px at 100 dpi, a page's width


@dataclass
class Chart:
    """One chart: its title and how to draw it; ``svg()`` and ``png()`` render it (once each)."""

    name: str
    title: str
    draw: Draw = field(repr=False)
    _rendered: dict[str, bytes] = field(default_factory=dict, repr=False)

    def svg(self) -> str:
        """The chart as SVG text (no XML declaration: ready to put inline in HTML)."""
        text = self._render("svg").decode("utf-8")
        return text[text.index("<svg") :]

    def png(self) -> bytes:
        """The chart as PNG bytes."""
        return self._render("png")

    def _render(self, kind: str) -> bytes:
        if kind not in self._rendered:
            from matplotlib import rc_context

            # Words stay <text> (readable by a search, a screen reader and a test); the same chart, the same SVG.
            with rc_context({"svg.fonttype": "none", "svg.hashsalt": "recovery"}):
                figure = _figure(self.title, self.draw)
                out = io.BytesIO()
                metadata: dict[str, Any] = {"Date": None} if kind == "svg" else {}
                figure.savefig(out, format=kind, dpi=150 if kind == "png" else 100, metadata=metadata)
            self._rendered[kind] = out.getvalue()
        return self._rendered[kind]


def _figure(title: str, draw: Draw) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title, loc="left", fontsize=11, fontweight="bold")
    axes.grid(True, axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    draw(axes)
    return figure


def _nothing(axes: Axes) -> None:
    axes.text(0.5, 0.5, "nothing to show for these periods", ha="center", va="center", transform=axes.transAxes)


def _lines(
    axes: Axes, keys: Sequence[str], series: Mapping[str, Sequence[float | None]], unit: str, period: str
) -> None:
    """One line per series, distinguished by style and marker; a missing value leaves a gap."""
    for i, (label, values) in enumerate(series.items()):
        style, marker = LINES[i % len(LINES)]
        points = [float("nan") if v is None else v for v in values]
        axes.plot(keys, points, linestyle=style, marker=marker, color=GREYS[i % len(GREYS)], label=label)
    axes.set_xlabel(period)
    axes.set_ylabel(unit)
    axes.legend(loc="best", fontsize=8, frameon=False)
    axes.tick_params(axis="x", labelrotation=30, labelsize=8)


def _bars(axes: Axes, keys: Sequence[str], series: Mapping[str, Sequence[float]], unit: str, label: str) -> None:
    """Grouped bars, one hatching per series."""
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        positions = [k + (i - (len(series) - 1) / 2) * width for k in range(len(keys))]
        axes.bar(
            positions, values, width, label=name, color="white", edgecolor="black", hatch=HATCHES[i % len(HATCHES)]
        )
    axes.set_xticks(range(len(keys)), list(keys))
    axes.set_xlabel(label)
    axes.set_ylabel(unit)
    axes.legend(loc="best", fontsize=8, frameon=False)
    axes.tick_params(axis="x", labelrotation=30, labelsize=8)


def _whole_numbers(axes: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 1.75 customers


def _percent(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None else round(v * 100, 1) for v in values]


def retention_charts(report: Mapping[str, Any]) -> dict[str, Chart]:
    """Every chart of a retention report, by name, in the report's order."""
    period = f"period ({report.get('period', 'month')})"
    keys = [p["period"] for p in report["periods"]]
    builders = (_customers, _classes, _pareto, _recovery, _outcome, _reasons, _voice, _staff)
    charts = [build(report, keys, period) for build in builders]
    return {chart.name: chart for chart in charts}


def _column(section: Mapping[str, Any], name: str) -> list[Any]:
    return [row[name] for row in section["periods"]]


def _customers(report: Mapping[str, Any], keys: list[str], period: str) -> Chart:
    c = report["customers"]
    series = {
        "new customers": _column(c, "new"),
        "active customers": _column(c, "active"),
        "new, gone after 1-2 purchases": _column(c, "early_defected"),
    }
    return Chart(
        "customers", "Customers: new, active, gone early", lambda ax: _lines(ax, keys, series, "customers", period)
    )


def _classes(report: Mapping[str, Any], keys: list[str], period: str) -> Chart:
    rows = report["customers"]["periods"]
    names = sorted({name for row in rows for name in row["classes"]})

    def draw(axes: Axes) -> None:
        if not names:
            return _nothing(axes)
        series = {name: [row["classes"].get(name, 0) for row in rows] for name in names}
        _bars(axes, keys, series, "customers at the period's end", period)
        _whole_numbers(axes)

    return Chart("classes", "Loyalty classes at each period's end", draw)


def _pareto(report: Mapping[str, Any], keys: list[str], period: str) -> Chart:
    pareto = report["value"]["pareto"]

    def draw(axes: Axes) -> None:
        curves = {
            "revenue, by customer": pareto["revenue_curve"],
            "complaints, by complainer": pareto["complaint_curve"],
        }
        if not any(curves.values()):
            return _nothing(axes)
        for i, (label, curve) in enumerate(curves.items()):
            style, marker = LINES[i]
            axes.plot(
                [x * 100 for x, _ in curve],
                [y * 100 for _, y in curve],
                linestyle=style,
                marker=marker,
                markersize=3,
                color=GREYS[i],
                label=label,
            )
        axes.plot([0, 100], [0, 100], linestyle=":", color="#999999", label="everyone alike")
        axes.axvline(20, color="#bbbbbb", linewidth=0.8)
        axes.set_xlabel("share of customers, the largest first (%)")
        axes.set_ylabel("share of the total (%)")
        axes.legend(loc="lower right", fontsize=8, frameon=False)

    return Chart("pareto", "The 80/20 split: revenue and complaints", draw)


def _recovery(report: Mapping[str, Any], keys: list[str], period: str) -> Chart:
    r = report["recovery"]
    series = {
        "steps on time": _percent(_column(r, "on_time")),
        "recovery rate (closed complaints resolved)": _percent(_column(r, "recovery_rate")),
    }
    return Chart(
        "recovery", "Recovery: steps on time and complaints resolved", lambda ax: _lines(ax, keys, series, "%", period)
    )


def _outcome(report: Mapping[str, Any], keys: list[str], period: str) -> Chart:
    outcome = report["recovery"]["outcome"]
    groups = outcome["groups"]
    labels = {
        "recovered": "resolved complaint",
        "unresolved_or_lost": "unresolved or lost",
        "never_complained": "never complained",
    }

    def draw(axes: Axes) -> None:
        if not any(g["count"] for g in groups):
            return _nothing(axes)
        for i, group in enumerate(groups):
            rate = (group["repurchase_rate"] or 0) * 100
            axes.bar(i, rate, 0.6, color="white", edgecolor="black", hatch=HATCHES[i % len(HATCHES)])
            axes.annotate(f"{rate:.0f}% of {group['count']}", (i, rate), ha="center", va="bottom", fontsize=8)
        axes.set_xticks(range(len(groups)), [labels.get(g["group"], g["group"]) for g in groups])
        axes.set_ylabel(f"bought again within {outcome['window_days']} days (%)")
        axes.set_xlabel("customers")
        axes.set_ylim(0, 110)

    return Chart("outcome", "The recovery outcome: who buys again", draw)


def _reasons(report: Mapping[str, Any], keys: list[str], period: str) -> Chart:
    reasons = report["winback"]["reasons"][:10]

    def draw(axes: Axes) -> None:
        if not reasons:
            return _nothing(axes)
        names = [r["reason"].replace("_", " ") for r in reversed(reasons)]
        axes.barh(names, [r["answers"] for r in reversed(reasons)], color="white", edgecolor="black", hatch="//")
        axes.set_xlabel("answers giving the reason")
        axes.set_ylabel("reason")
        axes.tick_params(axis="y", labelsize=8)

    return Chart("reasons", "Why customers left: the win-back reasons", draw)


def _voice(report: Mapping[str, Any], keys: list[str], period: str) -> Chart:
    v = report["voice"]
    series = {"NPS (-100 to 100)": _column(v, "nps"), "CSAT (% answering 4 or 5)": _percent(_column(v, "csat"))}

    def draw(axes: Axes) -> None:
        _lines(axes, keys, series, "score", period)
        axes.set_ylim(-100, 100)

    return Chart("voice", "The voice of the customer: NPS and CSAT", draw)


def _staff(report: Mapping[str, Any], keys: list[str], period: str) -> Chart:
    s = report["staff"]
    series = {"flags raised": _column(s, "flags"), "flags confirmed": _column(s, "confirmed")}

    def draw(axes: Axes) -> None:
        _bars(axes, keys, series, "flags", period)
        _whole_numbers(axes)

    return Chart("staff", "Staff: unhappy customers flagged", draw)
