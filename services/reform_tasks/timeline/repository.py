"""Queries of timelines (tasks.timeline_entries); never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from shared.models import TimelineEntry
from shared.repository import RepositoryBase


class TimelineRepository(RepositoryBase[TimelineEntry]):
    model = TimelineEntry

    async def of_subject(self, subject_type: str, subject_id: int) -> Sequence[TimelineEntry]:
        """Every entry of one task or problem, oldest first."""
        return await self.list(
            select(TimelineEntry)
            .where(
                TimelineEntry.subject_type == subject_type,
                TimelineEntry.subject_id == subject_id,
            )
            .order_by(TimelineEntry.occurred_at, TimelineEntry.id)
        )
