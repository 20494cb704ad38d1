"""Queries of the published 万企评机关 results: rounds, their scores, publications and decision
items. No commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert

from shared.models import (
    SurveyDecision,
    SurveyDecisionStatus,
    SurveyPublication,
    SurveyResult,
    SurveySubResult,
    Unit,
)
from shared.repository import RepositoryBase


class SurveyResultsRepository(RepositoryBase[SurveyDecision]):
    model = SurveyDecision

    async def rounds(self) -> Sequence[Row[str, str, int]]:
        """(period, programme, units) of every round with unit results, oldest first."""
        statement = (
            select(SurveyResult.period, func.min(SurveyResult.programme), func.count())
            .group_by(SurveyResult.period)
            .order_by(SurveyResult.period)
        )
        return (await self.session.execute(statement)).all()

    async def sub_unit_counts(self) -> dict[str, int]:
        statement = select(SurveySubResult.period, func.count()).group_by(SurveySubResult.period)
        return {period: count for period, count in (await self.session.execute(statement)).all()}

    async def publications(self) -> dict[str, SurveyPublication]:
        rows = (await self.session.execute(select(SurveyPublication))).scalars().all()
        return {row.period: row for row in rows}

    async def publication(self, period: str) -> SurveyPublication | None:
        return await self.session.get(SurveyPublication, period)

    async def publish(self, period: str, programme: str, by: str) -> SurveyPublication:
        row = SurveyPublication(period=period, programme=programme, published_by=by)
        self.session.add(row)
        await self.session.flush()
        await self.session.refresh(row)
        return row

    async def unit_results(self, period: str) -> Sequence[SurveyResult]:
        statement = select(SurveyResult).where(SurveyResult.period == period)
        return (await self.session.execute(statement)).scalars().all()

    async def sub_results(self, period: str) -> Sequence[SurveySubResult]:
        statement = select(SurveySubResult).where(SurveySubResult.period == period)
        return (await self.session.execute(statement)).scalars().all()

    async def has_results(self, period: str) -> bool:
        statement = select(func.count()).where(SurveyResult.period == period)
        return bool(await self.session.scalar(statement))

    async def unit_names(self, codes: Iterable[str]) -> dict[str, str]:
        statement = select(Unit.code, Unit.name).where(Unit.code.in_(list(codes)))
        return {code: name for code, name in (await self.session.execute(statement)).all()}

    async def save_sub_results(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert or replace (by period, unit and sub-unit) a sheet's sub-unit rows."""
        for row in rows:
            statement = insert(SurveySubResult).values(**row)
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["period", "unit_code", "sub_unit"],
                    set_={
                        "score": statement.excluded.score,
                        "respondents": statement.excluded.respondents,
                        "recorded_by": statement.excluded.recorded_by,
                        "recorded_at": func.now(),
                    },
                )
            )

    async def decision_keys(self, period: str) -> set[tuple[str, str]]:
        statement = select(SurveyDecision.unit_code, SurveyDecision.sub_unit).where(
            SurveyDecision.period == period
        )
        return {(u, s) for u, s in (await self.session.execute(statement)).all()}

    async def add_decisions(self, rows: Sequence[SurveyDecision]) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def decisions(
        self, *, period: str | None, status: SurveyDecisionStatus | None
    ) -> Sequence[SurveyDecision]:
        statement = select(SurveyDecision)
        if period:
            statement = statement.where(SurveyDecision.period == period)
        if status:
            statement = statement.where(SurveyDecision.status == status)
        statement = statement.order_by(
            SurveyDecision.period.desc(), SurveyDecision.unit_code, SurveyDecision.sub_unit
        )
        return (await self.session.execute(statement)).scalars().all()

    async def decision_for_update(self, decision_id: int) -> SurveyDecision | None:
        return await self.session.get(SurveyDecision, decision_id, with_for_update=True)
