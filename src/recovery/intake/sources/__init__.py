"""One adapter per helpdesk kind: ``verify`` checks the delivery's credentials, ``parse`` maps its payload.

Every adapter module offers the same two functions (see ``Adapter``); the shared pieces —
errors, per-source rules, constant-time comparison, the replay window and typed field
access that names the bad field — live here.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import b64encode
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any, Protocol

from recovery.intake.events import (
    ComplaintOpened,
    CustomerFlagged,
    CustomerLost,
    CustomerRef,
    IntakeEvent,
    SatisfactionRated,
    TriggerFired,
)

KINDS = ("zendesk", "freshdesk", "zammad", "helpscout", "intercom", "front", "generic")
REPLAY_WINDOW = timedelta(minutes=5)
DEFAULT_TAG_TRIGGERS = {
    "recovery-apologize": "apologize",
    "recovery-act": "act",
    "recovery-empathize": "empathize",
    "recovery-compensate": "compensate",
    "recovery-withdraw": "withdraw",
}


class SignatureError(Exception):
    """The delivery's signature or credentials are missing, wrong or too old (401)."""


class ShapeError(Exception):
    """Valid JSON that is not an event this source sends; ``field`` names the culprit (422)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


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
        given = self.headers.get(header.lower(), "").strip()[:160]
        return given or f"{prefix}sha256:{self.body_hash}"


@dataclass(frozen=True)
class SourceRules:
    """Per-source rules from ``[[webhook.sources]].options``; every key has a default (docs/webhooks.md)."""

    complaint_tags: tuple[str, ...] = ("complaint",)
    complaint_types: tuple[str, ...] = ()
    complaint_forms: tuple[str, ...] = ()
    tag_triggers: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TAG_TRIGGERS))
    status_triggers: Mapping[str, str] = field(default_factory=dict)
    flag_tag: str = "unhappy-customer"
    lost_tag: str = "customer-lost"
    compensation: str = "gesture:0"
    severity: str = "normal"
    auth: str = "basic"
    basic_user: str = "recovery"
    header: str = "X-Recovery-Token"
    legacy_sha1: bool = False
    replay_window: timedelta = REPLAY_WINDOW

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SourceRules:
        """Rules from a source's ``options`` table; ShapeError-free: unknown keys raise ValueError."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(options) - known - {"replay_window_seconds"})
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values: dict[str, Any] = {}
        for key, value in options.items():
            if key == "replay_window_seconds":
                values["replay_window"] = timedelta(seconds=int(value))
            elif isinstance(value, list):
                values[key] = tuple(str(v) for v in value)
            elif key in ("tag_triggers", "status_triggers"):
                values[key] = {str(k).lower(): str(v) for k, v in dict(value).items()}
            else:
                values[key] = value
        return cls(**values)

    def opens_complaint(self, tags: Sequence[str], ticket_type: str | None, form: str | None) -> bool:
        """Does a new ticket with these tags, type and form match the complaint rule?"""
        lowered = {t.lower() for t in tags}
        return (
            any(t.lower() in lowered for t in self.complaint_tags)
            or (ticket_type is not None and ticket_type.lower() in {t.lower() for t in self.complaint_types})
            or (form is not None and str(form) in self.complaint_forms)
        )

    def compensation_of(self) -> dict[str, str]:
        """The compensation recorded when a helpdesk rule fires ``compensate`` (it carries no amount)."""
        kind, _, value = self.compensation.partition(":")
        return {"kind": kind, "value": value or "0", "description": "recorded from the helpdesk"}


class Adapter(Protocol):
    """What every ``recovery.intake.sources.<kind>`` module provides."""

    def verify(
        self, headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules
    ) -> None: ...

    def parse(self, payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]: ...


def adapter(kind: str) -> Adapter:
    """The adapter module of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown source kind {kind!r}; known: {', '.join(KINDS)}")
    module: Adapter = import_module(f"recovery.intake.sources.{kind}")
    return module


# --- signatures -------------------------------------------------------------------------------


def hmac_digest(secret: str, message: bytes, algorithm: Callable[..., Any]) -> bytes:
    """The raw HMAC of ``message`` with ``secret`` (UTF-8) as key."""
    return hmac.new(secret.encode(), message, algorithm).digest()


def b64(digest: bytes) -> str:
    """Standard base64 text of a digest."""
    return b64encode(digest).decode()


def require_header(headers: Mapping[str, str], name: str) -> str:
    """A header's value; SignatureError when it is missing or empty."""
    value = headers.get(name.lower(), "").strip()
    if not value:
        raise SignatureError(f"missing {name} header")
    return value


def same(given: str, expected: str) -> None:
    """Constant-time comparison; SignatureError when they differ."""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise SignatureError("signature does not match")


def within_window(sent: datetime, now: datetime, window: timedelta) -> None:
    """SignatureError when ``sent`` is further than ``window`` from ``now`` (a replay or a skewed clock)."""
    if abs(now - sent) > window:
        raise SignatureError(f"timestamp {sent.isoformat()} is outside the {int(window.total_seconds())} s window")


def unix_time(text: str) -> datetime:
    """Unix seconds (or milliseconds, as Front sends) as an aware datetime; SignatureError if not a number."""
    try:
        number = float(text)
    except ValueError:
        raise SignatureError(f"timestamp {text[:40]!r} is not a number") from None
    if number > 1e11:  # milliseconds
        number /= 1000
    if not 0 < number < 1e10:
        raise SignatureError("timestamp out of range")
    return datetime.fromtimestamp(number, UTC)


# --- payload fields ---------------------------------------------------------------------------


def obj(value: Any, where: str) -> dict[str, Any]:
    """``value`` as a JSON object, or ShapeError naming ``where``."""
    if not isinstance(value, dict):
        raise ShapeError(where, "expected an object")
    return value


def get(payload: Mapping[str, Any], path: str, kind: type | tuple[type, ...], *, required: bool = True) -> Any:
    """The value at a dotted ``path``, checked against ``kind``; ShapeError names the path."""
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value or value[part] is None:
            if required:
                raise ShapeError(path, "is required")
            return None
        value = value[part]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ShapeError(path, "has the wrong type")
    if not isinstance(value, kind):
        raise ShapeError(path, "has the wrong type")
    return value


def text(payload: Mapping[str, Any], path: str, *, required: bool = True, default: str = "") -> str:
    """A string or number field as text."""
    value = get(payload, path, (str, int), required=required)
    return default if value is None else str(value)


def timestamp(payload: Mapping[str, Any], path: str) -> datetime:
    """An ISO 8601 or unix-seconds field as an aware UTC datetime."""
    value = get(payload, path, (str, int, float))
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), UTC)
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise ShapeError(path, f"not a time: {str(value)[:40]!r}") from None
    if parsed.tzinfo is None:
        raise ShapeError(path, "a time needs its UTC offset")
    return parsed.astimezone(UTC)


def tag_list(value: Any, where: str) -> list[str]:
    """Tags given as a list of strings, a list of {name|tag: …} objects, or one space/comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [t for t in value.replace(",", " ").split() if t]
    if not isinstance(value, list):
        raise ShapeError(where, "expected a list of tags")
    tags = []
    for item in value:
        if isinstance(item, str):
            tags.append(item)
        elif isinstance(item, dict) and isinstance(name := item.get("name", item.get("tag")), str):
            tags.append(name)
        else:
            raise ShapeError(where, "expected tags as strings or objects with a name")
    return tags


def score_1_to_5(value: Any, where: str) -> int:
    """A satisfaction score from 1 to 5."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ShapeError(where, "expected a score from 1 to 5")
    return value


@dataclass(frozen=True)
class TicketSnapshot:
    """What a helpdesk says about a ticket after a change, in common terms."""

    delivery_id: str
    ticket: str
    occurred_at: datetime
    customer: CustomerRef | None
    summary: str = ""
    tags: tuple[str, ...] = ()
    status: str | None = None
    ticket_type: str | None = None
    form: str | None = None
    actor: str | None = None
    score: int | None = None
    comment: str = ""


def ticket_events(snap: TicketSnapshot, rules: SourceRules) -> list[IntakeEvent]:
    """The events a ticket snapshot means under ``rules``: open, triggers by tag and status, rating, flag, loss.

    Snapshots repeat what is already true (tags stay on a ticket), so every event derived from
    one is marked ``snapshot``: the inbox skips it when the complaint is already past that step.
    """
    events: list[IntakeEvent] = []
    common: dict[str, Any] = {"ticket": snap.ticket, "occurred_at": snap.occurred_at}

    def next_id() -> str:
        return snap.delivery_id if not events else f"{snap.delivery_id}#{len(events)}"

    lowered = [t.lower() for t in snap.tags]
    if snap.customer is not None and rules.opens_complaint(lowered, snap.ticket_type, snap.form):
        summary = snap.summary.strip() or f"helpdesk ticket {snap.ticket}"
        events.append(
            ComplaintOpened(
                delivery_id=next_id(), customer=snap.customer, summary=summary, severity=rules.severity, **common
            )
        )
    triggers = [rules.tag_triggers[t] for t in lowered if t in rules.tag_triggers]
    if snap.status is not None and snap.status.lower() in rules.status_triggers:
        triggers.append(rules.status_triggers[snap.status.lower()])
    for trigger in _workflow_order(triggers):
        compensation = rules.compensation_of() if trigger == "compensate" else None
        reason = "closed at the helpdesk" if trigger in ("withdraw", "defect") else None
        events.append(
            TriggerFired(
                delivery_id=next_id(),
                trigger=trigger,
                actor=snap.actor,
                compensation=compensation,
                reason=reason,
                snapshot=True,
                **common,
            )
        )
    if snap.score is not None:
        events.append(
            SatisfactionRated(
                delivery_id=next_id(),
                score=snap.score,
                comment=snap.comment,
                actor=snap.actor,
                snapshot=True,
                **common,
            )
        )
    if rules.flag_tag.lower() in lowered and snap.actor:
        events.append(
            CustomerFlagged(
                delivery_id=next_id(),
                actor=snap.actor,
                reason=f"tagged {rules.flag_tag} at the helpdesk",
                customer=snap.customer,
                **common,
            )
        )
    if rules.lost_tag.lower() in lowered:
        events.append(
            CustomerLost(delivery_id=next_id(), reason=f"tagged {rules.lost_tag}", customer=snap.customer, **common)
        )
    return events


_ORDER = ("apologize", "act", "empathize", "compensate", "follow_up", "resolve", "reopen", "withdraw", "defect")


def _workflow_order(triggers: list[str]) -> list[str]:
    """Distinct triggers in the standard workflow's order (tags come unordered)."""
    unique = list(dict.fromkeys(triggers))
    return sorted(unique, key=lambda t: _ORDER.index(t) if t in _ORDER else len(_ORDER))


def rating_score(value: Any, where: str) -> int | None:
    """A helpdesk rating as 1-5: numbers as they are, words (good/great/okay/bad/not good) mapped; blank is None."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return score_1_to_5(value, where)
    word = str(value).strip().lower().replace("_", " ").replace("-", " ")
    if word.isdigit():
        return score_1_to_5(int(word), where)
    words = {"great": 5, "good": 5, "okay": 3, "ok": 3, "not good": 1, "bad": 1, "offered": None, "unoffered": None}
    if word not in words:
        raise ShapeError(where, f"unknown rating {str(value)[:20]!r}")
    return words[word]
