"""Queries of the daily sweeps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from shared.models import Milestone, Task, TaskStatus, Unit, task_responsible_units
from shared.repository import RepositoryBase


@dataclass(frozen=True, slots=True)
class OpenMilestone:
    """A milestone not completed, with what a lagging announcement names."""

    id: int
    task_id: int
    task_number: int
    ordinal: int
    title: str
    planned_date: date
    baseline_date: date | None
    lagging_level: str
    lead_unit_id: int
    lead_unit: str
    responsible_units: list[tuple[int, str]]


class SweepRepository(RepositoryBase[Milestone]):
    model = Milestone

    async def milestones_past_due(self, programme_id: int, as_of: date) -> list[OpenMilestone]:
        """Milestones of tasks still in progress, not completed, planned before `as_of`."""
        lead = aliased(Unit)
        rows = (
            await self.session.execute(
                select(
                    Milestone.id,
                    Task.id.label("task_id"),
                    Task.number.label("task_number"),
                    Milestone.ordinal,
                    Milestone.title,
                    Milestone.planned_date,
                    Milestone.baseline_date,
                    Milestone.lagging_level,
                    lead.id.label("lead_unit_id"),
                    lead.code.label("lead_unit"),
                )
                .join(Task, Task.id == Milestone.task_id)
                .join(lead, lead.id == Task.lead_unit_id)
                .where(
                    Task.programme_id == programme_id,
                    Task.status == TaskStatus.in_progress,
                    Milestone.completed_on.is_(None),
                    Milestone.planned_date < as_of,
                )
                .order_by(Task.number, Milestone.ordinal)
            )
        ).all()
        responsible = await self._responsible_units({row.task_id for row in rows})
        return [
            OpenMilestone(**row._asdict(), responsible_units=responsible.get(row.task_id, []))
            for row in rows
        ]

    async def _responsible_units(self, task_ids: set[int]) -> dict[int, list[tuple[int, str]]]:
        if not task_ids:
            return {}
        rows = await self.session.execute(
            select(task_responsible_units.c.task_id, Unit.id, Unit.code)
            .join(Unit, Unit.id == task_responsible_units.c.unit_id)
            .where(task_responsible_units.c.task_id.in_(task_ids))
            .order_by(Unit.code)
        )
        units: dict[int, list[tuple[int, str]]] = {}
        for task_id, unit_id, code in rows.all():
            units.setdefault(task_id, []).append((unit_id, code))
        return units

    async def raise_lagging_level(
        self, milestone_id: int, below: Sequence[str], level: str
    ) -> bool:
        """Set the announced severity if it is still one of `below`; True if this call set it.
        A conditional UPDATE: of two sweeps racing, only one wins the row. A Core update, so the
        milestone's version (the units' and office's If-Match) does not change."""
        result = await self.session.execute(
            update(Milestone)
            .where(Milestone.id == milestone_id, Milestone.lagging_level.in_(below))
            .values(lagging_level=level)
            .returning(Milestone.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None
