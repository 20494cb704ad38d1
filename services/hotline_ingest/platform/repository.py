"""Queries of the platforms' field mappings and of the deliveries kept but not applied; never
commits. `newest_mappings` runs on the webhook's asyncpg pool (the per-process cache,
`cache.MappingCache`), the rest in a request's session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import func, select, text

from shared.models.hotline import Delivery, PlatformMapping
from shared.pagination import PageParams
from shared.repository import RepositoryBase

# The newest version of every platform's mapping: one row a platform, a few platforms.
NEWEST_SQL = (
    "SELECT DISTINCT ON (platform) platform, version, document::text"
    " FROM hotline.platform_mappings ORDER BY platform, version DESC"
)
# Two admins saving the same platform's mapping at once get consecutive versions.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('hotline.platform_mapping:' || :p, 0))")


class Fetcher(Protocol):
    async def fetch(self, query: str, *args: Any) -> list[Any]: ...


async def newest_mappings(pool: Fetcher) -> list[tuple[str, int, str]]:
    """(platform, version, document as JSON text) of each platform's newest mapping."""
    return [(str(r[0]), int(r[1]), str(r[2])) for r in await pool.fetch(NEWEST_SQL)]


class MappingRepository(RepositoryBase[PlatformMapping]):
    model = PlatformMapping

    async def versions(self, platform: str) -> Sequence[PlatformMapping]:
        """Every version, newest first."""
        return await self.list(
            select(PlatformMapping)
            .where(PlatformMapping.platform == platform)
            .order_by(PlatformMapping.version.desc())
        )

    async def lock(self, platform: str) -> None:
        await self.session.execute(_LOCK, {"p": platform})

    async def newest_version(self, platform: str) -> int:
        found = await self.session.scalar(
            select(func.max(PlatformMapping.version)).where(PlatformMapping.platform == platform)
        )
        return int(found or 0)


class DeliveryRepository(RepositoryBase[Delivery]):
    model = Delivery

    async def kept(
        self, outcomes: Sequence[str], platform: str | None, page: PageParams
    ) -> tuple[Sequence[Delivery], int]:
        """Deliveries with one of `outcomes`, newest first (the partial index
        `ix_deliveries_rejected` serves the two rejected outcomes)."""
        statement = select(Delivery).where(Delivery.outcome.in_(outcomes))
        if platform is not None:
            statement = statement.where(Delivery.platform == platform)
        return await self.paginate(statement.order_by(Delivery.id.desc()), page)
