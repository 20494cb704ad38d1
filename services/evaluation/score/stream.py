"""Live score updates to browsers: an in-process fan-out of committed score changes.

One evaluation process sees every change it commits; with several replicas, each would publish
only its own (Postgres LISTEN/NOTIFY would be the next step; docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

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
