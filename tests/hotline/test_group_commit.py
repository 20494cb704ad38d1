"""The webhook's group commit (`BatchStore`) on a real asyncpg pool: deliveries stored together
get their own outcomes, duplicates inside one group are caught, and one delivery the database
refuses fails alone. Commits for real, so it cleans up the rows it wrote."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime

import asyncpg

from services.hotline_ingest.webhook.repository import BatchStore, Receipt, create_pool
from shared.errors import DATABASE_UNAVAILABLE
from shared.settings import Settings

PREFIX = "GROUPTEST"


def _receipt(number: int, *, webhook_id: str | None = None, data: str | None = None) -> Receipt:
    order_no = f"{PREFIX}{number}"
    moment = datetime(2026, 6, 1, 9, number, tzinfo=UTC)
    return Receipt(
        webhook_id=webhook_id or f"{PREFIX}-msg-{number}",
        source="webhook",
        headers="{}",
        body="{}",
        event_type="work_order.accepted",
        outcome="applied",
        order_no=order_no,
        occurred_at=moment,
        data=data or json.dumps({"order_no": order_no, "occurred_at": moment.isoformat()}),
    )


async def _clean(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            f"DELETE FROM hotline.work_order_events WHERE order_no LIKE '{PREFIX}%';"
            f"DELETE FROM hotline.work_orders WHERE order_no LIKE '{PREFIX}%';"
            f"DELETE FROM hotline.deliveries WHERE webhook_id LIKE '{PREFIX}%';"
            f"DELETE FROM platform.outbox WHERE data->>'order_no' LIKE '{PREFIX}%'"
        )


async def test_a_group_is_stored_together_and_a_bad_delivery_fails_alone(
    settings: Settings,
) -> None:
    pool = await create_pool(settings)
    try:
        await _clean(pool)
        store = BatchStore(pool, settings, concurrency=1, max_batch=16)
        results = await asyncio.gather(
            store(_receipt(1)),
            store(_receipt(2)),
            store(_receipt(2)),  # the same delivery twice in one group
            store(_receipt(3, webhook_id=f"{PREFIX}-other")),
            store(_receipt(4, data="not json")),
            return_exceptions=True,
        )
        assert results[:4] == [("applied", 0), ("applied", 0), ("duplicate_delivery", 0),
                               ("applied", 0)]  # fmt: skip
        assert isinstance(results[4], asyncpg.PostgresError)
        again = await store(_receipt(1, webhook_id=f"{PREFIX}-retry"))
        assert again == ("duplicate_event", 0)
        async with pool.acquire() as conn:
            held = await conn.fetchval(
                "SELECT count(*) FROM hotline.work_orders"
                f" WHERE order_no LIKE '{PREFIX}%' AND quarantine_reason IS NOT NULL"
            )
        assert held == 3  # accepted before created: kept, waiting for `created`
    finally:
        await _clean(pool)
        await pool.close()


async def test_without_a_connection_every_waiting_delivery_gets_the_error(
    settings: Settings,
) -> None:
    """PostgreSQL unreachable: each request of the group is answered with the error (the
    webhook's 503), none is left waiting."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pool = await asyncpg.create_pool(f"postgresql://nobody@127.0.0.1:{port}/none", min_size=0)
    try:
        store = BatchStore(pool, settings, concurrency=1, max_batch=2)
        results = await asyncio.wait_for(
            asyncio.gather(*(store(_receipt(n)) for n in range(5)), return_exceptions=True),
            timeout=30,
        )
        assert len(results) == 5
        assert all(isinstance(result, OSError) for result in results), results
        assert store.running == 0
        assert store.pending == []
    finally:
        await pool.close()


async def test_a_failed_group_is_retried_on_a_pool_of_one(settings: Settings) -> None:
    """`DB_POOL_SIZE=1`: the one-by-one retry runs on the group's own connection (a second
    one from the pool would never come)."""
    cleaner = await create_pool(settings)
    pool = await create_pool(settings.model_copy(update={"db_pool_size": 1}))
    try:
        await _clean(cleaner)
        store = BatchStore(pool, settings, concurrency=1, max_batch=16)
        results = await asyncio.wait_for(
            asyncio.gather(
                store(_receipt(11)),
                store(_receipt(12, data="not json")),
                store(_receipt(13)),
                return_exceptions=True,
            ),
            timeout=30,
        )
        assert results[0] == ("applied", 0)
        assert isinstance(results[1], asyncpg.PostgresError)
        assert results[2] == ("applied", 0)
    finally:
        pool.terminate()  # a stuck drain may still hold its connection
        await _clean(cleaner)
        await cleaner.close()


async def test_a_connection_postgresql_closed_fails_its_group_as_unavailable(
    settings: Settings,
) -> None:
    """PostgreSQL ends the connection in the middle of a group (a restart, say): that group
    and its one-by-one retry fail as "database unavailable" (503, delivered again), and the
    group queued behind it is stored on a new connection — nothing hangs."""
    cleaner = await create_pool(settings)
    pool = await create_pool(settings.model_copy(update={"db_pool_size": 1}))
    try:
        await _clean(cleaner)
        store = BatchStore(pool, settings, concurrency=1, max_batch=3)
        async with cleaner.acquire() as holder, cleaner.acquire() as watcher:
            # Hold the first order's lock, so the first group waits inside PostgreSQL.
            lock = f"hashtextextended('hotline.work_order:{PREFIX}21', 0)"
            transaction = holder.transaction()
            await transaction.start()
            await holder.execute(f"SELECT pg_advisory_xact_lock({lock})")
            stored = asyncio.gather(
                *(store(_receipt(n)) for n in range(21, 27)), return_exceptions=True
            )
            waiting = None
            for _ in range(300):
                waiting = await watcher.fetchval(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND database = (SELECT oid FROM pg_database"
                    "                 WHERE datname = current_database())"
                )
                if waiting:
                    break
                await asyncio.sleep(0.01)
            assert waiting, "the first group never reached its lock"
            assert await watcher.fetchval("SELECT pg_terminate_backend($1)", waiting)
            await transaction.rollback()
            results = await asyncio.wait_for(stored, timeout=30)
        assert all(isinstance(result, DATABASE_UNAVAILABLE) for result in results[:3]), results
        assert results[3:] == [("applied", 0)] * 3
    finally:
        pool.terminate()
        await _clean(cleaner)
        await cleaner.close()
