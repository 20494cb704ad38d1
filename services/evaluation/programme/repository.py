"""Queries of closed programmes and their frozen final results (issue #21)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, exists, or_, select, text
from sqlalchemy.dialects.postgresql import insert

from shared.models.evaluation import ClosedProgramme, FinalResult, RuleSet, Score
from shared.repository import RepositoryBase

EXCLUSIVE = text("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(CAST(:keys AS text[])) k")
SHARED = text(
    "SELECT pg_advisory_xact_lock_shared(hashtext(k)) FROM unnest(CAST(:keys AS text[])) k"
)


class ProgrammeRepository(RepositoryBase[ClosedProgramme]):
    model = ClosedProgramme

    async def lock(self, codes: Iterable[str], *, exclusive: bool = False) -> None:
        """Transaction-scoped advisory locks on programmes, in code order (no deadlocks): facts,
        inputs and recomputes hold them shared, closing holds one exclusive, so nothing is
        applied to a programme while it is being frozen. Taken before any unit lock."""
        keys = [f"evaluation.programme:{code}" for code in sorted(set(codes))]
        if not keys:
            return
        await self.session.execute(EXCLUSIVE if exclusive else SHARED, {"keys": keys})

    async def closed(self, codes: Iterable[str]) -> set[str]:
        wanted = list(set(codes))
        if not wanted:
            return set()
        rows = await self.session.scalars(
            select(ClosedProgramme.code).where(ClosedProgramme.code.in_(wanted))
        )
        return set(rows.all())

    async def closed_programme(self, code: str) -> ClosedProgramme | None:
        return await self.session.get(ClosedProgramme, code)

    async def add_closed(
        self, *, code: str, year: int, closed_on: date, closed_by: str, event_id: uuid.UUID
    ) -> None:
        await self.session.execute(
            insert(ClosedProgramme)
            .values(
                code=code, year=year, closed_on=closed_on, closed_by=closed_by, event_id=event_id
            )
            .on_conflict_do_nothing(index_elements=[ClosedProgramme.code])
        )

    async def add_results(self, rows: list[dict[str, Any]]) -> None:
        stmt = insert(cast(Table, FinalResult.__table__)).on_conflict_do_nothing(
            index_elements=["programme", "period", "unit_code"]
        )
        for chunk in range(0, len(rows), 1000):
            await self.session.execute(stmt, rows[chunk : chunk + 1000])

    async def results(self, programme: str, period: str) -> Sequence[FinalResult]:
        """A period's frozen results (none: the programme is not closed, or the period was not
        frozen), best first."""
        stmt = (
            select(FinalResult)
            .where(FinalResult.programme == programme, FinalResult.period == period)
            .order_by(FinalResult.total.desc(), FinalResult.unit_code)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def known(self, programme: str) -> bool:
        """Whether evaluation has anything of the programme (rules, scores, or closed it)."""
        found = await self.session.scalar(
            select(
                or_(
                    exists().where(RuleSet.programme == programme),
                    exists().where(Score.programme == programme),
                    exists().where(ClosedProgramme.code == programme),
                )
            )
        )
        return bool(found)
