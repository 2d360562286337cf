"""A workflow definition: states, transitions with their guards and roles, deadlines, escalation.

Plain frozen dataclasses, built by ``recovery.core.workflow.parse_workflow`` from a validated mapping.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from recovery.core import roles
from recovery.core.durations import Duration
from recovery.core.roles import Role

ANY_STATE = "*"
RECIPIENTS = ("assignee", "lead", "manager")  # whom an escalation step may notify


@dataclass(frozen=True, slots=True)
class StateDef:
    """One state; ``sla`` is the time allowed in it before it is overdue.

    ``timeout``: a trigger the scheduler fires when the deadline passes, instead of escalating.
    """

    name: str
    sla: Duration | None = None
    final: bool = False
    timeout: str | None = None


@dataclass(frozen=True, slots=True)
class TransitionDef:
    """A trigger moving from any of ``sources`` to ``dest`` when ``guard`` (a name) allows; ``role`` is its meaning."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    guard: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """Raise to ``level`` and notify ``notify`` once a deadline is ``overdue_by`` past."""

    overdue_by: Duration
    level: int
    notify: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PauseRule:
    """How long one pause may last (None: no cap) and the reasons a pause may give."""

    max: Duration | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Workflow:
    """A validated workflow definition, identified by name and version."""

    name: str
    version: int
    initial: str
    states: tuple[StateDef, ...]
    transitions: tuple[TransitionDef, ...]
    satisfaction_threshold: int
    follow_up_after: Duration
    final_response: Duration
    warn_at: float
    pause: PauseRule
    severity: Mapping[str, float]
    escalation: tuple[EscalationStep, ...]
    source: Mapping[str, Any]

    def state(self, name: str) -> StateDef:
        """The state called ``name``; KeyError if there is none."""
        return self._states_by_name[name]

    def is_final(self, name: str) -> bool:
        """True when ``name`` is a final state."""
        return self._states_by_name[name].final

    def triggers_from(self, state: str) -> tuple[str, ...]:
        """Triggers that may be fired from ``state``, in file order."""
        return self._triggers_by_state.get(state, ())

    def trigger_for(self, role: str, state: str) -> str | None:
        """The trigger with ``role`` that may be fired from ``state``; None when there is none."""
        return self._trigger_by_role.get((role, state))

    def triggers_with(self, role: str) -> tuple[str, ...]:
        """Every trigger that carries ``role``, in file order."""
        return tuple(dict.fromkeys(t.trigger for t in self.transitions if t.role == role))

    def awaits_follow_up(self, state: str) -> bool:
        """A state without a deadline of its own that is left by the follow-up: its reminder date applies."""
        return self.state(state).sla is None and self.trigger_for(Role.FOLLOW_UP, state) is not None

    # Looked up for every transition of every batch: built once per definition.
    @cached_property
    def _states_by_name(self) -> dict[str, StateDef]:
        return {state.name: state for state in self.states}

    @cached_property
    def _triggers_by_state(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        for s in self.states:
            found[s.name] = tuple(dict.fromkeys(t.trigger for t in self.transitions if s.name in t.sources))
        return found

    @cached_property
    def _trigger_by_role(self) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        for t in self.transitions:
            for source in t.sources if t.role else ():
                found.setdefault((t.role or "", source), t.trigger)
        return found

    @property
    def checksum(self) -> str:
        """A hash of the canonical definition: equal rules, equal checksum."""
        return _checksum(self.source)

    @property
    def checksums(self) -> tuple[str, ...]:
        """Checksums a stored copy of these rules may carry.

        A database written before roles existed holds the same file without its ``role`` keys: that form
        counts too when the roles are the legacy ones.
        """
        bare = roles.without_roles(self.source)
        if roles.with_legacy_roles(bare) == dict(self.source):
            return (self.checksum, _checksum(bare))
        return (self.checksum,)


def _checksum(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
