"""Per-source rules from ``[[webhook.sources]].options``: which tickets are complaints, which tags are steps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from recovery.core.definition import Workflow
from recovery.core.roles import ROLES, Role
from recovery.intake.signing import REPLAY_WINDOW

# A step is named by its role (what it means, whatever the workflow calls it) or by a trigger name.
DEFAULT_TAG_STEPS = {
    "recovery-apologize": Role.APOLOGY.value,
    "recovery-act": Role.ACTION.value,
    "recovery-empathize": Role.EMPATHY.value,
    "recovery-compensate": Role.COMPENSATION.value,
    "recovery-withdraw": Role.WITHDRAWAL.value,
}


# What a ticket may be matched on to open a complaint, besides its tags: option → the ticket field it reads.
MATCHED_FIELDS = {
    "complaint_types": "type",
    "complaint_forms": "form",
    "complaint_statuses": "status",
    "complaint_priorities": "priority",
    "complaint_groups": "group",
}
_MAPPINGS = ("tag_triggers", "status_triggers", "assignees")
_FLAGS = ("open_all", "legacy_sha1")


@dataclass(frozen=True)
class SourceRules:
    """Per-source rules from ``[[webhook.sources]].options``; every key has a default (docs/helpdesks.md)."""

    complaint_tags: tuple[str, ...] = ("complaint",)
    complaint_types: tuple[str, ...] = ()
    complaint_forms: tuple[str, ...] = ()
    complaint_statuses: tuple[str, ...] = ()
    complaint_priorities: tuple[str, ...] = ()
    complaint_groups: tuple[str, ...] = ()
    open_all: bool = False  # every ticket the helpdesk sends is a complaint (its own trigger chooses them)
    tag_triggers: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TAG_STEPS))
    status_triggers: Mapping[str, str] = field(default_factory=dict)
    flag_tag: str = "unhappy-customer"
    lost_tag: str = "customer-lost"
    compensation: str = "gesture:0"
    severity: str = "normal"
    assignees: Mapping[str, str] = field(default_factory=dict)  # helpdesk agent id (or email) → staff id
    default_owner: str | None = None  # staff id for complaints whose ticket names no known agent
    auth: str = "basic"
    basic_user: str = "recovery"
    header: str = "X-Recovery-Token"
    legacy_sha1: bool = False  # kept so older settings start: Front's scheme is now read from the headers
    replay_window: timedelta = REPLAY_WINDOW
    # What the default workflow's trigger names mean, for rules that name a trigger instead of a role.
    trigger_roles: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SourceRules:
        """Rules from a source's ``options`` table; ValueError names an unknown key or a value of the wrong kind."""
        known = set(cls.__dataclass_fields__) - {"trigger_roles", "replay_window"} | {"replay_window_seconds"}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values = dict(_option(key, value) for key, value in options.items())
        return cls(**values)

    def complaint_rule(self, tags: Sequence[str], fields: Mapping[str, str | None]) -> str | None:
        """The rule that makes a ticket with ``tags`` and ``fields`` (type, form, status …) a complaint, or None."""
        if self.open_all:
            return "open_all"
        lowered = {t.lower() for t in tags}
        for tag in self.complaint_tags:
            if tag.lower() in lowered:
                return f"complaint_tags {tag!r}"
        for option, name in MATCHED_FIELDS.items():
            value = fields.get(name)
            if value is not None and value.strip().lower() in {w.lower() for w in getattr(self, option)}:
                return f"{option} {value!r}"
        return None

    def complaint_rules(self) -> str:
        """The complaint rules in force, for a message that says none matched."""
        options = ("complaint_tags", *MATCHED_FIELDS)
        named = [f"{o} {list(getattr(self, o))}" for o in options if getattr(self, o)]
        return ", ".join(named) or "none (every complaint_* option is empty)"

    def staff_for(self, external_id: str | None, email: str) -> str | None:
        """The staff id ``assignees`` maps a helpdesk agent to, by the helpdesk's id or else by email."""
        if external_id is not None and external_id in self.assignees:
            return self.assignees[external_id]
        return self.assignees.get(email.strip().lower()) if email else None

    def role_of(self, step: str) -> str | None:
        """The role a rule's step names: itself when it is a role, else the role of the trigger it names."""
        return step if step in ROLES else self.trigger_roles.get(step)

    def steps(self) -> list[tuple[str, str]]:
        """Every step the rules name, with the option path that names it."""
        return [
            *((f"tag_triggers.{tag}", step) for tag, step in self.tag_triggers.items()),
            *((f"status_triggers.{status}", step) for status, step in self.status_triggers.items()),
        ]

    def bind(self, workflow: Workflow) -> SourceRules:
        """These rules for complaints opened in ``workflow``: ValueError names a step it cannot play."""
        for path, step in self.steps():
            if step in ROLES and not workflow.triggers_with(step):
                raise ValueError(f"{path}: workflow {workflow.name!r} has no step with role {step!r}")
            if step not in ROLES and not any(t.trigger == step for t in workflow.transitions):
                raise ValueError(
                    f"{path}: {step!r} is neither a role ({', '.join(ROLES)}) nor a trigger of {workflow.name!r}"
                )
        return replace(self, trigger_roles={t.trigger: t.role for t in workflow.transitions if t.role})

    def compensation_of(self) -> dict[str, str]:
        """The compensation recorded when a helpdesk rule fires ``compensate`` (it carries no amount)."""
        kind, _, value = self.compensation.partition(":")
        return {"kind": kind, "value": value or "0", "description": "recorded from the helpdesk"}


def _option(key: str, value: Any) -> tuple[str, Any]:
    """One option as the field it sets, in the field's type; ValueError names a value of the wrong kind."""
    if key == "replay_window_seconds":
        return "replay_window", timedelta(seconds=int(value))
    if key in _MAPPINGS:
        if not isinstance(value, Mapping):
            raise ValueError(f'{key}: expected a table, e.g. {{ solved = "withdrawal" }}')
        lower = key != "assignees"  # helpdesk ids may be case-sensitive; statuses and tags are not
        return key, {_key(k, lower): str(v) for k, v in value.items()}
    if key in _FLAGS:
        if not isinstance(value, bool):
            raise ValueError(f"{key}: expected true or false, got {value!r}")
        return key, value
    if isinstance(value, list):
        return key, tuple(str(v) for v in value)
    return key, value


def _key(key: Any, lower: bool) -> str:
    text = str(key).strip()
    return text.lower() if lower or "@" in text else text
