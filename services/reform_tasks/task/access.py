"""Who may see and act on a task. Seed 001_643c54550577dac0.txt gives the lead unit the power to
evaluate its task's responsible units (docs/RULES.md: "The lead unit rates its task's
responsible units …"); that it also reviews their progress reports, and that the office closes
tasks out (对单销号, seed 002_c95ffdd180ea7e81.txt), is the office's workflow."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.task.repository import TaskRepository
from shared.auth import Principal
from shared.errors import Forbidden, NotFound
from shared.models import Programme, Task


async def readable_task(
    session: AsyncSession, principal: Principal, programme: Programme, number: int
) -> Task:
    """The task if the caller may read it. Another unit's task is 404, exactly like a task that
    does not exist, so the answer leaks nothing."""
    task = await TaskRepository(session).get_readable(principal, programme.id, number)
    if task is None:
        raise NotFound(f"任务 {number} 不存在或无权查看")
    return task


def is_lead(principal: Principal, task: Task) -> bool:
    return principal.is_unit and principal.unit_code == task.lead_unit.code


def is_responsible(principal: Principal, task: Task) -> bool:
    return principal.is_unit and any(u.code == principal.unit_code for u in task.responsible_units)


def require_lead(principal: Principal, task: Task) -> None:
    if not is_lead(principal, task):
        raise Forbidden(f"只有任务 {task.number} 的牵头单位可以执行此操作")


def require_involved_unit(principal: Principal, task: Task) -> None:
    if not (is_lead(principal, task) or is_responsible(principal, task)):
        raise Forbidden(f"只有任务 {task.number} 的牵头单位或责任单位可以执行此操作")
