"""Battle-map queries: plain rows, no ORM objects (a city's map is ~10k milestones and must be
answered in tens of milliseconds). Four queries whatever the size: tasks, responsible units,
milestones (with "reported by then"), and extensions approved after the cut-off."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, ScalarSelect, Select, exists, select
from sqlalchemy.orm import aliased

from services.reform_tasks.task.repository import TaskRepository, involves_unit
from shared.auth import Principal
from shared.models import (
    Domain,
    ExtensionRequest,
    ExtensionStatus,
    Milestone,
    ProgressReport,
    Task,
    TaskClass,
    Unit,
    task_responsible_units,
)
from shared.repository import RepositoryBase


class BattleMapRepository(RepositoryBase[Milestone]):
    model = Milestone

    def task_ids(
        self,
        principal: Principal,
        programme_id: int,
        *,
        domain: str | None,
        unit: str | None,
        task_class: TaskClass | None,
    ) -> ScalarSelect[Any]:
        """Ids of the tasks the caller may read (TaskRepository.readable_statement), filtered."""
        scoped: Select[Any] = TaskRepository(self.session).readable_statement(
            principal, programme_id
        )
        if domain:
            scoped = scoped.where(
                Task.domain_id.in_(
                    select(Domain.id).where(
                        Domain.programme_id == programme_id, Domain.code == domain
                    )
                )
            )
        if unit:
            scoped = scoped.where(involves_unit(unit))
        if task_class:
            scoped = scoped.where(Task.task_class == task_class)
        return scoped.with_only_columns(Task.id).scalar_subquery()

    async def tasks(
        self, task_ids: ScalarSelect[Any]
    ) -> Sequence[Row[int, int, str, TaskClass, date, date | None, str, str, str, str]]:
        lead = aliased(Unit)
        statement = (
            select(
                Task.id,
                Task.number,
                Task.title,
                Task.task_class,
                Task.deadline,
                Task.closed_out_on,
                Domain.code,
                Domain.name,
                lead.code,
                lead.short_name,
            )
            .join(Domain, Domain.id == Task.domain_id)
            .join(lead, lead.id == Task.lead_unit_id)
            .where(Task.id.in_(task_ids))
            .order_by(Task.number)
        )
        return (await self.session.execute(statement)).all()

    async def responsible_units(self, task_ids: ScalarSelect[Any]) -> Sequence[Row[int, str, str]]:
        statement = (
            select(task_responsible_units.c.task_id, Unit.code, Unit.short_name)
            .join(Unit, Unit.id == task_responsible_units.c.unit_id)
            .where(task_responsible_units.c.task_id.in_(task_ids))
            .order_by(Unit.code)
        )
        return (await self.session.execute(statement)).all()

    async def milestones(
        self, task_ids: ScalarSelect[Any], cutoff: datetime
    ) -> Sequence[Row[int, int, int, str, date, date, date | None, bool]]:
        """(task id, id, ordinal, title, planned now, baseline, completed on, reported before
        `cutoff`) in task and ordinal order."""
        reported = (
            exists()
            .where(ProgressReport.milestone_id == Milestone.id)
            .where(ProgressReport.submitted_at < cutoff)
        )
        statement = (
            select(
                Milestone.task_id,
                Milestone.id,
                Milestone.ordinal,
                Milestone.title,
                Milestone.planned_date,
                Milestone.baseline_date,
                Milestone.completed_on,
                reported,
            )
            .where(Milestone.task_id.in_(task_ids))
            .order_by(Milestone.task_id, Milestone.ordinal)
        )
        return (await self.session.execute(statement)).all()

    async def approvals_since(
        self, task_ids: ScalarSelect[Any], cutoff: datetime
    ) -> Sequence[Row[int, datetime | None, date]]:
        """Extensions approved at or after `cutoff`: (milestone id, decided at, moved from). For
        a map as of today there are none; for a past date they undo the later moves."""
        statement = (
            select(
                ExtensionRequest.milestone_id,
                ExtensionRequest.decided_at,
                ExtensionRequest.current_date,
            )
            .join(Milestone, Milestone.id == ExtensionRequest.milestone_id)
            .where(
                Milestone.task_id.in_(task_ids),
                ExtensionRequest.status == ExtensionStatus.approved,
                ExtensionRequest.decided_at >= cutoff,
            )
        )
        return (await self.session.execute(statement)).all()
