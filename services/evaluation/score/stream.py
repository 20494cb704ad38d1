"""Live score updates to browsers, from every replica of evaluation to every subscriber.

A consumer announces its score changes with PostgreSQL's NOTIFY on `CHANNEL`, in the transaction
that made them (`ledger.repository.LedgerRepository.announce`): they are delivered when, and only
if, it commits, to every replica. Each replica LISTENs on one connection of its own
(`ScoreListener`) and fans the changes out to its subscribers in process (`Broadcaster`). What
each subscriber sees, and when its stream ends, is decided here too.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import structlog

from shared.auth import Principal, token_still_stands
from shared.settings import Settings

log = structlog.get_logger(__name__)
CHANNEL = "evaluation_score_changed"
# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more: a change naming a large batch's
# events keeps the one that moved it and drops the list.
NOTIFY_MAX_BYTES = 7900
# How long the listener waits before connecting again after losing its connection.
RECONNECT_SECONDS = 1.0


def notification(message: dict[str, Any]) -> str:
    """The NOTIFY payload of one score change (under PostgreSQL's limit)."""
    payload = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    if len(payload.encode()) < NOTIFY_MAX_BYTES:
        return payload
    trimmed = {key: value for key, value in message.items() if key != "event_ids"}
    return json.dumps(trimmed, ensure_ascii=False, separators=(",", ":"))


# What a unit account sees of another unit's change: the published total, not what moved it.
PUBLIC_FIELDS = ("programme", "period", "unit_code", "total", "grade")


def visible_to(principal: Principal, message: dict[str, Any]) -> dict[str, Any]:
    if principal.is_unit and message.get("unit_code") != principal.unit_code:
        return {key: message[key] for key in PUBLIC_FIELDS if key in message}
    return message


async def session_end(app: Any, principal: Principal) -> str | None:
    """Why the subscriber's stream must end now ("expired", "revoked"), or None."""
    if principal.expires_at is not None and datetime.now(UTC) >= principal.expires_at:
        return "expired"
    if not await token_still_stands(app, principal):
        return "revoked"
    return None


def recheck_after(settings: Settings, principal: Principal) -> float:
    """Seconds to wait for a change before checking the token again (at least 1 s)."""
    wait = max(1.0, settings.token_check_seconds)
    if principal.expires_at is not None:
        left = (principal.expires_at - datetime.now(UTC)).total_seconds()
        wait = min(wait, max(left, 0.05))
    return wait


# Scores a subscriber can have pending at once: more than every score of two programmes (49
# units × 20 periods each), so a burst never costs a subscriber a score's latest total.
QUEUE_SIZE = 4096


def score_key(message: dict[str, Any]) -> tuple[object, object, object]:
    return message.get("programme"), message.get("period"), message.get("unit_code")


class LatestPerScore(asyncio.Queue[dict[str, Any]]):
    """A subscriber's pending changes, at most one per score (programme, period, unit): a newer
    change replaces the pending one and goes to the back, so a subscriber behind a burst skips
    the intermediate totals, never a score's latest. Bounded by QUEUE_SIZE scores (the oldest
    score is dropped beyond it)."""

    def _init(self, maxsize: int) -> None:
        self._pending: OrderedDict[tuple[object, object, object], dict[str, Any]] = OrderedDict()

    def _put(self, item: dict[str, Any]) -> None:
        key = score_key(item)
        self._pending.pop(key, None)
        self._pending[key] = item
        if len(self._pending) > QUEUE_SIZE:
            self._pending.popitem(last=False)

    def _get(self) -> dict[str, Any]:
        return self._pending.popitem(last=False)[1]

    def qsize(self) -> int:
        return len(self._pending)

    def empty(self) -> bool:
        return not self._pending


class Broadcaster:
    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue = LatestPerScore()  # unbounded for asyncio: it bounds itself, per score
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    def publish(self, message: dict[str, Any]) -> None:
        """A client that falls behind (a burst of changes, a slow network) misses intermediate
        totals, never a score's latest (`LatestPerScore`: each message carries a score's new
        total), and memory stays bounded. It stays subscribed until it disconnects."""
        for queue in self._subscribers:
            queue.put_nowait(message)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)


class ScoreListener:
    """LISTENs on `CHANNEL` on a connection of its own and publishes each change to the
    replica's `Broadcaster`; a lost connection is opened again (changes committed meanwhile are
    not replayed: a page that reconnects reads the scores afresh)."""

    def __init__(self, settings: Settings, broadcaster: Broadcaster) -> None:
        self.settings = settings
        self.broadcaster = broadcaster
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="score-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _received(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            log.warning("score_notification_unreadable", payload=payload[:200])
            return
        self.broadcaster.publish(message)

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except Exception:  # whatever went wrong, the replica keeps listening
                log.exception("score_listener_failed")
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen(self) -> None:
        """Until the connection is lost."""
        lost = asyncio.Event()
        conn = await asyncpg.connect(self.settings.asyncpg_dsn)
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(CHANNEL, self._received)
            self.listening.set()
            await lost.wait()
            log.warning("score_listener_connection_lost")
        finally:
            self.listening.clear()
            await conn.close(timeout=2)
