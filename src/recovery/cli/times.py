"""How a person reads a moment on the CLI: the calendar's time zone, to the minute, with the offset.

One format everywhere (``2026-12-03 08:48 +01:00``) so that history, ``show``, listings and
``status`` agree and a reader never has to guess whether a time is UTC. ``--json`` keeps UTC
ISO 8601 with a Z: scripts want one zone, people want their own.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

NONE = "-"
_ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)")


def shown(moment: datetime | None, tz: ZoneInfo) -> str:
    """``moment`` in ``tz`` as ``YYYY-MM-DD HH:MM +HH:MM``; ``-`` for None (a naive moment is taken as UTC)."""
    if moment is None:
        return NONE
    # Stored and computed times are UTC; a naive one can only have lost its zone on the way.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    local = aware.astimezone(tz)
    offset = local.strftime("%z")  # "+0100"; ISO 8601 readers expect "+01:00"
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:5]}"


def parsed(text: str) -> datetime | None:
    """The aware moment in an ISO 8601 string as ``--json`` writes it (``…Z`` or ``…+00:00``), else None."""
    if _ISO_MOMENT.fullmatch(text) is None:  # a summary or a note may well contain a "T" and a "Z"
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:  # shaped like a moment, but no real one (month 13)
        return None


def shown_text(value: str | None, tz: ZoneInfo) -> str:
    """An ISO 8601 time string from a read dict shown as ``shown`` shows it; any other text unchanged."""
    if value is None:
        return NONE
    moment = parsed(value)
    return value if moment is None else shown(moment, tz)
