"""Shopify and WooCommerce deliveries over real HTTP on loopback, stored as purchases on a real database.

The bodies are the published ones in tests/fixtures/shop (see each PROVENANCE.md), sent as the bytes
on disk and signed with a test secret by each shop's documented scheme; the one published Shopify
example (secret, body, signature) is checked verbatim. Each test looks at the purchases table.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from intake.helpers import SECRET, b64, settings_for, source
from intake.server import serve
from recovery.bootstrap import configure
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending, retry
from recovery.engine.purchases import import_rows
from recovery.intake.errors import SignatureError
from recovery.intake.rules import SourceRules
from recovery.intake.sources import adapter
from recovery.store.schema import customers, inbox, purchases

SHOP = Path(__file__).resolve().parents[1] / "fixtures" / "shop"
TEST_NOTIFICATION = "shopify/order-sample-test-notification-dropazul.json"
PAID_WITHOUT_BUYER = "shopify/orders-paid-activepieces-sample.json"
REFUND = "shopify/refunds-create-pipedream-test-event.json"


def signature(raw: bytes, secret: str = SECRET) -> str:
    """base64(HMAC-SHA256(secret, raw body)): Shopify's and WooCommerce's documented scheme alike."""
    return b64(hmac.new(secret.encode(), raw, hashlib.sha256).digest())


@dataclass
class Shop:
    """The webhook app on loopback with a shopify and a woocommerce source, and what it stored."""

    ctx: Context
    base_url: str

    def shopify(self, name: str, topic: str, webhook_id: str, *, hmac_value: str | None = None) -> httpx.Response:
        raw = (SHOP / name).read_bytes()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Hmac-Sha256": hmac_value or signature(raw),
        }
        return self.send("shopify", raw, headers)

    def woocommerce(self, name: str, topic: str = "order.created", delivery: str = "d-1") -> httpx.Response:
        raw = (SHOP / name).read_bytes()
        headers = {
            "Content-Type": "application/json",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Delivery-ID": delivery,
            "X-WC-Webhook-Signature": signature(raw),
        }
        return self.send("woocommerce", raw, headers)

    def send(self, name: str, raw: bytes, headers: dict[str, str]) -> httpx.Response:
        answer = httpx.post(f"{self.base_url}/webhooks/{name}", content=raw, headers=headers)
        apply_pending(self.ctx)
        return answer

    def purchases(self) -> list[dict[str, Any]]:
        query = (
            select(customers.c.email, customers.c.external_id, purchases)
            .join(customers, customers.c.id == purchases.c.customer_id)
            .order_by(purchases.c.id)
        )
        with self.ctx.db.connect() as connection:
            return [dict(r) for r in connection.execute(query).mappings()]

    def inbox(self) -> list[tuple[str, str, str | None]]:
        query = select(inbox.c.event_type, inbox.c.status, inbox.c.error).order_by(inbox.c.id)
        with self.ctx.db.connect() as connection:
            return [tuple(r) for r in connection.execute(query)]


@pytest.fixture
def shop(ctx: Context) -> Iterator[Shop]:
    from recovery.intake.app import create_app

    settings = settings_for(source("shopify"), source("woocommerce"))
    configure(ctx, settings)
    with serve(create_app(ctx, settings)) as base_url:
        yield Shop(ctx, base_url)


def stored(row: dict[str, Any]) -> tuple[str, str | None, str, str, str, Decimal, date, str | None]:
    return (
        row["email"],
        row["external_id"],
        row["source"],
        row["order_id"],
        row["kind"],
        row["amount"],
        row["day"],
        row["currency"],
    )


# --- Shopify ---------------------------------------------------------------------------------------


def test_the_published_shopify_example_signature_verifies_and_one_changed_byte_does_not() -> None:
    # sqlpage/SQLPage tests/sql_test_files/data/hmac_shopify_webhook.sql (see shopify/PROVENANCE.md).
    body = b'{"id":1234567890,"email":"customer@example.com","total_price":"123.45"}'
    headers = {"x-shopify-hmac-sha256": "QNyObTlKbMx2qDlPF/ZOZcBqg5OgPg+2oky3zldc0Gw="}
    shopify = adapter("shopify")
    shopify.verify(headers, body, "test-webhook-secret", None, SourceRules())  # type: ignore[arg-type]
    with pytest.raises(SignatureError):
        shopify.verify(headers, body.replace(b"123.45", b"123.46"), "test-webhook-secret", None, SourceRules())  # type: ignore[arg-type]


def test_shopify_test_notification_is_kept_as_ignored_naming_what_it_carries_and_stores_no_purchase(
    shop: Shop,
) -> None:
    answer = shop.shopify(TEST_NOTIFICATION, "orders/create", "wh-1")
    assert answer.status_code == 202, answer.text
    assert shop.inbox() == [
        (
            "ignored",
            "ignored",
            "order #9999 of john@test.com, 403.00 USD, is a test order (test: true): not a purchase",
        )
    ]
    assert shop.purchases() == []


def test_shopify_order_without_any_buyer_is_kept_as_ignored_naming_the_fields_it_looked_at(shop: Shop) -> None:
    answer = shop.shopify(PAID_WITHOUT_BUYER, "orders/paid", "wh-2")
    assert answer.status_code == 202, "a refusal would make Shopify retry, then drop the subscription"
    assert shop.inbox() == [
        (
            "ignored",
            "ignored",
            "order #1010 is not stored as a purchase: customer: a purchase needs its buyer, and "
            "customer.email, email, contact_email and customer.id are all empty",
        )
    ]
    assert shop.purchases() == []


def order_imported_before(shop: Shop) -> None:
    """The order the published refund refunds, as an earlier import of the shop's history left it."""
    row = {"customer": "buyer@example.com", "order_id": "6273085767965", "ordered_at": "2024-08-20T10:02:00-04:00"}
    import_rows(shop.ctx, [(1, row | {"amount": "45", "currency": "VND"})], source="shopify")


def test_shopify_refund_is_stored_negative_for_the_orders_customer_on_the_orders_day(shop: Shop) -> None:
    order_imported_before(shop)
    answer = shop.shopify(REFUND, "refunds/create", "wh-3")
    assert answer.status_code == 202, answer.text
    order, refund = (stored(r) for r in shop.purchases())
    assert order == ("buyer@example.com", None, "shopify", "6273085767965", "purchase", Decimal("45.00"),
                     date(2024, 8, 20), "VND")  # fmt: skip
    assert refund == ("buyer@example.com", None, "shopify", "6273085767965:1002961240349", "refund",
                      Decimal("-20.00"), date(2024, 8, 20), "VND")  # fmt: skip
    assert sum(r["amount"] for r in shop.purchases()) == Decimal("25.00"), "the refund nets its order"


def test_shopify_refund_redelivered_changes_nothing(shop: Shop) -> None:
    order_imported_before(shop)
    shop.shopify(REFUND, "refunds/create", "wh-3")
    again = shop.shopify(REFUND, "refunds/create", "wh-3")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    # Another subscription delivers the same refund under its own webhook id: the refund id keeps it once.
    other = shop.shopify(REFUND, "refunds/create", "wh-4")
    assert other.status_code == 202
    assert [(t, s) for t, s, _ in shop.inbox()] == [("purchase.refunded", "applied"), ("purchase.refunded", "skipped")]
    assert len(shop.purchases()) == 2


def test_shopify_refund_of_an_order_not_stored_waits_and_a_retry_after_importing_the_order_applies_it(
    shop: Shop,
) -> None:
    answer = shop.shopify(REFUND, "refunds/create", "wh-3")
    ((event_type, status, error),) = shop.inbox()
    assert (event_type, status) == ("purchase.refunded", "pending"), "parked for the reorder window"
    assert error == "refund of order '6273085767965': no such order from shopify is stored yet, and it names no buyer"
    order_imported_before(shop)
    assert retry(shop.ctx, answer.json()["id"]).status == "applied"
    assert [r["kind"] for r in shop.purchases()] == ["purchase", "refund"]


def test_shopify_bad_signature_is_401_and_stores_nothing(shop: Shop) -> None:
    answer = shop.shopify(REFUND, "refunds/create", "wh-5", hmac_value=signature(b"another body"))
    assert answer.status_code == 401
    assert answer.json() == {"error": "signature does not match"}
    assert shop.inbox() == []
    assert shop.purchases() == []


# --- WooCommerce -----------------------------------------------------------------------------------

WOO_ORDERS = [
    pytest.param(
        "woocommerce/order-event-pipedream-test-event.json",
        ("user@example.com", "1", "woocommerce", "15", "purchase", Decimal("0.00"), date(2023, 8, 16), "USD"),
        id="pipedream-completed",
    ),
    pytest.param(
        "woocommerce/order-created-activepieces-sample.json",
        ("email@gmail.com", "1", "woocommerce", "17", "purchase", Decimal("2.00"), date(2023, 7, 6), "USD"),
        id="activepieces-pending",
    ),
]


@pytest.mark.parametrize(("name", "expected"), WOO_ORDERS)
def test_woocommerce_order_is_stored_as_the_buyers_purchase(shop: Shop, name: str, expected: tuple[Any]) -> None:
    answer = shop.woocommerce(name)
    assert answer.status_code == 202, answer.text
    assert [stored(r) for r in shop.purchases()] == [expected]


def test_woocommerce_order_updated_after_created_changes_nothing(shop: Shop) -> None:
    name = "woocommerce/order-created-activepieces-sample.json"
    shop.woocommerce(name, "order.created", "d-1")
    assert shop.woocommerce(name, "order.created", "d-1").status_code == 200, "the same delivery: a duplicate"
    assert shop.woocommerce(name, "order.updated", "d-2").status_code == 202
    assert [(t, s) for t, s, _ in shop.inbox()] == [("purchase.made", "applied"), ("purchase.made", "skipped")]
    assert len(shop.purchases()) == 1


def test_woocommerce_ping_on_saving_the_webhook_is_200_and_stores_nothing(shop: Shop) -> None:
    # What WC_Webhook::deliver_ping posts: a form body, no signature, no JSON.
    answer = httpx.post(
        f"{shop.base_url}/webhooks/woocommerce",
        content=b"webhook_id=12",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (answer.status_code, answer.json()) == (200, {"status": "ping"})
    assert shop.inbox() == []


def test_woocommerce_bad_signature_is_401_and_stores_nothing(shop: Shop) -> None:
    raw = (SHOP / "woocommerce/order-created-activepieces-sample.json").read_bytes()
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Signature": signature(raw, "not-the-secret"),
    }
    assert shop.send("woocommerce", raw, headers).status_code == 401
    assert shop.inbox() == []
    assert shop.purchases() == []


def test_woocommerce_guest_order_without_email_is_kept_as_ignored_naming_the_fields(shop: Shop) -> None:
    body = json.loads((SHOP / "woocommerce/order-created-activepieces-sample.json").read_bytes())
    body["billing"]["email"], body["customer_id"] = "", 0  # a guest who left no email: cut from the real body
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-WC-Webhook-Topic": "order.created"}
    answer = shop.send("woocommerce", raw, headers | {"X-WC-Webhook-Signature": signature(raw)})
    assert answer.status_code == 202
    assert shop.inbox() == [
        (
            "ignored",
            "ignored",
            "order 17 is not stored as a purchase: customer: a purchase needs its buyer, and "
            "billing.email is empty and customer_id is 0 (a guest)",
        )
    ]
