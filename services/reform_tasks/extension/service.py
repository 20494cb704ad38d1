"""Extension requests (延期申请): a unit asks to move a milestone; the office approves or rejects.
Approval moves the planned date and never the baseline, so the battle map shows the slippage
(seed 001_643c54550577dac0.txt: the battle map's dated time nodes are what progress is judged
against). That the baseline never moves is the office's default, no seed's (docs/RULES.md: "An
approved extension moves the planned date; the baseline never moves …")."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.extension.repository import ExtensionRepository
from services.reform_tasks.extension.schemas import DecisionIn, ExtensionIn, ExtensionOut
from services.reform_tasks.message.service import notify
from services.reform_tasks.task.access import readable_task, require_involved_unit
from services.reform_tasks.timeline import service as timeline
from shared import audit
from shared.auth import Principal
from shared.clock import now_utc
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.models import ExtensionRequest, ExtensionStatus, MilestoneState, Programme
from shared.pagination import Page, PageParams


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


def _invalid_date(message: str) -> ValidationFailed:
    return ValidationFailed(
        message,
        errors=[FieldError(loc=["body", "requested_date"], msg=message, type="date_range")],
    )


async def request_extension(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    ordinal: int,
    body: ExtensionIn,
) -> ExtensionOut:
    """The task's lead or responsible unit asks to move a milestone to a later day within the
    programme year, with a reason. One pending request per milestone (409); not on a milestone
    already closed out (409)."""
    task = await readable_task(session, principal, programme, number)
    require_involved_unit(principal, task)
    repo = ExtensionRepository(session)
    milestone = await repo.milestone(task.id, ordinal, for_update=True)
    if milestone is None:
        raise NotFound(f"任务 {number} 没有第 {ordinal} 个时间节点")
    if milestone.state is MilestoneState.closed_out:
        raise Conflict("该时间节点已销号，不能申请延期")
    if body.requested_date <= milestone.planned_date:
        raise _invalid_date(f"延期后的日期必须晚于当前计划日期 {milestone.planned_date}")
    if body.requested_date > programme.ends_on:
        raise _invalid_date(f"延期后的日期不能晚于改革工程结束日 {programme.ends_on}")
    if await repo.has_pending(milestone.id):
        raise Conflict("该时间节点已有待审批的延期申请")
    unit = await repo.unit(principal.unit_code)
    assert unit is not None  # require_involved_unit: the caller's unit is on the task
    reason = body.reason.strip()
    if not reason:
        raise ValidationFailed(
            "请填写延期理由",
            errors=[FieldError(loc=["body", "reason"], msg="请填写延期理由", type="missing")],
        )
    ext = ExtensionRequest(
        milestone_id=milestone.id,
        unit_id=unit.id,
        requested_by=principal.username,
        reason=reason,
        current_date=milestone.planned_date,
        requested_date=body.requested_date,
        created_at=now_utc(),
    )
    session.add(ext)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="extension.requested",
        entity_type="extension_request",
        entity_id=ext.id,
        after={
            "task": number,
            "milestone": ordinal,
            "current_date": milestone.planned_date,
            "requested_date": body.requested_date,
            "reason": reason,
        },
    )
    await timeline.append(
        session,
        "task",
        task.id,
        "extension.requested",
        f"{unit.short_name}申请将第{ordinal}个时间节点由{milestone.planned_date}"
        f"延期至{body.requested_date}：{reason}",
        actor=principal,
        data={"extension_id": ext.id, "milestone": ordinal},
    )
    ext_, task_number = await repo.get(ext.id)
    return to_out(ext_, task_number)


async def list_extensions(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    status: ExtensionStatus | None,
    page: PageParams,
    *,
    task: int | None = None,
) -> Page[ExtensionOut]:
    """Newest first, optionally of one task. The office and viewers see all; a unit sees those
    on its own tasks."""
    rows, total = await ExtensionRepository(session).page(
        principal, programme.id, status, page, task=task
    )
    return Page[ExtensionOut](items=[to_out(ext, n) for ext, n in rows], total=total)


async def decide(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    ext_id: int,
    approve: bool,
    body: DecisionIn,
) -> ExtensionOut:
    """The office approves or rejects a pending request once (409 after). Approval moves the
    planned date only; the baseline stays, so the slip shows on the battle map. The requesting
    unit is told either way."""
    repo = ExtensionRepository(session)
    found = await repo.readable_for_update(principal, programme.id, ext_id)
    if found is None:
        raise NotFound("延期申请不存在")
    ext, number = found
    if ext.status is not ExtensionStatus.pending:
        raise Conflict("该延期申请已处理，不能重复审批")
    milestone = await repo.milestone_for_update(ext.milestone_id)
    if approve and milestone.state is MilestoneState.closed_out:
        raise Conflict("该时间节点已销号，不能再延期")
    comment = body.comment.strip()
    before = {"status": ext.status, "planned_date": milestone.planned_date}
    ext.status = ExtensionStatus.approved if approve else ExtensionStatus.rejected
    ext.decided_by, ext.decided_at = principal.username, now_utc()
    ext.decision_comment = comment or None
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
        after={
            "status": ext.status,
            "planned_date": milestone.planned_date,
            "baseline_date": milestone.baseline_date,
            "comment": comment,
        },
    )
    await timeline.append(
        session,
        "task",
        milestone.task_id,
        f"extension.{ext.status.value}",
        f"改革办{verdict}第{milestone.ordinal}个时间节点延期至{ext.requested_date}的申请"
        + (f"：{comment}" if comment else ""),
        actor=principal,
        data={"extension_id": ext.id, "milestone": milestone.ordinal},
    )
    await notify(
        session,
        ext.unit_id,
        "extension",
        f"任务{number}第{milestone.ordinal}个时间节点的延期申请已{verdict}",
        (f"计划日期调整为{ext.requested_date}。" if approve else "计划日期不变。") + comment,
        link=f"/tasks/{number}",
        dedupe_key=f"extension:{ext.id}",
    )
    ext_, task_number = await repo.get(ext.id)
    return to_out(ext_, task_number)
