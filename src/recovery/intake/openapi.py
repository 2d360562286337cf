"""The OpenAPI document of the webhook app, written by hand to say exactly what the handlers do."""

from __future__ import annotations

from typing import Any

from recovery.core.roles import ROLES
from recovery.core.vocabulary import EXPECTATIONS

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "What was wrong."},
        "field": {"type": "string", "description": "The payload field at fault (422 only)."},
    },
}
_STORED = {
    "type": "object",
    "required": ["id", "status", "events"],
    "properties": {
        "id": {"type": "integer", "description": "The inbox id of the delivery's first stored event."},
        "status": {"type": "string", "enum": ["accepted", "duplicate"]},
        "events": {"type": "integer", "minimum": 0, "description": "Events this delivery carries."},
    },
}
_PING = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"type": "string", "enum": ["ping"]}},
    "description": "A WooCommerce source answers the unsigned webhook_id=<n> form body sent when a webhook is saved.",
}
# Text a database can hold: no NUL (a lone surrogate cannot be written in valid UTF-8 JSON anyway).
_PLAIN = "^[^\\x00]*$"
_TEXT = {"type": "string", "pattern": _PLAIN}
# An id or a ticket: as _PLAIN, and not blank (the adapters refuse "   "). The separators \x1c-\x1f and
# \x85 are white space to Python's strip() but not to an ECMA regex's \s, so they are named.
_KEY = "^[^\\x00]*[^\\x00\\s\\x1c-\\x1f\\x85][^\\x00]*$"
# Years a deadline can be computed from (recovery.core.values: 1900 to 9000).
_YEARS = "^(19[0-9]{2}|[2-8][0-9]{3}|9000)-"
_AMOUNT = {"type": "string", "pattern": "^\\s*[-+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]+)?\\s*$"}
_CUSTOMER = {
    "type": "object",
    "required": ["email"],
    "properties": {"email": _TEXT, "name": _TEXT, "id": _TEXT},
}
_COMMON = {
    "id": {"type": "string", "pattern": _KEY, "description": "Delivery id, unique per source."},
    "occurred_at": {
        "type": "string",
        "format": "date-time",
        "pattern": _YEARS,
        "description": "When it happened (with offset), between the years 1900 and 9000.",
    },
    "ticket": {"type": "string", "pattern": _KEY},
}


def _event(kind: str, required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "type", "occurred_at", *required],
        "properties": {**_COMMON, "type": {"type": "string", "enum": [kind]}, **properties},
        **extra,
    }


# What a purchase may hold, as the purchase feed checks it (recovery.engine.purchases.parse_row): an
# email as normalise_email takes it, or an id of the sender's without "@"; amounts below 10^11 (the
# column holds 12 digits before the point); Python strips more white space than an ECMA regex's \s.
_NOT_IN_EMAIL = "[^@\\s\\x00-\\x1f\\x7f\\x85]+"
_EMAIL = {"type": "string", "pattern": f"^{_NOT_IN_EMAIL}@{_NOT_IN_EMAIL}[.]{_NOT_IN_EMAIL}$", "maxLength": 160}
_SHOP_ID = {"type": "string", "pattern": "^[^\\x00@\\s\\x1c-\\x1f\\x85]+$", "maxLength": 200}
_BUYER = {
    "oneOf": [
        _EMAIL,
        _SHOP_ID,
        {
            "type": "object",
            "properties": {"email": _EMAIL, "id": _SHOP_ID, "name": _TEXT},
            "anyOf": [{"required": ["email"]}, {"required": ["id"]}],
        },
    ],
    "description": "An email, or the sender's own customer id, or {email, id, name} with either.",
}
_MONEY = {
    "oneOf": [
        {"type": "string", "pattern": "^[ \\t\\n\\r]*[-+]?[0-9]{1,11}([.][0-9]{0,6})?[ \\t\\n\\r]*$"},
        {"type": "number", "minimum": -99999999999, "maximum": 99999999999},
    ],
    "description": "A refund is stored negative whatever its sign.",
}


def _purchase(kind: str, required: list[str], **extra: Any) -> dict[str, Any]:
    """A purchase event: the purchase feed's fields; a refund's customer and day default to its stored order's."""
    return {
        "type": "object",
        "required": ["id", "type", "order_id", "amount", *required],
        "properties": {
            "id": _COMMON["id"],
            "type": {"type": "string", "enum": [kind]},
            "customer": _BUYER,
            "order_id": {"type": "string", "pattern": _KEY, "maxLength": 200},
            "refund_id": _TEXT,
            "ordered_at": _COMMON["occurred_at"],
            "occurred_at": _COMMON["occurred_at"],
            "amount": _MONEY,
            "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
        },
        **extra,
    }


_SCORE = {"type": "integer", "minimum": 1, "maximum": 5}
_GENERIC_EVENT = {
    "description": "Our generic format; other kinds send their helpdesk's own payload (docs/webhooks.md).",
    "oneOf": [
        _event(
            "complaint.opened",
            ["ticket", "customer", "summary"],
            {
                "customer": _CUSTOMER,
                "summary": _TEXT,
                "severity": _TEXT,
                "channel": _TEXT,
                "actor": _TEXT,
                "expected": {
                    "type": "string",
                    "enum": list(EXPECTATIONS),
                    "description": "What the customer expected.",
                },
            },
        ),
        _event(
            "complaint.trigger",
            ["ticket"],
            {
                "trigger": {"type": "string", "description": "The trigger's name in the complaint's workflow."},
                "role": {"type": "string", "enum": list(ROLES), "description": "Or the step's role."},
                "actor": _TEXT,
                "note": _TEXT,
                "comment": _TEXT,
                "reason": _TEXT,
                "score": _SCORE,
                "compensation": {
                    "type": "object",
                    "required": ["kind", "value"],
                    "properties": {
                        "kind": _TEXT,
                        "value": _AMOUNT,
                        "description": _TEXT,
                        "approved_by": {**_TEXT, "description": "The lead who approved a value above the budget."},
                    },
                },
            },
            anyOf=[{"required": ["trigger"]}, {"required": ["role"]}],
        ),
        _event("satisfaction.rated", ["ticket", "score"], {"score": _SCORE, "comment": _TEXT, "actor": _TEXT}),
        _event(
            "customer.flagged",
            ["actor", "reason"],
            {"actor": _TEXT, "reason": _TEXT, "customer": _CUSTOMER},
            anyOf=[{"required": ["ticket"]}, {"required": ["customer"]}],
        ),
        _event(
            "customer.lost",
            ["reason"],
            {"reason": _TEXT, "customer": _CUSTOMER},
            anyOf=[{"required": ["ticket"]}, {"required": ["customer"]}],
        ),
        _event(
            "survey.answered",
            ["survey", "answers"],
            {
                "survey": {"type": "string", "pattern": _KEY, "description": "One of our surveys' names."},
                "answers": {
                    "type": "object",
                    "minProperties": 1,
                    "description": "Each question's answer: text, or a whole number for a scale.",
                    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                },
                "customer": _CUSTOMER,
                "language": {"type": "string", "enum": ["en", "nl", "de"]},
                "complaint": {"type": "integer", "description": "Our complaint id, when the answers are about one."},
                "actor": _TEXT,
            },
            anyOf=[{"required": ["ticket"]}, {"required": ["customer"]}, {"required": ["complaint"]}],
        ),
        _purchase("purchase.made", ["customer", "ordered_at"]),
        _purchase("purchase.refunded", [], anyOf=[{"required": ["occurred_at"]}, {"required": ["ordered_at"]}]),
    ],
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": description}


def document(sources: list[str], max_body: int) -> dict[str, Any]:
    """The OpenAPI 3.0 document for the configured ``sources``."""
    webhook = {
        "summary": "Receive one helpdesk delivery",
        "description": (
            "Verified with the source's own scheme, stored durably and idempotently before the answer. "
            f"Bodies over {max_body} bytes are refused while they stream."
        ),
        "parameters": [
            {"name": "source", "in": "path", "required": True, "schema": {"type": "string"}},
            _header("X-Recovery-Timestamp", "generic: unix seconds, within 5 minutes of our clock"),
            _header("X-Recovery-Signature", 'generic: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">'),
            _header("webhook-id", "generic, Standard Webhooks scheme: the message id"),
            _header("webhook-timestamp", "generic, Standard Webhooks scheme: unix seconds, within 5 minutes"),
            _header(
                "webhook-signature",
                'generic, Standard Webhooks scheme: space-separated "v1,<base64 HMAC-SHA256 of '
                '"<id>.<timestamp>.<raw body>">" with the whsec_ secret; one must match',
            ),
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _GENERIC_EVENT}}},
        "responses": {
            "200": _json(
                {"oneOf": [_STORED, _PING]}, "A duplicate of a stored delivery, or WooCommerce's ping; nothing changed."
            ),
            "202": _json(_STORED, "Stored; it will be applied in the events' own order."),
            "400": _json(_ERROR, "Malformed JSON."),
            "401": _json(_ERROR, "Bad or missing signature, or a timestamp outside the replay window."),
            "404": _json(_ERROR, "Unknown source."),
            "413": _json(_ERROR, "Body over webhook.max_body."),
            "415": _json(_ERROR, "Not JSON (Content-Type)."),
            "422": _json(
                _ERROR,
                "Valid JSON that is not an event this source sends, or holds a value no database can store; "
                "`field` names the culprit.",
            ),
            "503": _json(_ERROR, "The database cannot be written right now; the helpdesk should retry."),
        },
    }
    check = {
        "type": "object",
        "required": ["ok"],
        "properties": {
            "ok": {"type": "boolean"},
            "error": {"type": "string", "description": "The kind of database error, when it did not answer."},
        },
        "description": "One check; its other fields are its figures and limits (docs/daemon.md).",
    }
    health = {
        "type": "object",
        "required": ["status", "failing", "checks"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "failing"]},
            "failing": {"type": "array", "items": {"type": "string"}, "description": "The failing checks' names."},
            "checks": {
                "type": "object",
                "description": "database, tick:<job> for each daemon job, inbox, outbox.",
                "additionalProperties": check,
            },
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "recovery webhooks", "version": "1", "description": f"Sources: {', '.join(sources)}"},
        "paths": {
            "/webhooks/{source}": {"post": webhook},
            "/healthz": {
                "get": {
                    "summary": "Ready: the database takes writes, every job ticks, no backlog",
                    "responses": {
                        "200": _json(health, "Every check passed."),
                        "503": _json(health, "A check failed; `failing` names it."),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus text: recovery_webhook_deliveries_total by source, outcome, reason",
                    "responses": {
                        "200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}},
                        "401": _json(_ERROR, "The admin token is set and the request does not carry it."),
                    },
                }
            },
        },
    }
