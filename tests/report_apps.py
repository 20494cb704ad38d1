"""reform_tasks with its HTTP client routed to the evaluation and hotline_ingest apps in process
(over ASGITransport), so report generation reads real scores, rankings and hotline rates."""

from __future__ import annotations

from urllib.parse import urlparse

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.settings import Settings


class ServiceRoutes(httpx.AsyncBaseTransport):
    """Sends each request to the app serving the port its URL names (as the real services'
    URLs do: evaluation on 8002, hotline on 8003)."""

    def __init__(self, routes: dict[int, httpx.AsyncBaseTransport]) -> None:
        self._routes = routes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._routes.get(request.url.port or 80)
        if transport is None:
            raise httpx.ConnectError(f"nothing listens on {request.url}", request=request)
        return await transport.handle_async_request(request)


def _app(factory: type[FastAPI] | object, settings: Settings, sessionmaker: object) -> FastAPI:
    app: FastAPI = factory(settings)  # type: ignore[operator]
    app.state.sessionmaker = sessionmaker
    return app


def tasks_app_with_sources(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[FastAPI, httpx.AsyncClient]:
    """The reform_tasks app (its `state.http` reaching the other two apps) and a client for it."""
    from services.evaluation.app import create_app as evaluation
    from services.hotline_ingest.app import create_app as hotline
    from services.reform_tasks.app import create_app as reform_tasks

    routes: dict[int, httpx.AsyncBaseTransport] = {
        urlparse(settings.evaluation_url).port or 80: httpx.ASGITransport(
            app=_app(evaluation, settings, sessionmaker)
        ),
        urlparse(settings.hotline_url).port or 80: httpx.ASGITransport(
            app=_app(hotline, settings, sessionmaker)
        ),
    }
    app = _app(reform_tasks, settings, sessionmaker)
    app.state.http = httpx.AsyncClient(transport=ServiceRoutes(routes))
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
    )
    return app, client
