"""Every error is RFC 9457 problem+json with a stable code and a Chinese title."""

from __future__ import annotations

import importlib

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from services.reform_tasks.app import create_app as create_tasks_app
from shared.app import create_service_app
from shared.db import Session
from shared.models import Role, Unit, UnitKind
from shared.settings import Settings
from tests.conftest import Factory

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance"}


async def test_unknown_unit_is_404_problem(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    response = await tasks_client.get(
        "/api/tasks/v1/units/nope", headers=factory.headers("office", Role.office_admin, None)
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["type"] == "urn:reform:problem:not_found"
    assert body["status"] == 404
    assert body["detail"] == "单位 nope 不存在"
    assert body["instance"] == "/api/tasks/v1/units/nope"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_unknown_route_is_404_problem(tasks_client: httpx.AsyncClient) -> None:
    response = await tasks_client.get("/api/tasks/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["title"] == "资源不存在"


async def test_bad_query_is_422_with_field_errors(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    response = await tasks_client.get(
        "/api/tasks/v1/units",
        params={"limit": 0, "kind": "planet"},
        headers=factory.headers("office", Role.office_admin, None),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert locs == {("query", "limit"), ("query", "kind")}
    assert all(e["msg"] for e in body["errors"])


async def test_unit_list_paginates_and_filters(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.unit(
        "yunzhongqu",
        UnitKind.district,
        name="云岭市云中区人民政府",
        short_name="云中区",
        aliases=["云中区政府"],
    )
    await factory.unit(
        "hexiqu", UnitKind.district, name="云岭市河西区人民政府", short_name="河西区"
    )
    await factory.unit("shuiwu", UnitKind.department)
    headers = factory.headers("yunzhongqu", Role.unit, "yunzhongqu")

    districts = await tasks_client.get(
        "/api/tasks/v1/units", params={"kind": "district", "limit": 1}, headers=headers
    )
    assert districts.status_code == 200
    assert districts.json()["total"] == 2
    assert len(districts.json()["items"]) == 1

    by_alias = await tasks_client.get(
        "/api/tasks/v1/units", params={"q": "云中区政府"}, headers=headers
    )
    assert [u["code"] for u in by_alias.json()["items"]] == ["yunzhongqu"]


async def test_failed_commit_is_500_and_nothing_is_written(
    settings: Settings,
    sessionmaker,
    session,  # type: ignore[no-untyped-def]
) -> None:
    """The session commits before the response is sent: a commit that fails is never a 2xx."""
    router = APIRouter()

    @router.post("/twice")
    async def add_twice(db: Session) -> dict[str, str]:
        for _ in range(2):  # same unique code twice: fails only when the commit flushes
            db.add(Unit(code="dup", name=f"重复{_}", short_name="dup", kind=UnitKind.other))
        return {"status": "ok"}

    app = create_service_app(
        service="test", title="t", description="t", routers=[router], settings=settings
    )
    app.state.sessionmaker = sessionmaker
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/twice")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    count = await session.scalar(select(func.count()).select_from(Unit).where(Unit.code == "dup"))
    assert count == 0


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json"])
async def test_every_service_exposes_health_and_metrics(
    path: str,
    tasks_client: httpx.AsyncClient,
    evaluation_client: httpx.AsyncClient,
    hotline_client: httpx.AsyncClient,
) -> None:
    for client in (tasks_client, evaluation_client, hotline_client):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text)


DATABASE_READS = [
    ("services.reform_tasks.app", "/api/tasks/v1/units"),
    ("services.evaluation.app", "/api/evaluation/v1/scores?period=2026"),
    ("services.hotline_ingest.app", "/api/hotline/v1/work-orders"),
]


def _assert_database_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert body["detail"] == "数据库暂不可用，请稍后重试"


@pytest.mark.parametrize(("module", "path"), DATABASE_READS)
async def test_unreachable_database_is_503_problem_on_every_service(
    settings: Settings, factory: Factory, module: str, path: str
) -> None:
    """PostgreSQL down (connection refused): a 503 the caller can retry, not a 500."""
    app = importlib.import_module(module).create_app(settings)
    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(
            path, headers=factory.headers("office", Role.office_admin, None)
        )
    await engine.dispose()
    _assert_database_unavailable(response)


async def test_connection_dropped_by_postgres_is_503_problem(
    settings: Settings, factory: Factory
) -> None:
    """PostgreSQL restarted under a pooled connection: the next request on it is a 503."""
    engine = create_async_engine(settings.effective_database_url, pool_size=1, max_overflow=0)
    async with engine.connect() as conn:
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    killer = create_async_engine(settings.effective_database_url)
    async with killer.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await killer.dispose()
    app = create_tasks_app(settings)
    app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(
            "/api/tasks/v1/units", headers=factory.headers("office", Role.office_admin, None)
        )
    await engine.dispose()
    _assert_database_unavailable(response)
