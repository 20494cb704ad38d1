from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from shared.models import Domain, Programme
from shared.repository import RepositoryBase


class ProgrammeRepository(RepositoryBase[Programme]):
    model = Programme

    async def get_by_code(self, code: str) -> Programme | None:
        return await self.get_one_or_none(select(Programme).where(Programme.code == code))

    async def latest(self) -> Programme | None:
        return await self.get_one_or_none(
            select(Programme).order_by(Programme.year.desc(), Programme.id.desc()).limit(1)
        )

    async def all(self) -> Sequence[Programme]:
        return await self.list(select(Programme).order_by(Programme.year.desc()))

    async def overlapping(self, code: str, year: int) -> Programme | None:
        """A programme with this code or for this year (one programme per year)."""
        statement = select(Programme).where((Programme.code == code) | (Programme.year == year))
        return await self.session.scalar(statement.limit(1))

    async def domains(self, programme_id: int) -> Sequence[Domain]:
        stmt = select(Domain).where(Domain.programme_id == programme_id).order_by(Domain.ordinal)
        return (await self.session.execute(stmt)).scalars().all()
