"""Each adapter verifies its helpdesk's own documented signature scheme, in constant time."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from intake.helpers import KINDS, SECRET, signed_headers
from recovery.intake.errors import SignatureError
from recovery.intake.rules import SourceRules
from recovery.intake.sources import adapter

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BODY = json.dumps({"ticket": {"id": "42"}, "say": "hello"}).encode()
RULES = SourceRules()


def lowered(headers: dict[str, str]) -> dict[str, str]:
    """Headers as the app hands them to adapters (case-insensitive, here lower-case)."""
    return {k.lower(): v for k, v in headers.items()}


@pytest.mark.parametrize("kind", KINDS)
def test_a_delivery_signed_as_its_helpdesk_documents_is_accepted(kind: str) -> None:
    adapter(kind).verify(lowered(signed_headers(kind, BODY, NOW)), BODY, SECRET, NOW, RULES)


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "freshdesk"])  # Freshdesk signs nothing
def test_a_body_changed_after_signing_is_refused(kind: str) -> None:
    headers = lowered(signed_headers(kind, BODY, NOW))
    with pytest.raises(SignatureError):
        adapter(kind).verify(headers, BODY.replace(b"hello", b"hellO"), SECRET, NOW, RULES)


@pytest.mark.parametrize("kind", KINDS)
def test_a_signature_made_with_another_secret_is_refused(kind: str) -> None:
    headers = lowered(signed_headers(kind, BODY, NOW, secret="someone-else"))
    with pytest.raises(SignatureError):
        adapter(kind).verify(headers, BODY, SECRET, NOW, RULES)


@pytest.mark.parametrize("kind", KINDS)
def test_a_delivery_without_its_credentials_is_refused(kind: str) -> None:
    with pytest.raises(SignatureError, match="missing"):
        adapter(kind).verify({"content-type": "application/json"}, BODY, SECRET, NOW, RULES)


@pytest.mark.parametrize("kind", ["zendesk", "front", "generic"])
@pytest.mark.parametrize("skew", [timedelta(minutes=6), -timedelta(minutes=6)], ids=["replayed", "from-the-future"])
def test_a_timestamp_outside_the_five_minute_window_is_refused(kind: str, skew: timedelta) -> None:
    headers = lowered(signed_headers(kind, BODY, NOW))
    with pytest.raises(SignatureError, match="window"):
        adapter(kind).verify(headers, BODY, SECRET, NOW + skew, RULES)


@pytest.mark.parametrize("kind", ["zendesk", "front", "generic"])
def test_a_timestamp_within_the_window_is_accepted(kind: str) -> None:
    headers = lowered(signed_headers(kind, BODY, NOW))
    adapter(kind).verify(headers, BODY, SECRET, NOW + timedelta(minutes=4, seconds=59), RULES)


def test_zendesk_documented_worked_example_verifies() -> None:
    """developer.zendesk.com, "Verifying webhook authenticity" (Event Connectors page): secret, body,
    timestamp and signature as printed there; that page signs (BODY)(TIMESTAMP)."""
    body = b'{"say": "hello"}'
    headers = {
        "x-zendesk-webhook-signature-timestamp": "2021-07-25T10:00:00Z",
        "x-zendesk-webhook-signature": "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw=",
    }
    secret = "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA="
    adapter("zendesk").verify(headers, body, secret, datetime(2021, 7, 25, 10, 0, 30, tzinfo=UTC), RULES)


def test_zendesk_worked_example_with_a_changed_body_is_refused() -> None:
    headers = {
        "x-zendesk-webhook-signature-timestamp": "2021-07-25T10:00:00Z",
        "x-zendesk-webhook-signature": "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw=",
    }
    secret = "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA="
    with pytest.raises(SignatureError):
        adapter("zendesk").verify(headers, b'{"say": "hullo"}', secret, datetime(2021, 7, 25, 10, tzinfo=UTC), RULES)


def test_zendesk_timestamp_that_is_not_iso_8601_is_refused() -> None:
    headers = lowered(signed_headers("zendesk", BODY, NOW))
    headers["x-zendesk-webhook-signature-timestamp"] = "yesterday"
    with pytest.raises(SignatureError, match="ISO 8601"):
        adapter("zendesk").verify(headers, BODY, SECRET, NOW, RULES)


@pytest.mark.parametrize("stamp", ["soon", "-5", "99999999999999999999"])
def test_a_generic_timestamp_that_is_not_unix_seconds_is_refused(stamp: str) -> None:
    headers = lowered(signed_headers("generic", BODY, NOW))
    headers["x-recovery-timestamp"] = stamp
    with pytest.raises(SignatureError):
        adapter("generic").verify(headers, BODY, SECRET, NOW, RULES)


def test_freshdesk_custom_header_carrying_the_secret_is_accepted_when_configured() -> None:
    rules = SourceRules.from_options({"auth": "header", "header": "X-Recovery-Token"})
    adapter("freshdesk").verify({"x-recovery-token": SECRET}, BODY, SECRET, NOW, rules)


def test_freshdesk_custom_header_with_a_wrong_value_is_refused() -> None:
    rules = SourceRules.from_options({"auth": "header"})
    with pytest.raises(SignatureError):
        adapter("freshdesk").verify({"x-recovery-token": "guess"}, BODY, SECRET, NOW, rules)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer abc", "Basic !!!not-base64!!!", "Basic " + base64.b64encode(f"admin:{SECRET}".encode()).decode()],
    ids=["not-basic", "malformed", "wrong-user"],
)
def test_freshdesk_basic_credentials_must_be_the_configured_user_and_secret(authorization: str) -> None:
    with pytest.raises(SignatureError):
        adapter("freshdesk").verify({"authorization": authorization}, BODY, SECRET, NOW, RULES)


def test_front_rule_webhooks_signed_with_hmac_sha1_of_the_body_verify_by_default() -> None:
    from recovery.intake.sources import front

    front.verify({"x-front-signature": front.sign_legacy(SECRET, BODY)}, BODY, SECRET, NOW, RULES)
    legacy_option = SourceRules.from_options({"legacy_sha1": True})  # older settings still start, and still verify
    front.verify({"x-front-signature": front.sign_legacy(SECRET, BODY)}, BODY, SECRET, NOW, legacy_option)
    with pytest.raises(SignatureError):
        front.verify({"x-front-signature": front.sign_legacy("someone-else", BODY)}, BODY, SECRET, NOW, RULES)


def test_front_current_signature_outside_the_window_is_refused_even_though_it_matches() -> None:
    from recovery.intake.sources import front

    stamp = str(int((NOW - timedelta(minutes=6)).timestamp() * 1000))
    headers = {"x-front-request-timestamp": stamp, "x-front-signature": front.sign(SECRET, stamp, BODY)}
    with pytest.raises(SignatureError, match="window"):
        front.verify(headers, BODY, SECRET, NOW, RULES)


def test_front_timestamp_in_seconds_is_read_as_well_as_milliseconds() -> None:
    from recovery.intake.sources import front

    stamp = str(int(NOW.timestamp()))
    headers = {"x-front-request-timestamp": stamp, "x-front-signature": front.sign(SECRET, stamp, BODY)}
    front.verify(headers, BODY, SECRET, NOW, RULES)
