"""Checks on what a command carries, before anything is written: values every database can hold."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from recovery.core.commands import FireTrigger
from recovery.core.values import moment_problem, number_problem, text_problem
from recovery.core.vocabulary import EXPECTATIONS
from recovery.errors import InvalidInputError

ACTOR_MAX = 64  # the length of audit_log.actor
COMPENSATION_MAX = Decimal(10) ** 10  # compensations.value is NUMERIC(12, 2)


def check_actor(actor: str | None) -> None:
    """Refuse an actor name longer than the audit log holds, or one a database cannot store."""
    # PostgreSQL would refuse a longer one with a DataError; SQLite would silently keep it.
    if actor is not None and len(actor) > ACTOR_MAX:
        raise InvalidInputError(f"actor: at most {ACTOR_MAX} characters, got {len(actor)}")
    check_texts(actor=actor)


def check_storable(command: FireTrigger) -> None:
    """Refuse a command whose values the database cannot hold, before anything is written."""
    check_actor(command.actor)
    check_texts(note=command.note, comment=command.comment, reason=command.reason, trigger=command.trigger)
    check_texts(words=command.words, **{f"reasons[{i}]": code for i, code in enumerate(command.reasons)})
    check_moment(command.at)
    if command.perceived is not None and command.perceived not in EXPECTATIONS:
        raise InvalidInputError(f"perceived: unknown {command.perceived!r}; known: {', '.join(EXPECTATIONS)}")
    if command.compensation is not None:
        c = command.compensation
        check_texts(**{"compensation.kind": c.kind, "compensation.description": c.description})
        if c.approved_by is not None and len(c.approved_by) > ACTOR_MAX:  # compensations.approved_by's length
            raise InvalidInputError(f"compensation.approved_by: at most {ACTOR_MAX} characters")
        check_texts(**{"compensation.approved_by": c.approved_by})
        problem = number_problem(c.value)
        if problem is not None:
            raise InvalidInputError(f"compensation.value: {problem}")
        if abs(c.value) >= COMPENSATION_MAX:
            raise InvalidInputError(f"compensation: the value must be below {COMPENSATION_MAX:,}")


def check_texts(**texts: str | None) -> None:
    """InvalidInputError naming the first text a database cannot hold (a lone surrogate, a NUL)."""
    for field, value in texts.items():
        problem = None if value is None else text_problem(value)
        if problem is not None:
            raise InvalidInputError(f"{field}: {problem}")


def check_moment(at: datetime | None) -> None:
    """InvalidInputError for a time no deadline can be computed from."""
    problem = None if at is None else moment_problem(at)
    if problem is not None:
        raise InvalidInputError(f"at: {problem}")
