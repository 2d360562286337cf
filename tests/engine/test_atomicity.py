"""A state change and its audit row commit together or not at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from recovery.core.commands import FireTrigger, PauseComplaint
from recovery.engine import fire, pause
from recovery.engine.context import Context
from recovery.engine.queries import get_complaint


class DiskFull(Exception):
    """What the database would raise if the audit row could not be written."""


class AuditFault:
    """While ``on``, every INSERT into the audit log fails at the driver, as a full disk would."""

    def __init__(self) -> None:
        self.on = False

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.on and statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            raise DiskFull("no space left on device")


@pytest.fixture
def audit_fault(ctx: Context) -> Iterator[AuditFault]:
    fault = AuditFault()
    event.listen(ctx.db, "before_cursor_execute", fault)
    yield fault
    event.remove(ctx.db, "before_cursor_execute", fault)


def test_a_transition_whose_audit_row_fails_is_not_applied(
    ctx: Context,
    open_one: Callable[..., int],
    audit_of: Callable[[int], list[dict[str, Any]]],
    audit_fault: AuditFault,
) -> None:
    complaint_id = open_one()
    audit_fault.on = True
    with pytest.raises(DiskFull):
        fire(ctx, FireTrigger(complaint_id, "apologize"))
    audit_fault.on = False
    view = get_complaint(ctx, complaint_id)
    assert (view["state"], view["version"]) == ("received", 1)
    assert [r["trigger"] for r in audit_of(complaint_id)] == ["open"]


def test_a_pause_whose_audit_row_fails_is_not_applied(
    ctx: Context, open_one: Callable[..., int], audit_fault: AuditFault
) -> None:
    complaint_id = open_one()
    audit_fault.on = True
    with pytest.raises(DiskFull):
        pause(ctx, PauseComplaint(complaint_id, "other"))
    audit_fault.on = False
    assert get_complaint(ctx, complaint_id)["paused"] is False


def test_an_opening_whose_audit_row_fails_leaves_no_complaint(
    ctx: Context, open_one: Callable[..., int], audit_fault: AuditFault
) -> None:
    from recovery.engine.queries import list_complaints

    audit_fault.on = True
    with pytest.raises(DiskFull):
        open_one()
    audit_fault.on = False
    assert list_complaints(ctx) == []
