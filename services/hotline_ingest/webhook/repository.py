"""Storing a delivery: one call of `hotline.receive` (migration 0008h), which keeps the raw
delivery, inserts the event once, derives the work order and writes the outbox rows.

Two ways to run it, same SQL: inside a request's SQLAlchemy session (Open311, office actions,
the import, tests), or, for the webhook under load, `BatchStore`: the deliveries that arrive
while the previous group is being committed are stored together by one bare
`SELECT … FROM hotline.receive_batch(…)` on a raw asyncpg connection — one transaction,
committed (and flushed, with synchronous_commit on) when the call returns, before any of those
requests is answered. Queries only; never commits a session.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.crypto import encrypt
from shared.settings import Settings

_RECEIVE_TEXT = text(
    "SELECT outcome, told FROM hotline.receive(:webhook_id, :source, CAST(:headers AS jsonb),"
    " :body, :event_type, :outcome, CAST(:errors AS jsonb), :order_no, :occurred_at,"
    " CAST(:data AS jsonb), :contact_name, :contact_phone, CAST(:limits AS jsonb))"
)
# How the webhook's functions are planned (migration 0012h): once per connection, and by index
# even if the plan was made while the tables were small. Set by the caller, not the functions.
PLANNER_SETTINGS = {"plan_cache_mode": "force_generic_plan", "enable_seqscan": "off"}
PLANNED_TRANSACTION = text(
    "SELECT " + ", ".join(f"set_config('{k}', '{v}', true)" for k, v in PLANNER_SETTINGS.items())
)
_REFRESH_TEXT = text(
    "SELECT hotline.refresh_work_order(:order_no, NULL, NULL, CAST(:limits AS jsonb), NULL, NULL)"
)


@dataclass(frozen=True, slots=True)
class Receipt:
    """One delivery ready to store. `body` is the raw body (stored encrypted, see `args`);
    `data` is the event's JSON without personal fields."""

    webhook_id: str
    source: str
    headers: str
    body: str
    event_type: str | None
    outcome: str  # applied | ignored_type | rejected_schema
    errors: str | None = None
    order_no: str | None = None
    occurred_at: datetime | None = None
    data: str | None = None
    contact_name: bytes | None = None
    contact_phone: bytes | None = None

    def args(self, settings: Settings) -> tuple[Any, ...]:
        """The twelve per-delivery arguments of `hotline.receive` / `receive_batch`."""
        return (
            self.webhook_id,
            self.source,
            self.headers,
            encrypt(settings.pii_encryption_key, self.body),
            self.event_type,
            self.outcome,
            self.errors,
            self.order_no,
            self.occurred_at,
            self.data,
            self.contact_name,
            self.contact_phone,
        )


def limits_json(settings: Settings) -> str:
    """Response limits (working days per appeal kind) as the SQL functions read them."""
    return json.dumps(settings.hotline_response_days, sort_keys=True)


async def receive_in_session(
    session: AsyncSession, receipt: Receipt, settings: Settings
) -> tuple[str, int]:
    names = (
        "webhook_id",
        "source",
        "headers",
        "body",
        "event_type",
        "outcome",
        "errors",
        "order_no",
        "occurred_at",
        "data",
        "contact_name",
        "contact_phone",
        "limits",
    )
    params = dict(zip(names, (*receipt.args(settings), limits_json(settings)), strict=True))
    row = (await session.execute(_RECEIVE_TEXT, params)).one()
    if row.told:
        session.info["outbox_enqueued"] = True
    return str(row.outcome), int(row.told)


async def refresh_in_session(session: AsyncSession, order_no: str, settings: Settings) -> int:
    """Derive an order again (after the office mapped a code); returns outbox rows written."""
    told = int(
        (
            await session.execute(
                _REFRESH_TEXT, {"order_no": order_no, "limits": limits_json(settings)}
            )
        ).scalar_one()
    )
    if told:
        session.info["outbox_enqueued"] = True
    return told


Store = Callable[[Receipt], Awaitable[tuple[str, int]]]

BATCH_SQL = (
    "SELECT outcome, told FROM hotline.receive_batch($1::text[], $2::text[], $3::text[],"
    " $4::bytea[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],"
    " $10::text[], $11::bytea[], $12::bytea[], $13::jsonb)"
)


class BatchStore:
    """Group commit for the webhook. Each request waits for the group it joined to commit;
    a group is whatever arrived while `concurrency` groups were already in flight (at most
    `max_batch`), so an idle service stores a lone delivery at once and a busy one shares each
    commit and round trip among many. Groups are sorted by order number (the per-order locks
    are then always taken in the same order); a group that fails is retried one by one, so one
    bad delivery cannot fail the others."""

    def __init__(
        self, pool: asyncpg.Pool, settings: Settings, *, concurrency: int = 1, max_batch: int = 64
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.limits = limits_json(settings)
        self.concurrency = concurrency
        self.max_batch = max_batch
        self.pending: list[tuple[Receipt, asyncio.Future[tuple[str, int]]]] = []
        self.running = 0
        self.tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, receipt: Receipt) -> tuple[str, int]:
        future: asyncio.Future[tuple[str, int]] = asyncio.get_running_loop().create_future()
        self.pending.append((receipt, future))
        if self.running < self.concurrency:
            self.running += 1
            task = asyncio.create_task(self._drain())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return await future

    async def _drain(self) -> None:
        try:
            # A drain task starts a turn of the event loop after the request that made it, so
            # the requests read in that turn join the first group. After a commit the next
            # group leaves at once, before the committed group's answers are written: waiting a
            # turn there kept PostgreSQL idle behind them (one worker per container: 0.24–0.30×
            # against 0.23–0.25×, docs/PERFORMANCE.md "2026-12-02").
            while self.pending:
                group = self.pending[: self.max_batch]
                del self.pending[: self.max_batch]
                await self._store(group)
        finally:
            self.running -= 1

    async def _store(self, group: list[tuple[Receipt, asyncio.Future[tuple[str, int]]]]) -> None:
        group.sort(key=lambda item: (item[0].order_no or "", item[0].webhook_id))
        try:
            rows = await self._run([receipt for receipt, _ in group])
        except Exception as exc:
            if len(group) == 1:
                if not group[0][1].done():
                    group[0][1].set_exception(exc)
                return
            for item in group:
                await self._store([item])
            return
        for (_, future), row in zip(group, rows, strict=True):
            if not future.done():
                future.set_result((str(row[0]), int(row[1])))

    async def _run(self, receipts: list[Receipt]) -> list[Any]:
        columns = list(zip(*(r.args(self.settings) for r in receipts), strict=True))
        async with self.pool.acquire() as conn:
            try:
                rows: list[Any] = await conn.fetch(
                    BATCH_SQL, *(list(c) for c in columns), self.limits
                )
            except asyncpg.InternalClientError:
                # Left half-way through an operation (PostgreSQL went away under it): never hand
                # it out again; the pool opens a new one.
                conn.terminate()
                raise
        return rows


async def _keep_session_state(conn: asyncpg.Connection) -> None:
    """Pool release without a reset round trip: the webhook leaves no session state (its
    advisory lock is transaction-scoped and every call is its own transaction)."""


async def create_pool(settings: Settings) -> asyncpg.Pool:
    dsn = settings.effective_database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=settings.db_pool_size,
        reset=_keep_session_state,
        server_settings={"application_name": "reform-platform:hotline-webhook", **PLANNER_SETTINGS},
    )
    return pool
