"""Fixtures: real PostgreSQL (embedded), one database per xdist worker, one rolled-back
transaction per test, and the services driven over HTTP through ASGITransport."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.auth import hash_password, issue_token
from shared.models import (
    Domain,
    Milestone,
    Programme,
    Role,
    Task,
    TaskClass,
    Unit,
    UnitKind,
    User,
    task_responsible_units,
)
from shared.models.tasks import default_programme_settings
from shared.settings import Settings
from tests import pg
from tests.report_apps import tasks_app_with_sources

# CI runs the same hypothesis examples every time (a red CI must be reproducible); locally each
# run explores new ones.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


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
    return pg.settings_for(database_url)


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


@pytest.fixture
async def report_stack(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """reform_tasks and its client, with its own HTTP client routed to evaluation and
    hotline_ingest in process (tests/report_apps.py): reports read real scores and rates."""
    app, client = tasks_app_with_sources(settings, sessionmaker)
    yield app, client
    await client.aclose()
    await app.state.http.aclose()


AppFactory = Callable[[Settings], FastAPI]


class MakeClient(Protocol):
    def __call__(self, factory: AppFactory, *, lifespan: bool = False) -> httpx.AsyncClient: ...


class TransactionPool:
    """An app's raw asyncpg pool in tests (hotline_ingest's webhook store): the test's own
    connection, so what the app stores is in the test's transaction — `session` reads it, the
    rollback undoes it. Each statement runs in a savepoint, as each group runs in its own
    transaction in production: one that fails leaves the test's transaction usable."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def acquire(self) -> TransactionPool:
        return self

    async def release(self, conn: TransactionPool) -> None:
        """The connection stays the test's."""

    async def close(self) -> None:
        """The connection stays the test's."""

    def is_closed(self) -> bool:
        return self.connection.closed

    def terminate(self) -> None:
        """Never the test's connection."""

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        async with self.connection.begin_nested():
            raw = await self.connection.get_raw_connection()
            rows: list[Any] = await raw.driver_connection.fetch(query, *args)
        return rows


class LifespanTransport(httpx.ASGITransport):
    """ASGITransport running the app's lifespan as uvicorn does: started before the first
    request, ended when the client closes."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__(app=app, raise_app_exceptions=False)
        self.lifespan: LifespanManager | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.lifespan is None:
            self.lifespan = LifespanManager(self.app)
            await self.lifespan.__aenter__()
            gc.unfreeze()  # the lifespan keeps a process's start-up heap; a test's app dies
        return await super().handle_async_request(request)

    async def aclose(self) -> None:
        if self.lifespan is not None:
            await self.lifespan.__aexit__(None, None, None)


@pytest.fixture
async def make_client(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    connection: AsyncConnection,
) -> AsyncIterator[MakeClient]:
    """`make_client(create_app)`: a client of the app on the test's transaction (its sessions
    and its raw pool). `lifespan=True` runs the app's lifespan around the client (what the app
    opens there: hotline_ingest's webhook store)."""
    clients: list[httpx.AsyncClient] = []

    def build(factory: AppFactory, *, lifespan: bool = False) -> httpx.AsyncClient:
        app = factory(settings)
        app.state.sessionmaker = sessionmaker
        app.state.webhook_pool = TransactionPool(connection)
        transport = (
            LifespanTransport(app)
            if lifespan
            else httpx.ASGITransport(app=app, raise_app_exceptions=False)
        )
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
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

    return make_client(create_app, lifespan=True)


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

    async def liaison(self, code: str, name: str, password: str) -> User:
        """A unit and its 联络员 (login = the unit's code) who can log in with `password`."""
        unit = await self.unit(code, name=name)
        return await self.user(code, Role.unit, unit, hash_password(password))

    async def programme(self, code: str = "2026", **settings: int) -> Programme:
        programme = Programme(
            code=code,
            name=f"{code}年一号改革工程",
            year=int(code[:4]),
            starts_on=date(int(code[:4]), 1, 1),
            ends_on=date(int(code[:4]), 12, 31),
            benchmark_city="深圳市",
            settings={**default_programme_settings(), **settings},
        )
        self.session.add(programme)
        await self.session.flush()
        return programme

    async def domain(
        self, programme: Programme, code: str = "shangshi", name: str = "商事登记", ordinal: int = 1
    ) -> Domain:
        domain = Domain(programme_id=programme.id, code=code, name=name, ordinal=ordinal)
        self.session.add(domain)
        await self.session.flush()
        return domain

    async def task(
        self,
        programme: Programme,
        number: int,
        lead: Unit,
        responsible: Sequence[Unit],
        *,
        domain: Domain | None = None,
        milestones: Sequence[tuple[date, str]] = (),
        task_class: TaskClass = TaskClass.A,
        title: str | None = None,
        deadline: date | None = None,
    ) -> Task:
        """A task with milestones planned (and baselined) on the given dates."""
        if domain is None:
            domain = await self.session.scalar(
                select(Domain).where(Domain.programme_id == programme.id).limit(1)
            ) or await self.domain(programme)
        planned = [d for d, _ in milestones]
        task = Task(
            programme_id=programme.id,
            number=number,
            domain_id=domain.id,
            task_class=task_class,
            title=title or f"测试任务{number}",
            benchmark="深圳：对标标准",
            goal=f"任务{number}的目标",
            measures="具体措施",
            lead_unit_id=lead.id,
            deadline=deadline or (max(planned) if planned else date(programme.year, 12, 31)),
            deadline_text="",
        )
        self.session.add(task)
        await self.session.flush()
        if responsible:
            await self.session.execute(
                insert(task_responsible_units),
                [{"task_id": task.id, "unit_id": u.id} for u in responsible],
            )
        for ordinal, (day, text) in enumerate(milestones, start=1):
            self.session.add(
                Milestone(
                    task_id=task.id,
                    ordinal=ordinal,
                    title=text,
                    planned_date=day,
                    baseline_date=day,
                )
            )
        await self.session.flush()
        return task

    def token(self, username: str, role: Role, unit_code: str | None) -> str:
        return issue_token(self.settings, username=username, role=role, unit_code=unit_code)

    def headers(self, username: str, role: Role, unit_code: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username, role, unit_code)}"}


@pytest.fixture
def uncached_tokens(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request checks its token's version in the database (TOKEN_CHECK_SECONDS=0)."""
    monkeypatch.setattr(settings, "token_check_seconds", 0)


@pytest.fixture
def factory(session: AsyncSession, settings: Settings) -> Factory:
    return Factory(session, settings)


@pytest.fixture
def files_dir(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Evidence (progress reports, replies to a supervision, 12345 appeals) goes to a fresh
    directory, with the default upload rules (whatever another test left in the shared settings
    object)."""
    root = tmp_path / "files"
    monkeypatch.setattr(settings, "files_dir", root)
    defaults = Settings(_env_file=None)
    for name in Settings.model_fields:
        if name.startswith(("evidence_", "supervision_reply_", "hotline_appeal_max_files")):
            monkeypatch.setattr(settings, name, getattr(defaults, name))
    return root
