"""The state machine of one workflow, built once with ``transitions`` and shared by every complaint.

A complaint is never added to the machine: its stored state is put on a throw-away
subject and the trigger's event object is fired for that subject alone (a Machine per
complaint costs ~250 us; ``add_model`` leaks and slows as models pile up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine

from recovery.core.guards import GUARDS, REFUSALS, Facts
from recovery.core.workflow import Workflow


@dataclass(frozen=True, slots=True)
class Applied:
    """The trigger moved the complaint from ``source`` to ``dest``; ``role`` is what the transition means."""

    source: str
    dest: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    """The trigger was not applied; ``reason`` says why, ``allowed`` what could be fired instead."""

    source: str
    reason: str
    allowed: tuple[str, ...]
    guard: str | None = None


Outcome = Applied | Refused


class _Subject:
    """The state holder a trigger runs on for the moment of one fire."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def _condition(name: str) -> Any:
    guard = GUARDS[name]

    def check(event: EventData) -> bool:
        facts: Facts = event.kwargs["facts"]
        return guard(facts)

    check.__name__ = name
    return check


class WorkflowMachine:
    """Fires triggers of one workflow on stored states."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self._machine = Machine(
            model=None,
            states=[s.name for s in workflow.states],
            initial=workflow.initial,
            transitions=[self._spec(t.trigger, t.sources, t.dest, t.guard) for t in workflow.transitions],
            auto_transitions=False,
            send_event=True,
        )
        self._guards: dict[tuple[str, str], tuple[str, ...]] = {}
        for t in workflow.transitions:
            for source in t.sources:
                named = self._guards.setdefault((source, t.trigger), ())
                self._guards[(source, t.trigger)] = (*named, t.guard) if t.guard else named
        self._answers: dict[tuple[str, str, tuple[bool, ...]], Outcome] = {}

    @staticmethod
    def _spec(trigger: str, sources: tuple[str, ...], dest: str, guard: str | None) -> dict[str, Any]:
        spec: dict[str, Any] = {"trigger": trigger, "source": list(sources), "dest": dest}
        if guard is not None:
            spec["conditions"] = [_condition(guard)]
        return spec

    def fire(self, state: str, trigger: str, facts: Facts) -> Outcome:
        """Fire ``trigger`` from ``state``; pure: nothing is stored or changed outside the result."""
        allowed = self.workflow.triggers_from(state)
        if trigger not in allowed:
            known = "none (final state)" if not allowed else ", ".join(allowed)
            return Refused(state, f"{trigger!r} is not allowed from {state!r}; allowed: {known}", allowed)
        # The machine's answer depends only on the state, the trigger and what each guard says
        # (no callbacks have effects), so it is asked once per combination; batches repeat them.
        verdicts = tuple(GUARDS[g](facts) for g in self._guards.get((state, trigger), ()))
        key = (state, trigger, verdicts)
        outcome = self._answers.get(key)
        if outcome is None:
            outcome = self._ask(state, trigger, facts, allowed)
            self._answers[key] = outcome
        return outcome

    def _ask(self, state: str, trigger: str, facts: Facts, allowed: tuple[str, ...]) -> Outcome:
        subject = _Subject(state)
        if self._machine.events[trigger].trigger(subject, facts=facts):
            return Applied(state, subject.state, self._role_of(state, trigger, subject.state, facts))
        guard = self._failed_guard(state, trigger, facts)
        reason = f"{trigger!r} refused: {REFUSALS.get(guard or '', 'a guard said no')}"
        return Refused(state, reason, allowed, guard)

    def _role_of(self, state: str, trigger: str, dest: str, facts: Facts) -> str | None:
        """The role of the transition the machine took: the first of ``trigger`` from ``state`` whose guard passed."""
        for t in self.workflow.transitions:
            if t.trigger == trigger and state in t.sources and (t.guard is None or GUARDS[t.guard](facts)):
                return t.role if t.dest == dest else None
        return None

    def _failed_guard(self, state: str, trigger: str, facts: Facts) -> str | None:
        for t in self.workflow.transitions:
            if t.trigger == trigger and state in t.sources and t.guard and not GUARDS[t.guard](facts):
                return t.guard
        return None
