"""The task list (seed 001_643c54550577dac0.txt: numbered tasks in domains, classed A/B/C, each with
a goal, its lead unit, responsible units and a deadline). The office writes it; every unit reads
the tasks it leads or shares."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from services.reform_tasks.task.access import readable_task
from services.reform_tasks.task.repository import TaskRepository
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
from services.reform_tasks.warning.service import task_lights
from shared import audit
from shared.auth import Principal
from shared.clock import today_shanghai
from shared.errors import (
    Conflict,
    DomainError,
    FieldError,
    PreconditionFailed,
    ValidationFailed,
)
from shared.models import Domain, Programme, Task, TaskClass, TaskStatus, Unit
from shared.pagination import Page, PageParams
from shared.warning_light import WarningLight, WarningThresholds, task_verdict

FIELD_NAMES = {
    "domain": "领域",
    "task_class": "类别",
    "title": "任务",
    "benchmark": "对标",
    "goal": "目标",
    "measures": "具体措施",
    "lead_unit": "牵头单位",
    "responsible_units": "责任单位",
    "deadline": "完成时限",
    "deadline_text": "完成时限原文",
}


class PreconditionRequired(DomainError):
    """RFC 6585: a change without `If-Match` could silently overwrite someone else's."""

    status, code, title = 428, "precondition_required", "缺少版本号"


def unit_ref(unit: Unit) -> UnitRef:
    return UnitRef(code=unit.code, name=unit.name, short_name=unit.short_name)


def to_out(task: Task, programme: Programme) -> TaskOut:
    """The task with its warning light as of today (shared/warning_light.py; the plan in force
    today is the planned date)."""
    verdict = task_verdict(
        ((m.ordinal, m.planned_date, m.completed_on) for m in task.milestones),
        task.deadline,
        task.closed_out_on,
        today_shanghai(),
        WarningThresholds.of(programme.settings),
    )
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
        warning_light=verdict.light,
        warning_reason=verdict.reason,
        version=task.version,
        updated_at=task.updated_at,
    )


def snapshot(task: Task) -> dict[str, Any]:
    """The office-editable fields of a task, by code: the audit's before/after."""
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


async def list_tasks(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    page: PageParams,
    *,
    sort: TaskSort,
    domain: str | None = None,
    task_class: TaskClass | None = None,
    lead_unit: str | None = None,
    unit: str | None = None,
    status: TaskStatus | None = None,
    q: str | None = None,
    warning_light: WarningLight | None = None,
) -> Page[TaskOut]:
    """The caller's readable tasks (a unit: those it leads or shares), filtered and sorted;
    `warning_light`: only the tasks with that light today (computed where the battle map
    computes it)."""
    numbers = None
    if warning_light is not None:
        lights = await task_lights(session, principal, programme, today_shanghai())
        numbers = [n for n, found in lights.items() if found.light == warning_light]
    repo = TaskRepository(session)
    statement = repo.list_statement(
        principal,
        programme.id,
        sort=sort,
        domain=domain,
        task_class=task_class,
        lead_unit=lead_unit,
        unit=unit,
        status=status,
        q=q,
        numbers=numbers,
    )
    items, total = await repo.paginate(statement, page)
    return Page[TaskOut](items=[to_out(t, programme) for t in items], total=total)


async def get_task(
    session: AsyncSession, principal: Principal, programme: Programme, number: int
) -> TaskOut:
    return to_out(await readable_task(session, principal, programme, number), programme)


def _error(loc: list[str | int], msg: str, kind: str) -> FieldError:
    return FieldError(loc=loc, msg=msg, type=kind)


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        messages = list(dict.fromkeys(e.msg for e in errors))
        raise ValidationFailed("；".join(messages[:5]), errors=errors)


async def _resolve(
    repo: TaskRepository,
    programme: Programme,
    *,
    domain: str | None,
    lead: str | None,
    responsible: Sequence[str] | None,
    errors: list[FieldError],
) -> tuple[Domain | None, Unit | None, list[Unit]]:
    """Domain and units by code; unknown codes and a lead that is also responsible are field
    errors (seed 001_643c54550577dac0.txt: a task's lead unit and its responsible units; one
    lead, never also responsible, is the office's reading)."""
    found_domain = None
    if domain is not None:
        found_domain = await repo.domain_by_code(programme.id, domain)
        if found_domain is None:
            errors.append(_error(["body", "domain"], f"未知领域“{domain}”", "unknown_domain"))
    codes = [c for c in [lead, *(responsible or [])] if c is not None]
    units = {u.code: u for u in await repo.units(codes=codes)} if codes else {}
    found_lead = None
    if lead is not None:
        found_lead = units.get(lead)
        if found_lead is None:
            errors.append(_error(["body", "lead_unit"], f"未知单位“{lead}”", "unknown_unit"))
    found: list[Unit] = []
    for index, code in enumerate(responsible or []):
        loc: list[str | int] = ["body", "responsible_units", index]
        unit = units.get(code)
        if unit is None:
            errors.append(_error(loc, f"未知单位“{code}”", "unknown_unit"))
        elif code == lead:
            errors.append(_error(loc, "牵头单位不能同时是责任单位", "lead_in_responsible"))
        elif unit in found:
            errors.append(_error(loc, f"责任单位“{code}”重复", "duplicate_unit"))
        else:
            found.append(unit)
    return found_domain, found_lead, found


async def create_task(
    session: AsyncSession, principal: Principal, programme: Programme, body: TaskCreate
) -> TaskOut:
    """The office adds a task with its milestones (seed 001_643c54550577dac0.txt: the battle map
    dates each task's steps). A number already used is a conflict; everything else wrong is
    listed field by field: unknown domain or unit, a lead unit that is also responsible,
    milestones outside the programme year or after the deadline, out of order, or ordinals that
    are not 1, 2, 3 …"""
    repo = TaskRepository(session)
    if await repo.exists(programme.id, body.number):
        raise Conflict(f"序号 {body.number} 的任务已存在")
    errors: list[FieldError] = []
    domain, lead, responsible = await _resolve(
        repo,
        programme,
        domain=body.domain,
        lead=body.lead_unit,
        responsible=body.responsible_units,
        errors=errors,
    )
    errors.extend(_milestone_errors(programme, body))
    _raise_if(errors)
    assert domain is not None
    assert lead is not None
    task = Task(
        programme_id=programme.id,
        number=body.number,
        domain_id=domain.id,
        task_class=body.task_class,
        title=body.title.strip(),
        benchmark=body.benchmark.strip(),
        goal=body.goal.strip(),
        measures=body.measures.strip(),
        lead_unit_id=lead.id,
        deadline=body.deadline,
        deadline_text=body.deadline_text.strip(),
    )
    try:
        await repo.add(task)
    except IntegrityError as exc:  # the same number created at the same moment
        raise Conflict(f"序号 {body.number} 的任务已存在") from exc
    await repo.set_responsible_units(task.id, [u.id for u in responsible])
    for ordinal, m in enumerate(body.milestones, start=1):
        repo.add_milestone(task.id, ordinal, m.title.strip(), m.planned_date)
    await session.flush()
    created = await repo.get_by_number(programme.id, body.number)
    assert created is not None
    await audit.record(
        session,
        actor=principal,
        action="task.created",
        entity_type="task",
        entity_id=f"{programme.code}/{body.number}",
        after={
            **snapshot(created),
            "milestones": [[m.planned_date, m.title] for m in created.milestones],
        },
    )
    await timeline.append(
        session,
        "task",
        task.id,
        "task.created",
        f"改革办新增任务 {body.number}：{created.title}",
        actor=principal,
    )
    return to_out(created, programme)


def _milestone_errors(programme: Programme, body: TaskCreate) -> list[FieldError]:
    """A new task's milestones lie within the programme year and by its deadline, are numbered
    1, 2, 3 … (when numbered at all) and come in date order."""
    errors: list[FieldError] = []
    for index, milestone in enumerate(body.milestones):
        day = milestone.planned_date
        if not (programme.starts_on <= day <= programme.ends_on) or day > body.deadline:
            errors.append(
                _error(
                    ["body", "milestones", index, "planned_date"],
                    "时间节点须在改革工程年度内且不晚于完成时限",
                    "out_of_range",
                )
            )
        if milestone.ordinal is not None and milestone.ordinal != index + 1:
            errors.append(
                _error(
                    ["body", "milestones", index, "ordinal"],
                    f"时间节点序次应为 {index + 1}（须从 1 起连续编号）",
                    "ordinal_gap",
                )
            )
    dates = [m.planned_date for m in body.milestones]
    if dates != sorted(dates):
        errors.append(_error(["body", "milestones"], "时间节点须按日期先后排列", "unordered"))
    return errors


def check_version(if_match: str | None, task: Task) -> None:
    """Optimistic versioning: the caller must name the version it read (`ETag`)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            f'修改任务须携带 If-Match 请求头（值为读取任务时返回的 ETag，如 "{task.version}"）'
        )
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")]
    if "*" not in tags and str(task.version) not in tags:
        raise PreconditionFailed(
            f"任务 {task.number} 已被他人修改（当前版本 {task.version}），请刷新后重试"
        )


def _deadline_errors(task: Task, deadline: date) -> list[FieldError]:
    """A deadline may not fall before a milestone (those move by extension or re-import)."""
    late = [m for m in task.milestones if m.planned_date > deadline]
    if not late:
        return []
    return [
        _error(
            ["body", "deadline"],
            f"完成时限不能早于第 {late[-1].ordinal} 个时间节点（{late[-1].planned_date}）",
            "before_milestone",
        )
    ]


# The task's own columns an update may set (domain, lead and responsible units are resolved).
EDITABLE = ("task_class", "title", "benchmark", "goal", "measures", "deadline", "deadline_text")


def _apply(task: Task, changes: dict[str, Any], domain: Domain | None, lead: Unit | None) -> None:
    if domain is not None:
        task.domain_id = domain.id
    if lead is not None:
        task.lead_unit_id = lead.id
    for key in EDITABLE:
        if key in changes:
            setattr(task, key, changes[key])


async def update_task(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    body: TaskUpdate,
    if_match: str | None,
) -> TaskOut:
    """The office changes a task's fields (not its milestones: those move by extension or by
    re-import, keeping their baseline). A closed-out task no longer changes (409). Moving the
    deadline before a milestone is refused; moving it without new text drops the old text
    (“6月底前” would no longer be true)."""
    repo = TaskRepository(session)
    task = await readable_task(session, principal, programme, number)
    check_version(if_match, task)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    for key in ("title", "benchmark", "goal", "measures", "deadline_text"):
        if key in changes:
            changes[key] = changes[key].strip()
    before = snapshot(task)
    errors: list[FieldError] = []
    domain, lead, responsible = await _resolve(
        repo,
        programme,
        domain=changes.get("domain"),
        lead=changes.get("lead_unit", before["lead_unit"]),
        responsible=changes.get("responsible_units", before["responsible_units"]),
        errors=errors,
    )
    if "deadline" in changes:
        errors.extend(_deadline_errors(task, changes["deadline"]))
        if changes["deadline"] != task.deadline and "deadline_text" not in changes:
            changes["deadline_text"] = ""  # “6月底前” would no longer be true
    _raise_if(errors)
    wanted = {
        **before,
        **changes,
        "responsible_units": sorted(u.code for u in responsible),
    }
    changed = [k for k in before if wanted[k] != before[k]]
    if not changed:
        return to_out(task, programme)
    if task.status is TaskStatus.closed_out:
        raise Conflict(f"任务 {number} 已销号，不能再修改")
    _apply(task, changes, domain, lead)
    if "responsible_units" in changed:
        await repo.set_responsible_units(task.id, [u.id for u in responsible], replace=True)
    task.updated_at = func.now()  # always an UPDATE, so the version moves
    try:
        await session.flush()
    except StaleDataError as exc:  # another request changed it between our read and write
        raise PreconditionFailed(f"任务 {number} 已被他人修改，请刷新后重试") from exc
    session.expire(task)
    updated = await repo.get_by_number(programme.id, number)
    assert updated is not None
    await audit.record(
        session,
        actor=principal,
        action="task.updated",
        entity_type="task",
        entity_id=f"{programme.code}/{number}",
        before=before,
        after=snapshot(updated),
    )
    await timeline.append(
        session,
        "task",
        task.id,
        "task.updated",
        f"改革办修改了任务：{'、'.join(FIELD_NAMES[k] for k in changed)}",
        actor=principal,
        data={"changed": changed},
    )
    return to_out(updated, programme)
