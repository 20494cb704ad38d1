"""Every API endpoint of every service refuses an anonymous caller (401 problem+json), except
the few that are public by design: login, health/metrics, and those authenticated otherwise
(the hotline webhook by its signature, Open311 by its api_key)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from shared.settings import Settings

PUBLIC = re.compile(
    r"^(/api/auth/token|/api/hotline/v1/webhooks/.*|/api/hotline/open311/.*|/api/hotline/v1/schemas/.*)$"
)


def _apps(settings: Settings) -> list[FastAPI]:
    from services.evaluation.app import create_app as evaluation
    from services.hotline_ingest.app import create_app as hotline
    from services.reform_tasks.app import create_app as tasks

    return [tasks(settings), evaluation(settings), hotline(settings)]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_anonymous_calls_are_401_everywhere(settings: Settings, sessionmaker) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for app in _apps(settings):
        app.state.sessionmaker = sessionmaker
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for path, operations in app.openapi()["paths"].items():
                if PUBLIC.match(path) or not path.startswith(("/api/", "/internal/")):
                    continue
                for method in operations:
                    response = await client.request(method.upper(), _concrete(path))
                    assert response.status_code == 401, (method, path, response.text)
                    assert response.headers["content-type"] == "application/problem+json"
                    checked += 1
    assert checked >= 5


@pytest.mark.parametrize("path", ["/api/tasks/v1/units", "/api/auth/me"])
async def test_garbage_authorization_header_is_401_not_500(
    tasks_client: httpx.AsyncClient, path: str
) -> None:
    for header in (
        "Bearer",
        "Bearer ",
        "Basic abc",
        "Bearer a.b",
        "Bearer \u00e9\u00e9".encode("latin-1"),
        "x" * 9000,
    ):
        response = await tasks_client.get(path, headers={"Authorization": header})
        assert response.status_code == 401, header
