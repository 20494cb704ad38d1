"""Import and export of the task list as the office's own spreadsheet (seed 001: the task
list with 序号, 领域, 任务, 类别, 对标, 牵头单位, 责任单位, 完成时限). Import is all or nothing:
every error is reported with its sheet, row and column, and nothing is written unless the whole
file is good.
Export writes the layout import reads, so export → import changes nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.import_export import xlsx
from services.reform_tasks.import_export.schemas import ChangedTask, CreatedTask, ImportPreview
from services.reform_tasks.task.repository import TASK_DETAIL
from services.reform_tasks.timeline import service as timeline
from shared import audit
from shared.auth import Principal
from shared.errors import FieldError, ValidationFailed
from shared.models import (
    Domain,
    Milestone,
    Programme,
    ProgressReport,
    Task,
    TaskClass,
    Unit,
    task_responsible_units,
)

CN = "一二三四"


@dataclass
class Plan:
    number: int
    domain: Domain
    task_class: TaskClass
    title: str
    benchmark: str
    goal: str
    measures: str
    lead: Unit
    responsible: list[Unit]
    deadline: date
    deadline_text: str
    milestones: list[tuple[date, str]]

    def comparable(self) -> dict[str, Any]:
        return {
            "领域": self.domain.code,
            "类别": self.task_class.value,
            "任务": self.title,
            "对标": self.benchmark,
            "目标": self.goal,
            "具体措施": self.measures,
            "牵头单位": self.lead.code,
            "责任单位": sorted(u.code for u in self.responsible),
            "完成时限": self.deadline.isoformat(),
            "完成时限文字": self.deadline_text,
            "时间节点": [(d.isoformat(), t) for d, t in self.milestones],
        }


def comparable(task: Task) -> dict[str, Any]:
    return {
        "领域": task.domain.code,
        "类别": task.task_class.value,
        "任务": task.title,
        "对标": task.benchmark,
        "目标": task.goal,
        "具体措施": task.measures,
        "牵头单位": task.lead_unit.code,
        "责任单位": sorted(u.code for u in task.responsible_units),
        "完成时限": task.deadline.isoformat(),
        "完成时限文字": task.deadline_text,
        "时间节点": [
            (m.planned_date.isoformat(), m.title)
            for m in sorted(task.milestones, key=lambda m: m.ordinal)
        ],
    }


class UnitDirectory:
    """Units by code, full name, short name or alias (the alias table: platform.units.aliases)."""

    def __init__(self, units: list[Unit]) -> None:
        self._by: dict[str, Unit] = {}
        for unit in units:
            for key in (unit.code, unit.name, unit.short_name, *unit.aliases):
                self._by.setdefault(key.strip().lower(), unit)

    def find(self, text: str) -> Unit | None:
        return self._by.get(text.strip().lower())


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _plan(
    row: xlsx.Row,
    programme: Programme,
    domains: dict[str, Domain],
    units: UnitDirectory,
    errors: list[FieldError],
) -> Plan | None:
    def error(column: str, message: str) -> None:
        errors.append(FieldError(loc=[row.sheet, row.number, column], msg=message, type="invalid"))

    cells = row.cells
    before = len(errors)
    number_raw = cells.get("序号")
    try:
        number = int(float(str(number_raw).strip()))
        if number < 1 or float(str(number_raw).strip()) != number:
            raise ValueError
    except (TypeError, ValueError):
        error("序号", f"序号应为正整数：“{_text(number_raw)}”")
        number = 0
    domain = domains.get(_text(cells.get("领域")))
    if domain is None:
        error("领域", f"未知领域“{_text(cells.get('领域'))}”")
    title = _text(cells.get("任务"))
    if not title:
        error("任务", "任务名称为空")
    klass = _text(cells.get("类别")).upper().removesuffix("类")
    if klass not in ("A", "B", "C"):
        error("类别", f"类别应为A/B/C：“{_text(cells.get('类别'))}”")
    lead_names = xlsx.split_units(cells.get("牵头单位"))
    lead = units.find(lead_names[0]) if len(lead_names) == 1 else None
    if len(lead_names) != 1:
        error("牵头单位", "牵头单位应有且只有一个")
    elif lead is None:
        error("牵头单位", f"未知单位“{lead_names[0]}”")
    responsible: list[Unit] = []
    names = xlsx.split_units(cells.get("责任单位"))
    if not names:
        error("责任单位", "责任单位为空")
    for name in names:
        unit = units.find(name)
        if unit is None:
            error("责任单位", f"未知单位“{name}”")
        elif lead is not None and unit.code == lead.code:
            error("责任单位", f"牵头单位“{name}”不能同时是责任单位")
        elif unit not in responsible:
            responsible.append(unit)
    deadline, deadline_text = date.min, ""
    try:
        deadline, deadline_text = xlsx.parse_deadline(cells.get("完成时限"), programme.year)
    except ValueError as exc:
        error("完成时限", f"无法识别的日期“{exc}”")
    milestones: list[tuple[date, str]] = []
    try:
        milestones = xlsx.parse_milestones(cells.get("时间节点"), programme.year)
    except ValueError as exc:
        error("时间节点", f"无法识别的时间节点“{exc}”（应为“3月底前：工作内容”，每行一个）")
    if milestones and deadline != date.min:
        dates = [d for d, _ in milestones]
        if dates != sorted(set(dates)):
            error("时间节点", "时间节点的日期须依次递增")
        elif dates[-1] > deadline or dates[0] < programme.starts_on:
            error("时间节点", "时间节点须在改革工程年度内且不晚于完成时限")
    if len(errors) > before or domain is None or lead is None:
        return None
    goal = _text(cells.get("目标")) or title
    return Plan(
        number=number,
        domain=domain,
        task_class=TaskClass(klass),
        title=title,
        benchmark=_text(cells.get("对标")),
        goal=goal,
        measures=_text(cells.get("具体措施")),
        lead=lead,
        responsible=responsible,
        deadline=deadline,
        deadline_text=deadline_text,
        milestones=milestones,
    )


async def _existing(session: AsyncSession, programme: Programme) -> dict[int, Task]:
    tasks = (
        (
            await session.execute(
                select(Task).options(*TASK_DETAIL).where(Task.programme_id == programme.id)
            )
        )
        .scalars()
        .unique()
        .all()
    )
    return {t.number: t for t in tasks}


async def import_task_list(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    content: bytes,
    *,
    dry_run: bool,
) -> ImportPreview:
    try:
        rows = await asyncio.to_thread(xlsx.read_rows, content)
    except xlsx.FileRejected as exc:
        raise ValidationFailed(str(exc)) from exc
    domain_rows = (
        await session.scalars(select(Domain).where(Domain.programme_id == programme.id))
    ).all()
    domains = {d.name: d for d in domain_rows} | {d.code: d for d in domain_rows}
    units = UnitDirectory(list((await session.scalars(select(Unit))).all()))
    errors: list[FieldError] = []
    plans: list[Plan] = []
    seen: dict[int, int] = {}
    for row in rows:
        plan = _plan(row, programme, domains, units, errors)
        if plan is None:
            continue
        if plan.number in seen:
            errors.append(
                FieldError(
                    loc=[row.sheet, row.number, "序号"],
                    msg=f"序号 {plan.number} 重复（第 {seen[plan.number]} 行已有）",
                    type="duplicate",
                )
            )
            continue
        seen[plan.number] = row.number
        plans.append(plan)
    existing = await _existing(session, programme)
    created: list[CreatedTask] = []
    changed: list[ChangedTask] = []
    unchanged = 0
    work: list[tuple[Plan, Task | None]] = []
    for plan in plans:
        task = existing.get(plan.number)
        if task is None:
            created.append(CreatedTask(number=plan.number, title=plan.title))
            work.append((plan, None))
            continue
        old, new = comparable(task), plan.comparable()
        diff = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
        if not diff:
            unchanged += 1
            continue
        changed.append(ChangedTask(number=plan.number, fields=diff))
        work.append((plan, task))
        dropped = [m for m in task.milestones if m.ordinal > len(plan.milestones)]
        for milestone in dropped:
            reported = await session.scalar(
                select(ProgressReport.id)
                .where(ProgressReport.milestone_id == milestone.id)
                .limit(1)
            )
            if reported is not None:
                errors.append(
                    FieldError(
                        loc=[rows[0].sheet, seen[plan.number], "时间节点"],
                        msg=f"任务 {plan.number} 的第 {milestone.ordinal} 个时间节点"
                        "已有进展报送，不能删除",
                        type="has_reports",
                    )
                )
    if errors:
        errors.sort(key=lambda e: (str(e.loc[0]), int(e.loc[1])))
        raise ValidationFailed(f"共 {len(errors)} 处错误，未导入任何数据", errors=errors)
    if not dry_run:
        for plan, task in work:
            await _apply(session, principal, programme, plan, task)
    return ImportPreview(dry_run=dry_run, created=created, changed=changed, unchanged=unchanged)


async def _apply(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    plan: Plan,
    task: Task | None,
) -> None:
    before = comparable(task) if task is not None else None
    if task is None:
        task = Task(
            programme_id=programme.id,
            number=plan.number,
            domain_id=plan.domain.id,
            task_class=plan.task_class,
            title=plan.title,
            benchmark=plan.benchmark,
            goal=plan.goal,
            measures=plan.measures,
            lead_unit_id=plan.lead.id,
            deadline=plan.deadline,
            deadline_text=plan.deadline_text,
        )
        session.add(task)
        await session.flush()
        current: dict[int, Milestone] = {}
    else:
        task.domain_id, task.task_class, task.title = plan.domain.id, plan.task_class, plan.title
        task.benchmark, task.goal, task.measures = plan.benchmark, plan.goal, plan.measures
        task.lead_unit_id, task.deadline = plan.lead.id, plan.deadline
        task.deadline_text = plan.deadline_text
        await session.execute(
            task_responsible_units.delete().where(task_responsible_units.c.task_id == task.id)
        )
        current = {m.ordinal: m for m in task.milestones}
    await session.execute(
        task_responsible_units.insert(),
        [{"task_id": task.id, "unit_id": u.id} for u in plan.responsible],
    )
    for ordinal, (planned, title) in enumerate(plan.milestones, start=1):
        milestone = current.pop(ordinal, None)
        if milestone is None:
            session.add(
                Milestone(
                    task_id=task.id,
                    ordinal=ordinal,
                    title=title,
                    planned_date=planned,
                    baseline_date=planned,
                )
            )
        else:
            # A re-imported plan moves the planned date; the baseline stays, as with extensions.
            milestone.title, milestone.planned_date = title, planned
    for milestone in current.values():
        await session.delete(milestone)
    await session.flush()
    after = plan.comparable()
    action = "task.imported" if before is None else "task.reimported"
    await audit.record(
        session,
        actor=principal,
        action=action,
        entity_type="task",
        entity_id=f"{programme.code}/{plan.number}",
        before=before,
        after=after,
    )
    summary = (
        "导入新增任务"
        if before is None
        else "导入更新任务：" + "、".join(k for k in after if before[k] != after[k])
    )
    await timeline.append(session, "task", task.id, action, summary, actor=principal)


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _deadline_text(task: Task) -> str:
    return (
        task.deadline_text or f"{task.deadline.year}年{task.deadline.month}月{task.deadline.day}日"
    )


def export_rows(tasks: list[Task]) -> list[dict[str, Any]]:
    rows = []
    for task in sorted(tasks, key=lambda t: (t.domain.ordinal, t.number)):
        rows.append(
            {
                "序号": task.number,
                "领域": task.domain.name,
                "任务": task.title,
                "类别": task.task_class.value,
                "对标": task.benchmark,
                "目标": task.goal,
                "具体措施": task.measures,
                "牵头单位": task.lead_unit.short_name,
                "责任单位": "、".join(
                    u.short_name for u in sorted(task.responsible_units, key=lambda u: u.code)
                ),
                "完成时限": _deadline_text(task),
                "时间节点": "\n".join(
                    f"{_cn_date(m.planned_date)}前：{m.title}"
                    for m in sorted(task.milestones, key=lambda m: m.ordinal)
                ),
            }
        )
    return rows


async def export_task_list(session: AsyncSession, tasks: list[Task], programme: Programme) -> bytes:
    rows = export_rows(tasks)
    return await asyncio.to_thread(xlsx.write_task_list, f"{programme.name}重点任务清单", rows)


async def template(programme: Programme) -> bytes:
    year = programme.year
    rows = [
        {
            "序号": 1,
            "领域": "商事登记",
            "任务": "企业开办全程网办",
            "类别": "A类",
            "对标": "深圳：企业开办0.5个工作日",
            "目标": "企业开办全流程压减至0.5个工作日",
            "具体措施": "推行一表填报、一网通办",
            "牵头单位": "市市场监管局",
            "责任单位": "市政务服务局、市税务局",
            "完成时限": f"{year}年6月底前",
            "时间节点": "3月底前：制定工作方案\n6月底前：系统上线运行",
        },
        {
            "序号": 2,
            "领域": "纳税",
            "任务": "办税时间压缩",
            "类别": "B",
            "对标": "",
            "目标": "",
            "具体措施": "",
            "牵头单位": "市税务局",
            "责任单位": "云中区\n河西区",
            "完成时限": "长期坚持",
            "时间节点": f"{year}年{CN[2]}季度：出台实施细则\n12月31日前：全面推开",
        },
    ]
    return await asyncio.to_thread(
        xlsx.write_task_list, f"{programme.name}重点任务清单（模板）", rows, example=True
    )
