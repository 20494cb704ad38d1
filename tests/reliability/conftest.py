"""Reliability fixtures: committed databases of their own (backups, crashes and restarts need
data that outlives a transaction) filled with the demo data and drained into evaluation the way
the outbox relay does it, over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.auth import issue_token
from shared.db import create_engine, create_sessionmaker
from shared.demo.loader import load
from shared.http import ServiceTokens
from shared.models import Role
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests import pg
from tests.pg import settings_for
from tests.reform_tasks.conftest import scene  # noqa: F401  (the reform_tasks scene, reused)

DEMO_AS_OF = date(2026, 9, 30)
SCORE_COLUMNS = "programme, period, unit_code, total, max_total, grade, components"


@pytest.fixture
def fresh_database(worker_id_name: str) -> Iterator[Callable[[str], str]]:
    """Migrated databases cloned from the template, committed for real, dropped afterwards."""
    cluster = pg.test_cluster()
    made: list[str] = []

    def make(label: str) -> str:
        name = f"rel_{label}_{worker_id_name}"
        made.append(name)
        return pg.clone_database(cluster, name)

    yield make
    for name in made:
        cluster.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def load_demo(url: str) -> None:
    engine = create_engine(settings_for(url), pool_size=2)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await load(session, password="reliability-pw", as_of=DEMO_AS_OF)
    finally:
        await engine.dispose()


async def drain_to_evaluation(url: str) -> int:
    """Deliver every pending outbox row to evaluation (in process, over ASGI HTTP)."""
    from services.evaluation.app import create_app

    settings = settings_for(url)
    engine = create_engine(settings, pool_size=4)
    sessionmaker = create_sessionmaker(engine)
    app = create_app(settings)
    app.state.sessionmaker = sessionmaker
    delivered = 0
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=settings.evaluation_url
        ) as client:
            for producer in ("reform_tasks", "hotline_ingest"):
                relay = OutboxRelay(
                    sessionmaker, client, settings, producer, ServiceTokens(settings)
                )
                while (batch := await relay.deliver_batch()) > 0:
                    delivered += batch
    finally:
        await engine.dispose()
    return delivered


async def fetch(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_async_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in (await conn.execute(text(sql))).all()]
    finally:
        await engine.dispose()


async def execute(url: str, sql: str) -> None:
    engine = create_async_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def scores(url: str) -> list[tuple[object, ...]]:
    return await fetch(
        url, f"SELECT {SCORE_COLUMNS} FROM evaluation.scores ORDER BY programme, period, unit_code"
    )


PERIODS = ["2026", "2026-H1", "2026-H2", *(f"2026-Q{q}" for q in range(1, 5))] + [
    f"2026-{m:02d}" for m in range(1, 13)
]


def _rounded(value: Any) -> Any:
    """Floats to 6 places: the live path and a recompute add the same terms in another order."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


async def api_scores(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every period's scores as the office reads them from evaluation (in process, over ASGI):
    live rows, and units no fact has touched computed on read."""
    from services.evaluation.app import create_app

    settings = settings_for(url)
    engine = create_engine(settings, pool_size=2)
    app = create_app(settings)
    app.state.sessionmaker = create_sessionmaker(engine)
    token = issue_token(settings, username="office", role=Role.office_admin, unit_code=None)
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://evaluation"
        ) as client:
            for period in PERIODS:
                response = await client.get(
                    "/api/evaluation/v1/scores",
                    params={"period": period},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 200, response.text
                found[period] = [
                    _rounded({k: v for k, v in item.items() if k != "updated_at"})
                    for item in response.json()["items"]
                ]
    finally:
        await engine.dispose()
    return found


@pytest.fixture
async def demo_database(fresh_database: Callable[[str], str]) -> str:
    """The demo city with its scoring events consumed by evaluation."""
    url = fresh_database("demo")
    await load_demo(url)
    assert await drain_to_evaluation(url) > 0
    return url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """The reliability tests' services accept the hotline tests' webhook secret."""
    from tests.hotline.conftest import SECRET

    return settings_for(database_url, hotline_webhook_secrets=SECRET)
