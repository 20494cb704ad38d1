"""`create_service_app`: what every FastAPI service shares.

Error handlers (problem+json), request ids, JSON logs, Prometheus metrics on `/metrics`,
`/healthz` (process alive) and `/readyz` (database reachable), one engine and one httpx client
per process, and the outbox relay for services that produce events.
"""

from __future__ import annotations

import asyncio
import bisect
import gc
import itertools
import re
import time
import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from asgi_correlation_id import correlation_id
from asgi_correlation_id.middleware import is_valid_uuid4
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.routing import get_route_name
from pydantic import BaseModel
from sqlalchemy import text
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.context import current_service
from shared.db import create_engine, create_sessionmaker
from shared.downloads import DOCX, PDF, XLSX
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


UNMEASURED = frozenset({"/healthz", "/readyz", "/metrics"})
# prometheus-fastapi-instrumentator's buckets for `http_request_duration_highr_seconds`.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4,
                   4.5, 5, 7.5, 10, 30, 60)  # fmt: skip
ROUTE_BUCKETS = (0.1, 0.5, 1)  # and its `http_request_duration_seconds`


class Distribution:
    """A histogram's observations: a count per bucket (the last one past every bound) and the
    sum."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        # The bounds' labels as the library writes them ("1.0", "+Inf").
        self.labels = [*(floatToGoString(b) for b in self.bounds), "+Inf"]  # type: ignore[no-untyped-call]
        self.counts = [0] * (len(self.bounds) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1  # le: value <= bound
        self.total += value

    def buckets(self) -> list[tuple[str, float]]:
        """Cumulative, as Prometheus exposes them, "+Inf" last."""
        return list(zip(self.labels, itertools.accumulate(self.counts), strict=True))


@dataclass(slots=True)
class Sizes:
    """Content-Length of a route's requests and answers: one count for both summaries."""

    count: int = 0
    requests: int = 0
    answers: int = 0


class RequestMetrics(Collector):
    """The request metrics `/metrics` serves: prometheus-fastapi-instrumentator's default
    series (requests by method, status class and route template; request and response
    Content-Length by route; latency, and latency by method and route) under their names.

    Recorded as plain numbers and exposed through prometheus_client's collector API: every
    request is recorded by the event loop's one thread, so it needs none of the lock per
    observation that the library's metric objects take (9 of them per request, ~5 of the 12345
    webhook's µs, docs/PERFORMANCE.md "hotline_ingest"). `collect` runs in the `/metrics`
    handler's worker thread and reads copies taken under the GIL."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests: dict[tuple[str, str, str], int] = {}
        self.sizes: dict[str, Sizes] = {}
        self.latency = Distribution(LATENCY_BUCKETS)
        self.latency_by_route: dict[tuple[str, str], Distribution] = {}
        registry.register(self)

    def record(self, scope: Scope, status: int, asked: int, answered: int, seconds: float) -> None:
        """One answer (`asked`, `answered`: the request's and the answer's Content-Length, 0
        when not declared). Its route is the one the router chose (`scope["route"]`); an answer
        given without one (docs, redirects, 404s) is looked up as the library does ("none")."""
        handler = (
            getattr(scope.get("route"), "path", None)
            or get_route_name(Request(scope), should_include_root_path=False)
            or "none"
        )
        if handler in UNMEASURED:
            return
        method = scope["method"]
        key = (method, f"{status // 100}xx", handler)
        self.requests[key] = self.requests.get(key, 0) + 1
        sizes = self.sizes.get(handler) or self.sizes.setdefault(handler, Sizes())
        sizes.count += 1
        sizes.requests += asked
        sizes.answers += answered
        self.latency.observe(seconds)
        by_route = self.latency_by_route.get((method, handler))
        if by_route is None:
            by_route = self.latency_by_route[method, handler] = Distribution(ROUTE_BUCKETS)
        by_route.observe(seconds)

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "http_requests_total",
            "Total number of requests by method, status and handler.",
            labels=("method", "status", "handler"),
        )
        for labels, count in list(self.requests.items()):
            requests.add_metric(labels, count)
        yield requests
        sizes = list(self.sizes.items())
        for name, field, what in (
            ("http_request_size_bytes", "requests", "incoming requests"),
            ("http_response_size_bytes", "answers", "outgoing responses"),
        ):
            summary = SummaryMetricFamily(
                name,
                f"Content length of {what} by handler (the header's value).",
                labels=("handler",),
            )
            for handler, of in sizes:
                summary.add_metric((handler,), count_value=of.count, sum_value=getattr(of, field))
            yield summary
        latency = HistogramMetricFamily(
            "http_request_duration_highr_seconds",
            "Latency with many buckets but no API specific labels.",
        )
        latency.add_metric((), self.latency.buckets(), self.latency.total)
        yield latency
        by_route = HistogramMetricFamily(
            "http_request_duration_seconds",
            "Latency with only few buckets by handler.",
            labels=("method", "handler"),
        )
        for route, distribution in list(self.latency_by_route.items()):
            by_route.add_metric(route, distribution.buckets(), distribution.total)
        yield by_route


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The declared Content-Length, None when there is none (or it is not a number)."""
    value = next((v for name, v in headers if name == b"content-length"), b"")
    return int(value) if value.isdigit() else None


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


# Answers over 1 KiB are gzip-compressed for a client that accepts it (issue #24), in every
# deployment alike (`make up`'s Vite proxy passes them on as they are; nginx does not compress
# again). Level 1, nginx's own default: the demo year's battle map (244 KB of JSON) becomes 31 KB
# in ~1.4 ms, where level 6 made 23 KB in ~3.8 ms of a request that must stay under 50 ms
# (docs/PERFORMANCE.md, battle map). Files that are compressed
# already (Office documents and PDFs, besides Starlette's images and archives) and the event
# stream are sent as they are.
COMPRESS_MIN_BYTES = 1024
COMPRESS_LEVEL = 1
NOT_COMPRESSED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, DOCX, XLSX, PDF)


class Compression:
    """Starlette's `GZipMiddleware`, except on the paths that answer only a few bytes and must
    pay nothing for it (the 12345 webhook)."""

    def __init__(self, app: ASGIApp, skip_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.skip_prefixes = skip_prefixes
        self.gzip = GZipMiddleware(
            app,
            minimum_size=COMPRESS_MIN_BYTES,
            compresslevel=COMPRESS_LEVEL,
            exclude_content_types=NOT_COMPRESSED,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
        else:
            await self.gzip(scope, receive, send)


class ServiceMiddleware:
    """What every request of a service goes through, in one pure-ASGI layer (one wrapper of
    `send` instead of one per concern: the 12345 webhook pays it on every delivery,
    docs/PERFORMANCE.md "hotline_ingest"), in this order:

    1. `current_service` is set, for audit rows, outbox producers and log lines;
    2. the request id: the caller's `X-Request-ID` when it is a UUID (asgi-correlation-id's
       check), else a new one, in asgi-correlation-id's `correlation_id` for the log lines and
       problem+json, and on the answer;
    3. the body cap, before anything parses the body (or checks the token): a declared
       Content-Length over the cap is answered 413 at once, a body without one is counted as
       it streams and refused when it passes the cap. Upload routes (multipart evidence and
       imports) name their own larger caps; every other body gets `request_body_max_bytes`;
    4. the security headers on every answer (those it does not set itself);
    5. the answer recorded in `RequestMetrics` (route, status class, sizes, latency).
    """

    def __init__(
        self,
        app: ASGIApp,
        service: str,
        metrics: RequestMetrics,
        default_limit: int,
        route_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.service = service
        self.metrics = metrics
        self.default_limit = default_limit
        self.route_limits = [(re.compile(p), n) for p, n in (route_limits or {}).items()]

    def limit_for(self, path: str) -> int:
        return next((n for p, n in self.route_limits if p.fullmatch(path)), self.default_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = current_service.set(self.service)
        try:
            if scope["type"] == "http":
                await self.http(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            current_service.reset(token)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = _request_id(scope["headers"])
        correlation_id.set(request_id)
        own_headers = [(b"x-request-id", request_id.encode())]
        declared = _content_length(scope["headers"])
        answered = {"status": 500, "size": 0}

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                present = {name.lower() for name, _ in headers}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                answered["status"] = message["status"]
                answered["size"] = _content_length(headers) or 0
                message = {**message, "headers": [*headers, *own_headers, *extra]}
            await send(message)

        try:
            await self.capped(scope, receive, answer, declared)
        finally:
            seconds = time.perf_counter() - started
            status, size = answered["status"], answered["size"]
            self.metrics.record(scope, status, declared or 0, size, seconds)

    async def capped(
        self, scope: Scope, receive: Receive, send: Send, declared: int | None
    ) -> None:
        """The app, behind the body cap. A declared length (`declared`) within the cap is all
        the server will hand over (the rest would be the next request), so only a body without
        one is counted."""
        limit = self.limit_for(scope["path"])
        if declared is not None:
            if declared > limit:
                await _too_large(limit)(scope, receive, send)
            else:
                await self.app(scope, receive, send)
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


def _request_id(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's `X-Request-ID` when it is a UUID, else a new one."""
    for name, value in headers:
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if is_valid_uuid4(given):
                return given
            log.warning("request_id_replaced", given=given[:64])
            break
    return uuid.uuid4().hex


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
    included routers one by one) and never compressed (they answer a few bytes);
    `upload_limits`: path regex → body cap for the routes that take files (the rest get
    `settings.request_body_max_bytes`)."""
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
    Instrumentator(registry=registry).expose(app, endpoint="/metrics", include_in_schema=False)
    uncompressed = tuple(path for route in routes if (path := getattr(route, "path", "")))
    app.add_middleware(Compression, skip_prefixes=uncompressed)
    app.add_middleware(
        ServiceMiddleware,
        service=service,
        metrics=RequestMetrics(registry),
        default_limit=settings.request_body_max_bytes,
        route_limits=upload_limits,
    )
    return app
