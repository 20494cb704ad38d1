"""Supervision (督办): the office demands a fix by a date; not fixed by then → a second
supervision; still not → accountability (问责). Seed 002_c95ffdd180ea7e81.txt: first supervision,
second supervision, then accountability. Every step is dated, sent to the unit's inbox, shown in
the subject's timeline and told to evaluation."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from services.reform_tasks.message.service import notify
from services.reform_tasks.supervision.schemas import (
    EscalationSummary,
    ResolveIn,
    SupervisionIn,
    SupervisionOut,
)
from services.reform_tasks.task.access import is_lead, is_responsible
from services.reform_tasks.task.repository import TASK_DETAIL, TaskRepository
from services.reform_tasks.timeline import service as timeline
from shared import audit, outbox
from shared.auth import Principal
from shared.clock import today_shanghai
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import (
    Milestone,
    Problem,
    ProblemStatus,
    Programme,
    Role,
    Supervision,
    SupervisionLevel,
    SupervisionStatus,
    Task,
    Unit,
)

LEVEL_LABELS = {
    SupervisionLevel.first: "督办",
    SupervisionLevel.second: "二次督办",
    SupervisionLevel.accountability: "问责",
}
DEFAULT_SECOND_DAYS = 7


async def _subject_refs(
    session: AsyncSession, supervision: Supervision
) -> tuple[int | None, int | None, int | None, int | None]:
    """(task id, task number, milestone ordinal, problem number)."""
    if supervision.milestone_id is not None:
        row = (
            await session.execute(
                select(Task.id, Task.number, Milestone.ordinal)
                .join(Milestone, Milestone.task_id == Task.id)
                .where(Milestone.id == supervision.milestone_id)
            )
        ).one()
        return row[0], row[1], row[2], None
    number = await session.scalar(
        select(Problem.number).where(Problem.id == supervision.problem_id)
    )
    return None, None, None, number


async def to_out(session: AsyncSession, s: Supervision) -> SupervisionOut:
    _, task_number, ordinal, problem_number = await _subject_refs(session, s)
    return SupervisionOut(
        id=s.id,
        level=s.level,
        status=s.status,
        unit_code=s.unit.code,
        unit_name=s.unit.name,
        task_number=task_number,
        milestone_ordinal=ordinal,
        problem_number=problem_number,
        reason=s.reason,
        issued_on=s.issued_on,
        due_on=s.due_on,
        resolved_on=s.resolved_on,
        resolution=s.resolution,
        parent_id=s.parent_id,
        issued_by=s.issued_by,
        created_at=s.created_at,
    )


def readable(principal: Principal, programme: Programme) -> Select[Supervision]:
    statement = (
        select(Supervision)
        .options(joinedload(Supervision.unit))
        .where(Supervision.programme_id == programme.id)
    )
    if principal.can_read_unit(None):
        return statement
    unit_id = select(Unit.id).where(Unit.code == (principal.unit_code or "")).scalar_subquery()
    return statement.where(Supervision.unit_id == unit_id)


async def _record_step(
    session: AsyncSession,
    principal: Principal | None,
    programme: Programme,
    supervision: Supervision,
) -> None:
    """Inbox, timeline, audit and the evaluation event of one supervision step."""
    await session.flush()
    await session.refresh(supervision, ["unit"])
    task_id, task_number, ordinal, problem_number = await _subject_refs(session, supervision)
    label = LEVEL_LABELS[supervision.level]
    subject = (
        f"任务{task_number}第{ordinal}个时间节点"
        if task_number is not None
        else f"问题{problem_number}"
    )
    due = f"，限{supervision.due_on}前整改" if supervision.due_on else ""
    await notify(
        session,
        supervision.unit_id,
        "supervision",
        f"【{label}】{subject}",
        f"{supervision.reason}{due}",
        link=f"/supervisions/{supervision.id}",
        dedupe_key=f"supervision:{supervision.id}",
    )
    if task_id is not None:
        await timeline.append(
            session,
            "task",
            task_id,
            f"supervision.{supervision.level.value}",
            f"{label}{supervision.unit.short_name}：{supervision.reason}{due}",
            actor=principal,
        )
    else:
        problem_id = supervision.problem_id
        assert problem_id is not None
        await timeline.append(
            session,
            "problem",
            problem_id,
            f"supervision.{supervision.level.value}",
            f"{label}{supervision.unit.short_name}：{supervision.reason}{due}",
            actor=principal,
        )
    await outbox.enqueue(
        session,
        "supervision.escalated",
        {
            "supervision_id": supervision.id,
            "level": supervision.level.value,
            "unit": supervision.unit.code,
            "reason": supervision.reason,
            "task_number": task_number,
            "milestone": ordinal,
            "problem_number": problem_number,
            "issued_on": supervision.issued_on,
            "due_on": supervision.due_on,
        },
        programme=programme.code,
        unit_code=supervision.unit.code,
    )
    await audit.record(
        session,
        actor=principal,
        action=f"supervision.{supervision.level.value}",
        entity_type="supervision",
        entity_id=supervision.id,
        after={
            "unit": supervision.unit.code,
            "due_on": supervision.due_on,
            "parent_id": supervision.parent_id,
        },
    )


async def issue(
    session: AsyncSession, principal: Principal, programme: Programme, body: SupervisionIn
) -> SupervisionOut:
    unit = await session.scalar(select(Unit).where(Unit.code == body.unit_code))
    if unit is None:
        raise ValidationFailed(f"单位 {body.unit_code} 不存在")
    today = today_shanghai()
    if body.due_on <= today:
        raise ValidationFailed("整改期限必须晚于今天")
    milestone_id = problem_id = None
    if body.subject.task_number is not None:
        task = await TaskRepository(session).get_by_number(
            programme.id, body.subject.task_number, TASK_DETAIL
        )
        if task is None:
            raise ValidationFailed(f"任务 {body.subject.task_number} 不存在")
        milestone = next(
            (m for m in task.milestones if m.ordinal == body.subject.milestone_ordinal), None
        )
        if milestone is None:
            raise ValidationFailed("时间节点不存在")
        as_unit = Principal(username="", role=Role.unit, unit_code=unit.code)
        if not (is_lead(as_unit, task) or is_responsible(as_unit, task)):
            raise ValidationFailed(f"{unit.short_name}不是该任务的牵头或责任单位")
        milestone_id = milestone.id
    else:
        problem = await session.scalar(
            select(Problem).where(
                Problem.programme_id == programme.id, Problem.number == body.subject.problem_number
            )
        )
        if problem is None:
            raise ValidationFailed(f"问题 {body.subject.problem_number} 不存在")
        if problem.responsible_unit_id != unit.id:
            raise ValidationFailed(f"{unit.short_name}不是该问题的责任单位")
        problem_id = problem.id
    duplicate = await session.scalar(
        select(Supervision.id).where(
            Supervision.unit_id == unit.id,
            Supervision.status == SupervisionStatus.open,
            Supervision.milestone_id == milestone_id
            if milestone_id
            else Supervision.problem_id == problem_id,
        )
    )
    if duplicate is not None:
        raise Conflict("该单位对该事项已有未办结的督办")
    supervision = Supervision(
        programme_id=programme.id,
        unit_id=unit.id,
        level=SupervisionLevel.first,
        milestone_id=milestone_id,
        problem_id=problem_id,
        reason=body.reason,
        issued_on=today,
        due_on=body.due_on,
        issued_by=principal.username,
    )
    session.add(supervision)
    await _record_step(session, principal, programme, supervision)
    return await to_out(session, supervision)


async def get(
    session: AsyncSession, principal: Principal, programme: Programme, supervision_id: int
) -> Supervision:
    supervision = (
        (
            await session.execute(
                readable(principal, programme).where(Supervision.id == supervision_id)
            )
        )
        .scalars()
        .unique()
        .one_or_none()
    )
    if supervision is None:
        raise NotFound("督办不存在或无权查看")
    return supervision


async def list_supervisions(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    *,
    status: SupervisionStatus | None,
    level: SupervisionLevel | None,
    unit: str | None,
) -> list[SupervisionOut]:
    statement = readable(principal, programme)
    if status:
        statement = statement.where(Supervision.status == status)
    if level:
        statement = statement.where(Supervision.level == level)
    if unit:
        statement = statement.where(
            Supervision.unit_id.in_(select(Unit.id).where(Unit.code == unit))
        )
    rows = (await session.execute(statement.order_by(Supervision.id))).scalars().unique().all()
    return [await to_out(session, s) for s in rows]


async def resolve(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    supervision_id: int,
    body: ResolveIn,
) -> SupervisionOut:
    supervision = await get(session, principal, programme, supervision_id)
    if supervision.status is not SupervisionStatus.open:
        raise Conflict("该督办已办结或已升级")
    supervision.status = SupervisionStatus.resolved
    supervision.resolved_on, supervision.resolution = today_shanghai(), body.resolution
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="supervision.resolved",
        entity_type="supervision",
        entity_id=supervision.id,
        after={"resolution": body.resolution},
    )
    return await to_out(session, supervision)


async def _subject_done(session: AsyncSession, supervision: Supervision) -> bool:
    if supervision.milestone_id is not None:
        milestone = await session.get(Milestone, supervision.milestone_id)
        return milestone is not None and milestone.completed_on is not None
    problem = await session.get(Problem, supervision.problem_id)
    return problem is not None and problem.status is ProblemStatus.closed


async def escalate(
    session: AsyncSession, principal: Principal | None, programme: Programme, as_of: date
) -> EscalationSummary:
    """Every open supervision past its due date: resolved if its subject was fixed meanwhile,
    else escalated one level. Running it twice for the same day changes nothing more."""
    summary = EscalationSummary(
        as_of=as_of, escalated_to_second=0, escalated_to_accountability=0, resolved=0
    )
    due = (
        (
            await session.execute(
                select(Supervision)
                .options(joinedload(Supervision.unit))
                .where(
                    Supervision.programme_id == programme.id,
                    Supervision.status == SupervisionStatus.open,
                    Supervision.due_on.is_not(None),
                    Supervision.due_on < as_of,
                    Supervision.level != SupervisionLevel.accountability,
                )
                .order_by(Supervision.id)
                .with_for_update(of=Supervision)
            )
        )
        .scalars()
        .unique()
        .all()
    )
    second_days = int(programme.settings.get("second_supervision_days", DEFAULT_SECOND_DAYS))
    for supervision in due:
        if await _subject_done(session, supervision):
            supervision.status, supervision.resolved_on = SupervisionStatus.resolved, as_of
            supervision.resolution = "督办事项已完成"
            summary.resolved += 1
            continue
        supervision.status = SupervisionStatus.escalated
        first = supervision.level is SupervisionLevel.first
        following = Supervision(
            programme_id=programme.id,
            unit_id=supervision.unit_id,
            level=SupervisionLevel.second if first else SupervisionLevel.accountability,
            milestone_id=supervision.milestone_id,
            problem_id=supervision.problem_id,
            parent_id=supervision.id,
            reason=f"{LEVEL_LABELS[supervision.level]}逾期未整改：{supervision.reason}",
            issued_on=as_of,
            due_on=as_of + timedelta(days=second_days) if first else None,
            issued_by=principal.username if principal else "scheduler",
        )
        session.add(following)
        await _record_step(session, principal, programme, following)
        if first:
            summary.escalated_to_second += 1
        else:
            summary.escalated_to_accountability += 1
    await session.flush()
    return summary
