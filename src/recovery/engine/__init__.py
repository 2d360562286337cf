"""The engine: the use cases, and the single writer of complaint state.

Adapters (CLI, webhook, scheduler) build a ``Context`` once and call these functions.
"""

from __future__ import annotations

from recovery.engine.assignment import assign
from recovery.engine.complaints import fire, fire_batch, open_complaint
from recovery.engine.context import Context
from recovery.engine.pauses import pause, resume

__all__ = ["Context", "assign", "fire", "fire_batch", "open_complaint", "pause", "resume"]
