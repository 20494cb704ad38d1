"""reform_tasks: task list, units, battle map, progress, ratings, supervision (and login)."""

from __future__ import annotations

from fastapi import FastAPI

from services.reform_tasks.auth.router import router as auth_router
from services.reform_tasks.unit.router import router as unit_router
from shared.app import create_service_app
from shared.settings import Settings

SERVICE = "reform_tasks"


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        service=SERVICE,
        title="云岭市营商环境改革 · 任务服务 (reform_tasks)",
        description="Task list, units, battle map, progress, ratings and supervision; login.",
        routers=[auth_router, unit_router],
        settings=settings,
        produces_events=True,
    )


app = create_app()
