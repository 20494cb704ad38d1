"""Storing a delivery: one call of `hotline.receive` (migrations 0008h, 0031h), which keeps the raw
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.crypto import encrypt
from shared.hotline_rates import limits_json
from shared.settings import Settings

log = structlog.get_logger(__name__)

_RECEIVE_TEXT = text(
    "SELECT outcome, told FROM hotline.receive(:webhook_id, :source, CAST(:headers AS jsonb),"
    " :body, :event_type, :outcome, CAST(:errors AS jsonb), :order_no, :occurred_at,"
    " CAST(:data AS jsonb), :contact_name, :contact_phone, :platform,"
    " CAST(:mapping_version AS integer), CAST(:limits AS jsonb))"
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


# The events that can change who called about what (an order's receipt, unit or category): only
# they link a caller's repeat requests again (`hotline.link_repeats`); an acceptance, reply,
# close or visit leaves the caller's matters as they were.
MATTER_EVENTS = ("work_order.created", "work_order.assigned", "work_order.categorized")


@dataclass(frozen=True, slots=True)
class Receipt:
    """One delivery ready to store. `body` is the raw body (stored encrypted, see `args`);
    `data` is the event's JSON without personal fields."""

    webhook_id: str
    source: str
    headers: str
    body: str
    event_type: str | None
    outcome: str  # applied | ignored_type | rejected_schema | rejected_mapping
    errors: str | None = None
    order_no: str | None = None
    occurred_at: datetime | None = None
    data: str | None = None
    contact_name: bytes | None = None
    contact_phone: bytes | None = None
    # The platform whose secret verified it (None: our contract) and its mapping's version.
    platform: str | None = None
    mapping_version: int | None = None
    # A `created`'s caller as the keyed hash of its phone number (repeats.caller): beside the
    # event, never in the event log; `hotline.link_repeats` keeps it.
    caller_key: str | None = None

    @property
    def lock_order(self) -> tuple[str, str]:
        """Where the delivery goes in its group: by order number (the group takes the per-order
        locks in this order, so two groups never deadlock), then webhook id."""
        return (self.order_no or "", self.webhook_id)

    def args(self, settings: Settings) -> tuple[Any, ...]:
        """The fourteen per-delivery arguments of `hotline.receive` / `receive_batch`."""
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
            self.platform,
            self.mapping_version,
        )


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
        "platform",
        "mapping_version",
        "limits",
    )
    params = dict(zip(names, (*receipt.args(settings), limits_json(settings)), strict=True))
    row = (await session.execute(_RECEIVE_TEXT, params)).one()
    told = int(row.told)
    if receipt.order_no is not None and receipt.event_type in MATTER_EVENTS:
        told += await link_repeats_in_session(
            session, [receipt.order_no], settings, [receipt.caller_key]
        )
    if told:
        session.info["outbox_enqueued"] = True
    return str(row.outcome), told


_LINK_TEXT = text(
    "SELECT hotline.link_repeats(CAST(:orders AS text[]), CAST(:callers AS text[]), :window)"
)


async def link_repeats_in_session(
    session: AsyncSession,
    order_nos: list[str],
    settings: Settings,
    callers: list[str | None] | None = None,
) -> int:
    """Link the orders' callers' repeat requests (`hotline.link_repeats`, migration 0033h) after
    their events were stored (`callers`: the caller of each order whose `created` came now);
    returns the outbox rows written."""
    window = settings.hotline_repeat_window_days
    params = {"orders": order_nos, "callers": callers or [None] * len(order_nos), "window": window}
    return int((await session.execute(_LINK_TEXT, params)).scalar_one())


async def refresh_in_session(session: AsyncSession, order_no: str, settings: Settings) -> int:
    """Derive an order again (after the office mapped a code); returns outbox rows written."""
    told = int(
        (
            await session.execute(
                _REFRESH_TEXT, {"order_no": order_no, "limits": limits_json(settings)}
            )
        ).scalar_one()
    )
    # A code the office supplied may give the order its matter (category or unit).
    told += await link_repeats_in_session(session, [order_no], settings)
    if told:
        session.info["outbox_enqueued"] = True
    return told


Store = Callable[[Receipt], Awaitable[tuple[str, int]]]

BATCH_SQL = (
    "SELECT outcome, told FROM hotline.receive_batch($1::text[], $2::text[], $3::text[],"
    " $4::bytea[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],"
    " $10::text[], $11::bytea[], $12::bytea[], $13::text[], $14::integer[], $15::jsonb)"
)


# The group's deliveries, then (same statement, so same transaction and commit) the repeat
# requests of their orders' callers (`hotline.link_repeats`, migration 0033h; a volatile function
# sees what `receive_batch` wrote). The outbox rows linking wrote are added to the last row.
# Built from constants only: the batch call, then its next parameters (the window in days, the
# callers).
_BATCH_CALL = BATCH_SQL.split(" FROM ", 1)[1]
_NEXT = BATCH_SQL.count("$") + 1
_MATTER = ", ".join(f"'{t}'" for t in MATTER_EVENTS)
# Constants only (the event types above), no input: not an injection vector.
_LINKED_ORDERS = (
    "ARRAY(SELECT t.o FROM unnest($8::text[], $5::text[]) WITH ORDINALITY AS t(o, ty, n)"  # noqa: S608
    f" WHERE t.ty IN ({_MATTER}) ORDER BY t.n)"
)
_LINKED_CALLERS = (
    f"ARRAY(SELECT t.k FROM unnest($8::text[], $5::text[], ${_NEXT + 1}::text[])"  # noqa: S608
    f" WITH ORDINALITY AS t(o, ty, k, n) WHERE t.ty IN ({_MATTER}) ORDER BY t.n)"
)
_LINK_CALL = f"hotline.link_repeats({_LINKED_ORDERS}, {_LINKED_CALLERS}, ${_NEXT}::int)"
LINKED_BATCH_SQL = (
    (
        "WITH received AS MATERIALIZED (SELECT r.outcome, r.told, r.ord"
        " FROM {call} WITH ORDINALITY AS r(outcome, told, ord)),"
        " linked AS MATERIALIZED (SELECT {link} AS told"
        " FROM (SELECT count(*) FROM received) AS stored)"
        " SELECT r.outcome, r.told + CASE WHEN r.ord = (SELECT max(ord) FROM received)"
        " THEN l.told ELSE 0 END AS told FROM received AS r CROSS JOIN linked AS l ORDER BY r.ord"
    )
    .replace("{call}", _BATCH_CALL)
    .replace("{link}", _LINK_CALL)
)


@dataclass(slots=True)
class _Waiting:
    """A delivery waiting for its group: its place in the group (`Receipt.lock_order`), its
    sealed arguments and the request's future."""

    key: tuple[str, str]
    args: tuple[Any, ...]
    future: asyncio.Future[tuple[str, int]]
    caller: str | None = None  # Receipt.caller_key

    def fail(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(exc)


def _is_open(conn: asyncpg.Connection) -> bool:
    """Whether a pooled connection can still be used: one that PostgreSQL closed under it has
    been taken back by the pool already, and asking it anything raises."""
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        return False


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
        self.pending: list[_Waiting] = []
        self.running = 0
        self.tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, receipt: Receipt) -> tuple[str, int]:
        future: asyncio.Future[tuple[str, int]] = asyncio.get_running_loop().create_future()
        # Sealed here, in the request's own turn, not between two groups (PostgreSQL would
        # wait for it).
        self.pending.append(
            _Waiting(receipt.lock_order, receipt.args(self.settings), future, receipt.caller_key)
        )
        if self.running < self.concurrency:
            self.running += 1
            task = asyncio.create_task(self._drain())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return await future

    def _next_group(self) -> list[_Waiting]:
        group = self.pending[: self.max_batch]
        del self.pending[: self.max_batch]
        return group

    async def _drain(self) -> None:
        # A drain task starts a turn of the event loop after the request that made it, so the
        # requests read in that turn join the first group. After a commit the next group leaves
        # at once, on the same connection, before the committed group's answers are written:
        # waiting a turn there (the pool's release takes one) kept PostgreSQL idle behind them
        # (docs/PERFORMANCE.md "hotline_ingest").
        try:
            while self.pending:
                try:
                    conn = await self.pool.acquire()
                except Exception as exc:  # no connection to be had: this group fails (503)
                    for waiting in self._next_group():
                        waiting.fail(exc)
                    continue
                try:
                    while self.pending and _is_open(conn):
                        await self._store(conn, self._next_group())
                finally:
                    try:
                        await self.pool.release(conn)
                    except Exception as exc:  # a broken connection; the pool replaces it
                        log.warning("hotline_webhook_release_failed", error=str(exc))
        finally:
            self.running -= 1

    async def _store(self, conn: asyncpg.Connection, group: list[_Waiting]) -> None:
        """Store a group on `conn`; never raises (every delivery gets its result or error)."""
        group.sort(key=lambda waiting: waiting.key)
        try:
            rows = await self._run(
                conn, [waiting.args for waiting in group], [waiting.caller for waiting in group]
            )
        except Exception as exc:
            if len(group) == 1:
                group[0].fail(exc)
                return
            # One by one on the same connection: a second one from the pool could wait for
            # ever with DB_POOL_SIZE=1. Once the connection is closed the rest fail as
            # "database unavailable" (503: the platform delivers them again).
            for waiting in group:
                if not _is_open(conn):
                    waiting.fail(asyncpg.ConnectionDoesNotExistError(f"connection closed: {exc}"))
                else:
                    await self._store(conn, [waiting])
            return
        for waiting, row in zip(group, rows, strict=True):
            if not waiting.future.done():
                waiting.future.set_result((str(row[0]), int(row[1])))

    async def _run(
        self, conn: asyncpg.Connection, group: list[tuple[Any, ...]], callers: list[str | None]
    ) -> list[Any]:
        """One `receive_batch` call (its own transaction) for the deliveries' arguments, with
        the repeat requests of their callers linked (`LINKED_BATCH_SQL`)."""
        columns = [list(column) for column in zip(*group, strict=True)]
        window = self.settings.hotline_repeat_window_days
        try:
            rows: list[Any] = await conn.fetch(
                LINKED_BATCH_SQL, *columns, self.limits, window, callers
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
    dsn = settings.asyncpg_dsn
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=settings.db_pool_size,
        reset=_keep_session_state,
        server_settings={"application_name": "reform-platform:hotline-webhook", **PLANNER_SETTINGS},
    )
    return pool
