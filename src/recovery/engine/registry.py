"""Which rules a complaint follows: the current files, and every version ever used, kept in the database."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from recovery.errors import NotFoundError, WorkflowError
from recovery.store.schema import workflow_definitions
from recovery.store.sql import insert_ignoring_duplicates

if TYPE_CHECKING:
    from recovery.core.machine import WorkflowMachine
    from recovery.core.workflow import Workflow


class WorkflowRegistry:
    """Current workflow files by name, stored definitions by (name, version), one machine each.

    ``current`` may be a function that reads the files: it is then called on first need, so a command
    that only reads complaints (whose rules come from the database) never reads or parses YAML.
    """

    def __init__(self, current: Mapping[str, Workflow] | Callable[[], Mapping[str, Workflow]]) -> None:
        self._load = current if callable(current) else None
        self._files = None if callable(current) else dict(current)
        self._known: dict[tuple[str, int], Workflow] = {}
        self._machines: dict[tuple[str, int], WorkflowMachine] = {}

    @property
    def names(self) -> list[str]:
        """Names of the current workflow files."""
        return sorted(self._current)

    @property
    def _current(self) -> dict[str, Workflow]:
        if self._files is None:
            assert self._load is not None  # one of the two is always given
            self._files = dict(self._load())
        return self._files

    def current(self, name: str) -> Workflow:
        """The current file's definition of ``name``."""
        try:
            return self._current[name]
        except KeyError:
            known = ", ".join(self.names) or "none"
            raise NotFoundError(f"unknown workflow {name!r}; known: {known}") from None

    def adopt(self, connection: Connection, workflow: Workflow, at: datetime) -> None:
        """Store ``workflow`` the first time it is used; refuse changed rules under an old version number."""
        key = (workflow.name, workflow.version)
        if key in self._known:
            return
        stored = self._stored_checksum(connection, workflow)
        if stored is None:
            row = {
                "name": workflow.name,
                "version": workflow.version,
                "checksum": workflow.checksum,
                "definition": dict(workflow.source),
                "stored_at": at,
            }
            connection.execute(insert_ignoring_duplicates(connection, workflow_definitions), row)
            stored = self._stored_checksum(connection, workflow)
        if stored not in workflow.checksums:
            raise WorkflowError([changed_without_version(workflow)])
        self._known[key] = workflow

    def check_unchanged(self, connection: Connection, workflow: Workflow) -> None:
        """Raise WorkflowError when the database holds other rules under this name and version."""
        stored = self._stored_checksum(connection, workflow)
        if stored is not None and stored not in workflow.checksums:
            raise WorkflowError([changed_without_version(workflow)])

    def get(self, connection: Connection, name: str, version: int) -> Workflow:
        """The rules a complaint was opened with, from memory or the database."""
        key = (name, version)
        if key not in self._known:
            row = connection.execute(
                select(workflow_definitions.c.definition).where(
                    workflow_definitions.c.name == name, workflow_definitions.c.version == version
                )
            ).first()
            if row is None:
                raise NotFoundError(f"workflow {name!r} version {version} is not stored in this database")
            from recovery.core.workflow import parse_workflow  # a command that reads no rules never loads the parser

            self._known[key] = parse_workflow(row.definition, f"stored workflow {name} v{version}", stored=True)
        return self._known[key]

    def machine(self, workflow: Workflow) -> WorkflowMachine:
        """The one shared machine for this workflow version."""
        key = (workflow.name, workflow.version)
        if key not in self._machines:
            from recovery.core.machine import WorkflowMachine  # transitions: only for a command that fires

            self._machines[key] = WorkflowMachine(workflow)
        return self._machines[key]

    @staticmethod
    def _stored_checksum(connection: Connection, workflow: Workflow) -> str | None:
        return connection.execute(
            select(workflow_definitions.c.checksum).where(
                workflow_definitions.c.name == workflow.name, workflow_definitions.c.version == workflow.version
            )
        ).scalar()


def changed_without_version(workflow: Workflow) -> str:
    """The message for a file whose rules changed while its version number did not."""
    return (
        f"{workflow.name}: version: the rules of version {workflow.version} changed but complaints already "
        f"use it; give the file version {workflow.version + 1} (running complaints keep their version)"
    )
