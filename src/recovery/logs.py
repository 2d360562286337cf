"""The daemon's log: the ``[log]`` section, one line per event on stderr as key=value text or JSON.

A line's own fields travel in ``extra={"fields": {...}}`` (see ``fields``): a formatter writes them
as ``key=value`` after the message, or as keys of the JSON object beside ``time``, ``level``,
``logger`` and ``message``. Libraries log at warning and above only: their debug and info lines
(``transitions`` on every trigger, APScheduler on every run, uvicorn on every request) are noise
to an operator.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any, Literal

from recovery.sections import Section

TEXT_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
THIRD_PARTY = ("transitions", "apscheduler", "uvicorn", "uvicorn.access", "uvicorn.error", "httpx")


class LogSettings(Section):
    """``[log]``: the least level written and the line format."""

    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["text", "json"] = "text"


def fields(**values: Any) -> dict[str, Any]:
    """``extra=`` for a log call whose line carries these fields: ``log.info("escalated", extra=fields(...))``."""
    # Under one attribute, so that no field name can collide with a LogRecord attribute (name, created, …).
    return {"fields": values}


class TextFormatter(logging.Formatter):
    """``TIME level=INFO logger=NAME message key=value …``: grep- and eye-friendly."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """The line, with the record's fields after the message."""
        line = super().format(record)
        extra = getattr(record, "fields", None) or {}
        if not extra:
            return line
        head, _, tail = line.partition("\n")  # a traceback stays after the fields
        pairs = " ".join(f"{key}={_text(value)}" for key, value in extra.items())
        return f"{head} {pairs}" + (f"\n{tail}" if tail else "")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO 8601), level, logger, message, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON; a traceback under ``error``."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in (getattr(record, "fields", None) or {}).items():
            line.setdefault(key, value)  # the four above are the contract: a field never hides one
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure(settings: LogSettings | None = None, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log line to ``stream`` (stderr) in the configured format and level; the handler put in place."""
    settings = settings or LogSettings()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def _text(value: Any) -> str:
    """A field's value in a text line: lists joined by commas, text with spaces quoted."""
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value) or "-"
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if not text or " " in text or '"' in text else text
