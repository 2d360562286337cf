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


@dataclass(frozen=True)
class SourceRules:
    """Per-source rules from ``[[webhook.sources]].options``; every key has a default (docs/webhooks.md)."""

    complaint_tags: tuple[str, ...] = ("complaint",)
    complaint_types: tuple[str, ...] = ()
    complaint_forms: tuple[str, ...] = ()
    tag_triggers: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TAG_STEPS))
    status_triggers: Mapping[str, str] = field(default_factory=dict)
    flag_tag: str = "unhappy-customer"
    lost_tag: str = "customer-lost"
    compensation: str = "gesture:0"
    severity: str = "normal"
    auth: str = "basic"
    basic_user: str = "recovery"
    header: str = "X-Recovery-Token"
    legacy_sha1: bool = False
    replay_window: timedelta = REPLAY_WINDOW
    # What the default workflow's trigger names mean, for rules that name a trigger instead of a role.
    trigger_roles: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SourceRules:
        """Rules from a source's ``options`` table; ShapeError-free: unknown keys raise ValueError."""
        known = set(cls.__dataclass_fields__) - {"trigger_roles"}
        unknown = sorted(set(options) - known - {"replay_window_seconds"})
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values: dict[str, Any] = {}
        for key, value in options.items():
            if key == "replay_window_seconds":
                values["replay_window"] = timedelta(seconds=int(value))
            elif isinstance(value, list):
                values[key] = tuple(str(v) for v in value)
            elif key in ("tag_triggers", "status_triggers"):
                values[key] = {str(k).lower(): str(v) for k, v in dict(value).items()}
            else:
                values[key] = value
        return cls(**values)

    def opens_complaint(self, tags: Sequence[str], ticket_type: str | None, form: str | None) -> bool:
        """Does a new ticket with these tags, type and form match the complaint rule?"""
        lowered = {t.lower() for t in tags}
        return (
            any(t.lower() in lowered for t in self.complaint_tags)
            or (ticket_type is not None and ticket_type.lower() in {t.lower() for t in self.complaint_types})
            or (form is not None and str(form) in self.complaint_forms)
        )

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
