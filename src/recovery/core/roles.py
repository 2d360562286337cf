"""Step roles: what a transition means to the engine, declared in the workflow file.

The engine, the inbox, the rewards and the helpdesk rules read roles, never step names, so a
workflow may call its steps anything. A role is optional on a transition; the checks here say
where one is needed and what it must lead to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Protocol


class Role(StrEnum):
    """The meanings a transition can carry, in the order the five-step recovery takes them."""

    APOLOGY = "apology"
    ACTION = "action"
    EMPATHY = "empathy"
    COMPENSATION = "compensation"  # records the compensation given with the trigger
    FOLLOW_UP = "follow_up"  # records the customer's score; helpdesk ratings fire it
    RESOLUTION = "resolution"  # the customer is recovered (rewards' recovered-customer bonus)
    REOPEN = "reopen"  # counted in the complaint's reopen count
    WITHDRAWAL = "withdrawal"  # the complaint is dropped (e.g. closed at the helpdesk)
    DEFECTION = "defection"  # the customer left; helpdesks' customer.lost fires it
    # The win-back conversation (workflows/win_back.yaml):
    CONTACT = "contact"  # the customer was reached
    INTERVIEW = "interview"  # records the reasons they gave and their own words
    REPURCHASE = "repurchase"  # they bought again: the purchase feed fires it, closing the case as won back


ROLES: tuple[str, ...] = tuple(role.value for role in Role)
CLOSING = frozenset({Role.RESOLUTION, Role.WITHDRAWAL, Role.DEFECTION, Role.REPURCHASE})
# Guards that read what a role records: the workflow must declare that role somewhere.
GUARD_NEEDS = {
    "customer_satisfied": Role.FOLLOW_UP.value,
    "customer_dissatisfied": Role.FOLLOW_UP.value,
}

# Files written before roles existed named the steps of the standard workflow; a stored
# definition without a single role is read with these, so complaints opened then keep working.
LEGACY_ROLES: Mapping[str, str] = {
    "apologize": Role.APOLOGY.value,
    "act": Role.ACTION.value,
    "empathize": Role.EMPATHY.value,
    "compensate": Role.COMPENSATION.value,
    "follow_up": Role.FOLLOW_UP.value,
    "resolve": Role.RESOLUTION.value,
    "reopen": Role.REOPEN.value,
    "withdraw": Role.WITHDRAWAL.value,
    "defect": Role.DEFECTION.value,
}


class _Transition(Protocol):
    @property
    def sources(self) -> tuple[str, ...]: ...
    @property
    def dest(self) -> str: ...
    @property
    def guard(self) -> str | None: ...
    @property
    def role(self) -> str | None: ...


def order(role: str | None) -> int:
    """Where ``role`` stands in the recovery (unknown roles and no role last): orders unordered tags."""
    return ROLES.index(role) if role in ROLES else len(ROLES)


def declares_roles(document: Mapping[str, Any]) -> bool:
    """True when any transition of a raw workflow document carries a ``role`` key."""
    transitions = document.get("transitions")
    return isinstance(transitions, list) and any(isinstance(t, Mapping) and "role" in t for t in transitions)


def with_legacy_roles(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a role-less document with the roles its standard trigger names had."""
    transitions = document.get("transitions")
    if not isinstance(transitions, list):
        return dict(document)
    filled = [
        {**t, "role": LEGACY_ROLES[t["trigger"]]} if isinstance(t, Mapping) and t.get("trigger") in LEGACY_ROLES else t
        for t in transitions
    ]
    return {**document, "transitions": filled}


def without_roles(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with every transition's ``role`` removed."""
    transitions = document.get("transitions")
    if not isinstance(transitions, list):
        return dict(document)
    bare = [{k: v for k, v in t.items() if k != "role"} if isinstance(t, Mapping) else t for t in transitions]
    return {**document, "transitions": bare}


def problems(transitions: Sequence[_Transition], finals: set[str]) -> list[tuple[str, str]]:
    """Every misuse of roles as (where, message).

    A closing role into a non-final state, two of one role from one state, a guard reading a role nobody declares.
    """
    found: list[tuple[str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    declared = {t.role for t in transitions if t.role}
    for i, t in enumerate(transitions):
        where = f"transitions[{i}]"
        if t.role in CLOSING and t.dest not in finals:
            found.append((f"{where}.role", f"role {t.role!r} closes the complaint: its dest must be a final state"))
        if t.role and t.role not in CLOSING and t.dest in finals:
            found.append((f"{where}.role", f"role {t.role!r} cannot lead to the final state {t.dest!r}"))
        for source in t.sources if t.role else ():
            first = seen.setdefault((source, t.role or ""), i)
            if first != i:
                found.append((f"{where}.role", f"state {source!r} already has role {t.role!r} at transitions[{first}]"))
        needed = GUARD_NEEDS.get(t.guard or "")
        if needed and needed not in declared:
            found.append((f"{where}.guard", f"guard {t.guard!r} reads what role {needed!r} records; declare that role"))
    return found
