""" "4+2" 观摩 queries. Rounds, sheets and shown projects are read by every account; the team's
scores are filtered in the service (who may see which district's, and when)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select

from shared.models import (
    Project,
    TourKind,
    TourProject,
    TourRound,
    TourScore,
    TourSheetItem,
    Unit,
    UnitKind,
)
from shared.pagination import PageParams
from shared.repository import RepositoryBase


class TourRepository(RepositoryBase[TourRound]):
    model = TourRound

    async def page(self, programme_id: int, page: PageParams) -> tuple[Sequence[TourRound], int]:
        statement = (
            select(TourRound)
            .where(TourRound.programme_id == programme_id)
            .order_by(TourRound.held_on, TourRound.id)
        )
        return await self.paginate(statement, page)

    async def get(
        self, programme_id: int, round_id: int, *, lock: bool = False
    ) -> TourRound | None:
        statement = select(TourRound).where(
            TourRound.programme_id == programme_id, TourRound.id == round_id
        )
        if lock:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.get_one_or_none(statement)

    async def of_kind(self, programme_id: int, kind: TourKind) -> TourRound | None:
        return await self.get_one_or_none(
            select(TourRound).where(TourRound.programme_id == programme_id, TourRound.kind == kind)
        )

    async def items(self, round_ids: Iterable[int]) -> Sequence[TourSheetItem]:
        rows = await self.session.scalars(
            select(TourSheetItem)
            .where(TourSheetItem.round_id.in_(list(round_ids)))
            .order_by(TourSheetItem.round_id, TourSheetItem.ordinal)
        )
        return rows.all()

    async def replace_items(self, tour: TourRound, items: list[TourSheetItem]) -> None:
        await self.session.execute(delete(TourSheetItem).where(TourSheetItem.round_id == tour.id))
        self.session.add_all(items)
        await self.session.flush()

    async def score_count(self, round_id: int) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(TourScore).where(TourScore.round_id == round_id)
        )
        return int(count or 0)

    async def scored_rounds(self, round_ids: Iterable[int]) -> set[int]:
        rows = await self.session.scalars(
            select(TourScore.round_id).distinct().where(TourScore.round_id.in_(list(round_ids)))
        )
        return set(rows.all())

    async def districts(self) -> Sequence[Unit]:
        """Every active district (区县): each is toured (seed 003 item 21: "观摩每个县(市、区)")."""
        rows = await self.session.scalars(
            select(Unit)
            .where(Unit.kind == UnitKind.district, Unit.is_active.is_(True))
            .order_by(Unit.code)
        )
        return rows.all()

    async def shown(self, round_id: int) -> Sequence[tuple[TourProject, Project]]:
        rows = await self.session.execute(
            select(TourProject, Project)
            .join(Project, Project.id == TourProject.project_id)
            .where(TourProject.round_id == round_id)
            .order_by(TourProject.role.desc(), Project.code)
        )
        return [(shown, project) for shown, project in rows.all()]

    async def projects(self, programme_id: int, ids: Iterable[int]) -> dict[int, Project]:
        rows = await self.session.scalars(
            select(Project).where(Project.programme_id == programme_id, Project.id.in_(list(ids)))
        )
        return {p.id: p for p in rows}

    async def replace_shown(
        self, tour: TourRound, district: Unit, shown: list[TourProject]
    ) -> None:
        await self.session.execute(
            delete(TourProject).where(
                TourProject.round_id == tour.id, TourProject.district_unit_id == district.id
            )
        )
        self.session.add_all(shown)
        await self.session.flush()

    async def scores(self, round_id: int) -> Sequence[TourScore]:
        rows = await self.session.scalars(select(TourScore).where(TourScore.round_id == round_id))
        return rows.all()

    async def district_scores(self, round_id: int, district_id: int) -> dict[int, TourScore]:
        rows = await self.session.scalars(
            select(TourScore).where(
                TourScore.round_id == round_id, TourScore.district_unit_id == district_id
            )
        )
        return {s.item_id: s for s in rows}

    async def district_by_code(self, code: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.code == code))
