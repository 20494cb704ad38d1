"""The platforms' mappings as each process holds them: the webhook never queries per delivery.
The newest versions are read at most once every `RECHECK_SECONDS` (one query for all
platforms, only when a delivery from a mapped platform arrives), and at once after this process
saved a new version; a version another process saved applies here within `RECHECK_SECONDS`.
A delivery from our own contract (a secret without a platform) never looks here."""

from __future__ import annotations

import asyncio
import time

import structlog
from pydantic import ValidationError

from services.hotline_ingest.platform.mapping import Mapping
from services.hotline_ingest.platform.repository import Fetcher, newest_mappings

log = structlog.get_logger(__name__)

RECHECK_SECONDS = 5.0


class MappingCache:
    def __init__(self, pool: Fetcher, *, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.pool = pool
        self.recheck_seconds = recheck_seconds
        self.mappings: dict[str, Mapping] = {}
        self.checked_at: float | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Read the versions again before the next mapped delivery (this process saved one)."""
        self.checked_at = None

    def _fresh(self) -> bool:
        return (
            self.checked_at is not None
            and time.monotonic() - self.checked_at < self.recheck_seconds
        )

    async def get(self, platform: str) -> Mapping | None:
        """The newest mapping of `platform`, or None (no mapping: our own contract)."""
        if not self._fresh():
            async with self._lock:  # one reader at a time; the others take its result
                if not self._fresh():
                    await self._reload()
        return self.mappings.get(platform)

    async def _reload(self) -> None:
        started = time.monotonic()
        found: dict[str, Mapping] = {}
        for platform, version, document in await newest_mappings(self.pool):
            held = self.mappings.get(platform)
            if held is not None and held.version == version:
                found[platform] = held  # unchanged: not parsed again
                continue
            try:
                found[platform] = Mapping.of(platform, version, document)
            except ValidationError as exc:
                # Saved valid, no longer valid for the contract: its deliveries are judged by
                # the contract itself (kept and listed if they do not fit), never a 500.
                log.error("hotline_platform_mapping_invalid", platform=platform, error=str(exc))
                continue
            log.info("hotline_platform_mapping_loaded", platform=platform, version=version)
        self.mappings = found
        self.checked_at = started
