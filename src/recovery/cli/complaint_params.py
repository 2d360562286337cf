"""Click parameter types for naming complaints and their workflows' words: ``SOURCE:TICKET``, states, severities.

Each reads the database or the workflow files only when a value is converted, so ``--help`` stays
as fast as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from recovery.cli.params import COMPLAINT_ID

if TYPE_CHECKING:
    from recovery.cli.runtime import Runtime


class ComplaintRef(click.ParamType[int]):
    """A complaint by id or by its helpdesk ticket as ``SOURCE:TICKET`` (``zendesk:123``); its id."""

    name = "id|source:ticket"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """The complaint's id; a ticket is looked up, NotFoundError ("no complaint for zendesk:123") if none has it."""
        if isinstance(value, int):
            return COMPLAINT_ID.convert(value, param, ctx)
        source, sep, ticket = str(value).strip().partition(":")
        if not sep:
            return COMPLAINT_ID.convert(value, param, ctx)
        if not source or not ticket:
            self.fail(f"{value!r} is neither an id nor SOURCE:TICKET (such as zendesk:123)", param, ctx)
        from recovery.engine.queries import complaint_id_for

        runtime = _runtime(ctx)
        try:
            return complaint_id_for(runtime.context(), source, ticket)
        except Exception as exc:  # an unusable database in one line, as pass_runtime answers it
            problem = runtime.database_problem(exc)
            if problem is None:
                raise
            raise problem from exc


class WorkflowChoice(click.ParamType[str]):
    """A state or severity some loaded workflow has; the workflows are read on use, never for ``--help``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "state" or "severity"
        self.name = kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """``value`` when a loaded workflow knows it; a usage error listing the known ones otherwise."""
        text = str(value).strip()
        known = self.known(_runtime(ctx))
        if text not in known:
            self.fail(f"unknown {self.kind} {text!r}; known: {', '.join(known)}", param, ctx)
        return text

    def known(self, runtime: Runtime) -> list[str]:
        """The names of this kind across the current version of every loaded workflow, without repeats."""
        workflows = runtime.context().workflows
        found: dict[str, None] = {}
        for name in workflows.names:
            workflow = workflows.current(name)
            names = [s.name for s in workflow.states] if self.kind == "state" else list(workflow.severity)
            found.update(dict.fromkeys(names))
        return list(found)


def _runtime(ctx: click.Context | None) -> Runtime:
    from recovery.cli.runtime import Runtime

    runtime = ctx.find_object(Runtime) if ctx is not None else None
    if runtime is None:  # pragma: no cover - every command runs under the root group, which makes one
        raise click.UsageError("this option needs the recovery command around it")
    return runtime


COMPLAINT = ComplaintRef()
STATE = WorkflowChoice("state")
SEVERITY = WorkflowChoice("severity")
