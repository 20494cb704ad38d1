"""Daily sweeps (the scheduler calls them; the office may run them for a date): milestones that
became lagging or seriously lagging, problems that became overdue — each announced to evaluation
once — and supervision escalation (supervision/service.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.reform_tasks.battle_map.status import (
    LAGGING_RANK,
    MilestoneStatus,
    Thresholds,
    days_late,
    milestone_status,
)
from shared import outbox
from shared.models import Milestone, Problem, ProblemStatus, Programme, Task

SHANGHAI = ZoneInfo("Asia/Shanghai")


class SweepResult(BaseModel):
    as_of: date
    announced: int


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=SHANGHAI).astimezone(UTC)


async def lagging(session: AsyncSession, programme: Programme, as_of: date) -> SweepResult:
    """Seed 001: the battle map's time nodes are checked every month; a milestone past its date
    and not done is lagging, and seriously lagging past the programme's threshold."""
    thresholds = Thresholds.of(programme.settings)
    rows = (
        await session.execute(
            select(Milestone, Task)
            .join(Task, Task.id == Milestone.task_id)
            .options(selectinload(Task.lead_unit), selectinload(Task.responsible_units))
            .where(
                Task.programme_id == programme.id,
                Milestone.completed_on.is_(None),
                Milestone.planned_date < as_of,
            )
            .order_by(Task.number, Milestone.ordinal)
            .with_for_update(of=Milestone)
        )
    ).all()
    announced = 0
    for milestone, task in rows:
        status = milestone_status(
            planned=milestone.planned_date,
            completed_on=None,
            as_of=as_of,
            reported=False,
            thresholds=thresholds,
        )
        if status not in (MilestoneStatus.lagging, MilestoneStatus.seriously_lagging):
            continue
        if LAGGING_RANK[status.value] <= LAGGING_RANK.get(milestone.lagging_level, 0):
            continue
        previous = milestone.lagging_level
        milestone.lagging_level = status.value
        await outbox.enqueue(
            session,
            "milestone.lagging",
            {
                "task_number": task.number,
                "milestone": milestone.ordinal,
                "title": milestone.title,
                "severity": status.value,
                "previous_severity": previous,
                "days_late": days_late(milestone.planned_date, None, as_of),
                "planned_date": milestone.planned_date,
                "lead_unit": task.lead_unit.code,
                "responsible_units": sorted(u.code for u in task.responsible_units),
            },
            programme=programme.code,
            unit_code=task.lead_unit.code,
            occurred_at=_at(as_of),
        )
        announced += 1
    await session.flush()
    return SweepResult(as_of=as_of, announced=announced)


async def overdue_problems(session: AsyncSession, programme: Programme, as_of: date) -> SweepResult:
    problems = (
        (
            await session.execute(
                select(Problem)
                .options(selectinload(Problem.responsible_unit))
                .where(
                    Problem.programme_id == programme.id,
                    Problem.status == ProblemStatus.open,
                    Problem.due_on < as_of,
                    Problem.overdue_reported_on.is_(None),
                )
                .with_for_update(of=Problem)
            )
        )
        .scalars()
        .all()
    )
    for problem in problems:
        problem.overdue_reported_on = as_of
        await outbox.enqueue(
            session,
            "problem.overdue",
            {
                "problem_number": problem.number,
                "due_on": problem.due_on,
                "days_overdue": (as_of - problem.due_on).days,
            },
            programme=programme.code,
            unit_code=problem.responsible_unit.code,
            occurred_at=_at(as_of),
        )
    await session.flush()
    return SweepResult(as_of=as_of, announced=len(problems))
