"""The task list (seed 001_643c54550577dac0.txt: numbered tasks in domains, classed A/B/C, each with
a goal, one lead unit, responsible units and a deadline). The office writes it; every unit reads
the tasks it leads or shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.task.access import readable_task
from services.reform_tasks.task.repository import TASK_DETAIL, TaskRepository, involves_unit
from services.reform_tasks.task.schemas import (
    DomainRef,
    MilestoneOut,
    TaskCreate,
    TaskOut,
    TaskSort,
    TaskUpdate,
    UnitRef,
)
from services.reform_tasks.timeline import service as timeline
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, FieldError, PreconditionFailed, ValidationFailed
from shared.models import (
    Domain,
    Milestone,
    Programme,
    Task,
    TaskClass,
    TaskStatus,
    Unit,
    task_responsible_units,
)
from shared.pagination import Page, PageParams

SEARCH_TEXT = Task.title + " " + Task.goal + " " + Task.measures + " " + Task.benchmark
SORTS = {
    TaskSort.number: (Task.number,),
    TaskSort.number_desc: (Task.number.desc(),),
    TaskSort.deadline: (Task.deadline, Task.number),
    TaskSort.deadline_desc: (Task.deadline.desc(), Task.number),
    TaskSort.updated_at: (Task.updated_at, Task.number),
    TaskSort.updated_at_desc: (Task.updated_at.desc(), Task.number),
}


def unit_ref(unit: Unit) -> UnitRef:
    return UnitRef(code=unit.code, name=unit.name, short_name=unit.short_name)


def to_out(task: Task, programme: Programme) -> TaskOut:
    return TaskOut(
        number=task.number,
        programme=programme.code,
        domain=DomainRef(code=task.domain.code, name=task.domain.name),
        task_class=task.task_class,
        title=task.title,
        benchmark=task.benchmark,
        goal=task.goal,
        measures=task.measures,
        lead_unit=unit_ref(task.lead_unit),
        responsible_units=[
            unit_ref(u) for u in sorted(task.responsible_units, key=lambda u: u.code)
        ],
        deadline=task.deadline,
        deadline_text=task.deadline_text,
        status=task.status,
        closed_out_on=task.closed_out_on,
        milestones=[
            MilestoneOut(
                ordinal=m.ordinal,
                title=m.title,
                planned_date=m.planned_date,
                baseline_date=m.baseline_date,
                completed_on=m.completed_on,
                state=m.state,
                version=m.version,
            )
            for m in sorted(task.milestones, key=lambda m: m.ordinal)
        ],
        version=task.version,
        updated_at=task.updated_at,
    )


def _filtered(
    statement: Select[Task],
    *,
    domain: str | None,
    task_class: TaskClass | None,
    lead_unit: str | None,
    unit: str | None,
    status: TaskStatus | None,
    q: str | None,
) -> Select[Task]:
    if domain:
        statement = statement.where(
            Task.domain_id.in_(select(Domain.id).where(Domain.code == domain))
        )
    if task_class:
        statement = statement.where(Task.task_class == task_class)
    if lead_unit:
        statement = statement.where(
            Task.lead_unit_id.in_(select(Unit.id).where(Unit.code == lead_unit))
        )
    if unit:
        statement = statement.where(involves_unit(unit))
    if status:
        statement = statement.where(Task.status == status)
    if q:
        text = q.strip()
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        condition: ColumnElement[bool] = SEARCH_TEXT.ilike(pattern)
        if text.isdigit():
            condition = or_(condition, Task.number == int(text))
        statement = statement.where(condition)
    return statement


async def list_tasks(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    page: PageParams,
    *,
    sort: TaskSort,
    **filters: Any,
) -> Page[TaskOut]:
    repo = TaskRepository(session)
    statement = _filtered(repo.readable_statement(principal, programme.id), **filters)
    items, total = await repo.paginate(statement.options(*TASK_DETAIL).order_by(*SORTS[sort]), page)
    return Page[TaskOut](items=[to_out(t, programme) for t in items], total=total)


async def get_task(
    session: AsyncSession, principal: Principal, programme: Programme, number: int
) -> TaskOut:
    return to_out(await readable_task(session, principal, programme, number), programme)


async def _units_by_code(session: AsyncSession, codes: list[str], field: str) -> list[Unit]:
    found = {
        u.code: u for u in (await session.scalars(select(Unit).where(Unit.code.in_(codes)))).all()
    }
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed(
            f"单位不存在：{'、'.join(missing)}",
            errors=[
                FieldError(loc=["body", field], msg=f"未知单位“{c}”", type="unknown_unit")
                for c in missing
            ],
        )
    return [found[c] for c in codes]


async def _domain(session: AsyncSession, programme: Programme, code: str) -> Domain:
    domain = await session.scalar(
        select(Domain).where(Domain.programme_id == programme.id, Domain.code == code)
    )
    if domain is None:
        raise ValidationFailed(
            f"领域 {code} 不存在",
            errors=[FieldError(loc=["body", "domain"], msg="领域不存在", type="unknown_domain")],
        )
    return domain


def _check_units(lead: str, responsible: list[str]) -> None:
    if lead in responsible:
        raise ValidationFailed(
            "牵头单位不能同时是责任单位",
            errors=[
                FieldError(
                    loc=["body", "responsible_units"],
                    msg="牵头单位不能同时是责任单位",
                    type="lead_in_responsible",
                )
            ],
        )
    if len(set(responsible)) != len(responsible):
        raise ValidationFailed("责任单位重复")


def snapshot(task: Task) -> dict[str, Any]:
    return {
        "domain": task.domain.code,
        "task_class": task.task_class,
        "title": task.title,
        "benchmark": task.benchmark,
        "goal": task.goal,
        "measures": task.measures,
        "lead_unit": task.lead_unit.code,
        "responsible_units": sorted(u.code for u in task.responsible_units),
        "deadline": task.deadline,
        "deadline_text": task.deadline_text,
    }


async def create_task(
    session: AsyncSession, principal: Principal, programme: Programme, body: TaskCreate
) -> TaskOut:
    repo = TaskRepository(session)
    if await repo.exists(programme.id, body.number):
        raise Conflict(f"序号 {body.number} 的任务已存在")
    _check_units(body.lead_unit, body.responsible_units)
    dates = [m.planned_date for m in body.milestones]
    errors = [
        FieldError(
            loc=["body", "milestones", i, "planned_date"],
            msg="时间节点须在改革工程年度内且不晚于完成时限",
            type="out_of_range",
        )
        for i, d in enumerate(dates)
        if not (programme.starts_on <= d <= programme.ends_on) or d > body.deadline
    ]
    if dates != sorted(dates):
        errors.append(
            FieldError(loc=["body", "milestones"], msg="时间节点须按日期先后排列", type="unordered")
        )
    if errors:
        raise ValidationFailed("时间节点有误", errors=errors)
    domain = await _domain(session, programme, body.domain)
    lead = (await _units_by_code(session, [body.lead_unit], "lead_unit"))[0]
    responsible = await _units_by_code(session, body.responsible_units, "responsible_units")
    task = Task(
        programme_id=programme.id,
        number=body.number,
        domain_id=domain.id,
        task_class=body.task_class,
        title=body.title,
        benchmark=body.benchmark,
        goal=body.goal,
        measures=body.measures,
        lead_unit_id=lead.id,
        deadline=body.deadline,
        deadline_text=body.deadline_text,
    )
    session.add(task)
    await session.flush()
    await session.execute(
        task_responsible_units.insert(),
        [{"task_id": task.id, "unit_id": u.id} for u in responsible],
    )
    for ordinal, m in enumerate(body.milestones, start=1):
        session.add(
            Milestone(
                task_id=task.id,
                ordinal=ordinal,
                title=m.title,
                planned_date=m.planned_date,
                baseline_date=m.planned_date,
            )
        )
    await session.flush()
    created = await readable_task(session, principal, programme, body.number)
    await audit.record(
        session,
        actor=principal,
        action="task.created",
        entity_type="task",
        entity_id=f"{programme.code}/{body.number}",
        after=snapshot(created),
    )
    await timeline.append(
        session,
        "task",
        task.id,
        "task.created",
        f"改革办新增任务 {body.number}：{body.title}",
        actor=principal,
    )
    return to_out(created, programme)


async def update_task(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    body: TaskUpdate,
    if_match: str | None,
) -> TaskOut:
    task = await readable_task(session, principal, programme, number)
    if if_match is None:
        raise PreconditionFailed("修改任务需要携带 If-Match 版本号（先读取任务获得 ETag）")
    if if_match.strip('W/"') != str(task.version):
        raise PreconditionFailed(
            f"任务 {number} 已被他人修改（当前版本 {task.version}），请刷新后重试"
        )
    before = snapshot(task)
    changes = body.model_dump(exclude_unset=True)
    lead_code = changes.get("lead_unit", task.lead_unit.code)
    responsible_codes = changes.get("responsible_units", [u.code for u in task.responsible_units])
    _check_units(lead_code, responsible_codes)
    if "domain" in changes:
        task.domain_id = (await _domain(session, programme, changes.pop("domain"))).id
    if "lead_unit" in changes:
        task.lead_unit_id = (
            await _units_by_code(session, [changes.pop("lead_unit")], "lead_unit")
        )[0].id
    if "responsible_units" in changes:
        units = await _units_by_code(session, changes.pop("responsible_units"), "responsible_units")
        await session.execute(
            task_responsible_units.delete().where(task_responsible_units.c.task_id == task.id)
        )
        await session.execute(
            task_responsible_units.insert(), [{"task_id": task.id, "unit_id": u.id} for u in units]
        )
    for key, value in changes.items():
        setattr(task, key, value)
    task.updated_at = func.now()  # always an UPDATE, so the version moves
    await session.flush()
    session.expire(task)
    updated = await TaskRepository(session).get_by_number(programme.id, number, TASK_DETAIL)
    assert updated is not None
    after = snapshot(updated)
    await audit.record(
        session,
        actor=principal,
        action="task.updated",
        entity_type="task",
        entity_id=f"{programme.code}/{number}",
        before=before,
        after=after,
    )
    changed = [k for k in after if after[k] != before[k]]
    await timeline.append(
        session,
        "task",
        task.id,
        "task.updated",
        f"改革办修改了任务：{'、'.join(changed) or '无变化'}",
        actor=principal,
        data={"changed": changed},
    )
    return to_out(updated, programme)
