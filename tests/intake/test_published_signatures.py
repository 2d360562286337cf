"""Every signature example a helpdesk (or the Standard Webhooks scheme) publishes verifies with our adapter.

The examples live in tests/fixtures/helpdesk/<kind>/signatures.json, copied from the publisher with
provenance; the moment of verifying is the example's own timestamp, so its replay window holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import pytest

from intake.world import FIXTURES
from recovery.intake import standard_webhooks
from recovery.intake.errors import SignatureError
from recovery.intake.rules import SourceRules
from recovery.intake.signing import unix_time
from recovery.intake.sources import adapter

EXAMPLES = [
    pytest.param(path.parent.name, example, id=f"{path.relative_to(FIXTURES).as_posix()}#{index}")
    for path in sorted(FIXTURES.glob("*/signatures.json"))
    for index, example in enumerate(json.loads(path.read_text())["examples"])
]
RULES = SourceRules()


def sent_at(headers: dict[str, str]) -> datetime:
    """The example's own signing time, from its timestamp header (ISO 8601 or unix seconds)."""
    (stamp,) = (value for name, value in headers.items() if name.endswith("timestamp"))
    return unix_time(stamp) if stamp.isdigit() else datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def lowered(example: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in example["headers"].items()}


def test_there_are_published_examples_to_check() -> None:
    assert {kind for kind, *_ in (p.values for p in EXAMPLES)} >= {"zendesk", "generic"}


@pytest.mark.parametrize(("kind", "example"), EXAMPLES)
def test_every_published_signature_example_verifies(kind: str, example: dict[str, Any]) -> None:
    headers = lowered(example)
    adapter(kind).verify(headers, example["body"].encode(), example["secret"], sent_at(headers), RULES)


@pytest.mark.parametrize(("kind", "example"), EXAMPLES)
def test_a_published_example_with_its_body_changed_is_refused(kind: str, example: dict[str, Any]) -> None:
    headers = lowered(example)
    with pytest.raises(SignatureError):
        adapter(kind).verify(headers, example["body"].encode() + b" ", example["secret"], sent_at(headers), RULES)


# --- the Standard Webhooks scheme beyond its vector: what its libraries send ---------------------------

VECTOR = next(e for kind, e in (p.values for p in EXAMPLES) if kind == "generic")
BODY = VECTOR["body"].encode()
HEADERS = lowered(VECTOR)
NOW = sent_at(HEADERS)


def test_several_signatures_are_accepted_when_one_matches() -> None:
    # As during a key rotation: the libraries' own multi-signature test has a v2 and wrong v1 entries around it.
    wrong = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    headers = HEADERS | {"webhook-signature": f"{wrong} v2,{wrong[3:]} {HEADERS['webhook-signature']} {wrong}"}
    adapter("generic").verify(headers, BODY, VECTOR["secret"], NOW, RULES)


def test_the_secret_without_its_whsec_prefix_verifies_too() -> None:
    adapter("generic").verify(HEADERS, BODY, VECTOR["secret"].removeprefix("whsec_"), NOW, RULES)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            {"webhook-signature": "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="}, "no webhook-sig", id="wrong"
        ),
        pytest.param({"webhook-id": "msg_other"}, "no webhook-sig", id="another-message-id"),
        pytest.param({"webhook-timestamp": "1614265631"}, "window", id="stale"),
    ],
)
def test_a_standard_webhooks_request_that_does_not_match_is_refused(change: dict[str, str], message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        adapter("generic").verify(HEADERS | change, BODY, VECTOR["secret"], NOW, RULES)


def test_a_standard_webhooks_signature_needs_a_whsec_secret() -> None:
    with pytest.raises(SignatureError, match="whsec_<base64>"):
        adapter("generic").verify(HEADERS, BODY, "not base64!", NOW, RULES)


def test_our_sign_reproduces_the_published_signature() -> None:
    signature = standard_webhooks.sign(VECTOR["secret"], HEADERS["webhook-id"], HEADERS["webhook-timestamp"], BODY)
    key = base64.b64decode(VECTOR["secret"].removeprefix("whsec_"))
    message = f"{HEADERS['webhook-id']}.{HEADERS['webhook-timestamp']}.".encode() + BODY
    by_hand = "v1," + base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
    assert signature == by_hand == VECTOR["expected_signature"]
