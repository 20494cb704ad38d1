"""Queries behind a unit's to-do list (待办). Each reads one kind of item for one unit only: the
service decides which unit the caller may read (`service.unit_in_view`) and passes it here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from services.reform_tasks.supervision.repository import SubjectRef
from services.reform_tasks.task.repository import involves_unit
from shared.models import (
    Milestone,
    Problem,
    ProgressReport,
    Rating,
    RatingWindow,
    ReviewStatus,
    Supervision,
    SupervisionLevel,
    SupervisionReply,
    SupervisionStatus,
    Task,
    TaskStatus,
    Unit,
    UnitMessage,
    task_responsible_units,
)
from shared.repository import RepositoryBase


@dataclass(frozen=True, slots=True)
class MilestoneRow:
    """A milestone of one of the unit's tasks (or the milestone a returned report was about)."""

    id: int
    task_number: int
    task_title: str
    ordinal: int
    title: str
    planned_date: date

    @classmethod
    def of(cls, columns: Sequence[Any]) -> MilestoneRow:
        """From the `_MILESTONE_COLUMNS` of a result row."""
        return cls(*columns)


@dataclass(frozen=True, slots=True)
class ReturnedReport:
    id: int
    milestone: MilestoneRow


@dataclass(frozen=True, slots=True)
class OpenSupervision:
    id: int
    level: SupervisionLevel
    due_on: date | None
    subject: SubjectRef
    milestone: MilestoneRow | None  # None: the supervision is about a problem


@dataclass(frozen=True, slots=True)
class OpenRatingWindow:
    id: int
    code: str
    name: str
    closes_on: date
    unrated: int


_MILESTONE_COLUMNS = (
    Milestone.id,
    Task.number,
    Task.title,
    Milestone.ordinal,
    Milestone.title,
    Milestone.planned_date,
)


class TodoRepository(RepositoryBase[Milestone]):
    model = Milestone

    async def open_milestones(
        self, programme_id: int, unit: Unit, until: date
    ) -> list[MilestoneRow]:
        """Milestones not completed, planned on or before `until` (so every overdue one too), of
        the tasks in progress the unit leads or is responsible for (the task list's own scope,
        `involves_unit`)."""
        statement = (
            select(*_MILESTONE_COLUMNS)
            .join(Task, Task.id == Milestone.task_id)
            .where(
                Task.programme_id == programme_id,
                Task.status == TaskStatus.in_progress,
                involves_unit(unit.code),
                Milestone.completed_on.is_(None),
                Milestone.planned_date <= until,
            )
            .order_by(Milestone.planned_date, Task.number, Milestone.ordinal)
        )
        return [MilestoneRow.of(row) for row in (await self.session.execute(statement)).all()]

    async def returned_reports(self, programme_id: int, unit: Unit) -> list[ReturnedReport]:
        """The unit's progress reports returned (退回) and not yet followed by another report of
        the unit on the same milestone, while the milestone is still not done and the unit is
        still on the task. Only the latest returned report of a milestone can qualify."""
        later = aliased(ProgressReport)
        resubmitted = exists().where(
            later.milestone_id == ProgressReport.milestone_id,
            later.unit_id == ProgressReport.unit_id,
            or_(
                later.submitted_at > ProgressReport.submitted_at,
                and_(
                    later.submitted_at == ProgressReport.submitted_at, later.id > ProgressReport.id
                ),
            ),
        )
        statement = (
            select(ProgressReport.id, *_MILESTONE_COLUMNS)
            .join(Milestone, Milestone.id == ProgressReport.milestone_id)
            .join(Task, Task.id == Milestone.task_id)
            .where(
                Task.programme_id == programme_id,
                Task.status == TaskStatus.in_progress,
                involves_unit(unit.code),
                ProgressReport.unit_id == unit.id,
                ProgressReport.review_status == ReviewStatus.returned,
                Milestone.completed_on.is_(None),
                ~resubmitted,
            )
            .order_by(Milestone.planned_date, Task.number, Milestone.ordinal)
        )
        return [
            ReturnedReport(row[0], MilestoneRow.of(row[1:]))
            for row in (await self.session.execute(statement)).all()
        ]

    async def open_supervisions(self, programme_id: int, unit: Unit) -> list[OpenSupervision]:
        """Supervisions issued to the unit, still open (not resolved, escalated or proposed for
        accountability, which is the office's to decide) and not yet replied to (督办回复: a
        replied one waits for the office), with their subject. A supervision that escalates is
        a new one, issued after the reply, so it is listed again."""
        replied = exists().where(SupervisionReply.supervision_id == Supervision.id)
        statement = (
            select(
                Supervision.id,
                Supervision.level,
                Supervision.due_on,
                Task.id,
                Problem.id,
                Problem.number,
                *_MILESTONE_COLUMNS,
            )
            .outerjoin(Milestone, Milestone.id == Supervision.milestone_id)
            .outerjoin(Task, Task.id == Milestone.task_id)
            .outerjoin(Problem, Problem.id == Supervision.problem_id)
            .where(
                Supervision.programme_id == programme_id,
                Supervision.unit_id == unit.id,
                Supervision.status == SupervisionStatus.open,
                ~replied,
            )
            .order_by(Supervision.due_on, Supervision.id)
        )
        supervisions = []
        for row in (await self.session.execute(statement)).all():
            sid, level, due_on, task_id, problem_id, problem = row[:6]
            milestone = MilestoneRow.of(row[6:]) if row[6] is not None else None
            number, ordinal = (
                (milestone.task_number, milestone.ordinal) if milestone else (None, None)
            )
            subject = SubjectRef(task_id, number, ordinal, problem_id, problem)
            supervisions.append(OpenSupervision(sid, level, due_on, subject, milestone))
        return supervisions

    async def open_rating_windows(
        self, programme_id: int, unit: Unit, today: date
    ) -> list[OpenRatingWindow]:
        """Rating windows open today in which the unit, as a lead unit, has not yet rated every
        responsible unit of its tasks: the empty cells of its rating sheet (the sheet's pairs,
        `RatingRepository.sheet`: every task it leads × its responsible units but itself)."""
        responsible = task_responsible_units.c
        statement = (
            select(
                RatingWindow.id,
                RatingWindow.code,
                RatingWindow.name,
                RatingWindow.closes_on,
                func.count(),
            )
            .join(Task, Task.programme_id == RatingWindow.programme_id)
            .join(task_responsible_units, responsible.task_id == Task.id)
            .outerjoin(
                Rating,
                and_(
                    Rating.window_id == RatingWindow.id,
                    Rating.task_id == Task.id,
                    Rating.rated_unit_id == responsible.unit_id,
                ),
            )
            .where(
                RatingWindow.programme_id == programme_id,
                RatingWindow.closed_at.is_(None),
                RatingWindow.opens_on <= today,
                RatingWindow.closes_on >= today,
                Task.lead_unit_id == unit.id,
                responsible.unit_id != unit.id,
                Rating.id.is_(None),
            )
            .group_by(RatingWindow.id)
            .order_by(RatingWindow.closes_on, RatingWindow.code)
        )
        return [OpenRatingWindow(*row) for row in (await self.session.execute(statement)).all()]

    async def unread_messages(self, unit: Unit, limit: int) -> Sequence[UnitMessage]:
        """The unit's unread inbox messages, newest first, at most `limit`."""
        statement = (
            select(UnitMessage)
            .where(UnitMessage.unit_id == unit.id, UnitMessage.read_at.is_(None))
            .order_by(UnitMessage.created_at.desc(), UnitMessage.id.desc())
            .limit(limit)
        )
        return (await self.session.execute(statement)).scalars().all()

    async def unread_count(self, unit: Unit) -> int:
        statement = select(func.count()).where(
            UnitMessage.unit_id == unit.id, UnitMessage.read_at.is_(None)
        )
        return int((await self.session.execute(statement)).scalar_one())
