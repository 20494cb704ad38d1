"""Queries behind reminders: what falls due around a day, who should hear of it, and one bulk
insert into the inbox that skips reminders already sent (`dedupe_key`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert

from shared.models import (
    Milestone,
    RatingWindow,
    Supervision,
    SupervisionStatus,
    Task,
    TaskStatus,
    Unit,
    UnitMessage,
    task_responsible_units,
)
from shared.repository import RepositoryBase


@dataclass(frozen=True, slots=True)
class Reminder:
    unit_id: int
    kind: str
    title: str
    body: str
    link: str
    dedupe_key: str


@dataclass(frozen=True, slots=True)
class OpenMilestone:
    id: int
    task_id: int
    task_number: int
    task_title: str
    ordinal: int
    title: str
    planned_date: date


@dataclass(frozen=True, slots=True)
class Sent:
    id: int
    unit_code: str
    kind: str
    title: str
    body: str
    link: str


class ReminderRepository(RepositoryBase[UnitMessage]):
    model = UnitMessage

    async def open_milestones_between(
        self, programme_id: int, as_of: date, since: date, until: date
    ) -> list[OpenMilestone]:
        """Milestones of tasks in progress, not completed by `as_of`, planned in
        [since, until]."""
        statement = (
            select(
                Milestone.id,
                Task.id,
                Task.number,
                Task.title,
                Milestone.ordinal,
                Milestone.title,
                Milestone.planned_date,
            )
            .join(Task, Task.id == Milestone.task_id)
            .where(
                Task.programme_id == programme_id,
                Task.status == TaskStatus.in_progress,
                or_(Milestone.completed_on.is_(None), Milestone.completed_on > as_of),
                Milestone.planned_date.between(since, until),
            )
            .order_by(Task.number, Milestone.ordinal)
        )
        return [OpenMilestone(*row) for row in (await self.session.execute(statement)).all()]

    async def units_of_tasks(self, task_ids: Sequence[int]) -> dict[int, list[int]]:
        """task id → its lead unit and responsible units (lead first)."""
        if not task_ids:
            return {}
        leads = select(Task.id, Task.lead_unit_id).where(Task.id.in_(task_ids))
        responsible = select(
            task_responsible_units.c.task_id, task_responsible_units.c.unit_id
        ).where(task_responsible_units.c.task_id.in_(task_ids))
        units: dict[int, list[int]] = {}
        for task_id, lead in (await self.session.execute(leads)).all():
            units.setdefault(task_id, []).append(lead)
        for task_id, unit_id in (await self.session.execute(responsible)).all():
            if unit_id not in units.setdefault(task_id, []):
                units[task_id].append(unit_id)
        return units

    async def lead_units_with_raters(self, programme_id: int) -> list[int]:
        """Lead units of tasks in progress that have responsible units to rate."""
        statement = (
            select(Task.lead_unit_id)
            .distinct()
            .join(task_responsible_units, task_responsible_units.c.task_id == Task.id)
            .where(Task.programme_id == programme_id, Task.status == TaskStatus.in_progress)
        )
        return sorted(int(u) for u in (await self.session.execute(statement)).scalars().all())

    async def windows_closing(
        self, programme_id: int, as_of: date, until: date
    ) -> Sequence[RatingWindow]:
        statement = select(RatingWindow).where(
            RatingWindow.programme_id == programme_id,
            RatingWindow.closed_at.is_(None),
            RatingWindow.opens_on <= as_of,
            RatingWindow.closes_on.between(as_of, until),
        )
        return (await self.session.execute(statement)).scalars().all()

    async def supervisions_due(
        self, programme_id: int, as_of: date, until: date
    ) -> Sequence[Supervision]:
        statement = (
            select(Supervision)
            .where(
                Supervision.programme_id == programme_id,
                Supervision.status == SupervisionStatus.open,
                Supervision.due_on.between(as_of, until),
            )
            .order_by(Supervision.id)
        )
        return (await self.session.execute(statement)).scalars().all()

    async def deliver(self, reminders: Sequence[Reminder]) -> list[Sent]:
        """Insert the reminders not sent before; returns the ones inserted now."""
        if not reminders:
            return []
        values: list[dict[str, Any]] = [
            {
                "unit_id": r.unit_id,
                "kind": r.kind,
                "title": r.title[:200],
                "body": r.body,
                "link": r.link,
                "dedupe_key": r.dedupe_key,
            }
            for r in reminders
        ]
        inserted: list[tuple[int, int, str, str, str, str | None]] = []
        for start in range(0, len(values), 1000):
            statement = (
                insert(UnitMessage)
                .values(values[start : start + 1000])
                .on_conflict_do_nothing(index_elements=[UnitMessage.dedupe_key])
                .returning(
                    UnitMessage.id,
                    UnitMessage.unit_id,
                    UnitMessage.kind,
                    UnitMessage.title,
                    UnitMessage.body,
                    UnitMessage.link,
                )
            )
            inserted.extend(tuple(row) for row in (await self.session.execute(statement)).all())  # type: ignore[misc]
        codes = dict(
            (
                await self.session.execute(
                    select(Unit.id, Unit.code).where(Unit.id.in_({row[1] for row in inserted}))
                )
            ).all()
        )
        return [
            Sent(id=i, unit_code=codes[u], kind=k, title=t, body=b, link=link or "")
            for i, u, k, t, b, link in inserted
        ]
