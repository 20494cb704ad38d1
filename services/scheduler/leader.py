"""Leadership among scheduler replicas: a session-level Postgres advisory lock on one connection.

Whoever holds the lock runs the jobs; the others keep trying. If the leader dies its connection
closes, Postgres releases the lock, and another replica takes over.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

SCHEDULER_LOCK_KEY = 727_001


class Leadership:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None

    @property
    def is_leader(self) -> bool:
        return self._conn is not None

    async def try_acquire(self) -> bool:
        if self._conn is not None:
            if await self._still_held():
                return True
            await self.release()
        conn = await self._engine.connect()
        got = (
            await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": SCHEDULER_LOCK_KEY})
        ).scalar_one()
        await conn.commit()
        if got:
            self._conn = conn
            return True
        await conn.close()
        return False

    async def _still_held(self) -> bool:
        assert self._conn is not None
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
            return True
        except Exception:
            return False

    async def release(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEDULER_LOCK_KEY})
            await conn.commit()
        except Exception:  # the connection is gone; so is the lock
            await conn.invalidate()
        finally:
            await conn.close()
