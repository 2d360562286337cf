"""Retention goals: a target written down (``[goals]``) and the report's figure beside it, met or missed.

Pure: the names of the goals, which figure each reads and which way is good.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Goal:
    """A goal's setting, the figure it reads (``section.key`` of the report's totals) and which way is good."""

    setting: str
    figure: str
    direction: Literal["above", "below"]
    label: str


GOALS: tuple[Goal, ...] = (
    Goal("early_defection_below", "customers.early_defection_rate", "below", "new customers gone after 1-2 purchases"),
    Goal("repeat_purchase_rate_above", "customers.repeat_purchase_rate", "above", "active customers buying again"),
    Goal("spend_per_transaction_above", "customers.spend_per_transaction", "above", "spend per transaction"),
    Goal("recovery_rate_above", "recovery.recovery_rate", "above", "closed complaints resolved"),
    Goal("on_time_above", "recovery.on_time", "above", "steps done on time"),
    Goal("won_back_above", "winback.won_rate", "above", "closed win-back cases won back"),
    Goal("nps_above", "voice.nps", "above", "NPS"),
    Goal("csat_above", "voice.csat", "above", "CSAT (answers of 4 or 5)"),
    Goal("flag_precision_above", "staff.precision", "above", "flags confirmed of those decided"),
)


def goal_rows(targets: Mapping[str, float | None], totals: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each goal that has a target: the window's figure and whether it is met (None: no figure to judge)."""
    rows = []
    for goal in GOALS:
        target = targets.get(goal.setting)
        if target is None:
            continue
        section, key = goal.figure.split(".")
        actual = totals.get(section, {}).get(key)
        met = None if actual is None else (actual > target if goal.direction == "above" else actual < target)
        rows.append(
            {
                "goal": goal.setting,
                "label": goal.label,
                "figure": goal.figure,
                "direction": goal.direction,
                "target": target,
                "actual": actual,
                "met": met,
            }
        )
    return rows
