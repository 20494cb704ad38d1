"""Async engine, session factory and the request-scoped session.

One transaction per request: the `get_session` dependency opens it, the endpoint and the services
it calls only `flush()`, and the dependency commits once after the endpoint has returned (and
before the response is sent), or rolls back on any error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.settings import Settings


def create_engine(settings: Settings, *, pool_size: int | None = None) -> AsyncEngine:
    return create_async_engine(
        settings.effective_database_url,
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": "reform-platform"}},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def sessionmaker_from(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with sessionmaker_from(request)() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            for callback in session.info.pop("after_rollback", []):
                callback()
            raise
        relay = getattr(request.app.state, "relay", None)
        if relay is not None and session.info.pop("outbox_enqueued", False):
            relay.notify()
        for callback in session.info.pop("after_commit", []):
            callback()


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once the request's transaction has committed (never if it rolls back):
    for side effects outside the database, such as pushing a live update to browsers."""
    session.info.setdefault("after_commit", []).append(callback)


# scope="function": the commit runs when the endpoint returns, before any byte of the response is
# sent, so a 2xx always means "committed" and a failed commit becomes a problem+json 500.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


def after_rollback(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Undo a side effect outside the database (e.g. a file written for this request) if the
    request's transaction does not commit."""
    session.info.setdefault("after_rollback", []).append(callback)
