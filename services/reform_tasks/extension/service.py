"""Extension requests (延期申请): a unit asks to move a milestone; the office approves or rejects.
Approval moves the planned date and never the baseline, so the battle map shows the slippage."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from services.reform_tasks.extension.schemas import DecisionIn, ExtensionIn, ExtensionOut
from services.reform_tasks.message.service import notify
from services.reform_tasks.task.access import readable_task, require_involved_unit
from services.reform_tasks.task.repository import TaskRepository, involves_unit
from services.reform_tasks.timeline import service as timeline
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import (
    ExtensionRequest,
    ExtensionStatus,
    Milestone,
    MilestoneState,
    Programme,
    Task,
    Unit,
)


def to_out(ext: ExtensionRequest, task_number: int) -> ExtensionOut:
    return ExtensionOut(
        id=ext.id,
        task_number=task_number,
        milestone_ordinal=ext.milestone.ordinal,
        milestone_title=ext.milestone.title,
        unit_code=ext.unit.code,
        requested_by=ext.requested_by,
        reason=ext.reason,
        current_date=ext.current_date,
        requested_date=ext.requested_date,
        status=ext.status,
        created_at=ext.created_at,
        decided_by=ext.decided_by,
        decided_at=ext.decided_at,
        decision_comment=ext.decision_comment,
    )


async def request_extension(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    ordinal: int,
    body: ExtensionIn,
) -> ExtensionOut:
    task = await readable_task(session, principal, programme, number)
    require_involved_unit(principal, task)
    milestone = await TaskRepository(session).milestone(task.id, ordinal, for_update=True)
    if milestone is None:
        raise NotFound(f"任务 {number} 没有第 {ordinal} 个时间节点")
    if milestone.state is MilestoneState.closed_out:
        raise Conflict("该时间节点已销号，不能申请延期")
    if body.requested_date <= milestone.planned_date:
        raise ValidationFailed("延期后的日期必须晚于当前计划日期")
    if body.requested_date > programme.ends_on:
        raise ValidationFailed(f"延期后的日期不能晚于改革工程结束日 {programme.ends_on}")
    pending = await session.scalar(
        select(ExtensionRequest.id).where(
            ExtensionRequest.milestone_id == milestone.id,
            ExtensionRequest.status == ExtensionStatus.pending,
        )
    )
    if pending is not None:
        raise Conflict("该时间节点已有待审批的延期申请")
    unit = await session.scalar(select(Unit).where(Unit.code == principal.unit_code))
    assert unit is not None
    ext = ExtensionRequest(
        milestone_id=milestone.id,
        unit_id=unit.id,
        requested_by=principal.username,
        reason=body.reason,
        current_date=milestone.planned_date,
        requested_date=body.requested_date,
    )
    session.add(ext)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="extension.requested",
        entity_type="extension_request",
        entity_id=ext.id,
        after={"milestone": ordinal, "requested_date": body.requested_date},
    )
    await timeline.append(
        session,
        "task",
        task.id,
        "extension.requested",
        f"{unit.short_name}申请将第{ordinal}个时间节点延期至{body.requested_date}：{body.reason}",
        actor=principal,
    )
    return await _out(session, ext.id)


async def _out(session: AsyncSession, ext_id: int) -> ExtensionOut:
    ext, number = (
        await session.execute(
            select(ExtensionRequest, Task.number)
            .join(Milestone, Milestone.id == ExtensionRequest.milestone_id)
            .join(Task, Task.id == Milestone.task_id)
            .options(joinedload(ExtensionRequest.milestone), joinedload(ExtensionRequest.unit))
            .where(ExtensionRequest.id == ext_id)
            .execution_options(populate_existing=True)
        )
    ).one()
    return to_out(ext, number)


def _readable(principal: Principal, programme: Programme) -> Select[ExtensionRequest, int]:
    statement = (
        select(ExtensionRequest, Task.number)
        .join(Milestone, Milestone.id == ExtensionRequest.milestone_id)
        .join(Task, Task.id == Milestone.task_id)
        .where(Task.programme_id == programme.id)
        .options(joinedload(ExtensionRequest.milestone), joinedload(ExtensionRequest.unit))
    )
    if principal.can_read_unit(None):
        return statement
    return statement.where(involves_unit(principal.unit_code or ""))


async def list_extensions(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    status: ExtensionStatus | None,
) -> list[ExtensionOut]:
    statement = _readable(principal, programme)
    if status is not None:
        statement = statement.where(ExtensionRequest.status == status)
    rows = await session.execute(statement.order_by(ExtensionRequest.created_at.desc()))
    return [to_out(ext, number) for ext, number in rows.all()]


async def decide(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    ext_id: int,
    approve: bool,
    body: DecisionIn,
) -> ExtensionOut:
    row = (
        await session.execute(
            _readable(principal, programme)
            .where(ExtensionRequest.id == ext_id)
            .with_for_update(of=ExtensionRequest)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("延期申请不存在")
    ext, number = row
    if ext.status is not ExtensionStatus.pending:
        raise Conflict("该延期申请已处理")
    milestone = await session.get(Milestone, ext.milestone_id, with_for_update=True)
    assert milestone is not None
    ext.status = ExtensionStatus.approved if approve else ExtensionStatus.rejected
    ext.decided_by, ext.decided_at = principal.username, datetime.now(UTC)
    ext.decision_comment = body.comment or None
    before = {"planned_date": milestone.planned_date}
    if approve:
        milestone.planned_date = ext.requested_date  # the baseline stays where it was
    await session.flush()
    verdict = "批准" if approve else "驳回"
    await audit.record(
        session,
        actor=principal,
        action=f"extension.{ext.status.value}",
        entity_type="extension_request",
        entity_id=ext.id,
        before=before,
        after={"planned_date": milestone.planned_date},
    )
    await timeline.append(
        session,
        "task",
        milestone.task_id,
        f"extension.{ext.status.value}",
        f"改革办{verdict}第{milestone.ordinal}个时间节点延期至{ext.requested_date}的申请"
        + (f"：{body.comment}" if body.comment else ""),
        actor=principal,
    )
    await notify(
        session,
        ext.unit_id,
        "extension",
        f"任务{number}延期申请已{verdict}",
        body.comment,
        link=f"/tasks/{number}",
        dedupe_key=f"extension:{ext.id}",
    )
    return await _out(session, ext.id)
