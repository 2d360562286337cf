"""A delivery as an adapter sees it, and the two functions every adapter module offers."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from recovery.intake.events import IntakeEvent, fit_key
from recovery.intake.rules import SourceRules


@dataclass(frozen=True)
class Delivery:
    """What an adapter may read besides the JSON: the request headers (lower-case) and the body's hash."""

    headers: Mapping[str, str]
    body_hash: str
    received_at: datetime

    @classmethod
    def of(cls, headers: Mapping[str, str], raw_body: bytes, received_at: datetime) -> Delivery:
        """A delivery from headers and the raw body."""
        lowered = {k.lower(): v for k, v in headers.items()}
        return cls(lowered, hashlib.sha256(raw_body).hexdigest(), received_at)

    def id_from(self, header: str, prefix: str = "") -> str:
        """The helpdesk's delivery id from ``header``, else the body hash (helpdesks that send no id)."""
        given = fit_key(self.headers.get(header.lower(), "").strip())
        return given or f"{prefix}sha256:{self.body_hash}"


class Adapter(Protocol):
    """What every ``recovery.intake.sources.<kind>`` module provides."""

    def verify(
        self, headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules
    ) -> None: ...

    def parse(self, payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]: ...
