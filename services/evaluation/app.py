"""evaluation: rule sets, live scores, rankings and explanations, fed by events."""

from __future__ import annotations

from fastapi import FastAPI

from services.evaluation.event.router import router as event_router
from shared.app import create_service_app
from shared.settings import Settings

SERVICE = "evaluation"


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        service=SERVICE,
        title="云岭市营商环境改革 · 评价服务 (evaluation)",
        description="Scoring rule sets, live scores, rankings and explanations.",
        routers=[event_router],
        settings=settings,
    )


app = create_app()
