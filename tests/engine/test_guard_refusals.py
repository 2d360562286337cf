"""Every guard refusing: the state and version stay, and the refusal is audited with the reason."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from recovery.core.commands import FireTrigger
from recovery.core.guards import Compensation
from recovery.engine import fire
from recovery.engine.context import Context
from recovery.engine.queries import get_complaint
from recovery.errors import ConflictError, TransitionRefused

GIFT = Compensation("gift", Decimal("0"))
BEFORE: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "received": [],
    "empathized": [("apologize", {}), ("act", {}), ("empathize", {})],
    "compensated": [("apologize", {}), ("act", {}), ("empathize", {}), ("compensate", {"compensation": GIFT})],
}


def following_up(score: int) -> list[tuple[str, dict[str, Any]]]:
    return [*BEFORE["compensated"], ("follow_up", {"score": score})]


REFUSALS = [
    pytest.param(BEFORE["empathized"], "compensate", {}, "needs a compensation KIND:VALUE", id="no-compensation"),
    pytest.param(
        BEFORE["empathized"],
        "compensate",
        {"compensation": Compensation("cash", Decimal("5"))},
        "KIND one of gift, discount, refund, service, gesture",
        id="unknown-compensation-kind",
    ),
    pytest.param(
        BEFORE["empathized"],
        "compensate",
        {"compensation": Compensation("refund", Decimal("-1"))},
        "a value of 0 or more",
        id="negative-compensation",
    ),
    pytest.param(BEFORE["compensated"], "follow_up", {}, "needs the customer's satisfaction score", id="no-score"),
    pytest.param(BEFORE["compensated"], "follow_up", {"score": 0}, "score, 1 to 5", id="score-zero"),
    pytest.param(BEFORE["compensated"], "follow_up", {"score": 6}, "score, 1 to 5", id="score-six"),
    pytest.param(following_up(3), "resolve", {}, "below the satisfaction threshold", id="resolve-below-threshold"),
    pytest.param(following_up(4), "reopen", {}, "reaches the satisfaction threshold", id="reopen-at-threshold"),
    pytest.param(following_up(5), "reopen", {}, "reaches the satisfaction threshold", id="reopen-above-threshold"),
    pytest.param(BEFORE["received"], "withdraw", {}, "needs a reason", id="withdraw-without-reason"),
    pytest.param(BEFORE["received"], "withdraw", {"reason": "   "}, "needs a reason", id="withdraw-blank-reason"),
    pytest.param(
        BEFORE["received"],
        "act",
        {},
        "'act' is not allowed from 'received'; allowed: apologize, withdraw, defect",
        id="not-allowed-here",
    ),
    pytest.param(BEFORE["received"], "fly", {}, "'fly' is not allowed from 'received'", id="unknown-trigger"),
]


def reach(ctx: Context, complaint_id: int, steps: list[tuple[str, dict[str, Any]]]) -> None:
    for trigger, fields in steps:
        fire(ctx, FireTrigger(complaint_id, trigger, **fields))


@pytest.mark.parametrize(("steps", "trigger", "fields", "why"), REFUSALS)
def test_refused_with_the_state_and_version_unchanged(
    ctx: Context,
    open_one: Callable[..., int],
    steps: list[tuple[str, dict[str, Any]]],
    trigger: str,
    fields: dict[str, Any],
    why: str,
) -> None:
    complaint_id = open_one()
    reach(ctx, complaint_id, steps)
    before = get_complaint(ctx, complaint_id)
    with pytest.raises(TransitionRefused, match=why):
        fire(ctx, FireTrigger(complaint_id, trigger, actor="bob", **fields))
    after = get_complaint(ctx, complaint_id)
    assert (after["state"], after["version"]) == (before["state"], before["version"])
    assert after == before


@pytest.mark.parametrize(("steps", "trigger", "fields", "why"), REFUSALS)
def test_the_refusal_is_audited_with_its_reason(
    ctx: Context,
    open_one: Callable[..., int],
    audit_of: Callable[[int], list[dict[str, Any]]],
    steps: list[tuple[str, dict[str, Any]]],
    trigger: str,
    fields: dict[str, Any],
    why: str,
) -> None:
    complaint_id = open_one()
    reach(ctx, complaint_id, steps)
    state = get_complaint(ctx, complaint_id)["state"]
    with pytest.raises(TransitionRefused):
        fire(ctx, FireTrigger(complaint_id, trigger, actor="bob", **fields))
    last = audit_of(complaint_id)[-1]
    assert (last["trigger"], last["source"], last["dest"], last["actor"], last["outcome"]) == (
        trigger,
        state,
        None,
        "bob",
        "refused",
    )
    assert why in last["note"]


def test_a_refusal_lists_the_allowed_triggers(ctx: Context, open_one: Callable[..., int]) -> None:
    complaint_id = open_one()
    with pytest.raises(TransitionRefused) as refused:
        fire(ctx, FireTrigger(complaint_id, "resolve"))
    assert refused.value.allowed == ("apologize", "withdraw", "defect")


def test_a_refused_guard_also_lists_the_allowed_triggers(ctx: Context, open_one: Callable[..., int]) -> None:
    complaint_id = open_one()
    with pytest.raises(TransitionRefused) as refused:
        fire(ctx, FireTrigger(complaint_id, "withdraw"))
    assert refused.value.allowed == ("apologize", "withdraw", "defect")


def test_the_refused_attempts_payload_keeps_what_was_given(
    ctx: Context, open_one: Callable[..., int], audit_of: Callable[[int], list[dict[str, Any]]]
) -> None:
    complaint_id = open_one()
    reach(ctx, complaint_id, BEFORE["empathized"])
    with pytest.raises(TransitionRefused):
        fire(ctx, FireTrigger(complaint_id, "compensate", compensation=Compensation("cash", Decimal("5"), "notes")))
    assert audit_of(complaint_id)[-1]["payload"] == {
        "compensation": {"kind": "cash", "value": "5", "description": "notes"}
    }


@pytest.mark.parametrize("kind", ["gift", "discount", "refund", "service", "gesture"])
def test_a_compensation_of_zero_is_accepted(ctx: Context, open_one: Callable[..., int], kind: str) -> None:
    complaint_id = open_one()
    reach(ctx, complaint_id, BEFORE["empathized"])
    row = fire(ctx, FireTrigger(complaint_id, "compensate", compensation=Compensation(kind, Decimal("0"))))
    assert row.state == "compensated"


def test_a_stale_expected_version_is_a_conflict(
    ctx: Context, open_one: Callable[..., int], audit_of: Callable[[int], list[dict[str, Any]]]
) -> None:
    complaint_id = open_one()
    fire(ctx, FireTrigger(complaint_id, "apologize"))
    with pytest.raises(ConflictError, match=f"complaint {complaint_id} is at version 2, not 1"):
        fire(ctx, FireTrigger(complaint_id, "act", expected_version=1))
    assert get_complaint(ctx, complaint_id)["state"] == "apologized"
    assert [r["trigger"] for r in audit_of(complaint_id)] == ["open", "apologize"]


def test_the_current_expected_version_is_applied(ctx: Context, open_one: Callable[..., int]) -> None:
    complaint_id = open_one()
    assert fire(ctx, FireTrigger(complaint_id, "apologize", expected_version=1)).version == 2


@pytest.mark.parametrize("use_case", ["fire", "pause", "resume"])
def test_an_actor_too_long_for_the_audit_log_is_refused_before_anything_is_written(
    ctx: Context, open_one: Callable[..., int], audit_of: Callable[[int], list[dict[str, Any]]], use_case: str
) -> None:
    from recovery.core.commands import PauseComplaint, ResumeComplaint
    from recovery.engine import pause, resume
    from recovery.errors import InvalidInputError

    complaint_id = open_one()
    actor = "x" * 65
    call: Callable[[], Any] = {
        "fire": lambda: fire(ctx, FireTrigger(complaint_id, "apologize", actor=actor)),
        "pause": lambda: pause(ctx, PauseComplaint(complaint_id, "other", actor=actor)),
        "resume": lambda: resume(ctx, ResumeComplaint(complaint_id, actor=actor)),
    }[use_case]
    with pytest.raises(InvalidInputError, match="actor: at most 64 characters"):
        call()
    assert [r["trigger"] for r in audit_of(complaint_id)] == ["open"]


def test_a_compensation_too_large_to_store_is_refused(ctx: Context, open_one: Callable[..., int]) -> None:
    from recovery.errors import InvalidInputError

    complaint_id = open_one()
    reach(ctx, complaint_id, BEFORE["empathized"])
    with pytest.raises(InvalidInputError, match="compensation: the value must be below 10,000,000,000"):
        fire(ctx, FireTrigger(complaint_id, "compensate", compensation=Compensation("refund", Decimal("1e10"))))
    assert get_complaint(ctx, complaint_id)["state"] == "empathized"


def test_the_largest_storable_compensation_is_kept_exactly(ctx: Context, open_one: Callable[..., int]) -> None:
    from sqlalchemy import select

    from recovery.engine.people import add_staff
    from recovery.store.schema import compensations

    add_staff(ctx, "lea", "Lea", role="lead")  # far above any budget: a lead approves it
    complaint_id = open_one()
    reach(ctx, complaint_id, BEFORE["empathized"])
    value = Decimal("9999999999.99")
    fire(ctx, FireTrigger(complaint_id, "compensate", compensation=Compensation("refund", value, approved_by="lea")))
    with ctx.read() as connection:
        assert connection.execute(select(compensations.c.value)).scalar_one() == value


def test_a_batch_with_one_value_the_database_cannot_hold_writes_nothing(
    ctx: Context, open_one: Callable[..., int], audit_of: Callable[[int], list[dict[str, Any]]]
) -> None:
    from recovery.engine import fire_batch
    from recovery.errors import InvalidInputError

    first, second = open_one(), open_one()
    batch = [FireTrigger(first, "apologize", actor="ann"), FireTrigger(second, "apologize", actor="x" * 65)]
    with pytest.raises(InvalidInputError, match="actor: at most 64 characters"):
        fire_batch(ctx, batch)
    assert [r["trigger"] for r in audit_of(first)] == ["open"]
    assert get_complaint(ctx, first)["state"] == "received"
