"""The one exception hierarchy; each message is what a user reads.

RecoveryError
├── ConfigError            a setting is missing or malformed
├── WorkflowError          a workflow file or stored definition is invalid
├── NotFoundError          an unknown complaint, customer, staff member, flag, event
├── InvalidInputError      a value given by a user or a helpdesk is malformed
├── TransitionRefused      a trigger not allowed from the state, or a guard said no
├── ConflictError          someone else changed the same record first
├── FlagRefused            a flag, confirmation or rejection broke a rule against gaming
├── StorageError           the database is unreachable or the schema is not current
└── ModelError             a purchase model cannot be fitted to the data, or its fit failed
"""

from __future__ import annotations


class RecoveryError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(RecoveryError):
    """A configuration key is missing or has a bad value."""


class WorkflowError(RecoveryError):
    """A workflow definition is invalid; ``problems`` lists every mistake found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class NotFoundError(RecoveryError):
    """The thing asked for does not exist."""


class InvalidInputError(RecoveryError):
    """A value given from outside is malformed."""


class TransitionRefused(RecoveryError):
    """A trigger was refused: not allowed from the current state, or its guard failed."""

    def __init__(self, message: str, allowed: tuple[str, ...] = ()) -> None:
        self.allowed = allowed
        super().__init__(message)


class ConflictError(RecoveryError):
    """A concurrent change won the race; reload and try again."""


class FlagRefused(RecoveryError):
    """A staff flag, or a decision on one, was refused by the reward rules."""


class StorageError(RecoveryError):
    """The database cannot be used as it is."""


class ModelError(RecoveryError):
    """A purchase model refused its data or its fit did not converge; the message names the model and why."""
