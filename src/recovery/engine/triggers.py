"""Is a trigger one of the workflow's at all: a typo is a mistake in the request, not a refused step.

Asked before a person's ``fire`` (the CLI), so a typo is answered with a suggestion and leaves no
refused row in the history. The engine's ``fire`` itself still audits any refusal, an unknown
trigger's included.
"""

from __future__ import annotations

from difflib import get_close_matches

from recovery.core.definition import Workflow
from recovery.engine.context import Context
from recovery.errors import InvalidInputError
from recovery.store import complaints as store


class UnknownTrigger(InvalidInputError):
    """A trigger the complaint's workflow does not have; the message suggests the nearest one."""

    def __init__(self, trigger: str, known: tuple[str, ...]) -> None:
        self.trigger = trigger
        self.known = known
        close = get_close_matches(trigger, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
        super().__init__(f"unknown trigger {trigger!r}; {hint}")


def triggers_of(workflow: Workflow) -> tuple[str, ...]:
    """Every trigger of ``workflow``, in file order."""
    return tuple(dict.fromkeys(t.trigger for t in workflow.transitions))


def check_trigger(workflow: Workflow, trigger: str) -> None:
    """UnknownTrigger when ``workflow`` has no transition fired by ``trigger``."""
    known = triggers_of(workflow)
    if trigger not in known:
        raise UnknownTrigger(trigger, known)


def require_trigger(ctx: Context, complaint_id: int, trigger: str) -> None:
    """``check_trigger`` against the workflow version the complaint follows; NotFoundError for no complaint."""
    with ctx.read() as connection:
        complaint = store.load(connection, complaint_id)
        check_trigger(ctx.workflows.get(connection, complaint.workflow, complaint.workflow_version), trigger)
