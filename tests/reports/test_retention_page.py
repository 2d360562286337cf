"""The retention report's charts and its HTML page: there, labelled, valid, printable, without script."""

from __future__ import annotations

import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import html5lib
import pytest

from recovery.charts import retention_charts
from recovery.engine.context import Context
from recovery.engine.retention_report import ReportRequest, retention_report
from recovery.report_page import render_report

from .data import END, START, Shop, at

CHARTS = ["customers", "classes", "pareto", "recovery", "outcome", "reasons", "voice", "staff"]
SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    """Every piece of text the SVG shows."""
    return ["".join(node.itertext()) for node in ET.fromstring(svg).iter(f"{SVG}text")]


def page(report: dict[str, Any]) -> str:
    return render_report(report, retention_charts(report), "2026-11-25 10:00 +0100")


def test_there_is_one_chart_per_section_view(report: dict[str, Any]) -> None:
    assert list(retention_charts(report)) == CHARTS


@pytest.mark.parametrize(
    ("name", "labels"),
    [
        (
            "customers",
            ["Customers: new, active, gone early", "customers", "period (month)", "2026-01", "new customers"],
        ),
        ("pareto", ["share of customers, the largest first (%)", "share of the total (%)", "revenue, by customer"]),
        ("outcome", ["bought again within 30 days (%)", "resolved complaint", "never complained", "50% of 2"]),
        ("reasons", ["answers giving the reason", "price or quality"]),
        ("voice", ["score", "NPS (-100 to 100)", "CSAT (% answering 4 or 5)"]),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_chart_shows_its_title_units_and_periods(report: dict[str, Any], name: str, labels: list[str]) -> None:
    chart = retention_charts(report)[name]
    shown = texts(chart.svg())
    assert chart.title in shown
    missing = [label for label in labels if label not in shown]
    assert not missing, f"{name}: {missing} not among {shown}"


def test_a_chart_as_png_is_a_page_wide_image(report: dict[str, Any]) -> None:
    png = retention_charts(report)["customers"].png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 510)  # 8 x 3.4 inches at 150 dpi
    assert 5_000 < len(png) < 300_000


def test_a_chart_with_nothing_to_show_says_so(ctx: Context) -> None:
    empty = retention_report(ctx, ReportRequest(START, END))
    assert "nothing to show for these periods" in texts(retention_charts(empty)["reasons"].svg())


def test_the_page_is_valid_html(report: dict[str, Any]) -> None:
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(page(report))  # raises on the first parse error
    assert parser.errors == []


def test_the_page_has_no_script(report: dict[str, Any]) -> None:
    assert "<script" not in page(report).lower()


def test_the_page_has_every_chart_inline_and_prints(report: dict[str, Any]) -> None:
    html = page(report)
    assert html.count("<svg") == len(CHARTS)
    assert "@media print" in html


def test_a_customers_script_in_their_name_is_shown_as_text(ctx: Context, shop: dict[str, int]) -> None:
    shop_rows = Shop(ctx)
    chronic = shop_rows.customer("<script>alert(1)</script>", email="x@example.com")
    for day in ("2026-01-02", "2026-01-03", "2026-01-04"):
        shop_rows.complaint(chronic, at(day))
    html = page(retention_report(ctx, ReportRequest(START, END)))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html


def test_a_coded_reason_with_markup_is_escaped_in_table_and_chart(ctx: Context, shop: dict[str, int]) -> None:
    rows = Shop(ctx)
    answer = rows.answer(1, "2026-02-03", "open", complaint_id=shop["w1"], question="q9", text="<b>no</b>")
    rows.coded(answer, "<script>x</script>", by="lena")
    html = page(retention_report(ctx, ReportRequest(START, END)))
    assert "<script" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_the_page_says_when_it_was_made_and_for_which_days(report: dict[str, Any]) -> None:
    html = page(report)
    assert "2026-01-01 to 2026-03-31, by month" in html


def test_the_cli_starts_without_matplotlib() -> None:
    code = "import sys, recovery.cli.main; print('matplotlib' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False", found.stderr


def test_the_report_is_made_in_the_calendars_days(ctx: Context, shop: dict[str, int]) -> None:
    # A purchase at 23:30 UTC on 31 January is 00:30 on 1 February in Amsterdam: February's.
    assert ctx.calendar.tz == ZoneInfo("Europe/Amsterdam")
    rows = Shop(ctx)
    rows.complaint(shop["c5"], datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    report = retention_report(ctx, ReportRequest(START, END))
    assert [row["opened"] for row in report["recovery"]["periods"]] == [2, 3, 0]
