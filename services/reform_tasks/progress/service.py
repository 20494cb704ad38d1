"""Progress reports with evidence, the lead unit's review and the office's close-out (销号).

Seed 001_643c54550577dac0.txt: units report progress against the battle map; the lead unit is
accountable for its task and judges its responsible units' work. Seed 002_c95ffdd180ea7e81.txt:
items are closed out one by one (对单销号) once confirmed done."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import UploadFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.message.service import notify
from services.reform_tasks.progress.schemas import CloseOutResult, EvidenceOut, ReportOut
from services.reform_tasks.progress.storage import FileStore, safe_name, scan, sniff
from services.reform_tasks.task.access import readable_task, require_involved_unit, require_lead
from services.reform_tasks.task.repository import TaskRepository
from services.reform_tasks.timeline import service as timeline
from shared import audit, outbox
from shared.auth import Principal
from shared.db import after_rollback
from shared.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from shared.models import (
    EvidenceFile,
    EvidenceScanStatus,
    Milestone,
    MilestoneState,
    Programme,
    ProgressReport,
    ReviewStatus,
    Task,
    TaskStatus,
    Unit,
)
from shared.settings import Settings

READ_CHUNK = 1024 * 1024


def evidence_out(file: EvidenceFile) -> EvidenceOut:
    return EvidenceOut(
        id=file.id,
        filename=file.filename,
        content_type=file.content_type,
        size_bytes=file.size_bytes,
        sha256=file.sha256,
        scan_status=file.scan_status,
        download_url=f"/api/tasks/v1/evidence/{file.id}",
    )


async def _report_out(session: AsyncSession, report_id: int) -> ReportOut:
    row = (
        await session.execute(
            select(ProgressReport, Milestone.ordinal, Task.number, Unit.code)
            .join(Milestone, Milestone.id == ProgressReport.milestone_id)
            .join(Task, Task.id == Milestone.task_id)
            .join(Unit, Unit.id == ProgressReport.unit_id)
            .where(ProgressReport.id == report_id)
            .execution_options(populate_existing=True)
        )
    ).one()
    report, ordinal, number, unit_code = row
    files = (
        await session.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.report_id == report.id)
            .order_by(EvidenceFile.id)
        )
    ).all()
    return ReportOut(
        id=report.id,
        task_number=number,
        milestone_ordinal=ordinal,
        unit_code=unit_code,
        content=report.content,
        claims_completion=report.claims_completion,
        completion_date=report.completion_date,
        submitted_at=report.submitted_at,
        review_status=report.review_status,
        reviewed_at=report.reviewed_at,
        review_comment=report.review_comment,
        evidence=[evidence_out(f) for f in files],
    )


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"文件“{safe_name(upload.filename or '')}”超过 {limit // 1048576} MB"
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def _milestone(
    session: AsyncSession, task: Task, ordinal: int, *, for_update: bool = False
) -> Milestone:
    milestone = await TaskRepository(session).milestone(task.id, ordinal, for_update=for_update)
    if milestone is None:
        raise NotFound(f"任务 {task.number} 没有第 {ordinal} 个时间节点")
    return milestone


async def submit_report(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    programme: Programme,
    number: int,
    ordinal: int,
    *,
    content: str,
    claims_completion: bool,
    completion_date: date | None,
    files: list[UploadFile],
    today: date,
) -> ReportOut:
    task = await readable_task(session, principal, programme, number)
    require_involved_unit(principal, task)
    milestone = await _milestone(session, task, ordinal, for_update=True)
    if milestone.state is MilestoneState.closed_out:
        raise Conflict("该时间节点已销号，不能再报送进展")
    if claims_completion and completion_date is None:
        raise ValidationFailed("报送完成时须填写完成日期")
    if completion_date is not None and completion_date > today:
        raise ValidationFailed("完成日期不能晚于今天")
    if len(files) > settings.evidence_max_files:
        raise ValidationFailed(f"佐证材料最多 {settings.evidence_max_files} 个文件")
    contents = []
    for upload in files:
        data = await _read_limited(upload, settings.evidence_max_bytes)
        content_type = sniff(upload.filename or "", data[:16])
        if content_type is None:
            raise ValidationFailed(
                f"不支持的文件“{safe_name(upload.filename or '')}”：仅接受 PDF、Word、Excel、"
                "图片（JPG/PNG）或 ZIP，且内容须与扩展名一致"
            )
        contents.append((safe_name(upload.filename or ""), content_type, data))
    unit = await session.scalar(select(Unit).where(Unit.code == principal.unit_code))
    assert unit is not None
    report = ProgressReport(
        milestone_id=milestone.id,
        unit_id=unit.id,
        submitted_by_id=principal.user_id,
        content=content,
        claims_completion=claims_completion,
        completion_date=completion_date if claims_completion else None,
    )
    session.add(report)
    await session.flush()
    store = FileStore(settings.files_dir)
    written: list[str] = []
    try:
        for filename, content_type, data in contents:
            stored = await store.save(data)
            written.append(stored.key)
            clean = await scan(settings.evidence_scan_command, store.path_of(stored.key))
            if not clean:
                raise ValidationFailed(f"文件“{filename}”未通过病毒扫描，已拒收")
            session.add(
                EvidenceFile(
                    report_id=report.id,
                    filename=filename,
                    content_type=content_type,
                    size_bytes=stored.size,
                    sha256=stored.sha256,
                    storage_key=stored.key,
                    scan_status=EvidenceScanStatus.clean,
                )
            )
        await session.flush()
    except BaseException:
        for key in written:
            await store.delete(key)
        raise
    # If the transaction does not commit, the files must not stay behind either.
    paths = [store.path_of(key) for key in written]

    def remove_files() -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    after_rollback(session, remove_files)
    if milestone.state is MilestoneState.open:
        milestone.state = MilestoneState.reported
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="progress.reported",
        entity_type="progress_report",
        entity_id=report.id,
        after={
            "task": number,
            "milestone": ordinal,
            "claims_completion": claims_completion,
            "files": [c[0] for c in contents],
        },
    )
    kind = "完成" if claims_completion else "进展"
    await timeline.append(
        session,
        "task",
        task.id,
        "progress.reported",
        f"{unit.short_name}报送第{ordinal}个时间节点{kind}情况（佐证材料 {len(contents)} 个）",
        actor=principal,
        data={"report_id": report.id},
    )
    return await _report_out(session, report.id)


async def list_reports(
    session: AsyncSession, principal: Principal, programme: Programme, number: int, ordinal: int
) -> list[ReportOut]:
    task = await readable_task(session, principal, programme, number)
    milestone = await _milestone(session, task, ordinal)
    ids = (
        await session.scalars(
            select(ProgressReport.id)
            .where(ProgressReport.milestone_id == milestone.id)
            .order_by(ProgressReport.submitted_at)
        )
    ).all()
    return [await _report_out(session, i) for i in ids]


async def review(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    report_id: int,
    decision: str,
    comment: str,
) -> ReportOut:
    row = (
        await session.execute(
            select(ProgressReport, Task.number)
            .join(Milestone, Milestone.id == ProgressReport.milestone_id)
            .join(Task, Task.id == Milestone.task_id)
            .where(ProgressReport.id == report_id, Task.programme_id == programme.id)
            .with_for_update(of=ProgressReport)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("进展报送不存在")
    report, number = row
    task = await readable_task(session, principal, programme, number)
    require_lead(principal, task)
    milestone = await session.get(Milestone, report.milestone_id, with_for_update=True)
    assert milestone is not None
    if milestone.state is MilestoneState.closed_out:
        raise Conflict("该时间节点已销号，不能再审核")
    if report.review_status is not ReviewStatus.pending:
        raise Conflict("该报送已审核")
    if decision == "return" and not comment.strip():
        raise ValidationFailed("退回时必须说明理由")
    report.review_status = ReviewStatus.accepted if decision == "accept" else ReviewStatus.returned
    report.reviewed_by_id, report.reviewed_at = principal.user_id, datetime.now(UTC)
    report.review_comment = comment or None
    if decision == "accept" and report.claims_completion:
        milestone.state = MilestoneState.accepted
    elif decision == "return":
        others = await session.scalar(
            select(ProgressReport.id).where(
                ProgressReport.milestone_id == milestone.id,
                ProgressReport.id != report.id,
                ProgressReport.review_status.in_([ReviewStatus.pending, ReviewStatus.accepted]),
            )
        )
        if others is None:
            milestone.state = MilestoneState.open
        await notify(
            session,
            report.unit_id,
            "review",
            f"任务{number}第{milestone.ordinal}个时间节点的报送被退回",
            comment,
            link=f"/tasks/{number}",
            dedupe_key=f"review:{report.id}",
        )
    await session.flush()
    verdict = "通过" if decision == "accept" else f"退回（{comment}）"
    await audit.record(
        session,
        actor=principal,
        action=f"progress.{report.review_status.value}",
        entity_type="progress_report",
        entity_id=report.id,
        after={"review_status": report.review_status, "comment": comment},
    )
    await timeline.append(
        session,
        "task",
        task.id,
        f"progress.{report.review_status.value}",
        f"牵头单位审核第{milestone.ordinal}个时间节点的报送：{verdict}",
        actor=principal,
        data={"report_id": report.id},
    )
    return await _report_out(session, report.id)


def _units(task: Task) -> dict[str, Any]:
    return {
        "lead_unit": task.lead_unit.code,
        "responsible_units": sorted(u.code for u in task.responsible_units),
    }


async def close_out_milestone(
    session: AsyncSession, principal: Principal, programme: Programme, number: int, ordinal: int
) -> CloseOutResult:
    task = await readable_task(session, principal, programme, number)
    milestone = await _milestone(session, task, ordinal, for_update=True)
    if milestone.state is MilestoneState.closed_out:
        raise Conflict("该时间节点已销号")
    accepted = await session.scalar(
        select(ProgressReport)
        .where(
            ProgressReport.milestone_id == milestone.id,
            ProgressReport.claims_completion,
            ProgressReport.review_status == ReviewStatus.accepted,
        )
        .order_by(ProgressReport.reviewed_at.desc())
        .limit(1)
    )
    if accepted is None or accepted.completion_date is None:
        raise Conflict("尚无牵头单位审核通过的完成报送，不能销号")
    milestone.state = MilestoneState.closed_out
    milestone.completed_on = accepted.completion_date
    await session.flush()
    late = max(0, (accepted.completion_date - milestone.planned_date).days)
    await outbox.enqueue(
        session,
        "milestone.completed",
        {
            "task_number": number,
            "milestone": ordinal,
            "title": milestone.title,
            "planned_date": milestone.planned_date,
            "baseline_date": milestone.baseline_date,
            "completed_on": accepted.completion_date,
            "on_time": late == 0,
            "days_late": late,
            **_units(task),
        },
        programme=programme.code,
        unit_code=task.lead_unit.code,
    )
    await audit.record(
        session,
        actor=principal,
        action="milestone.closed_out",
        entity_type="milestone",
        entity_id=f"{programme.code}/{number}/{ordinal}",
        after={"completed_on": accepted.completion_date, "days_late": late},
    )
    await timeline.append(
        session,
        "task",
        task.id,
        "milestone.closed_out",
        f"改革办对第{ordinal}个时间节点销号（完成于{accepted.completion_date}"
        + (f"，逾期{late}天）" if late else "，按期）"),
        actor=principal,
    )
    return CloseOutResult(
        task_number=number,
        milestone_ordinal=ordinal,
        completed_on=accepted.completion_date,
        on_time=late == 0,
    )


async def close_out_task(
    session: AsyncSession, principal: Principal, programme: Programme, number: int
) -> CloseOutResult:
    task = await readable_task(session, principal, programme, number)
    if task.status is TaskStatus.closed_out:
        raise Conflict("该任务已销号")
    open_ones = [m.ordinal for m in task.milestones if m.state is not MilestoneState.closed_out]
    if open_ones:
        raise Conflict(f"还有未销号的时间节点：第{'、'.join(map(str, open_ones))}个")
    finished = max(m.completed_on for m in task.milestones if m.completed_on is not None)
    task.status, task.closed_out_on = TaskStatus.closed_out, finished
    await session.flush()
    on_time = finished <= task.deadline
    await outbox.enqueue(
        session,
        "task.closed_out",
        {
            "task_number": number,
            "deadline": task.deadline,
            "closed_out_on": finished,
            "on_time": on_time,
            **_units(task),
        },
        programme=programme.code,
        unit_code=task.lead_unit.code,
    )
    await audit.record(
        session,
        actor=principal,
        action="task.closed_out",
        entity_type="task",
        entity_id=f"{programme.code}/{number}",
        after={"closed_out_on": finished, "on_time": on_time},
    )
    await timeline.append(
        session,
        "task",
        task.id,
        "task.closed_out",
        f"改革办对任务 {number} 销号（{'按期' if on_time else '逾期'}完成）",
        actor=principal,
    )
    return CloseOutResult(
        task_number=number, milestone_ordinal=None, completed_on=finished, on_time=on_time
    )


async def evidence_file(
    session: AsyncSession, settings: Settings, principal: Principal, evidence_id: int
) -> tuple[EvidenceFile, str]:
    row = (
        await session.execute(
            select(EvidenceFile, Task.number, Task.programme_id)
            .join(ProgressReport, ProgressReport.id == EvidenceFile.report_id)
            .join(Milestone, Milestone.id == ProgressReport.milestone_id)
            .join(Task, Task.id == Milestone.task_id)
            .where(EvidenceFile.id == evidence_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("佐证材料不存在")
    file, number, programme_id = row
    programme = await session.get(Programme, programme_id)
    assert programme is not None
    await readable_task(session, principal, programme, number)  # 404 for another unit
    return file, str(FileStore(settings.files_dir).path_of(file.storage_key))
