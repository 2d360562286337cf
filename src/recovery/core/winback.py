"""Win-back rules: which workflow runs the conversation, and which causes open a case by themselves.

Each cause has a key of its own (``open_key``); the database keeps one case per key, so a cause seen
twice — a repeated helpdesk delivery, a daily run after a crash — opens one case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class WinBackRules:
    """The ``[winback]`` settings the engine reads."""

    workflow: str = "win_back"
    open_on_lost: bool = True
    open_on_helpdesk_lost: bool = True
    open_on_at_risk: bool = True


DEFAULT_WINBACK = WinBackRules()


def lost_key(complaint_id: int) -> str:
    """The cause: complaint ``complaint_id`` ended with the customer lost."""
    return f"winback:lost:{complaint_id}"


def helpdesk_key(source: str, delivery_id: str) -> str:
    """The cause: a helpdesk delivery said the customer is lost."""
    return f"winback:helpdesk:{source}:{delivery_id}"[:200]


def at_risk_key(customer_id: int, marked_at: datetime) -> str:
    """The cause: the daily run marked the customer at risk at ``marked_at`` (a later fall is a new cause)."""
    return f"winback:at_risk:{customer_id}:{marked_at.isoformat()}"
