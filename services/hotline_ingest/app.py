"""hotline_ingest: 12345 webhooks, work orders and the hotline's three rates."""

from __future__ import annotations

from fastapi import FastAPI

from services.hotline_ingest.calendar.router import router as calendar_router
from services.hotline_ingest.quarantine.router import router as quarantine_router
from services.hotline_ingest.rates.router import router as rates_router
from services.hotline_ingest.sweep.router import router as sweep_router
from services.hotline_ingest.webhook.router import router as webhook_router
from services.hotline_ingest.work_order.router import router as work_order_router
from shared.app import create_service_app
from shared.settings import Settings

SERVICE = "hotline_ingest"


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        service=SERVICE,
        title="云岭市营商环境改革 · 12345热线接入服务 (hotline_ingest)",
        description="12345 hotline webhooks, work orders and hotline rates.",
        routers=[
            webhook_router,
            work_order_router,
            rates_router,
            calendar_router,
            sweep_router,
            quarantine_router,
        ],
        settings=settings,
        produces_events=True,
    )


app = create_app()
