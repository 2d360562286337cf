"""Every path of the standard workflow through the engine, and every shipped workflow to a final state."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from recovery.core.commands import FireTrigger
from recovery.core.complaint import Complaint
from recovery.core.guards import Compensation
from recovery.core.machine import Applied, Refused
from recovery.core.workflow import Workflow
from recovery.engine import fire, fire_batch
from recovery.engine.context import Context
from recovery.engine.queries import get_complaint
from recovery.errors import NotFoundError, TransitionRefused
from recovery.store.schema import compensations, follow_ups
from recovery.workflow_files import load_file

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
GIFT = Compensation("gift", Decimal("0"), "a bunch of flowers")
# The fields each trigger needs to pass its guard on the standard workflow's happy path.
FIELDS: dict[str, dict[str, Any]] = {
    "compensate": {"compensation": GIFT},
    "follow_up": {"score": 5, "comment": "lovely"},
    "withdraw": {"reason": "solved it herself"},
}
HAPPY = ["apologize", "act", "empathize", "compensate", "follow_up", "resolve"]
# The triggers that bring a fresh complaint to each non-final state of the standard workflow.
PATH_TO = {
    "received": [],
    "apologized": HAPPY[:1],
    "acting": HAPPY[:2],
    "empathized": HAPPY[:3],
    "compensated": HAPPY[:4],
    "following_up": HAPPY[:5],
}

Fire = Callable[..., Complaint]


@pytest.fixture
def fire_on(ctx: Context) -> Fire:
    def go(complaint_id: int, trigger: str, **fields: Any) -> Complaint:
        return fire(ctx, FireTrigger(complaint_id, trigger, actor="bob", **{**FIELDS.get(trigger, {}), **fields}))

    return go


def walk(fire_on: Fire, complaint_id: int, triggers: list[str]) -> None:
    for trigger in triggers:
        fire_on(complaint_id, trigger)


def test_happy_path_resolves(ctx: Context, open_one: Callable[..., int], fire_on: Fire) -> None:
    complaint_id = open_one()
    walk(fire_on, complaint_id, HAPPY)
    view = get_complaint(ctx, complaint_id)
    assert (view["state"], view["last_score"], view["reopen_count"]) == ("resolved", 5, 0)
    assert view["closed_at"] is not None
    assert view["deadline"] is None


def test_happy_path_is_audited_step_by_step(
    open_one: Callable[..., int], fire_on: Fire, audit_of: Callable[[int], list[dict[str, Any]]]
) -> None:
    complaint_id = open_one()
    walk(fire_on, complaint_id, HAPPY)
    steps = [(r["trigger"], r["source"], r["dest"], r["outcome"]) for r in audit_of(complaint_id)]
    assert steps == [
        ("open", "received", "received", "applied"),
        ("apologize", "received", "apologized", "applied"),
        ("act", "apologized", "acting", "applied"),
        ("empathize", "acting", "empathized", "applied"),
        ("compensate", "empathized", "compensated", "applied"),
        ("follow_up", "compensated", "following_up", "applied"),
        ("resolve", "following_up", "resolved", "applied"),
    ]


def test_each_transition_bumps_the_version(ctx: Context, open_one: Callable[..., int], fire_on: Fire) -> None:
    complaint_id = open_one()
    walk(fire_on, complaint_id, HAPPY[:3])
    assert get_complaint(ctx, complaint_id)["version"] == 4


def test_compensation_and_follow_up_are_recorded(ctx: Context, open_one: Callable[..., int], fire_on: Fire) -> None:
    complaint_id = open_one()
    walk(fire_on, complaint_id, HAPPY[:5])
    with ctx.read() as connection:
        given = connection.execute(select(compensations)).mappings().one()
        rated = connection.execute(select(follow_ups)).mappings().one()
    assert (given["kind"], given["value"], given["recorded_by"]) == ("gift", Decimal("0"), "bob")
    assert (rated["score"], rated["comment"]) == (5, "lovely")


def test_reopen_loop_goes_back_to_acting_and_counts(ctx: Context, open_one: Callable[..., int], fire_on: Fire) -> None:
    complaint_id = open_one()
    walk(fire_on, complaint_id, HAPPY[:4])
    fire_on(complaint_id, "follow_up", score=2, comment="still broken")
    row = fire_on(complaint_id, "reopen")
    assert (row.state, row.reopen_count) == ("acting", 1)


def test_second_pass_after_reopen_resolves(ctx: Context, open_one: Callable[..., int], fire_on: Fire) -> None:
    complaint_id = open_one()
    walk(fire_on, complaint_id, HAPPY[:4])
    fire_on(complaint_id, "follow_up", score=2)
    fire_on(complaint_id, "reopen")
    walk(fire_on, complaint_id, ["empathize", "compensate"])
    fire_on(complaint_id, "follow_up", score=4)
    row = fire_on(complaint_id, "resolve")
    assert (row.state, row.reopen_count, row.last_score) == ("resolved", 1, 4)


def test_two_reopens_count_two(ctx: Context, open_one: Callable[..., int], fire_on: Fire) -> None:
    complaint_id = open_one()
    walk(fire_on, complaint_id, HAPPY[:4])
    for _ in range(2):
        fire_on(complaint_id, "follow_up", score=1)
        fire_on(complaint_id, "reopen")
        walk(fire_on, complaint_id, ["empathize", "compensate"])
    assert get_complaint(ctx, complaint_id)["reopen_count"] == 2


@pytest.mark.parametrize("state", list(PATH_TO))
def test_withdraw_from_every_open_state(ctx: Context, open_one: Callable[..., int], fire_on: Fire, state: str) -> None:
    complaint_id = open_one()
    walk(fire_on, complaint_id, PATH_TO[state])
    row = fire_on(complaint_id, "withdraw", reason="customer moved abroad")
    assert row.state == "withdrawn"
    assert row.closed_at is not None


@pytest.mark.parametrize("state", list(PATH_TO))
def test_defect_from_every_open_state(ctx: Context, open_one: Callable[..., int], fire_on: Fire, state: str) -> None:
    complaint_id = open_one()
    walk(fire_on, complaint_id, PATH_TO[state])
    assert fire_on(complaint_id, "defect", note="went to a competitor").state == "lost"


@pytest.mark.parametrize("final", ["resolved", "withdrawn", "lost"])
def test_a_final_state_allows_nothing(open_one: Callable[..., int], fire_on: Fire, final: str) -> None:
    complaint_id = open_one()
    walk(fire_on, complaint_id, {"resolved": HAPPY, "withdrawn": ["withdraw"], "lost": ["defect"]}[final])
    with pytest.raises(TransitionRefused, match=rf"not allowed from '{final}'; allowed: none \(final state\)"):
        fire_on(complaint_id, "apologize")


def shortest_walks(workflow: Workflow) -> list[tuple[str, list[str]]]:
    """For each final state, the shortest trigger sequence from the initial state."""
    paths: dict[str, list[str]] = {workflow.initial: []}
    queue = deque([workflow.initial])
    while queue:
        state = queue.popleft()
        for t in workflow.transitions:
            if state in t.sources and t.dest not in paths and t.guard != "customer_dissatisfied":
                paths[t.dest] = [*paths[state], t.trigger]
                queue.append(t.dest)
    return [(s.name, paths[s.name]) for s in workflow.states if s.final]


SHIPPED = [
    pytest.param(path.name, final, triggers, id=f"{path.stem}-to-{final}")
    for path in sorted(WORKFLOWS.glob("*.yaml"))
    for final, triggers in shortest_walks(load_file(path))
]


@pytest.mark.parametrize(("file", "final", "triggers"), SHIPPED)
def test_every_shipped_workflow_walks_to_each_final_state(
    ctx: Context, open_one: Callable[..., int], fire_on: Fire, file: str, final: str, triggers: list[str]
) -> None:
    workflow = load_file(WORKFLOWS / file)
    complaint_id = open_one(workflow=workflow.name)
    walk(fire_on, complaint_id, triggers)
    view = get_complaint(ctx, complaint_id)
    assert (view["state"], view["workflow"], view["workflow_version"]) == (final, workflow.name, workflow.version)


def test_fire_on_an_unknown_complaint(fire_on: Fire) -> None:
    with pytest.raises(NotFoundError, match="no complaint 999"):
        fire_on(999, "apologize")


def test_a_batch_applies_in_order_and_returns_refusals(
    ctx: Context, open_one: Callable[..., int], audit_of: Callable[[int], list[dict[str, Any]]]
) -> None:
    first, second = open_one(), open_one()
    outcomes = fire_batch(
        ctx,
        [
            FireTrigger(first, "apologize"),
            FireTrigger(first, "act"),
            FireTrigger(second, "act"),
            FireTrigger(second, "apologize"),
        ],
    )
    assert outcomes[:2] == [Applied("received", "apologized", "apology"), Applied("apologized", "acting", "action")]
    assert isinstance(outcomes[2], Refused)
    assert outcomes[3] == Applied("received", "apologized", "apology")
    assert (get_complaint(ctx, first)["state"], get_complaint(ctx, second)["state"]) == ("acting", "apologized")
    assert [r["outcome"] for r in audit_of(second)] == ["applied", "refused", "applied"]


def test_a_batch_naming_an_unknown_complaint_changes_nothing(ctx: Context, open_one: Callable[..., int]) -> None:
    complaint_id = open_one()
    with pytest.raises(NotFoundError, match="no complaint 999"):
        fire_batch(ctx, [FireTrigger(complaint_id, "apologize"), FireTrigger(999, "apologize")])
    assert get_complaint(ctx, complaint_id)["state"] == "received"
