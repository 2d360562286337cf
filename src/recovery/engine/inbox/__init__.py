"""Applying stored helpdesk events to complaints, per ticket in the events' own order.

Rows of the ``inbox`` table are written by the webhook (``recovery.intake.deliveries``);
``apply_pending`` (``batch``) locks a few dozen tickets per transaction and applies their
pending events, each mapped to an engine command by ``handlers``; ``listing`` reads them back.
"""

from __future__ import annotations

from recovery.engine.inbox.batch import Result, apply_pending, retry, skip
from recovery.engine.inbox.listing import event_detail, list_events

__all__ = ["Result", "apply_pending", "event_detail", "list_events", "retry", "skip"]
