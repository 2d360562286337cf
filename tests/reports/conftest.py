"""The hand-worked shop of data.py, reported on January to March 2026 by month."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from recovery.engine.context import Context
from recovery.engine.retention_report import ReportRequest, retention_report

from .data import END, START, build

GOALS = {"early_defection_below": 0.3, "nps_above": -10.0, "csat_above": None}


@pytest.fixture
def shop(ctx: Context) -> dict[str, int]:
    """The shop's rows written; the outcome window shortened to 30 days so January and February can be judged."""
    ctx.retention = replace(ctx.retention, leave_window_days=30)
    return build(ctx)


@pytest.fixture
def report(ctx: Context, shop: dict[str, int]) -> dict[str, Any]:
    return retention_report(ctx, ReportRequest(START, END, "month", GOALS))
