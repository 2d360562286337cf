"""The webhook ASGI app: verify, store durably and idempotently, answer. Applying happens later.

The request path is short on purpose: read the body (refusing it past ``webhook.max_body`` while
it streams), check the source's credentials, parse it into events, one INSERT per event in one
transaction, answer. ``recovery.engine.inbox.apply_pending`` applies the stored events.
``/metrics`` and ``/openapi.json`` need the admin token when one is set (always off loopback).
The survey form (``/s/{token}``, ``recovery.intake.survey_form``) is served here too, without it,
and the team's dashboard (``/`` and below, ``recovery.intake.dashboard``) behind its own sign-in.
"""

from __future__ import annotations

import gc
import hmac
import ipaddress
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError, StatementError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from recovery.config import Settings, WebhookSettings, WebhookSource
from recovery.core.definition import Workflow
from recovery.engine.context import Context
from recovery.errors import ConfigError
from recovery.intake.dashboard import dashboard_routes
from recovery.intake.deliveries import GroupCommit, rows_of
from recovery.intake.delivery import Adapter, Delivery
from recovery.intake.errors import ShapeError, SignatureError
from recovery.intake.events import unstorable
from recovery.intake.health import Limits, Readiness
from recovery.intake.metrics import DatabaseCollector, JobMetrics
from recovery.intake.openapi import document
from recovery.intake.rules import SourceRules
from recovery.intake.sources import adapter
from recovery.intake.survey_form import survey_routes

log = logging.getLogger("recovery.intake")

Endpoint = Callable[[Request], Awaitable[Response]]


class Refusal(Exception):
    """An answer other than success: status, reason label for the counter, message, and field for 422."""

    def __init__(self, status: int, reason: str, message: str, field: str | None = None) -> None:
        self.status, self.reason, self.message, self.field = status, reason, message, field
        super().__init__(message)


@dataclass(frozen=True)
class Source:
    """A configured source: its adapter, rules and secret (None only when marked unsigned)."""

    name: str
    kind: str
    adapter: Adapter
    rules: SourceRules
    secret: str | None


def sources_of(
    settings: Settings, environ: Mapping[str, str] | None = None, workflow: Workflow | None = None
) -> dict[str, Source]:
    """The configured sources; ConfigError for a missing secret (unless unsigned) or bad options.

    With ``workflow`` (the one helpdesk complaints open in), every step a rule names must be one of its.
    """
    env = os.environ if environ is None else environ
    found: dict[str, Source] = {}
    for spec in settings.webhook.sources:
        secret = env.get(spec.secret_env) if spec.secret_env else None
        if not secret and not spec.unsigned:
            where = f"${spec.secret_env}" if spec.secret_env else "no secret_env"
            raise ConfigError(
                f"webhook.sources {spec.name}: no secret ({where} is unset); set it or mark the source unsigned = true"
            )
        if not secret:
            log.warning("event=webhook_unsigned_source source=%s kind=%s: anyone may post to it", spec.name, spec.kind)
        found[spec.name] = Source(spec.name, spec.kind, adapter(spec.kind), _rules(spec, workflow), secret or None)
    return found


def _rules(spec: WebhookSource, workflow: Workflow | None) -> SourceRules:
    try:
        rules = SourceRules.from_options(spec.options)
        return rules if workflow is None else rules.bind(workflow)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"webhook.sources {spec.name}: options: {exc}") from exc


class Metrics:
    """Prometheus counters of deliveries by source, outcome (accepted, duplicate, rejected) and reason."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "recovery_webhook_deliveries",
            "Webhook deliveries by source, outcome and reason.",
            ["source", "outcome", "reason"],
            registry=self.registry,
        )

    def count(self, source: str, outcome: str, reason: str = "") -> None:
        """Count one answered delivery."""
        self.deliveries.labels(source, outcome, reason).inc()


class Intake:
    """The ``POST /webhooks/{source}`` handler and what it needs."""

    def __init__(
        self,
        ctx: Context,
        sources: dict[str, Source],
        max_body: int,
        metrics: Metrics,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self.ctx, self.sources, self.max_body, self.metrics = ctx, sources, max_body, metrics
        self.inbox = GroupCommit(ctx.db)
        self.on_stored = on_stored  # wakes the applier: an accepted event is applied within a second

    async def receive(self, request: Request) -> Response:
        """Answer one delivery: 202 stored, 200 duplicate, or the refusal's status; never 5xx for bad input."""
        name = str(request.path_params["source"])
        source = self.sources.get(name)
        label = name if source is not None else "unknown"
        try:
            if source is None:
                raise Refusal(404, "unknown_source", f"unknown source {name[:64]!r}")
            answer = await self._accept(source, request)
        except Refusal as refusal:
            self.metrics.count(label, "rejected", refusal.reason)
            body: dict[str, Any] = {"error": refusal.message}
            if refusal.field is not None:
                body["field"] = refusal.field
            return JSONResponse(body, status_code=refusal.status)
        return answer

    async def _accept(self, source: Source, request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        ping: Callable[[Mapping[str, str], bytes], bool] | None = getattr(source.adapter, "ping", None)
        if ping is None:
            _check_json_type(content_type)
        raw = await self._read(request)
        if ping is not None:
            if ping(request.headers, raw):  # unsigned by its sender, and it stores nothing: safe to answer
                self.metrics.count(source.name, "ping")
                return JSONResponse({"status": "ping"}, status_code=200)
            _check_json_type(content_type)
        now = self.ctx.clock.now()
        if source.secret is None:
            log.warning("event=webhook_unsigned source=%s: accepted without verification", source.name)
        else:
            try:
                source.adapter.verify(request.headers, raw, source.secret, now, source.rules)
            except SignatureError as exc:
                raise Refusal(401, "signature", str(exc)) from None
        payload = _decode(raw)
        delivery = Delivery.of(request.headers, raw, now)
        events = _parse(source, payload, delivery)
        rows = rows_of(source.name, events, now, f"ignored:{delivery.body_hash}")
        try:
            stored = await self.inbox.store(rows)
        except Exception as exc:
            raise _storage_refusal(source.name, exc) from None
        outcome = "duplicate" if stored.duplicate else "accepted"
        if not stored.duplicate and self.on_stored is not None:
            self.on_stored()
        self.metrics.count(source.name, outcome)
        status = 200 if stored.duplicate else 202
        return JSONResponse({"id": stored.inbox_id, "status": outcome, "events": len(events)}, status_code=status)

    async def _read(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise Refusal(413, "too_large", f"body over {self.max_body} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.max_body:
                    raise Refusal(413, "too_large", f"body over {self.max_body} bytes")
                chunks.append(chunk)
        except ClientDisconnect:  # it hung up, or its body was too slow (webhook.body_timeout): nobody to answer
            raise Refusal(400, "incomplete", "the connection closed before the body arrived") from None
        return b"".join(chunks)


def _storage_refusal(source: str, exc: Exception) -> Refusal:
    """422 for values the database refused (this delivery alone: its neighbours were stored); 503 otherwise."""
    reason = refused_values(exc)
    if reason is not None:
        log.warning("event=webhook_unstorable source=%s error=%s: %s", source, type(exc).__name__, reason)
        return Refusal(422, "unstorable", f"a value of this delivery cannot be stored: {reason}", "body")
    if not isinstance(exc, SQLAlchemyError):
        raise exc  # a bug, not the database: let it be a 500 with its traceback in the log
    log.error("event=webhook_store_failed source=%s error=%s", source, type(exc).__name__)
    return Refusal(503, "storage", "the inbox cannot be written right now; retry later")


def _check_json_type(content_type: str) -> None:
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise Refusal(415, "not_json", f"expected Content-Type application/json, got {media[:60]!r}")


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise Refusal(400, "malformed_json", f"malformed JSON: {str(exc)[:120]}") from None


def _parse(source: Source, payload: Any, delivery: Delivery) -> list[Any]:
    try:
        events = source.adapter.parse(payload, source.rules, delivery)
        unstorable(events)
        return events
    except ShapeError as exc:
        raise Refusal(422, "shape", str(exc), exc.field) from None
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
        # A shape no adapter rule foresaw: still the sender's problem, never a 500.
        log.warning("event=webhook_unexpected_shape source=%s error=%r", source.name, exc)
        raise Refusal(422, "shape", "not an event this source sends", "body") from None


def refused_values(exc: BaseException) -> str | None:
    """Why the database refused a delivery's values as bad data (too long, unencodable), or None for other errors."""
    if isinstance(exc, DataError | IntegrityError):
        return _first_line(exc.orig)
    cause = exc.orig if isinstance(exc, StatementError) else exc  # a value no driver could even send
    if isinstance(cause, ValueError | TypeError | OverflowError):  # UnicodeEncodeError is a ValueError
        return _first_line(cause)
    return None


def _first_line(exc: BaseException | None) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:160] if lines else type(exc).__name__


def create_app(
    ctx: Context,
    settings: Settings,
    *,
    jobs: Mapping[str, timedelta] | None = None,
    host: str | None = None,
    environ: Mapping[str, str] | None = None,
    on_stored: Callable[[], None] | None = None,
    job_metrics: JobMetrics | None = None,
) -> Starlette:
    """The webhook app for ``settings.webhook``; ConfigError when a signed source has no secret.

    ``jobs`` are the daemon's jobs and their intervals, whose ticks ``/healthz`` checks; ``host`` is
    where it will listen (default ``webhook.host``): off loopback, the admin token is required;
    ``on_stored`` is called after each newly stored delivery (the daemon wakes its applier);
    ``job_metrics`` are the daemon's job durations and failures, shown on ``/metrics``.
    """
    env = os.environ if environ is None else environ
    token = admin_token(settings.webhook, host or settings.webhook.host, env)
    metrics = Metrics()
    metrics.registry.register(DatabaseCollector(ctx))
    if job_metrics is not None:
        metrics.registry.register(job_metrics)
    workflow = ctx.workflows.current(ctx.default_workflow)
    sources = sources_of(settings, env, workflow=workflow)
    intake = Intake(ctx, sources, settings.webhook.max_body_bytes, metrics, on_stored)
    health = Readiness(ctx, Limits.of(settings.health), jobs)

    async def healthz(request: Request) -> Response:
        status, body = await health.answer()
        return JSONResponse(body, status_code=status)

    async def metrics_text(request: Request) -> Response:
        # The scrape reads the database: off the event loop, as /healthz does.
        body = await run_in_threadpool(generate_latest, metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    spec = document(sorted(intake.sources), settings.webhook.max_body_bytes)

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec)

    routes = [
        Route("/webhooks/{source}", intake.receive, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", _guarded(metrics_text, token), methods=["GET"]),
        Route("/openapi.json", _guarded(openapi, token), methods=["GET"]),
        *survey_routes(ctx, settings.webhook.max_body_bytes),  # public: the signed link is the key
        # The team's dashboard at / (signed in); off loopback only with its secret, else 503 pages.
        *dashboard_routes(ctx, settings, loopback=_is_loopback(host or settings.webhook.host), environ=env),
    ]

    app = Starlette(routes=routes, lifespan=_lifespan)
    # /webhooks/shop/ would be redirected (307) to a Location built from the client's Host header.
    app.router.redirect_slashes = False
    return app


def admin_token(webhook: WebhookSettings, host: str, environ: Mapping[str, str]) -> str | None:
    """The bearer token of /metrics and /openapi.json, or None (open) on loopback when none is set.

    ConfigError when the app will listen beyond loopback and ``$<webhook.admin_token_env>`` is unset.
    """
    token = environ.get(webhook.admin_token_env) or None
    if token is None and not _is_loopback(host):
        raise ConfigError(
            f"webhook: listening on {host} needs a token for /metrics and /openapi.json: "
            f"set ${webhook.admin_token_env} (webhook.admin_token_env), or listen on 127.0.0.1"
        )
    return token


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _guarded(endpoint: Endpoint, token: str | None) -> Endpoint:
    """``endpoint`` behind ``Authorization: Bearer <token>``; unchanged when there is no token."""
    if token is None:
        return endpoint
    expected = f"Bearer {token}".encode()

    async def guarded(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            body = {"error": "this endpoint needs Authorization: Bearer <the admin token>"}
            return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return await endpoint(request)

    return guarded


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    """At server start, exempt everything built so far from the cyclic GC.

    Settings, workflows, SQLAlchemy's caches live as long as the process; without this a full
    collection walks them all (~60 ms here), and every request in flight waits for it.
    """
    gc.freeze()
    yield
