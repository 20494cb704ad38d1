"""Extension-request queries, scoped by who is reading (never commits)."""

from __future__ import annotations

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import joinedload

from services.reform_tasks.task.repository import MilestoneQueries, involves_unit
from shared.auth import Principal
from shared.models import ExtensionRequest, ExtensionStatus, Milestone, Task
from shared.pagination import PageParams


class ExtensionRepository(MilestoneQueries[ExtensionRequest]):
    model = ExtensionRequest

    def readable_statement(
        self, principal: Principal, programme_id: int
    ) -> Select[ExtensionRequest, int]:
        """(request, task number): the office and viewers read all; a unit reads the requests on
        the tasks it leads or is responsible for (its own requests among them)."""
        statement = (
            select(ExtensionRequest, Task.number)
            .join(Milestone, Milestone.id == ExtensionRequest.milestone_id)
            .join(Task, Task.id == Milestone.task_id)
            .where(Task.programme_id == programme_id)
            .options(joinedload(ExtensionRequest.milestone), joinedload(ExtensionRequest.unit))
        )
        if principal.can_read_unit(None):
            return statement
        if principal.unit_code is None:
            return statement.where(false())
        return statement.where(involves_unit(principal.unit_code))

    async def page(
        self,
        principal: Principal,
        programme_id: int,
        status: ExtensionStatus | None,
        page: PageParams,
        *,
        task: int | None = None,
    ) -> tuple[list[tuple[ExtensionRequest, int]], int]:
        statement = self.readable_statement(principal, programme_id)
        if status is not None:
            statement = statement.where(ExtensionRequest.status == status)
        if task is not None:
            statement = statement.where(Task.number == task)
        total = await self.session.scalar(
            select(func.count()).select_from(
                statement.with_only_columns(ExtensionRequest.id).order_by(None).subquery()
            )
        )
        rows = await self.session.execute(
            statement.order_by(ExtensionRequest.created_at.desc(), ExtensionRequest.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        return [(ext, number) for ext, number in rows.all()], int(total or 0)

    async def get(self, ext_id: int) -> tuple[ExtensionRequest, int]:
        row = (
            await self.session.execute(
                select(ExtensionRequest, Task.number)
                .join(Milestone, Milestone.id == ExtensionRequest.milestone_id)
                .join(Task, Task.id == Milestone.task_id)
                .options(joinedload(ExtensionRequest.milestone), joinedload(ExtensionRequest.unit))
                .where(ExtensionRequest.id == ext_id)
                .execution_options(populate_existing=True)
            )
        ).one()
        return row[0], row[1]

    async def readable_for_update(
        self, principal: Principal, programme_id: int, ext_id: int
    ) -> tuple[ExtensionRequest, int] | None:
        row = (
            await self.session.execute(
                self.readable_statement(principal, programme_id)
                .where(ExtensionRequest.id == ext_id)
                .with_for_update(of=ExtensionRequest)
                .execution_options(populate_existing=True)
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    async def has_pending(self, milestone_id: int) -> bool:
        found = await self.session.scalar(
            select(ExtensionRequest.id)
            .where(
                ExtensionRequest.milestone_id == milestone_id,
                ExtensionRequest.status == ExtensionStatus.pending,
            )
            .limit(1)
        )
        return found is not None
