"""Carrying unfinished tasks into a new year's programme (结转, issue #21).

Every task of the previous programme that is not closed out (销号) continues as a task of the new
one: numbered 1, 2, … in the old numbers' order (the new year's list continues after them), with
its domain (by code), class, texts, lead and responsible units, a link to the task it continues
and a timeline entry on both. Its open milestones come along, re-planned into the new year (the
same month and day, within the programme's dates) with that date as their baseline; milestones
done stay with last year's task. All of it in the caller's transaction: all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.programme.repository import ProgrammeRepository
from services.reform_tasks.programme.schemas import CarriedTask
from services.reform_tasks.task.repository import TaskRepository
from services.reform_tasks.timeline import service as timeline
from shared.auth import Principal
from shared.errors import Conflict
from shared.models import Domain, Programme, Task


def replanned(day: date, programme: Programme) -> date:
    """A date moved into the programme's year (29 February becomes the 28th), kept within its
    dates; a date already in the programme's range stays."""
    if programme.starts_on <= day <= programme.ends_on:
        return day
    try:
        moved = day.replace(year=programme.year)
    except ValueError:  # 29 February, in a year without one
        moved = day.replace(year=programme.year, day=28)
    return min(max(moved, programme.starts_on), programme.ends_on)


@dataclass(frozen=True, slots=True)
class Carry:
    task: Task
    number: int
    milestones: list[tuple[str, date]]  # title, re-planned date

    @property
    def deadline(self) -> date:
        return max((planned for _, planned in self.milestones), default=self.task.deadline)

    def out(self, programme: Programme) -> CarriedTask:
        return CarriedTask(
            from_number=self.task.number,
            number=self.number,
            title=self.task.title,
            deadline=replanned(self.deadline, programme),
            milestones=len(self.milestones),
        )


async def plan(session: AsyncSession, source: Programme, target: Programme) -> list[Carry]:
    """What would be carried from `source` into `target` (nothing is written). A programme's
    tasks are carried once: 409 naming where they went."""
    repo = ProgrammeRepository(session)
    earlier = await repo.carried_into(source.id)
    if earlier is not None:
        raise Conflict(
            f"改革工程“{source.name}”的未销号任务已结转至“{earlier.name}”（{earlier.code}），"
            "不能再次结转"
        )
    tasks = await repo.unfinished_tasks(source.id)
    return [
        Carry(
            task,
            number,
            [
                (m.title, replanned(m.planned_date, target))
                for m in task.milestones
                if m.completed_on is None
            ],
        )
        for number, task in enumerate(tasks, start=1)
    ]


async def carry(
    session: AsyncSession,
    principal: Principal,
    source: Programme,
    target: Programme,
    carries: list[Carry],
    domains: dict[str, Domain],
) -> None:
    """Create the carried tasks in `target` (its domains by code) and note it on both sides, in
    a few statements for all of them (a flush for the tasks, one insert of their responsible
    units, a flush for their milestones and timeline entries)."""
    repo = TaskRepository(session)
    tasks = [
        Task(
            programme_id=target.id,
            number=item.number,
            domain_id=domains[item.task.domain.code].id,
            task_class=item.task.task_class,
            title=item.task.title,
            benchmark=item.task.benchmark,
            goal=item.task.goal,
            measures=item.task.measures,
            lead_unit_id=item.task.lead_unit_id,
            deadline=replanned(item.deadline, target),
            deadline_text="",
            continues_task_id=item.task.id,
        )
        for item in carries
    ]
    session.add_all(tasks)
    await session.flush()
    await repo.add_responsible_units(
        [
            (task.id, unit.id)
            for task, item in zip(tasks, carries, strict=True)
            for unit in item.task.responsible_units
        ]
    )
    for task, item in zip(tasks, carries, strict=True):
        for ordinal, (title, planned) in enumerate(item.milestones, start=1):
            repo.add_milestone(task.id, ordinal, title, planned)
        await _note(session, principal, source, target, task, item)
    await session.flush()


async def _note(
    session: AsyncSession,
    principal: Principal,
    source: Programme,
    target: Programme,
    task: Task,
    item: Carry,
) -> None:
    """The carry on both tasks' timelines (written with the next flush)."""
    old = item.task
    notes = (
        (
            task.id,
            "task.carried_in",
            f"由{source.name}第{old.number}项任务结转",
            source,
            old.number,
        ),
        (
            old.id,
            "task.carried_over",
            f"未销号，结转至{target.name}第{item.number}项任务",
            target,
            item.number,
        ),
    )
    for subject_id, kind, summary, other, number in notes:
        await timeline.append(
            session,
            "task",
            subject_id,
            kind,
            summary,
            actor=principal,
            data={"programme": other.code, "number": number},
            flush=False,
        )
