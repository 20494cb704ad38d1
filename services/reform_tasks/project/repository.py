"""Key-project queries. Reads are scoped: the office, viewers and services read every project; a
unit the projects of which it is the district (属地) or the lead unit (责任单位); another unit's
project does not exist for it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from shared.auth import Principal
from shared.models import (
    Project,
    ProjectEvaluation,
    ProjectLevel,
    ProjectNode,
    ProjectPlanFile,
    ProjectProblem,
    ProjectProblemStatus,
    ProjectStage,
    ProjectStatus,
    Unit,
    WeeklyReport,
    WeeklyReportPhoto,
)
from shared.pagination import PageParams
from shared.repository import RepositoryBase


def _loaded(statement: Select[Any]) -> Select[Any]:
    return statement.options(
        selectinload(Project.district_unit),
        selectinload(Project.lead_unit),
        selectinload(Project.nodes),
    )


class ProjectRepository(RepositoryBase[Project]):
    model = Project

    def readable_statement(self, principal: Principal, programme_id: int) -> Select[Project]:
        statement = _loaded(select(Project)).where(Project.programme_id == programme_id)
        if principal.can_read_unit(None):
            return statement
        if principal.unit_code is None:
            return statement.where(false())
        own = select(Unit.id).where(Unit.code == principal.unit_code).scalar_subquery()
        return statement.where(or_(Project.district_unit_id == own, Project.lead_unit_id == own))

    async def get_readable(
        self, principal: Principal, programme_id: int, project_id: int, *, lock: bool = False
    ) -> Project | None:
        statement = self.readable_statement(principal, programme_id).where(Project.id == project_id)
        return await self.get_one_or_none(statement, lock=lock)

    async def readable_page(
        self,
        principal: Principal,
        programme_id: int,
        page: PageParams,
        *,
        level: ProjectLevel | None,
        district: str | None,
        stage: ProjectStage | None,
        status: ProjectStatus | None,
    ) -> tuple[Sequence[Project], int]:
        statement = self.readable_statement(principal, programme_id)
        if level:
            statement = statement.where(Project.level == level)
        if district:
            statement = statement.where(
                Project.district_unit_id.in_(select(Unit.id).where(Unit.code == district))
            )
        if stage:
            statement = statement.where(Project.stage == stage)
        if status:
            statement = statement.where(Project.status == status)
        return await self.paginate(statement.order_by(Project.code), page)

    async def all_readable(self, principal: Principal, programme_id: int) -> Sequence[Project]:
        return await self.list(
            self.readable_statement(principal, programme_id).order_by(Project.code)
        )

    async def by_code(self, programme_id: int, code: str) -> Project | None:
        return await self.get_one_or_none(
            _loaded(select(Project)).where(
                Project.programme_id == programme_id, Project.code == code
            )
        )

    async def unit_by_code(self, code: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.code == code))

    async def units(self) -> Sequence[Unit]:
        return (await self.session.scalars(select(Unit).order_by(Unit.id))).all()

    async def replace_nodes(self, project: Project, nodes: list[ProjectNode]) -> None:
        await self.session.execute(delete(ProjectNode).where(ProjectNode.project_id == project.id))
        await self.session.flush()
        self.session.add_all(nodes)
        await self.session.flush()
        self.session.expire(project, ["nodes"])

    async def delete(self, project: Project) -> bool:
        """Delete the project (its nodes, evaluation, files, problems and reports go with it);
        False, and nothing deleted, when another record (a 观摩 round's project …) refers to it."""
        try:
            async with self.session.begin_nested():
                await self.session.delete(project)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    # --- evaluation, plan, problems ---------------------------------------------------------

    async def evaluation(self, project_id: int) -> ProjectEvaluation | None:
        return await self.session.scalar(
            select(ProjectEvaluation).where(ProjectEvaluation.project_id == project_id)
        )

    async def latest_plans(self, project_ids: Sequence[int]) -> dict[int, ProjectPlanFile]:
        rows = await self.session.scalars(
            select(ProjectPlanFile)
            .where(ProjectPlanFile.project_id.in_(project_ids))
            .order_by(ProjectPlanFile.project_id, ProjectPlanFile.id)
        )
        return {row.project_id: row for row in rows}

    async def plan_file(self, project_id: int, file_id: int) -> ProjectPlanFile | None:
        return await self.session.scalar(
            select(ProjectPlanFile).where(
                ProjectPlanFile.project_id == project_id, ProjectPlanFile.id == file_id
            )
        )

    async def problems(self, project_id: int) -> Sequence[ProjectProblem]:
        return (
            await self.session.scalars(
                select(ProjectProblem)
                .where(ProjectProblem.project_id == project_id)
                .order_by(ProjectProblem.id)
            )
        ).all()

    async def problem(self, project_id: int, item_id: int) -> ProjectProblem | None:
        return await self.session.scalar(
            select(ProjectProblem)
            .where(ProjectProblem.project_id == project_id, ProjectProblem.id == item_id)
            .with_for_update()
        )

    async def open_problems(self, project_ids: Sequence[int]) -> dict[int, list[str]]:
        rows = await self.session.execute(
            select(ProjectProblem.project_id, ProjectProblem.problem)
            .where(
                ProjectProblem.project_id.in_(project_ids),
                ProjectProblem.status == ProjectProblemStatus.open,
            )
            .order_by(ProjectProblem.id)
        )
        found: dict[int, list[str]] = {}
        for project_id, text in rows.all():
            found.setdefault(project_id, []).append(text)
        return found

    # --- weekly reports ---------------------------------------------------------------------

    async def weekly_reports(self, project_id: int) -> Sequence[WeeklyReport]:
        return (
            await self.session.scalars(
                select(WeeklyReport)
                .options(selectinload(WeeklyReport.photos))
                .where(WeeklyReport.project_id == project_id)
                .order_by(WeeklyReport.week.desc())
            )
        ).all()

    async def has_weekly_report(self, project_id: int, week: str) -> bool:
        found = await self.session.scalar(
            select(WeeklyReport.id).where(
                WeeklyReport.project_id == project_id, WeeklyReport.week == week
            )
        )
        return found is not None

    async def led_by(self, programme_id: int, unit_id: int) -> Sequence[Project]:
        """The programme's projects the unit leads (it files their weekly reports)."""
        return await self.list(
            select(Project)
            .where(Project.programme_id == programme_id, Project.lead_unit_id == unit_id)
            .order_by(Project.code)
        )

    async def reported(self, project_ids: Sequence[int], week: str) -> set[int]:
        rows = await self.session.scalars(
            select(WeeklyReport.project_id).where(
                WeeklyReport.project_id.in_(project_ids), WeeklyReport.week == week
            )
        )
        return set(rows)

    async def latest_reports_until(
        self, project_ids: Sequence[int], week: str
    ) -> dict[int, WeeklyReport]:
        """Each project's report of `week`, or its latest before it."""
        rows = await self.session.scalars(
            select(WeeklyReport)
            .options(selectinload(WeeklyReport.photos))
            .where(WeeklyReport.project_id.in_(project_ids), WeeklyReport.week <= week)
            .order_by(WeeklyReport.project_id, WeeklyReport.week)
        )
        return {row.project_id: row for row in rows}

    async def photo(
        self, project_id: int, report_id: int, photo_id: int
    ) -> WeeklyReportPhoto | None:
        return await self.session.scalar(
            select(WeeklyReportPhoto)
            .join(WeeklyReport, WeeklyReport.id == WeeklyReportPhoto.report_id)
            .where(
                WeeklyReport.project_id == project_id,
                WeeklyReportPhoto.report_id == report_id,
                WeeklyReportPhoto.id == photo_id,
            )
        )

    async def unit_codes(self) -> dict[int, str]:
        rows = await self.session.execute(select(Unit.id, Unit.code))
        return {unit_id: code for unit_id, code in rows.all()}

    async def count(self, programme_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Project)
                .where(Project.programme_id == programme_id)
            )
            or 0
        )
