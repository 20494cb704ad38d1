"""hotline_ingest: 12345 webhooks, work orders and the hotline's three rates."""

from __future__ import annotations

from fastapi import FastAPI

from shared.app import create_service_app
from shared.settings import Settings

SERVICE = "hotline_ingest"


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        service=SERVICE,
        title="云岭市营商环境改革 · 12345热线接入服务 (hotline_ingest)",
        description="12345 hotline webhooks, work orders and hotline rates.",
        routers=[],
        settings=settings,
        produces_events=True,
    )


app = create_app()
