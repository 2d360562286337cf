"""Hardening of the webhook app (issue 9.10): no redirect, no SQL values in messages, an admin token off loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from intake.helpers import OPENED_EVENT, SECRET, AppClient, signed_headers
from recovery.clock import SettableClock
from recovery.config import Settings, SettingsError, WebhookSource
from recovery.engine.context import Context
from recovery.errors import ConfigError
from recovery.intake.app import create_app
from recovery.store.schema import runtime

EVENT = OPENED_EVENT
WITH_SECRET = {"RECOVERY_TEST_SECRET": SECRET}
TOKEN = "adm1n-t0ken"


def post(client: AppClient, clock: SettableClock, path: str = "/webhooks/generic", **headers: str) -> Any:
    raw = json.dumps(EVENT).encode()
    return client.post(path, content=raw, headers=signed_headers("generic", raw, clock.now()) | headers)


def test_a_trailing_slash_is_not_redirected_to_a_host_the_client_chose(client: AppClient, clock: SettableClock) -> None:
    answer = post(client, clock, "/webhooks/generic/", Host="attacker.example")

    assert answer.status_code == 404
    assert "location" not in answer.headers
    assert client.get("/healthz/").status_code == 404


def test_a_failed_statement_carries_no_values_into_its_message(db: Engine, clock: SettableClock) -> None:
    row = {"key": "k", "value": {"email": "ann@example.com", "summary": "my private complaint"}}
    with db.begin() as connection:
        connection.execute(insert(runtime).values(**row, updated_at=clock.now()))

    with pytest.raises(IntegrityError) as caught, db.begin() as connection:
        connection.execute(insert(runtime).values(**row, updated_at=clock.now()))

    assert "ann@example.com" not in str(caught.value)
    assert "my private complaint" not in str(caught.value)
    assert "hide_parameters" in str(caught.value)


def test_a_delivery_when_the_database_cannot_be_written_is_answered_503(
    app_ctx: Context, settings: Settings, clock: SettableClock, tmp_path: Any
) -> None:
    from recovery.store.database import connect

    broken = Context(db=connect(f"sqlite:///{tmp_path}/gone/x.db"), workflows=app_ctx.workflows, clock=clock)
    (tmp_path / "gone").rmdir()

    answer = post(AppClient(create_app(broken, settings)), clock)

    assert answer.status_code == 503
    assert answer.json() == {"error": "the inbox cannot be written right now; retry later"}
    broken.db.dispose()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "recovery.example.com"])
def test_off_loopback_the_app_refuses_to_start_without_the_admin_token(
    sqlite_ctx: Context, settings: Settings, host: str
) -> None:
    with pytest.raises(ConfigError, match=r"listening on .* needs a token .* set \$RECOVERY_ADMIN_TOKEN"):
        create_app(sqlite_ctx, settings, host=host, environ=WITH_SECRET)


def test_with_the_admin_token_metrics_and_the_document_need_it_and_deliveries_and_health_do_not(
    sqlite_ctx: Context, settings: Settings, clock: SettableClock
) -> None:
    environ = {**WITH_SECRET, "RECOVERY_ADMIN_TOKEN": TOKEN}
    client = AppClient(create_app(sqlite_ctx, settings, host="0.0.0.0", environ=environ))

    for path in ("/metrics", "/openapi.json"):
        refused = client.get(path)
        assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Bearer"), path
        assert "freshdesk" not in refused.text  # the source names stay private
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert post(client, clock).status_code == 202


def test_the_token_variable_is_named_by_the_settings(sqlite_ctx: Context) -> None:
    spec = WebhookSource(name="generic", kind="generic", secret_env="RECOVERY_TEST_SECRET")
    settings = Settings(webhook={"sources": [spec], "admin_token_env": "MY_TOKEN"})
    client = AppClient(create_app(sqlite_ctx, settings, host="0.0.0.0", environ={**WITH_SECRET, "MY_TOKEN": "x"}))

    assert client.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 200


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_on_loopback_the_token_is_optional_and_required_once_set(
    sqlite_ctx: Context, settings: Settings, host: str
) -> None:
    open_app = AppClient(create_app(sqlite_ctx, settings, host=host, environ=WITH_SECRET))
    guarded = AppClient(
        create_app(sqlite_ctx, settings, host=host, environ={**WITH_SECRET, "RECOVERY_ADMIN_TOKEN": TOKEN})
    )

    assert open_app.get("/metrics").status_code == 200
    assert guarded.get("/metrics").status_code == 401


def test_the_default_bind_stays_on_loopback() -> None:
    assert Settings().webhook.host == "127.0.0.1"


def test_a_source_name_longer_than_its_column_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="at most 64 characters"):
        WebhookSource(name="s" * 65, kind="generic", unsigned=True)
