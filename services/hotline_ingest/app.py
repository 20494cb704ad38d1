"""hotline_ingest: 12345 webhooks, work orders, the hotline's three rates and Open311."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.hotline_ingest.appeals.router import router as appeals_router
from services.hotline_ingest.calendar.router import router as calendar_router
from services.hotline_ingest.open311.router import keys_router as open311_keys_router
from services.hotline_ingest.open311.router import router as open311_router
from services.hotline_ingest.platform.cache import MappingCache
from services.hotline_ingest.platform.router import router as platform_router
from services.hotline_ingest.quarantine.router import router as quarantine_router
from services.hotline_ingest.rates.router import router as rates_router
from services.hotline_ingest.reminders.router import router as reminders_router
from services.hotline_ingest.repeats.router import router as repeats_router
from services.hotline_ingest.returns.router import router as returns_router
from services.hotline_ingest.review.router import router as review_router
from services.hotline_ingest.sweep.router import router as sweep_router
from services.hotline_ingest.webhook.repository import BatchStore, create_pool
from services.hotline_ingest.webhook.router import route as webhook_route
from services.hotline_ingest.webhook.router import router as webhook_router
from services.hotline_ingest.webhook.schemas import contract_schema, event_components
from services.hotline_ingest.work_order.router import router as work_order_router
from shared.app import create_service_app
from shared.settings import Settings, get_settings

SERVICE = "hotline_ingest"


async def open_webhook_store(app: FastAPI) -> None:
    """Lifespan: the webhook's group-commit store, on the app's asyncpg pool — opened here, or
    the one given before start-up (the tests give their transaction's connection)."""
    settings: Settings = app.state.settings
    if app.state.webhook_pool is None:
        app.state.webhook_pool = await create_pool(settings)
    app.state.webhook_store = BatchStore(
        app.state.webhook_pool, settings, concurrency=settings.hotline_webhook_groups
    )
    app.state.platform_mappings = MappingCache(app.state.webhook_pool)


async def close_webhook_store(app: FastAPI) -> None:
    app.state.webhook_store = None
    app.state.platform_mappings = None
    await app.state.webhook_pool.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_service_app(
        service=SERVICE,
        title="云岭市营商环境改革 · 12345热线接入服务 (hotline_ingest)",
        description=(
            "12345 hotline webhooks (Standard Webhooks), work orders, the three rates, "
            "service reviews, quarantine, working-day calendar and Open311 GeoReport v2. "
            "See docs/HOTLINE.md."
        ),
        routes=[webhook_route],  # the busiest path, matched first
        routers=[
            webhook_router,
            work_order_router,
            rates_router,
            review_router,
            calendar_router,
            sweep_router,
            quarantine_router,
            open311_router,
            open311_keys_router,
            returns_router,
            appeals_router,
            platform_router,
            repeats_router,
            reminders_router,
        ],
        settings=settings,
        produces_events=True,
        on_startup=[open_webhook_store],
        on_shutdown=[close_webhook_store],
        upload_limits=upload_limits(settings or get_settings()),
    )
    app.state.webhook_pool = None
    app.state.webhook_store = None
    app.state.platform_mappings = None
    _document_webhook_body(app)
    return app


def upload_limits(settings: Settings) -> dict[str, int]:
    """The route that takes files, and its body cap (files plus 1 MiB of form fields)."""
    form = 1024 * 1024
    return {
        r"/api/hotline/v1/appeals": settings.evidence_max_bytes * settings.hotline_appeal_max_files
        + form
    }


def _document_webhook_body(app: FastAPI) -> None:
    """The webhook reads its raw body (the signature covers the exact bytes), so its request
    schema is added to the OpenAPI by hand: `HotlineDelivery` and the event models."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            ref = "#/components/schemas/{model}"
            components.update(event_components(ref))
            components["HotlineDelivery"] = contract_schema(ref)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]


app = create_app()
