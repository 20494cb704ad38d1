"""Queries of the office's inputs (inspections, surveys, external ranks) and of parked events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from shared.auth import Principal
from shared.models import ExternalRank, Inspection, ParkedEvent, SurveyResult, Unit
from shared.repository import RepositoryBase


class InputsRepository(RepositoryBase[Inspection]):
    model = Inspection

    async def inspection_of(self, event_id: uuid.UUID) -> Inspection | None:
        return await self.session.scalar(select(Inspection).where(Inspection.event_id == event_id))

    async def inspections(self, principal: Principal, programme: str) -> Sequence[Inspection]:
        """The office and viewers read every unit's findings; a unit only its own."""
        stmt = select(Inspection).where(Inspection.programme == programme)
        if not principal.can_read_unit(None):
            stmt = stmt.where(Inspection.unit_code == (principal.unit_code or ""))
        stmt = stmt.order_by(Inspection.inspected_on.desc())
        return (await self.session.execute(stmt)).scalars().all()

    async def surveys(self, principal: Principal, programme: str) -> Sequence[SurveyResult]:
        """The office and viewers read every unit's survey result; a unit only its own."""
        stmt = select(SurveyResult).where(SurveyResult.programme == programme)
        if not principal.can_read_unit(None):
            stmt = stmt.where(SurveyResult.unit_code == (principal.unit_code or ""))
        stmt = stmt.order_by(SurveyResult.period, SurveyResult.score.desc())
        return (await self.session.execute(stmt)).scalars().all()

    async def external_ranks(self, programme: str) -> Sequence[ExternalRank]:
        stmt = select(ExternalRank).where(ExternalRank.programme == programme)
        return (await self.session.execute(stmt.order_by(ExternalRank.indicator))).scalars().all()

    async def parked(self) -> Sequence[ParkedEvent]:
        stmt = select(ParkedEvent).order_by(ParkedEvent.parked_at.desc())
        return (await self.session.execute(stmt)).scalars().all()

    async def parked_for_update(self, parked_id: int) -> ParkedEvent | None:
        return await self.session.get(ParkedEvent, parked_id, with_for_update=True)

    async def unit_names(self) -> dict[str, str]:
        """Code, full name and short name of every unit → its code (for a sheet's 单位 column)."""
        lookup: dict[str, str] = {}
        rows = await self.session.execute(select(Unit.code, Unit.name, Unit.short_name))
        for code, name, short in rows.all():
            lookup.update({code: code, name: code, short: code})
        return lookup
