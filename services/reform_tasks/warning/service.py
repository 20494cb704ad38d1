"""Warning lights (三色预警, issue #27) of tasks: the nodes of a task for the pure rule in
shared/warning_light.py, and the lights of the tasks a caller reads (for the list filter and the
unit's to-do). Office defaults (docs/RULES.md: "A task's warning light compares …")."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.battle_map.service import battle_map
from shared.auth import Principal
from shared.models import Programme
from shared.warning_light import WarningLight


class TaskLight(NamedTuple):
    light: WarningLight
    reason: str
    title: str


async def task_lights(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    as_of: date,
    *,
    unit: str | None = None,
) -> dict[int, TaskLight]:
    """Task number → (light, why) for the tasks the caller reads (a unit: those it leads or is
    responsible for), as the battle map of `as_of` shows them: the one place lights are
    computed."""
    found = await battle_map(session, principal, programme, as_of, unit=unit)
    return {t.number: TaskLight(t.warning_light, t.warning_reason, t.title) for t in found.tasks}
