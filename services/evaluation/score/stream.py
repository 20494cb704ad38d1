"""Live score updates to browsers: an in-process fan-out of committed score changes.

One evaluation process sees every change it commits; with several replicas, each would publish
only its own (Postgres LISTEN/NOTIFY would be the next step; docs/EVALUATION.md).
What each subscriber sees, and when its stream ends, is decided here too.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from shared.auth import Principal, token_still_stands
from shared.settings import Settings

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


QUEUE_SIZE = 1000


class Broadcaster:
    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    def publish(self, message: dict[str, Any]) -> None:
        """A client that falls behind (a burst of changes, a slow network) misses the oldest
        updates, never the latest: each message carries a score's new total, and memory stays
        bounded. It stays subscribed until it disconnects."""
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
