from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from shared.events import EventEnvelope
from shared.models.evaluation import Fact
from shared.repository import RepositoryBase

# One statement for any number of facts (executed with a list of rows: SQLAlchemy's batched
# "insertmanyvalues", compiled once and cached).
KEEP = insert(Fact).on_conflict_do_nothing(index_elements=[Fact.event_id])


class FactRepository(RepositoryBase[Fact]):
    model = Fact

    async def insert_many(self, events: Sequence[EventEnvelope]) -> None:
        """Keep the events as facts, in one statement (one already kept is left as it is)."""
        if not events:
            return
        await self.session.execute(
            KEEP,
            [
                {
                    "event_id": e.id,
                    "type": e.type,
                    "occurred_at": e.occurred_at,
                    "programme": e.programme,
                    "unit_code": e.unit_code,
                    "data": e.data,
                }
                for e in events
            ],
        )

    async def announce(self, channel: str, payloads: Sequence[str]) -> None:
        """NOTIFY each payload on `channel`: delivered to every listener when, and only if, the
        transaction commits."""
        await self.session.execute(
            text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p"),
            {"channel": channel, "payloads": list(payloads)},
        )
