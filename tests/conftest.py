"""Fixtures: real PostgreSQL (embedded), one database per xdist worker, one rolled-back
transaction per test, and the services driven over HTTP through ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.auth import issue_token
from shared.models import Role, Unit, UnitKind, User
from shared.settings import Environment, Settings
from tests import pg


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        config.stash[_cluster_key] = pg.start_and_prepare()


def pytest_unconfigure(config: pytest.Config) -> None:
    cluster = config.stash.get(_cluster_key, None)
    if cluster is not None:
        cluster.stop()


_cluster_key = pytest.StashKey[pg.EmbeddedPostgres]()


@pytest.fixture(scope="session")
def worker_id_name(request: pytest.FixtureRequest) -> str:
    workerinput = getattr(request.config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "main"


@pytest.fixture(scope="session")
def database_url(worker_id_name: str) -> str:
    return pg.clone_database(pg.test_cluster(), f"test_{worker_id_name}")


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        environment=Environment.test,
        database_url=database_url,
        outbox_relay_enabled=False,
        log_json=False,
        log_level="WARNING",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(settings.database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        outer = await conn.begin()
        yield conn
        if outer.is_active:
            await outer.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # Commits inside the code under test release a savepoint; the test's transaction rolls back.
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as s:
        yield s


AppFactory = Callable[[Settings], FastAPI]


@pytest.fixture
async def make_client(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Callable[[AppFactory], httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []

    def build(factory: AppFactory) -> httpx.AsyncClient:
        app = factory(settings)
        app.state.sessionmaker = sessionmaker
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://testserver",
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()


@pytest.fixture
async def tasks_client(make_client: Callable[[AppFactory], httpx.AsyncClient]) -> httpx.AsyncClient:
    from services.reform_tasks.app import create_app

    return make_client(create_app)


@pytest.fixture
async def evaluation_client(
    make_client: Callable[[AppFactory], httpx.AsyncClient],
) -> httpx.AsyncClient:
    from services.evaluation.app import create_app

    return make_client(create_app)


@pytest.fixture
async def hotline_client(
    make_client: Callable[[AppFactory], httpx.AsyncClient],
) -> httpx.AsyncClient:
    from services.hotline_ingest.app import create_app

    return make_client(create_app)


class Factory:
    """Builds units and users in a few lines; tokens are issued the way login issues them."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    async def unit(self, code: str, kind: UnitKind = UnitKind.department, **kw: Any) -> Unit:
        unit = Unit(
            code=code,
            name=kw.pop("name", f"测试单位{code}"),
            short_name=kw.pop("short_name", code),
            aliases=kw.pop("aliases", []),
            kind=kind,
            **kw,
        )
        self.session.add(unit)
        await self.session.flush()
        return unit

    async def user(
        self, username: str, role: Role, unit: Unit | None, password_hash: str = "x"
    ) -> User:
        user = User(
            username=username,
            display_name=f"{username}用户",
            password_hash=password_hash,
            role=role,
            unit_id=unit.id if unit else None,
        )
        self.session.add(user)
        await self.session.flush()
        return user

    def token(self, username: str, role: Role, unit_code: str | None) -> str:
        return issue_token(self.settings, username=username, role=role, unit_code=unit_code)

    def headers(self, username: str, role: Role, unit_code: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username, role, unit_code)}"}


@pytest.fixture
def factory(session: AsyncSession, settings: Settings) -> Factory:
    return Factory(session, settings)
