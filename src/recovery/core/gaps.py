"""The quality gap: what customers expected, what they were given, what they felt they got, and their score.

The gap exists only in the customer's mind, so the figures read what they said: the expectation recorded
at the complaint (or in the follow-up survey), the follow-up's perceived outcome and score. Pure: rows in,
figures out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

NONE = "none"  # nothing was given, or nothing was said


@dataclass(frozen=True, slots=True)
class GapCase:
    """One complaint's side of the gap."""

    expected: str | None
    received: tuple[str, ...]  # the compensation kinds given
    perceived: str | None
    score: int | None
    reasons: tuple[str, ...] = ()  # coded from what the customer wrote about it


def gap_report(cases: Sequence[GapCase]) -> dict[str, Any]:
    """Expected against received and perceived, with the mean score: overall, in pairs, by kind and by reason."""
    return {
        "complaints": len(cases),
        "with_expectation": sum(1 for c in cases if c.expected),
        "perceived_as_expected": _met(cases),
        "mean_score": _mean(cases),
        "pairs": _pairs(cases),
        "by_compensation": _grouped(cases, lambda c: c.received or (NONE,), "received"),
        "by_reason": _grouped(cases, lambda c: c.reasons, "reason"),
    }


def _pairs(cases: Sequence[GapCase]) -> list[dict[str, Any]]:
    """Each (expected, received) pair that occurred, most frequent first."""
    groups: dict[tuple[str, str], list[GapCase]] = {}
    for case in cases:
        for kind in case.received or (NONE,):
            groups.setdefault((case.expected or NONE, kind), []).append(case)
    rows = [
        {"expected": e, "received": r, "complaints": len(g), "mean_score": _mean(g), "perceived_as_expected": _met(g)}
        for (e, r), g in groups.items()
    ]
    return sorted(rows, key=lambda row: (-row["complaints"], row["expected"], row["received"]))


def _grouped(cases: Sequence[GapCase], keys: Callable[[GapCase], Iterable[str]], name: str) -> list[dict[str, Any]]:
    groups: dict[str, list[GapCase]] = {}
    for case in cases:
        for key in dict.fromkeys(keys(case)):
            groups.setdefault(key, []).append(case)
    rows = [
        {
            name: key,
            "complaints": len(group),
            "expected": dict(Counter(c.expected or NONE for c in group).most_common()),
            "mean_score": _mean(group),
            "perceived_as_expected": _met(group),
        }
        for key, group in groups.items()
    ]
    return sorted(rows, key=lambda row: (-row["complaints"], row[name]))


def _met(cases: Iterable[GapCase]) -> float | None:
    """The share of customers who said both what they expected and what they got, and got what they expected."""
    said = [c for c in cases if c.expected and c.perceived]
    return round(sum(1 for c in said if c.perceived == c.expected) / len(said), 4) if said else None


def _mean(cases: Iterable[GapCase]) -> float | None:
    scores = [c.score for c in cases if c.score is not None]
    return round(fmean(scores), 2) if scores else None
