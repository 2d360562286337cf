"""The engine: the use cases, and the single writer of complaint state.

Adapters (CLI, webhook, scheduler) build a ``Context`` once and call these functions.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recovery.engine.assignment import assign
    from recovery.engine.complaints import fire, fire_batch, open_complaint
    from recovery.engine.context import Context
    from recovery.engine.pauses import pause, resume

# Each name is imported from its module on first use: importing a module of the package (a reading
# command's recovery.engine.queries) runs this file, and importing the writers here made every read
# load the state machine, the outbox and the prescriptions too.
_HOMES = {
    "Context": "context",
    "assign": "assignment",
    "fire": "complaints",
    "fire_batch": "complaints",
    "open_complaint": "complaints",
    "pause": "pauses",
    "resume": "pauses",
}
__all__ = ["Context", "assign", "fire", "fire_batch", "open_complaint", "pause", "resume"]

if not TYPE_CHECKING:  # for mypy the names are the imports above, and a misspelt one stays an error

    def __getattr__(name: str) -> Any:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(f"{__name__}.{home}"), name)
        globals()[name] = value
        return value
