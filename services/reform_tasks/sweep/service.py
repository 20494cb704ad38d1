"""Daily sweeps, called by the scheduler for today (the office may run them for a date): the
milestones that became lagging or seriously lagging and the problems that became overdue, each
announced to evaluation once. Supervision escalation lives in supervision/service.py."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.message.service import notify
from services.reform_tasks.problem.repository import ProblemRepository
from services.reform_tasks.sweep.repository import OpenMilestone, SweepRepository
from services.reform_tasks.sweep.schemas import LaggingSweepResult, OverdueSweepResult
from services.reform_tasks.timeline import service as timeline
from shared import audit, outbox
from shared.auth import Principal
from shared.clock import moment_of
from shared.milestone_status import (
    LAGGING_RANK,
    STATUS_LABELS,
    MilestoneStatus,
    Thresholds,
    days_late,
    milestone_status,
)
from shared.models import Programme

SEVERITIES = (MilestoneStatus.lagging, MilestoneStatus.seriously_lagging)


async def lagging(
    session: AsyncSession, principal: Principal, programme: Programme, as_of: date
) -> LaggingSweepResult:
    """Seed 001_643c54550577dac0.txt: every task's dated milestones are compared with actual
    progress on the battle map (docs/RULES.md: "Every month progress is judged against the battle
    map's dated milestones (月度调度)"); a milestone past its planned date and not done is lagging,
    and seriously lagging past the programme's threshold (shared/milestone_status.py; office
    defaults, docs/RULES.md: "A milestone past its planned date and not done is lagging (滞后) …").
    Each severity a milestone reaches is announced once (`milestone.lagging`, to the lead unit's
    account; docs/RULES.md: "Each severity a milestone reaches is announced once …"), shown in the
    task's timeline and sent to the inboxes of the units on the task."""
    result = LaggingSweepResult(as_of=as_of, announced=0, lagging=0, seriously_lagging=0)
    thresholds = Thresholds.of(programme.settings)
    repository = SweepRepository(session)
    for milestone in await repository.milestones_past_due(programme.id, as_of):
        status = milestone_status(
            planned=milestone.planned_date,
            completed_on=None,
            as_of=as_of,
            reported=False,
            thresholds=thresholds,
        )
        if status not in SEVERITIES:
            continue
        rank = LAGGING_RANK[status.value]
        if rank <= LAGGING_RANK.get(milestone.lagging_level, 0):
            continue
        below = [level for level, r in LAGGING_RANK.items() if r < rank]
        if not await repository.raise_lagging_level(milestone.id, below, status.value):
            continue  # a concurrent sweep announced it
        await _announce_lagging(session, principal, programme, milestone, status, as_of)
        result.announced += 1
        if status is MilestoneStatus.lagging:
            result.lagging += 1
        else:
            result.seriously_lagging += 1
    return result


async def _announce_lagging(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    milestone: OpenMilestone,
    status: MilestoneStatus,
    as_of: date,
) -> None:
    late = days_late(milestone.planned_date, None, as_of)
    data = {
        "task_number": milestone.task_number,
        "milestone": milestone.ordinal,
        "title": milestone.title,
        "severity": status.value,
        "previous_severity": milestone.lagging_level,
        "days_late": late,
        "planned_date": milestone.planned_date,
        "baseline_date": milestone.baseline_date,
        "as_of": as_of,
        "lead_unit": milestone.lead_unit,
        "responsible_units": [code for _, code in milestone.responsible_units],
    }
    await outbox.enqueue(
        session,
        "milestone.lagging",
        data,
        programme=programme.code,
        unit_code=milestone.lead_unit,
        occurred_at=moment_of(as_of),
    )
    label = STATUS_LABELS[status]
    summary = (
        f"第{milestone.ordinal}个时间节点「{milestone.title}」{label}："
        f"计划 {milestone.planned_date} 完成，截至 {as_of} 已逾期 {late} 天"
    )
    await timeline.append(
        session,
        "task",
        milestone.task_id,
        f"milestone.{status.value}",
        summary,
        actor=None,
        data=data,
    )
    await audit.record(
        session,
        actor=principal,
        action=f"milestone.{status.value}",
        entity_type="milestone",
        entity_id=f"{programme.code}/{milestone.task_number}/{milestone.ordinal}",
        before={"lagging_level": milestone.lagging_level},
        after={"lagging_level": status.value, "as_of": as_of, "days_late": late},
    )
    units = [(milestone.lead_unit_id, milestone.lead_unit), *milestone.responsible_units]
    for unit_id, code in dict(units).items():
        await notify(
            session,
            unit_id,
            "lagging",
            f"【{label}】任务{milestone.task_number}第{milestone.ordinal}个时间节点",
            summary,
            link=f"/tasks/{milestone.task_number}",
            dedupe_key=f"lagging:{milestone.id}:{status.value}:{code}",
        )


async def overdue_problems(
    session: AsyncSession, principal: Principal, programme: Programme, as_of: date
) -> OverdueSweepResult:
    """Seed 002_c95ffdd180ea7e81.txt: problems are closed item by item by their due date (限期解决);
    an open problem past it is announced once (`problem.overdue`; the points are an office default,
    docs/RULES.md: "An open problem past its due date is announced overdue once …"), shown in its
    timeline and sent to the responsible unit's inbox — and may then be supervised like a lagging
    milestone."""
    marked = await ProblemRepository(session).mark_overdue(programme.id, as_of)
    for problem in marked:
        overdue_days = (as_of - problem.due_on).days
        data = {
            "problem_number": problem.number,
            "unit": problem.unit_code,
            "found_on": problem.found_on,
            "due_on": problem.due_on,
            "as_of": as_of,
            "days_overdue": overdue_days,
        }
        await outbox.enqueue(
            session,
            "problem.overdue",
            data,
            programme=programme.code,
            unit_code=problem.unit_code,
            occurred_at=moment_of(as_of),
        )
        summary = f"超过整改期限 {problem.due_on} 仍未销号（截至 {as_of} 逾期 {overdue_days} 天）"
        await timeline.append(
            session, "problem", problem.id, "problem.overdue", summary, actor=None, data=data
        )
        await audit.record(
            session,
            actor=principal,
            action="problem.overdue",
            entity_type="problem",
            entity_id=f"{programme.code}/{problem.number}",
            before={"overdue_reported_on": None},
            after={"overdue_reported_on": as_of},
        )
        await notify(
            session,
            problem.unit_id,
            "problem",
            f"【问题逾期】问题{problem.number}",
            summary,
            link=f"/problems/{problem.number}",
            dedupe_key=f"problem:{programme.code}:{problem.number}:overdue:{problem.unit_code}",
        )
    return OverdueSweepResult(as_of=as_of, announced=len(marked))
