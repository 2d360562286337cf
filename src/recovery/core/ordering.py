"""Helpdesk events arrive out of order and repeat themselves: may a trigger apply to a complaint now?

Pure: the inbox asks ``verdict`` before firing an event's trigger and waits, skips or fails as told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from recovery.core.definition import Workflow


class Verdict(StrEnum):
    """What to do with a trigger that arrived for a complaint in some state."""

    APPLY = "apply"  # allowed now (its guard may still refuse it)
    WAIT = "wait"  # an earlier event of the ticket has not arrived yet
    SKIP = "skip"  # a repeated snapshot: the complaint is already past that step
    INVALID = "invalid"  # can never apply


@dataclass(frozen=True, slots=True)
class Ruling:
    """The verdict and the sentence that explains it."""

    verdict: Verdict
    reason: str = ""


def verdict(
    workflow: Workflow, state: str, trigger: str, *, snapshot: bool, taken: Callable[[], bool] | None = None
) -> Ruling:
    """Apply, wait for the events before it, skip a repeated snapshot, or refuse a trigger that can never apply.

    ``taken`` says whether the complaint ever took ``trigger`` (asked only for a snapshot that looks
    repeated): a step the complaint went past without taking it did not happen before, and a snapshot
    of it is refused with the true reason rather than skipped with a false one.
    """
    if trigger in workflow.triggers_from(state):
        return Ruling(Verdict.APPLY)
    known = {t.trigger for t in workflow.transitions}
    if trigger not in known:
        return Ruling(Verdict.INVALID, f"trigger: unknown {trigger!r}; known: {', '.join(sorted(known))}")
    sources = {s for t in workflow.transitions if t.trigger == trigger for s in t.sources}
    dests = {t.dest for t in workflow.transitions if t.trigger == trigger}
    behind = any(d == state or distance(workflow, d, state) is not None for d in dests)
    if snapshot and behind and (taken is None or taken()):
        return Ruling(Verdict.SKIP, f"complaint is already {state}: {trigger!r} happened before")
    # Reachable at all means "maybe later": loops such as a reopening make any nearer test guess wrong.
    if not workflow.is_final(state) and any(distance(workflow, state, s) is not None for s in sources):
        return Ruling(Verdict.WAIT, f"{trigger!r} is not allowed from {state!r} yet: waiting for the events before it")
    return Ruling(Verdict.INVALID, f"{trigger!r} is not allowed from {state!r}")


def distance(workflow: Workflow, start: str, goal: str) -> int | None:
    """The fewest transitions from ``start`` to ``goal``; None when unreachable."""
    frontier, seen, steps = {start}, {start}, 0
    while frontier:
        steps += 1
        frontier = {t.dest for t in workflow.transitions for s in frontier if s in t.sources} - seen
        if goal in frontier:
            return steps
        seen |= frontier
    return None
