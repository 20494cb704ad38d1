"""`create_service_app`: what every FastAPI service shares.

Error handlers (problem+json), request ids, JSON logs, Prometheus metrics on `/metrics`,
`/healthz` (process alive) and `/readyz` (database reachable), one engine and one httpx client
per process, and the outbox relay for services that produce events.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import structlog
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI, Request
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic import BaseModel
from sqlalchemy import text
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.context import current_service
from shared.db import create_engine, create_sessionmaker
from shared.errors import ServiceUnavailable, install_error_handlers
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
    settings: Settings | None = None,
    produces_events: bool = False,
    on_startup: Sequence[LifespanHook] = (),
    on_shutdown: Sequence[LifespanHook] = (),
    app_class: type[FastAPI] = FastAPI,
) -> FastAPI:
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

    app = app_class(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.service = service
    app.state.sessionmaker = None
    app.state.relay = None
    install_error_handlers(app)
    app.include_router(health_router(service))
    for router in routers:
        app.include_router(router)
    Instrumentator(
        excluded_handlers=["/healthz", "/readyz", "/metrics"], registry=CollectorRegistry()
    ).instrument(app).expose(app, endpoint="/metrics", include_in_schema=False)
    app.add_middleware(ServiceNameMiddleware, service=service)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    return app
