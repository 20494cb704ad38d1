from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from shared.events import EventEnvelope
from shared.models.evaluation import Fact
from shared.repository import RepositoryBase


class FactRepository(RepositoryBase[Fact]):
    model = Fact

    async def insert(self, event: EventEnvelope) -> None:
        await self.session.execute(
            insert(Fact)
            .values(
                event_id=event.id,
                type=event.type,
                occurred_at=event.occurred_at,
                programme=event.programme,
                unit_code=event.unit_code,
                data=event.data,
            )
            .on_conflict_do_nothing(index_elements=[Fact.event_id])
        )

    async def announce(self, channel: str, payloads: Sequence[str]) -> None:
        """NOTIFY each payload on `channel`: delivered to every listener when, and only if, the
        transaction commits."""
        await self.session.execute(
            text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p"),
            {"channel": channel, "payloads": list(payloads)},
        )
