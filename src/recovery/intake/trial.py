"""A payload tried against a source's parser and rules, stored nowhere: how an admin checks a rule.

``recovery inbox test SOURCE FILE`` answers what the webhook would: the events it would store
(202), or the refusal (400 malformed JSON, 422 a body this source does not send). The signature is
not checked — a saved payload's signature has long left its replay window — so no secret is needed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from recovery.config import WebhookSettings
from recovery.core.definition import Workflow
from recovery.errors import ConfigError, InvalidInputError, NotFoundError
from recovery.intake.delivery import Delivery
from recovery.intake.errors import ShapeError
from recovery.intake.events import unstorable
from recovery.intake.rules import SourceRules
from recovery.intake.sources import adapter


@dataclass(frozen=True)
class Trial:
    """What the webhook would answer and store: 202 with events, or a 4xx with its reason and field."""

    status: int
    events: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    field: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The trial as plain data (``--json``)."""
        return {"status": self.status, "events": self.events, "error": self.error, "field": self.field}


def try_payload(
    webhook: WebhookSettings, workflow: Workflow, name: str, raw: bytes, headers: Mapping[str, str], now: datetime
) -> Trial:
    """Parse ``raw`` as source ``name`` would, under its options bound to ``workflow`` (as the app binds them)."""
    rules = source_rules(webhook, workflow, name)
    kind = next(s.kind for s in webhook.sources if s.name == name)
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return Trial(400, error=f"malformed JSON: {str(exc)[:120]}")
    try:
        events = adapter(kind).parse(payload, rules, Delivery.of(headers, raw, now))
        unstorable(events)
    except ShapeError as exc:
        return Trial(422, error=str(exc), field=exc.field)
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError):
        return Trial(422, error="not an event this source sends", field="body")
    return Trial(202, [{"delivery_id": e.delivery_id, **e.body()} for e in events])


def source_rules(webhook: WebhookSettings, workflow: Workflow, name: str) -> SourceRules:
    """The rules of source ``name`` bound to ``workflow``; NotFoundError or ConfigError say what is wrong."""
    spec = next((s for s in webhook.sources if s.name == name), None)
    if spec is None:
        known = ", ".join(s.name for s in webhook.sources) or "none configured"
        raise NotFoundError(f"unknown source {name!r}; known: {known}")
    try:
        return SourceRules.from_options(spec.options).bind(workflow)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"webhook.sources {name}: options: {exc}") from exc


def read_headers(text: str) -> dict[str, str]:
    """Request headers from a JSON object or ``Name: value`` lines; InvalidInputError names a bad line."""
    if text.lstrip().startswith("{"):
        try:
            found = json.loads(text)
        except ValueError as exc:
            raise InvalidInputError(f"headers: malformed JSON: {exc}") from None
        if not isinstance(found, dict):
            raise InvalidInputError("headers: expected a JSON object of names and values")
        return {str(k): str(v) for k, v in found.items()}
    headers: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise InvalidInputError(f"headers: line {number}: expected 'Name: value', got {line[:60]!r}")
        headers[name.strip()] = value.strip()
    return headers
