"""`create_service_app`: what every FastAPI service shares.

Error handlers (problem+json), request ids, JSON logs, Prometheus metrics on `/metrics`,
`/healthz` (process alive) and `/readyz` (database reachable), one engine and one httpx client
per process, and the outbox relay for services that produce events.
"""

from __future__ import annotations

import asyncio
import gc
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import structlog
from asgi_correlation_id import correlation_id
from asgi_correlation_id.middleware import is_valid_uuid4
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, Summary
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.routing import get_route_name
from pydantic import BaseModel
from sqlalchemy import text
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.context import current_service
from shared.db import create_engine, create_sessionmaker
from shared.errors import (
    PROBLEM_MEDIA_TYPE,
    PROBLEM_TYPE_PREFIX,
    PayloadTooLarge,
    Problem,
    ServiceUnavailable,
    install_error_handlers,
)
from shared.http import ServiceTokens, create_http_client
from shared.logging import configure_logging
from shared.outbox import OutboxRelay
from shared.settings import Settings, get_settings

log = structlog.get_logger(__name__)

LifespanHook = Callable[[FastAPI], Awaitable[None]]


class Health(BaseModel):
    status: str
    service: str


class ServiceNameMiddleware:
    """Sets `current_service` for audit rows, outbox producers and log lines."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = current_service.set(self.service)
        try:
            await self.app(scope, receive, send)
        finally:
            current_service.reset(token)


UNMEASURED = frozenset({"/healthz", "/readyz", "/metrics"})
# prometheus-fastapi-instrumentator's buckets for `http_request_duration_highr_seconds`.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4,
                   4.5, 5, 7.5, 10, 30, 60)  # fmt: skip


class RequestMetrics:
    """The request metrics `/metrics` serves: prometheus-fastapi-instrumentator's default
    series (requests by method, status class and route template; request and response
    Content-Length by route; latency, and latency by method and route) under their names."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total",
            "Total number of requests by method, status and handler.",
            ("method", "status", "handler"),
            registry=registry,
        )
        self.request_sizes = Summary(
            "http_request_size_bytes",
            "Content length of incoming requests by handler (the header's value).",
            ("handler",),
            registry=registry,
        )
        self.response_sizes = Summary(
            "http_response_size_bytes",
            "Content length of outgoing responses by handler (the header's value).",
            ("handler",),
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_highr_seconds",
            "Latency with many buckets but no API specific labels.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.latency_by_route = Histogram(
            "http_request_duration_seconds",
            "Latency with only few buckets by handler.",
            ("method", "handler"),
            buckets=(0.1, 0.5, 1),
            registry=registry,
        )
        self.labelled: dict[tuple[str, str, str], tuple[Any, Any, Any, Any]] = {}

    def record(self, scope: Scope, status: int, size: int, seconds: float) -> None:
        """One answer. Its route is the one the router chose (`scope["route"]`); an answer
        given without one (docs, redirects, 404s) is looked up as the library does ("none")."""
        handler = (
            getattr(scope.get("route"), "path", None)
            or get_route_name(Request(scope), should_include_root_path=False)
            or "none"
        )
        if handler in UNMEASURED:
            return
        requests, request_sizes, response_sizes, latency = self.series(
            scope["method"], f"{str(status)[0]}xx", handler
        )
        requests.inc()
        request_sizes.observe(_content_length(scope["headers"]))
        response_sizes.observe(size)
        self.latency.observe(seconds)
        latency.observe(seconds)

    def series(self, method: str, status: str, handler: str) -> tuple[Any, Any, Any, Any]:
        """The series of one method, status class and route, kept (there are few)."""
        found = self.labelled.get((method, status, handler))
        if found is None:
            found = self.labelled[method, status, handler] = (
                self.requests.labels(method, status, handler),
                self.request_sizes.labels(handler),
                self.response_sizes.labels(handler),
                self.latency_by_route.labels(method, handler),
            )
        return found


class RequestMetricsMiddleware:
    """Records every answer in `RequestMetrics`, reading the route the router already chose.
    The library's own middleware looked it up again through every router and built a Request,
    a Response and an Info each time: ~50 µs of the 12345 webhook's CPU per delivery
    (docs/PERFORMANCE.md "hotline_ingest")."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = {"status": 500, "size": 0}

        async def measured(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
                answered["size"] = _content_length(message.get("headers", ()))
            await send(message)

        try:
            await self.app(scope, receive, measured)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.record(scope, answered["status"], answered["size"], seconds)


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int:
    value = next((v for name, v in headers if name == b"content-length"), b"")
    return int(value) if value.isdigit() else 0


class RequestIdMiddleware:
    """The request id: the caller's `X-Request-ID` when it is a UUID (asgi-correlation-id's
    check), else a new one; in asgi-correlation-id's `correlation_id` for the log lines and
    problem+json, and on the answer. That library's middleware does the same with copies of the
    request's and the answer's header lists, twice this one's cost on the 12345 webhook
    (docs/PERFORMANCE.md "hotline_ingest")."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")
                if not is_valid_uuid4(request_id):
                    log.warning("request_id_replaced", given=request_id[:64])
                    request_id = ""
                break
        request_id = request_id or uuid.uuid4().hex
        correlation_id.set(request_id)
        header = (b"x-request-id", request_id.encode())

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        await self.app(scope, receive, with_id)


# On every answer of the services (JSON, problem+json, the report's HTML preview, files): nothing
# may load or frame it; the SPA's own policy is deploy/nginx.conf's (make up: web/vite.config.ts).
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    ),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimitMiddleware:
    """Caps a request's body before anything parses it (and before the token is checked): a
    declared Content-Length over the cap is answered 413 at once; a body without one is counted
    as it streams and refused when it passes the cap. Upload routes (multipart evidence and
    imports) name their own larger caps; every other body gets `request_body_max_bytes`."""

    def __init__(
        self, app: ASGIApp, default_limit: int, route_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.route_limits = [(re.compile(p), n) for p, n in (route_limits or {}).items()]

    def limit_for(self, path: str) -> int:
        return next((n for p, n in self.route_limits if p.fullmatch(path)), self.default_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, detail=_too_large_detail(limit))
            return message

        await self.app(scope, counted, send)


def _too_large_detail(limit: int) -> str:
    return f"请求内容超过 {limit / 1024 / 1024:g} MB 上限"


def _too_large(limit: int) -> JSONResponse:
    body = Problem(
        type=PROBLEM_TYPE_PREFIX + PayloadTooLarge.code,
        title=PayloadTooLarge.title,
        status=413,
        detail=_too_large_detail(limit),
        code=PayloadTooLarge.code,
        request_id=correlation_id.get(),
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=413, media_type=PROBLEM_MEDIA_TYPE
    )


def health_router(service: str) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=Health, summary="Liveness")
    async def healthz() -> Health:
        return Health(status="ok", service=service)

    @router.get("/readyz", response_model=Health, summary="Readiness: the database answers")
    async def readyz(request: Request) -> Health:
        try:
            async with request.app.state.sessionmaker() as session:
                await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=2)
        except Exception as exc:
            raise ServiceUnavailable("数据库暂不可用") from exc
        return Health(status="ready", service=service)

    return router


def create_service_app(
    *,
    service: str,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    routes: Sequence[BaseRoute] = (),
    settings: Settings | None = None,
    produces_events: bool = False,
    on_startup: Sequence[LifespanHook] = (),
    on_shutdown: Sequence[LifespanHook] = (),
    upload_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """`routes`: matched before any router (a busy path is found at once: FastAPI tries its
    included routers one by one); `upload_limits`: path regex → body cap for the routes that
    take files (the rest get `settings.request_body_max_bytes`)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        token = current_service.set(service)
        engine = None
        if getattr(app.state, "sessionmaker", None) is None:
            engine = create_engine(settings)
            app.state.sessionmaker = create_sessionmaker(engine)
        app.state.http = create_http_client(settings)
        relay_task: asyncio.Task[None] | None = None
        if produces_events:
            app.state.relay = OutboxRelay(
                app.state.sessionmaker, app.state.http, settings, service, ServiceTokens(settings)
            )
            if settings.outbox_relay_enabled:
                relay_task = asyncio.create_task(app.state.relay.run(), name="outbox-relay")
        for hook in on_startup:
            await hook(app)
        # Everything built at start-up (models, schemas, routes) lives for the process: keep it
        # out of the cyclic GC so collections stay short under load.
        gc.collect()
        gc.freeze()
        log.info("service_started", service=service)
        try:
            yield {}
        finally:
            for hook in on_shutdown:
                await hook(app)
            if relay_task is not None:
                relay_task.cancel()
                await asyncio.gather(relay_task, return_exceptions=True)
            await app.state.http.aclose()
            if engine is not None:
                await engine.dispose()
            current_service.reset(token)

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        routes=list(routes),
        # Metrics are Prometheus's (`RequestMetrics`); FastAPI's OpenTelemetry bridge would only
        # ask, on every request, whether a tracer, meter or logger provider was configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.service = service
    app.state.sessionmaker = None
    app.state.relay = None
    app.state.token_versions = {}  # user id → (checked at, version): shared.auth
    install_error_handlers(app)
    app.include_router(health_router(service))
    for router in routers:
        app.include_router(router)
    registry = CollectorRegistry()
    app.add_middleware(RequestMetricsMiddleware, metrics=RequestMetrics(registry))
    Instrumentator(registry=registry).expose(app, endpoint="/metrics", include_in_schema=False)
    app.add_middleware(ServiceNameMiddleware, service=service)
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=settings.request_body_max_bytes,
        route_limits=upload_limits,
    )
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
