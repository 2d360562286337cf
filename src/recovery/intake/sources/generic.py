"""Our own event format, for shops, phone systems and forms (see docs/webhooks.md).

Signed either way, within five minutes of our clock: ``X-Recovery-Timestamp: <unix seconds>`` and
``X-Recovery-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``, or the Standard
Webhooks headers (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``) with a ``whsec_`` secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from recovery.core.roles import ROLES
from recovery.core.signature import sign
from recovery.intake import purchases, standard_webhooks
from recovery.intake.delivery import Delivery
from recovery.intake.errors import ShapeError, SignatureError
from recovery.intake.events import (
    EVENT_TYPES,
    ComplaintOpened,
    CustomerFlagged,
    CustomerLost,
    CustomerRef,
    IntakeEvent,
    SatisfactionRated,
    SurveyAnswered,
    TriggerFired,
    fit_key,
)
from recovery.intake.fields import get, obj, score_1_to_5, text, timestamp
from recovery.intake.rules import SourceRules
from recovery.intake.signing import require_header, same, unix_time, within_window


def verify(headers: Mapping[str, str], raw_body: bytes, secret: str, now: datetime, rules: SourceRules) -> None:
    """Check the timestamp window, then the HMAC-SHA256 signature (constant time), in the scheme the headers use."""
    if standard_webhooks.applies(headers):
        standard_webhooks.verify(headers, raw_body, secret, now, rules.replay_window)
        return
    stamp = require_header(headers, "X-Recovery-Timestamp")
    given = require_header(headers, "X-Recovery-Signature")
    within_window(unix_time(stamp), now, rules.replay_window)
    same(given, sign(secret, stamp, raw_body))


def parse(payload: Any, rules: SourceRules, delivery: Delivery) -> list[IntakeEvent]:
    """One event per delivery; ``id`` is the delivery id."""
    body = obj(payload, "body")
    kind = text(body, "type")
    if kind not in EVENT_TYPES:
        raise ShapeError("type", f"unknown event type {kind[:40]!r}; known: {', '.join(EVENT_TYPES)}")
    if kind in _PURCHASES:
        return [_PURCHASES[kind](body, fit_key(_non_blank(body, "id")))]
    get(body, "occurred_at", str)  # our format says ISO 8601 text; unix numbers are for other helpdesks
    common: dict[str, Any] = {
        "delivery_id": fit_key(_non_blank(body, "id")),
        "ticket": _non_blank(body, "ticket") if "ticket" in body or kind in _TICKETED else None,
        "occurred_at": timestamp(body, "occurred_at"),
    }
    return [_PARSERS[kind](body, common)]


_TICKETED = ("complaint.opened", "complaint.trigger", "satisfaction.rated")


def _non_blank(body: Mapping[str, Any], path: str) -> str:
    value = text(body, path)
    if not value.strip():
        raise ShapeError(path, "must not be blank")
    return value


def _customer(body: Mapping[str, Any], path: str, *, required: bool = True) -> CustomerRef | None:
    value = get(body, path, (dict, str), required=required)
    if value is None:
        return None
    if isinstance(value, str):
        return CustomerRef(email=value)
    return CustomerRef(
        email=text(value, "email"), name=text(value, "name", required=False), external_id=_opt(value, "id")
    )


def _opt(body: Mapping[str, Any], path: str) -> str | None:
    return text(body, path, required=False) or None


def _opened(body: Mapping[str, Any], common: dict[str, Any]) -> IntakeEvent:
    return ComplaintOpened(
        customer=_customer(body, "customer"),  # type: ignore[arg-type]
        summary=text(body, "summary"),
        severity=text(body, "severity", required=False, default="normal"),
        channel=text(body, "channel", required=False, default="helpdesk"),
        actor=_opt(body, "actor"),
        expected=_opt(body, "expected"),
        **common,
    )


def _trigger(body: Mapping[str, Any], common: dict[str, Any]) -> IntakeEvent:
    compensation = get(body, "compensation", dict, required=False)
    score = get(body, "score", int, required=False)
    role = _opt(body, "role")
    if role is not None and role not in ROLES:
        raise ShapeError("role", f"unknown role {role[:40]!r}; known: {', '.join(ROLES)}")
    return TriggerFired(
        trigger=None if role else text(body, "trigger"),
        role=role,
        actor=_opt(body, "actor"),
        note=text(body, "note", required=False),
        compensation=None
        if compensation is None
        else {
            "kind": text(compensation, "kind"),
            "value": _amount(compensation, "value", "compensation.value"),
            "description": text(compensation, "description", required=False),
            # the lead who approved going beyond the customer's budget (issue 12.5)
            "approved_by": text(compensation, "approved_by", required=False),
        },
        score=None if score is None else score_1_to_5(score, "score"),
        comment=text(body, "comment", required=False),
        reason=_opt(body, "reason"),
        **common,
    )


def _amount(body: Mapping[str, Any], path: str, where: str) -> str:
    """A money amount as text: a finite decimal number (``NaN`` passes ``Decimal()`` and fails later)."""
    value = text(body, path)
    try:
        finite = Decimal(value.strip()).is_finite()
    except InvalidOperation:
        finite = False
    if not finite:
        raise ShapeError(where, f"not a finite number: {value[:40]!r}")
    return value.strip()


def _rated(body: Mapping[str, Any], common: dict[str, Any]) -> IntakeEvent:
    return SatisfactionRated(
        score=score_1_to_5(get(body, "score", int), "score"),
        comment=text(body, "comment", required=False),
        actor=_opt(body, "actor"),
        **common,
    )


def _flagged(body: Mapping[str, Any], common: dict[str, Any]) -> IntakeEvent:
    return CustomerFlagged(
        actor=text(body, "actor"),
        reason=text(body, "reason"),
        customer=_customer(body, "customer", required=common["ticket"] is None),
        **common,
    )


def _lost(body: Mapping[str, Any], common: dict[str, Any]) -> IntakeEvent:
    return CustomerLost(
        reason=text(body, "reason"),
        customer=_customer(body, "customer", required=common["ticket"] is None),
        **common,
    )


def _answered(body: Mapping[str, Any], common: dict[str, Any]) -> IntakeEvent:
    """Answers to one of our surveys: ``answers`` maps each question to its value (text or a number)."""
    answers = get(body, "answers", dict)
    for key, value in answers.items():
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ShapeError(f"answers.{str(key)[:40]}", "expected text or a whole number")
    return SurveyAnswered(
        survey=_non_blank(body, "survey"),
        answers={str(k): str(v) for k, v in answers.items()},
        customer=_customer(body, "customer", required=common["ticket"] is None and "complaint" not in body),
        language=_opt(body, "language"),
        complaint=get(body, "complaint", int, required=False),
        actor=_opt(body, "actor"),
        **common,
    )


def _made(body: Mapping[str, Any], delivery_id: str) -> IntakeEvent:
    """A purchase as the feed's row: ``customer``, ``order_id``, ``ordered_at``, ``amount``, ``currency``."""
    customer = _buyer(body)
    ordered_at = _time(body, "ordered_at")
    amount = purchases.amount_text(body, "amount") or ""
    order_id = _non_blank(body, "order_id")
    return purchases.made(delivery_id, customer, order_id, ordered_at, amount, _opt(body, "currency"), _SAME)


def _refunded(body: Mapping[str, Any], delivery_id: str) -> IntakeEvent:
    """A refund of ``order_id``: its customer and day are the stored order's unless given."""
    ordered_at = _time(body, "ordered_at") if "ordered_at" in body else None
    refunded_at = _time(body, "occurred_at") if "occurred_at" in body or ordered_at is None else ordered_at
    return purchases.refunded(
        delivery_id,
        _non_blank(body, "order_id"),
        _opt(body, "refund_id"),
        refunded_at,
        purchases.amount_text(body, "amount") or "",
        _opt(body, "currency"),
        _SAME,
        customer=_buyer(body) if body.get("customer") is not None else None,
        ordered_at=ordered_at,
    )


def _buyer(body: Mapping[str, Any]) -> CustomerRef:
    """``customer`` as an email or the sender's own id (text), or ``{email, id, name}`` with either."""
    value = get(body, "customer", (dict, str, int))
    if not isinstance(value, dict):
        ref = str(value).strip()
        email, external = (ref, "") if "@" in ref else ("", ref)
        return purchases.buyer(email, external, "", missing="customer is blank")
    return purchases.buyer(
        text(value, "email", required=False),
        text(value, "id", required=False),
        text(value, "name", required=False),
        missing="customer has neither email nor id",
    )


def _time(body: Mapping[str, Any], path: str) -> datetime:
    get(body, path, str)  # ISO 8601 text, as occurred_at
    return timestamp(body, path)


_SAME = {"email": "customer"}  # the feed's field names are ours: a refusal names the body's field as it is
_PURCHASES = {"purchase.made": _made, "purchase.refunded": _refunded}

_PARSERS = {
    "complaint.opened": _opened,
    "complaint.trigger": _trigger,
    "satisfaction.rated": _rated,
    "customer.flagged": _flagged,
    "customer.lost": _lost,
    "survey.answered": _answered,
}

__all__ = ["SignatureError", "parse", "sign", "verify"]
