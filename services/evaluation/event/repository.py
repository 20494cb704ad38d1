from __future__ import annotations

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
