"""The webhook's HTTP contract: 202 stored, 200 duplicate, and every hostile input answered, storing nothing."""

from __future__ import annotations

import json
import logging
import socket
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from intake.helpers import OPENED_EVENT, SECRET, AppClient, settings_for, signed_headers, source
from intake.server import serve
from recovery.clock import SettableClock
from recovery.config import WebhookSource
from recovery.engine.context import Context
from recovery.engine.inbox import apply_pending
from recovery.errors import ConfigError
from recovery.intake.app import create_app
from recovery.store.schema import inbox

EVENT = OPENED_EVENT


def stored(ctx: Context) -> int:
    """How many inbox rows exist."""
    with ctx.db.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(inbox)).scalar_one())


def post(client: AppClient, clock: SettableClock, body: Any = EVENT, kind: str = "generic", **kw: Any) -> Any:
    """POST ``body`` signed for ``kind`` to /webhooks/<kind>."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = signed_headers(kind, raw, clock.now()) | kw.pop("headers", {})
    return client.post(f"/webhooks/{kw.pop('name', kind)}", content=raw, headers=headers, **kw)


def test_a_new_delivery_is_stored_and_answered_202_with_its_inbox_id(
    client: AppClient, app_ctx: Context, clock: SettableClock
) -> None:
    answer = post(client, clock)
    assert answer.status_code == 202
    assert answer.json() == {"id": answer.json()["id"], "status": "accepted", "events": 1}
    assert stored(app_ctx) == 1


def test_the_same_delivery_again_is_answered_200_and_changes_nothing(
    client: AppClient, app_ctx: Context, clock: SettableClock
) -> None:
    first = post(client, clock)
    again = post(client, clock)
    assert again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "status": "duplicate", "events": 1}
    assert stored(app_ctx) == 1


def test_a_helpdesk_without_delivery_ids_is_deduplicated_by_the_body_hash(
    client: AppClient, app_ctx: Context, clock: SettableClock
) -> None:
    body = {"freshdesk_webhook": {"ticket_id": "9", "ticket_tags": "complaint", "ticket_requester_email": "a@b.co"}}
    assert post(client, clock, body, "freshdesk").status_code == 202
    assert post(client, clock, body, "freshdesk").status_code == 200
    assert stored(app_ctx) == 1


def test_a_delivery_that_carries_no_event_is_kept_as_ignored_with_why(
    client: AppClient, app_ctx: Context, clock: SettableClock
) -> None:
    answer = post(client, clock, {"type": "notification_event", "id": "n1", "topic": "ping", "data": {}}, "intercom")
    assert answer.status_code == 202
    assert answer.json()["events"] == 1  # the "ignored" event that keeps the reason
    apply_pending(app_ctx)
    with app_ctx.db.connect() as connection:
        row = connection.execute(select(inbox.c.event_type, inbox.c.status, inbox.c.error)).one()
    assert tuple(row) == ("ignored", "ignored", "Intercom topic 'ping' carries nothing for complaints")


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("no-signature", 401),
        ("bad-signature", 401),
        ("replayed", 401),
        ("unknown-source", 404),
        ("not-json-content-type", 415),
        ("malformed-json", 400),
        ("not-utf8", 400),
        ("deeply-nested", 400),
        ("wrong-shape", 422),
        ("too-large", 413),
    ],
)
def test_hostile_input_is_answered_and_stores_nothing(
    client: AppClient, app_ctx: Context, clock: SettableClock, case: str, status: int
) -> None:
    raw = json.dumps(EVENT).encode()
    headers = signed_headers("generic", raw, clock.now())
    name = "generic"
    if case == "no-signature":
        headers = {"Content-Type": "application/json"}
    elif case == "bad-signature":
        headers["X-Recovery-Signature"] = "sha256=" + "0" * 64
    elif case == "replayed":
        headers = signed_headers("generic", raw, clock.now() - timedelta(minutes=6))
    elif case == "unknown-source":
        name = "nosuch"
    elif case == "not-json-content-type":
        headers["Content-Type"] = "text/plain"
    elif case in ("malformed-json", "not-utf8", "deeply-nested"):
        raw = {"malformed-json": b'{"id": ', "not-utf8": b'{"id": "\xff\xfe"}', "deeply-nested": b"[" * 50_000}[case]
        headers = signed_headers("generic", raw, clock.now())
    elif case == "wrong-shape":
        raw = json.dumps({**EVENT, "occurred_at": "someday"}).encode()
        headers = signed_headers("generic", raw, clock.now())
    elif case == "too-large":
        raw = json.dumps({**EVENT, "summary": "x" * 70_000}).encode()
        headers = signed_headers("generic", raw, clock.now())

    answer = client.post(f"/webhooks/{name}", content=raw, headers=headers)

    assert answer.status_code == status, answer.text
    assert "error" in answer.json()
    assert stored(app_ctx) == 0


def test_wrong_shape_answer_names_the_field(client: AppClient, clock: SettableClock) -> None:
    answer = post(client, clock, {**EVENT, "occurred_at": "someday"})
    assert answer.status_code == 422
    assert answer.json()["field"] == "occurred_at"


def test_a_body_over_the_limit_is_refused_while_it_streams_without_a_content_length(
    app_ctx: Context, settings: Any, clock: SettableClock
) -> None:
    """A chunked body never announces its size: the server must count while reading."""
    with serve(create_app(app_ctx, settings)) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            head = (
                "POST /webhooks/generic HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            )
            conn.sendall(head.encode())
            chunk = b"[" + b" " * 8191
            try:
                for _ in range(64):  # 512 KiB offered against a 64 KiB limit
                    conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and stopped reading: that is the point
            answer = conn.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413")
    assert stored(app_ctx) == 0


def test_metrics_count_accepted_duplicate_and_rejected_by_source_and_reason(
    client: AppClient, clock: SettableClock
) -> None:
    post(client, clock)
    post(client, clock)
    post(client, clock, headers={"X-Recovery-Signature": "sha256=00"})
    text = client.get("/metrics").text
    assert 'recovery_webhook_deliveries_total{outcome="accepted",reason="",source="generic"} 1.0' in text
    assert 'recovery_webhook_deliveries_total{outcome="duplicate",reason="",source="generic"} 1.0' in text
    assert 'recovery_webhook_deliveries_total{outcome="rejected",reason="signature",source="generic"} 1.0' in text


def test_unknown_sources_are_counted_under_one_label(client: AppClient) -> None:
    for name in ("a", "b"):
        client.post(f"/webhooks/{name}", content=b"{}", headers={"Content-Type": "application/json"})
    assert 'outcome="rejected",reason="unknown_source",source="unknown"} 2.0' in client.get("/metrics").text


def test_healthz_reports_each_check_and_no_job_of_an_app_served_without_the_daemon(client: AppClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "failing": [],
        "checks": {
            "database": {"ok": True},
            "inbox": {"ok": True, "late": 0, "limit": 0, "age": 300.0},
            "outbox": {"ok": True, "pending": 0, "dead": 0, "pending_limit": 1000, "dead_limit": 100},
        },
    }


def test_healthz_answers_503_when_the_database_is_gone(app_ctx: Context, settings: Any, tmp_path: Any) -> None:
    from recovery.store.database import connect

    broken = Context(db=connect(f"sqlite:///{tmp_path}/missing/dir/x.db"), workflows=app_ctx.workflows)
    (tmp_path / "missing" / "dir").rmdir()
    answer = AppClient(create_app(broken, settings)).get("/healthz")
    assert answer.status_code == 503


def test_openapi_document_lists_every_answer_of_the_webhook(client: AppClient) -> None:
    document = client.get("/openapi.json").json()
    answers = document["paths"]["/webhooks/{source}"]["post"]["responses"]
    assert set(answers) == {"200", "202", "400", "401", "404", "413", "415", "422", "503"}
    assert set(document["paths"]) == {"/webhooks/{source}", "/healthz", "/metrics"}


def test_a_source_without_its_secret_refuses_to_start(app_ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOVERY_TEST_SECRET")
    with pytest.raises(ConfigError, match="RECOVERY_TEST_SECRET"):
        create_app(app_ctx, settings_for(source("zendesk")))


def test_an_unsigned_source_starts_with_a_warning_and_warns_on_every_request(
    app_ctx: Context, clock: SettableClock, caplog: pytest.LogCaptureFixture
) -> None:
    spec = WebhookSource(name="form", kind="generic", unsigned=True)
    with caplog.at_level(logging.WARNING, logger="recovery.intake"):
        client = AppClient(create_app(app_ctx, settings_for(spec)))
        answer = client.post(
            "/webhooks/form", content=json.dumps(EVENT).encode(), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 202
    messages = [r.getMessage() for r in caplog.records]
    assert any("webhook_unsigned_source" in m for m in messages)
    assert any("webhook_unsigned source=form" in m for m in messages)


def test_bad_source_options_refuse_to_start(app_ctx: Context) -> None:
    with pytest.raises(ConfigError, match="options"):
        create_app(app_ctx, settings_for(source("zendesk", flag_tags="x")))


def test_secret_is_read_from_the_environment_not_the_settings(client: AppClient, clock: SettableClock) -> None:
    raw = json.dumps(EVENT).encode()
    answer = client.post("/webhooks/generic", content=raw, headers=signed_headers("generic", raw, clock.now(), "x"))
    assert answer.status_code == 401
    assert SECRET not in answer.text


def test_the_commented_source_examples_in_the_shipped_config_start_an_app(
    app_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tomllib
    from pathlib import Path

    from recovery.config import Settings

    text = (Path(__file__).resolve().parents[2] / "config" / "recovery.toml").read_text()
    block = text[text.index("# [[webhook.sources]]") :].split("\n\n[")[0]
    lines = [line[2:] if line.startswith("# ") else "" for line in block.splitlines()]
    for name in ("RECOVERY_ZENDESK_SECRET", "RECOVERY_FRESHDESK_SECRET", "RECOVERY_SHOP_SECRET"):
        monkeypatch.setenv(name, "x")
    settings = Settings(**tomllib.loads("\n".join(lines)))

    app = create_app(app_ctx, settings)

    paths = AppClient(app).get("/openapi.json").json()["info"]["description"]
    assert paths == "Sources: freshdesk, shop, zendesk"


def test_a_client_that_hangs_up_while_its_delivery_is_stored_does_not_stall_the_others(
    app_ctx: Context, clock: SettableClock
) -> None:
    import anyio

    from recovery.intake.deliveries import GroupCommit, rows_of
    from recovery.intake.delivery import Delivery
    from recovery.intake.rules import SourceRules
    from recovery.intake.sources import generic

    def rows(n: int) -> list[dict[str, Any]]:
        body = {**EVENT, "id": f"evt_{n}"}
        raw = json.dumps(body).encode()
        events = generic.parse(body, SourceRules(), Delivery.of({}, raw, clock.now()))
        return rows_of("generic", events, clock.now(), "-")

    async def scenario() -> list[Any]:
        commit = GroupCommit(app_ctx.db)
        answers: list[Any] = []
        async with anyio.create_task_group() as group:

            async def hang_up() -> None:
                with anyio.move_on_after(0):
                    await commit.store(rows(1))

            async def wait() -> None:
                answers.append(await commit.store(rows(2)))

            group.start_soon(hang_up)
            group.start_soon(wait)
        return answers

    answers = anyio.run(scenario)
    assert [a.duplicate for a in answers] == [False]
    assert stored(app_ctx) == 2
