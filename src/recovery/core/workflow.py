"""Parsing and validating a workflow definition from a mapping.

The mapping usually comes from a YAML file (read by ``recovery.workflow_files``); this module
never reads files. Every mistake is reported at once, with the path inside the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recovery.core import roles
from recovery.core.definition import (
    ANY_STATE,
    RECIPIENTS,
    EscalationStep,
    PauseRule,
    StateDef,
    TransitionDef,
    Workflow,
)
from recovery.core.durations import Duration, parse_duration
from recovery.core.guards import GUARDS
from recovery.core.roles import ROLES
from recovery.errors import WorkflowError

__all__ = ["Workflow", "parse_workflow"]


def parse_workflow(document: Mapping[str, Any], origin: str = "<workflow>", *, stored: bool = False) -> Workflow:
    """Validate ``document`` and build a Workflow; raise WorkflowError listing every problem.

    ``stored``: a definition kept in the database; one without any role gets the legacy roles.
    """
    if stored and isinstance(document, Mapping) and not roles.declares_roles(document):
        document = roles.with_legacy_roles(document)
    parser = _Parser(origin)
    workflow = parser.parse(document)
    if parser.problems or workflow is None:
        raise WorkflowError(parser.problems)
    return workflow


_TRANSITION_KEYS = ("trigger", "source", "dest", "guard", "role")


class _Parser:
    """Collects problems instead of stopping at the first."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.origin}: {where}: {message}")

    def parse(self, doc: Mapping[str, Any]) -> Workflow | None:
        if not isinstance(doc, Mapping):
            self.fail("top", "a workflow must be a mapping of keys")
            return None
        known = {
            "name",
            "version",
            "initial",
            "satisfaction_threshold",
            "follow_up_after",
            "final_response",
            "warn_at",
            "pause",
            "states",
            "transitions",
            "severity",
            "escalation",
            "description",
        }
        for key in doc:
            if key not in known:
                self.fail(str(key), f"unknown key; known: {', '.join(sorted(known))}")
        name = self.text(doc, "name")
        version = self.integer(doc, "version", minimum=1)
        states = self.states(doc.get("states"))
        names = [s.name for s in states]
        initial = self.text(doc, "initial")
        if initial and names and initial not in names:
            self.fail("initial", f"unknown state {initial!r}; known: {', '.join(sorted(names))}")
        transitions = self.transitions(doc.get("transitions"), states)
        threshold = self.integer(doc, "satisfaction_threshold", minimum=1, maximum=5, default=4)
        follow_up = self.duration(doc.get("follow_up_after", "3d"), "follow_up_after")
        final_response = self.duration(doc.get("final_response", "8w"), "final_response")
        warn_at = self.fraction(doc.get("warn_at", 0.75), "warn_at")
        pause = self.pause(doc.get("pause", {}))
        severity = self.severity(doc.get("severity", {"normal": 1}))
        escalation = self.escalation(doc.get("escalation", []))
        # A dropped (broken) transition would make states look unreachable: report only the real mistake.
        complete = transitions is not None and len(transitions) == len(doc.get("transitions") or [])
        if initial in names and transitions is not None and complete:
            self.reachability(initial, states, transitions)
            self.timeouts(states, transitions)
            for where, message in roles.problems(transitions, {s.name for s in states if s.final}):
                self.fail(where, message)
        if self.problems:
            return None
        assert follow_up
        assert final_response
        assert transitions is not None
        assert pause is not None
        return Workflow(
            name=name,
            version=version,
            initial=initial,
            states=tuple(states),
            transitions=transitions,
            satisfaction_threshold=threshold,
            follow_up_after=follow_up,
            final_response=final_response,
            warn_at=warn_at,
            pause=pause,
            severity=severity,
            escalation=escalation,
            source=dict(doc),
        )

    def text(self, doc: Mapping[str, Any], key: str) -> str:
        value = doc.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "required text is missing")
            return ""
        return value

    def integer(
        self, doc: Mapping[str, Any], key: str, minimum: int, maximum: int | None = None, default: int | None = None
    ) -> int:
        value = doc.get(key, default)
        bad = not isinstance(value, int) or isinstance(value, bool) or value < minimum
        if bad or (maximum is not None and value > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            self.fail(key, f"expected a whole number at least {minimum}{upper}, got {value!r}")
            return minimum
        assert isinstance(value, int)
        return value

    def fraction(self, value: object, where: str) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value < 1:
            self.fail(where, f"expected a fraction between 0 and 1, got {value!r}")
            return 0.75
        return float(value)

    def duration(self, value: object, where: str) -> Duration | None:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(where, str(exc))
            return None

    def states(self, raw: object) -> list[StateDef]:
        if not isinstance(raw, list) or not raw:
            self.fail("states", "expected a non-empty list of states")
            return []
        states: list[StateDef] = []
        for i, item in enumerate(raw):
            where = f"states[{i}]"
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                self.fail(where, "expected a mapping with a name")
                continue
            if item["name"] in (s.name for s in states):
                self.fail(f"{where}.name", f"duplicate state {item['name']!r}")
                continue
            for key in item:
                if key not in ("name", "sla", "final", "timeout"):
                    self.fail(f"{where}.{key}", "unknown key; known: final, name, sla, timeout")
            sla = self.duration(item["sla"], f"{where}.sla") if "sla" in item else None
            final = item.get("final", False)
            if not isinstance(final, bool):
                self.fail(f"{where}.final", f"expected true or false, got {final!r}")
            if final and sla is not None:
                self.fail(f"{where}.sla", "a final state has no deadline")
            timeout = item.get("timeout")
            if timeout is not None and (not isinstance(timeout, str) or sla is None):
                self.fail(f"{where}.timeout", "a timeout names the trigger fired when the state's sla passes")
                timeout = None
            states.append(StateDef(item["name"], sla, bool(final), timeout))
        return states

    def transitions(self, raw: object, states: list[StateDef]) -> tuple[TransitionDef, ...] | None:
        if not isinstance(raw, list) or not raw:
            self.fail("transitions", "expected a non-empty list of transitions")
            return None
        names = [s.name for s in states]
        finals = {s.name for s in states if s.final}
        result = []
        for i, item in enumerate(raw):
            parsed = self.transition(f"transitions[{i}]", item, names, finals)
            if parsed is not None:
                result.append(parsed)
        return tuple(result)

    def transition(self, where: str, item: object, names: list[str], finals: set[str]) -> TransitionDef | None:
        if not isinstance(item, Mapping):
            self.fail(where, "expected a mapping with trigger, source and dest")
            return None
        trigger, source, dest, guard, role = (item.get(k) for k in ("trigger", "source", "dest", "guard", "role"))
        known = ", ".join(sorted(names))
        ok = True
        for key in item:
            if key not in _TRANSITION_KEYS:
                self.fail(f"{where}.{key}", f"unknown key; known: {', '.join(_TRANSITION_KEYS)}")
        if role is not None and role not in ROLES:
            self.fail(f"{where}.role", f"unknown role {role!r}; known: {', '.join(ROLES)}")
            ok = False
        if not isinstance(trigger, str) or not trigger.isidentifier():
            self.fail(f"{where}.trigger", f"expected a trigger name (letters, digits, _), got {trigger!r}")
            ok = False
        sources = self.sources(where, source, names, finals)
        if not sources:
            ok = False
        if not isinstance(dest, str) or dest not in names:
            self.fail(f"{where}.dest", f"unknown state {dest!r}; known: {known}")
            ok = False
        if guard is not None and guard not in GUARDS:
            self.fail(f"{where}.guard", f"unknown guard {guard!r}; known: {', '.join(sorted(GUARDS))}")
            ok = False
        if not ok:
            return None
        assert isinstance(trigger, str)
        assert isinstance(dest, str)
        return TransitionDef(trigger, sources, dest, guard, role)

    def sources(self, where: str, source: object, names: list[str], finals: set[str]) -> tuple[str, ...]:
        if source == ANY_STATE:
            return tuple(n for n in names if n not in finals)
        raw = [source] if isinstance(source, str) else source
        if not isinstance(raw, list) or not raw:
            self.fail(f"{where}.source", 'the trigger has no source state (give a state, a list, or "*")')
            return ()
        result = []
        for s in raw:
            if s not in names:
                self.fail(f"{where}.source", f"unknown state {s!r}; known: {', '.join(sorted(names))}")
            elif s in finals:
                self.fail(f"{where}.source", f"final state {s!r} cannot have outgoing transitions")
            else:
                result.append(s)
        return tuple(result) if len(result) == len(raw) else ()

    def pause(self, raw: object) -> PauseRule | None:
        if not isinstance(raw, Mapping):
            self.fail("pause", "expected a mapping with max and reasons")
            return None
        cap = self.duration(raw["max"], "pause.max") if raw.get("max") is not None else None
        reasons = raw.get("reasons", ["waiting_on_customer", "third_party", "other"])
        if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons) or not reasons:
            self.fail("pause.reasons", "expected a non-empty list of reason names")
            reasons = []
        return PauseRule(cap, tuple(reasons))

    def severity(self, raw: object) -> dict[str, float]:
        if not isinstance(raw, Mapping) or not raw:
            self.fail("severity", "expected a mapping of severity name to SLA multiplier")
            return {}
        result: dict[str, float] = {}
        for key, value in raw.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                self.fail(f"severity.{key}", f"expected a positive multiplier, got {value!r}")
            else:
                result[str(key)] = float(value)
        if "normal" not in raw:
            self.fail("severity", "a 'normal' severity is required (the default)")
        return result

    def escalation(self, raw: object) -> tuple[EscalationStep, ...]:
        if not isinstance(raw, list):
            self.fail("escalation", "expected a list of {overdue_by, level, notify}")
            return ()
        steps: list[EscalationStep] = []
        for i, item in enumerate(raw):
            where = f"escalation[{i}]"
            if not isinstance(item, Mapping):
                self.fail(where, "expected a mapping with overdue_by, level and notify")
                continue
            overdue_by = self.duration(item.get("overdue_by", "0s"), f"{where}.overdue_by")
            level = self.integer(item, "level", minimum=1) if "level" in item else i + 1
            notify = item.get("notify", [])
            if not isinstance(notify, list) or any(r not in RECIPIENTS for r in notify) or not notify:
                self.fail(f"{where}.notify", f"expected a list of roles from {', '.join(RECIPIENTS)}, got {notify!r}")
            if steps and level <= steps[-1].level:
                self.fail(f"{where}.level", "levels must increase down the list")
            if overdue_by is not None:
                steps.append(EscalationStep(overdue_by, level, tuple(notify) if isinstance(notify, list) else ()))
        return tuple(steps)

    def timeouts(self, states: list[StateDef], transitions: tuple[TransitionDef, ...]) -> None:
        for i, state in enumerate(states):
            if state.timeout and not any(t.trigger == state.timeout and state.name in t.sources for t in transitions):
                self.fail(f"states[{i}].timeout", f"no trigger {state.timeout!r} leaves state {state.name!r}")

    def reachability(self, initial: str, states: list[StateDef], transitions: tuple[TransitionDef, ...]) -> None:
        reached, frontier = {initial}, [initial]
        while frontier:
            current = frontier.pop()
            for t in transitions:
                if current in t.sources and t.dest not in reached:
                    reached.add(t.dest)
                    frontier.append(t.dest)
        for i, state in enumerate(states):
            if state.name not in reached:
                self.fail(f"states[{i}]", f"state {state.name!r} is unreachable from {initial!r}")
