"""Demo "4+2" 项目观摩 (seed 003_fe0a5556b3029276.txt item 21, issue #27) of the 2026 programme:
the 年中 round (3 July), once the demo's day is past it, on the office's default sheet, each
district showing its demo key projects (new starts and completed ones; most districts have fewer
than 4 + 2, which the page shows as a warning), every district scored and the round published —
so the districts' evaluation scores include their `tour` component once the outbox is relayed.

Loading is idempotent: a round already there (any state) is left as it is. It goes through
reform_tasks' own service (audit, inbox, outbox), as the office would have done it.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.context import current_service
from shared.models import (
    Programme,
    Project,
    ProjectStage,
    Role,
    TourKind,
    TourProjectRole,
    TourRound,
    Unit,
)

HELD = (7, 3)  # early July (seed 003 item 21: "7月初,开展年中观摩活动")
ROLES = {
    ProjectStage.started: TourProjectRole.new_start,
    ProjectStage.building: TourProjectRole.new_start,
    ProjectStage.completed: TourProjectRole.completed,
}
OFFICE = Principal(username="office", role=Role.office_admin, unit_code=None)


def _points(maximum: float, share: Decimal) -> Decimal:
    """The district's points on an item: its share of the maximum, to half a point."""
    return (Decimal(str(maximum)) * share * 2).quantize(Decimal(1), ROUND_HALF_UP) / 2


async def load_tours(session: AsyncSession, programme: Programme, *, as_of: date) -> bool:
    """The published mid-year round, if the day is past it and it is not there yet."""
    from services.reform_tasks.tour import service
    from services.reform_tasks.tour.schemas import (
        ScoreIn,
        ScoresIn,
        ShownProjectIn,
        ShownProjectsIn,
        TourRoundIn,
    )

    held_on = date(programme.year, *HELD)
    if as_of <= held_on or not programme.starts_on <= held_on <= programme.ends_on:
        return False
    exists = await session.scalar(
        select(TourRound.id).where(
            TourRound.programme_id == programme.id, TourRound.kind == TourKind.mid_year
        )
    )
    if exists is not None:
        return False
    token = current_service.set("reform_tasks")
    try:
        tour = await service.create(
            session, OFFICE, programme, TourRoundIn(kind=TourKind.mid_year, held_on=held_on)
        )
        projects = (
            await session.scalars(
                select(Project)
                .where(Project.programme_id == programme.id, Project.stage.in_(list(ROLES)))
                .order_by(Project.code)
            )
        ).all()
        codes = [d.unit_code for d in tour.districts]
        ids = {
            code: unit_id
            for code, unit_id in (
                await session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(codes)))
            ).all()
        }
        for index, district in enumerate(tour.districts):
            shown = [
                ShownProjectIn(project_id=p.id, role=ROLES[p.stage])
                for p in projects
                if p.district_unit_id == ids[district.unit_code]
            ]
            if shown:
                await service.set_projects(
                    session,
                    OFFICE,
                    programme,
                    tour.id,
                    district.unit_code,
                    ShownProjectsIn(projects=shown),
                )
            share = Decimal("0.95") - Decimal("0.03") * index
            scores = [
                ScoreIn(item_id=item.id, points=_points(item.max_points, share))
                for item in tour.items
            ]
            await service.set_scores(
                session, OFFICE, programme, tour.id, district.unit_code, ScoresIn(scores=scores)
            )
        await service.publish(session, OFFICE, programme, tour.id)
    finally:
        current_service.reset(token)
    return True
