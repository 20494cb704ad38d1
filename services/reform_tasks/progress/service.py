"""Progress reports with evidence, the lead unit's review and the office's close-out (销号).

Seed 001_643c54550577dac0.txt: progress is judged against the battle map's time nodes, and the lead
unit evaluates its responsible units (that it reviews their reports is the office's reading;
docs/RULES.md: "A milestone is done on the date of the completion report its lead unit accepted").
Seed 002_c95ffdd180ea7e81.txt: items are struck off one by one (对单销号) once confirmed done
(docs/RULES.md: "The office's 销号 confirms a done milestone; it does not make it done", "A task is
struck off when all its milestones are …")."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.message.service import notify
from services.reform_tasks.progress.repository import ProgressRepository, ReportRow
from services.reform_tasks.progress.schemas import CloseOutResult, EvidenceOut, ReportOut
from services.reform_tasks.task.access import readable_task, require_involved_unit, require_lead
from services.reform_tasks.timeline import service as timeline
from shared import audit, outbox
from shared.auth import Principal
from shared.clock import moment_of, now_utc, today_shanghai
from shared.errors import (
    Conflict,
    FieldError,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from shared.evidence.uploads import (
    CheckedUpload,
    check_uploads,
    keep_files,
    stored_path,
)
from shared.milestone_status import (
    LAGGING_RANK,
    STATUS_LABELS,
    MilestoneStatus,
    Thresholds,
    days_late,
    milestone_status,
)
from shared.models import (
    EvidenceFile,
    Milestone,
    MilestoneState,
    Programme,
    ProgressReport,
    ReviewStatus,
    Task,
    TaskStatus,
)
from shared.pagination import Page, PageParams
from shared.settings import Settings


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


def report_out(row: ReportRow, files: list[EvidenceFile]) -> ReportOut:
    report, ordinal, number, unit_code = row
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


async def _report_out(session: AsyncSession, report_id: int) -> ReportOut:
    repo = ProgressRepository(session)
    files = await repo.evidence_of([report_id])
    return report_out(await repo.report(report_id), files.get(report_id, []))


async def _milestone(
    session: AsyncSession, task: Task, ordinal: int, *, for_update: bool = False
) -> Milestone:
    milestone = await ProgressRepository(session).milestone(task.id, ordinal, for_update=for_update)
    if milestone is None:
        raise NotFound(f"任务 {task.number} 没有第 {ordinal} 个时间节点")
    return milestone


def _version_matches(if_match: str, version: int) -> bool:
    tag = if_match.strip()
    return tag == "*" or tag.removeprefix("W/").strip('"') == str(version)


def check_if_match(if_match: str | None, version: int, what: str) -> None:
    """Optimistic versioning: a client that sends If-Match must have seen the current version."""
    if if_match is not None and not _version_matches(if_match, version):
        raise PreconditionFailed(f"{what}已被他人修改（当前版本 {version}），请刷新后重试")


# --- progress reports -------------------------------------------------------------------------


def check_report_fields(
    *,
    content: str,
    claims_completion: bool,
    completion_date: date | None,
    today: date,
    programme_start: date,
) -> None:
    """A report says what was done; a completion claim names the day the milestone was done,
    within the programme: not before it started, not in the future."""
    if not content.strip():
        raise ValidationFailed(
            "请填写进展情况",
            errors=[FieldError(loc=["body", "content"], msg="请填写进展情况", type="missing")],
        )
    if claims_completion and completion_date is None:
        raise ValidationFailed(
            "报送完成时须填写完成日期",
            errors=[
                FieldError(
                    loc=["body", "completion_date"], msg="报送完成时须填写完成日期", type="missing"
                )
            ],
        )
    if claims_completion and completion_date is not None and completion_date > today:
        raise ValidationFailed(
            "完成日期不能晚于今天",
            errors=[
                FieldError(
                    loc=["body", "completion_date"], msg="完成日期不能晚于今天", type="future_date"
                )
            ],
        )
    if claims_completion and completion_date is not None and completion_date < programme_start:
        message = f"完成日期不能早于本年度改革工作开始日期（{programme_start}）"
        raise ValidationFailed(
            message,
            errors=[FieldError(loc=["body", "completion_date"], msg=message, type="range")],
        )


async def store_evidence(
    session: AsyncSession, settings: Settings, report: ProgressReport, uploads: list[CheckedUpload]
) -> list[EvidenceFile]:
    """Keep the checked files (`evidence.uploads.keep_files`) and record them as the report's."""
    kept = await keep_files(session, settings, uploads)
    files = [EvidenceFile(report_id=report.id, **file.columns()) for file in kept]
    session.add_all(files)
    await session.flush()
    return files


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
) -> ReportOut:
    """The task's lead unit or a responsible unit reports progress on a milestone (the office does
    not report): seed 001_643c54550577dac0.txt judges progress against the milestones; who reports
    it is the office's reading. Not on a closed-out milestone (409)."""
    task = await readable_task(session, principal, programme, number)
    require_involved_unit(principal, task)
    milestone = await _milestone(session, task, ordinal, for_update=True)
    if milestone.state is MilestoneState.closed_out:
        raise Conflict("该时间节点已销号，不能再报送进展")
    check_report_fields(
        content=content,
        claims_completion=claims_completion,
        completion_date=completion_date,
        today=today_shanghai(),
        programme_start=programme.starts_on,
    )
    uploads = await check_uploads(settings, files, max_files=settings.evidence_max_files)
    repo = ProgressRepository(session)
    unit = await repo.unit(principal.unit_code)
    assert unit is not None  # require_involved_unit: the caller's unit is on the task
    report = ProgressReport(
        milestone_id=milestone.id,
        unit_id=unit.id,
        submitted_by_id=principal.user_id,
        submitted_at=now_utc(),
        content=content,
        claims_completion=claims_completion,
        completion_date=completion_date if claims_completion else None,
    )
    session.add(report)
    await session.flush()
    evidence = await store_evidence(session, settings, report, uploads)
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
            "completion_date": report.completion_date,
            "files": [{"name": f.filename, "sha256": f.sha256} for f in evidence],
        },
    )
    kind = f"完成情况（完成于{completion_date}）" if claims_completion else "进展情况"
    await timeline.append(
        session,
        "task",
        task.id,
        "progress.reported",
        f"{unit.short_name}报送第{ordinal}个时间节点{kind}，佐证材料 {len(evidence)} 个",
        actor=principal,
        data={"report_id": report.id, "milestone": ordinal},
    )
    return await _report_out(session, report.id)


async def list_reports(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    ordinal: int,
    page: PageParams,
) -> Page[ReportOut]:
    """A milestone's reports, oldest first, for whoever may read the task."""
    task = await readable_task(session, principal, programme, number)
    milestone = await _milestone(session, task, ordinal)
    repo = ProgressRepository(session)
    rows, total = await repo.reports_of_milestone(milestone.id, page)
    files = await repo.evidence_of([r[0].id for r in rows])
    return Page[ReportOut](items=[report_out(r, files.get(r[0].id, [])) for r in rows], total=total)


# --- review by the lead unit ------------------------------------------------------------------


async def review(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    report_id: int,
    decision: str,
    comment: str,
) -> ReportOut:
    """Seed 001_643c54550577dac0.txt: the lead unit evaluates its responsible units' work
    (评价责任单位的权力交给牵头单位), so it reviews what is reported on its task. Only the lead unit
    reviews (403); a report is reviewed once, and not after the milestone was closed out (409).
    Accepting a completion claim makes the milestone `accepted` and done on the report's completion
    date (`_record_completion`; docs/RULES.md: "A milestone is done on the date of the completion
    report its lead unit accepted"); returning tells the reporting unit why and reopens the
    milestone if nothing else is pending."""
    repo = ProgressRepository(session)
    found = await repo.report_for_review(report_id, programme.id)
    if found is None:
        raise NotFound("进展报送不存在")
    report, number = found
    task = await readable_task(session, principal, programme, number)  # 404 for outsiders
    require_lead(principal, task)
    milestone = await repo.milestone_for_update(report.milestone_id)
    if milestone.state is MilestoneState.closed_out:
        raise Conflict("该时间节点已销号，不能再审核")
    if report.review_status is not ReviewStatus.pending:
        raise Conflict("该报送已审核，不能重复审核")
    comment = comment.strip()
    if decision == "return" and not comment:
        raise ValidationFailed(
            "退回时必须说明理由",
            errors=[FieldError(loc=["body", "comment"], msg="退回时必须说明理由", type="missing")],
        )
    before = {"review_status": report.review_status, "milestone_state": milestone.state}
    report.review_status = ReviewStatus.accepted if decision == "accept" else ReviewStatus.returned
    report.reviewed_by_id, report.reviewed_at = principal.user_id, now_utc()
    report.review_comment = comment or None
    if report.review_status is ReviewStatus.accepted and report.claims_completion:
        milestone.state = MilestoneState.accepted
        if milestone.completed_on is None:
            await _record_completion(session, programme, task, milestone, report)
    elif report.review_status is ReviewStatus.returned:
        if milestone.state is MilestoneState.reported and not await repo.has_other_live_report(
            milestone.id, report.id
        ):
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
    await audit.record(
        session,
        actor=principal,
        action=f"progress.{report.review_status.value}",
        entity_type="progress_report",
        entity_id=report.id,
        before=before,
        after={
            "review_status": report.review_status,
            "comment": comment,
            "milestone_state": milestone.state,
        },
    )
    verdict = "通过" if decision == "accept" else f"退回（{comment}）"
    await timeline.append(
        session,
        "task",
        task.id,
        f"progress.{report.review_status.value}",
        f"牵头单位审核第{milestone.ordinal}个时间节点的报送：{verdict}",
        actor=principal,
        data={"report_id": report.id, "milestone": milestone.ordinal},
    )
    return await _report_out(session, report.id)


# --- completion: when the unit finished, confirmed by the lead unit ----------------------------


def _units(task: Task) -> dict[str, Any]:
    return {
        "lead_unit": task.lead_unit.code,
        "responsible_units": sorted(u.code for u in task.responsible_units),
    }


def _milestone_facts(task: Task, milestone: Milestone) -> dict[str, Any]:
    return {
        "task_number": task.number,
        "milestone": milestone.ordinal,
        "title": milestone.title,
        "planned_date": milestone.planned_date,
        "baseline_date": milestone.baseline_date,
        **_units(task),
    }


def lag_reached_by(programme: Programme, planned: date, done: date) -> str:
    """The battle-map severity a milestone done on `done` had reached by then (the most a
    sweep could rightly have announced): none if done on time."""
    status = milestone_status(
        planned=planned,
        completed_on=None,
        as_of=done,
        reported=False,
        thresholds=Thresholds.of(programme.settings),
    )
    return status.value if status.value in LAGGING_RANK else "none"


async def _record_completion(
    session: AsyncSession,
    programme: Programme,
    task: Task,
    milestone: Milestone,
    report: ProgressReport,
) -> None:
    """Issue #19, fix 1: a milestone is done on the date of its accepted completion report,
    not when the office strikes it off; evaluation hears `milestone.completed` dated then. A
    lagging severity announced after that date (the sweep saw no completion yet) was wrong
    and is reversed (`milestone.lag_reversed`, visible in explain)."""
    done = report.completion_date
    assert done is not None  # a completion claim always names its date (check_report_fields)
    milestone.completed_on = done
    late = days_late(milestone.planned_date, done, done)
    facts = _milestone_facts(task, milestone)
    await outbox.enqueue(
        session,
        "milestone.completed",
        {**facts, "completed_on": done, "on_time": late == 0, "days_late": late},
        programme=programme.code,
        unit_code=task.lead_unit.code,
        occurred_at=moment_of(done),
    )
    rightful = lag_reached_by(programme, milestone.planned_date, done)
    announced = milestone.lagging_level
    if LAGGING_RANK.get(announced, 0) > LAGGING_RANK[rightful]:
        milestone.lagging_level = rightful
        await outbox.enqueue(
            session,
            "milestone.lag_reversed",
            {**facts, "completed_on": done, "from_severity": announced, "to_severity": rightful},
            programme=programme.code,
            unit_code=task.lead_unit.code,
        )
        await timeline.append(
            session,
            "task",
            task.id,
            "milestone.lag_reversed",
            f"第{milestone.ordinal}个时间节点于{done}已完成，撤销此后记录的"
            f"{STATUS_LABELS[MilestoneStatus(announced)]}扣分",
            actor=None,
            data={"milestone": milestone.ordinal, "from": announced, "to": rightful},
        )
    await session.flush()


# --- close-out by the office ------------------------------------------------------------------


async def close_out_milestone(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    ordinal: int,
    if_match: str | None,
) -> tuple[CloseOutResult, int]:
    """Seed 002_c95ffdd180ea7e81.txt (对单销号): the office strikes off a milestone the lead unit
    accepted as done — its confirmation; the milestone was done, and told to evaluation, when the
    completion was accepted (`_record_completion`; docs/RULES.md: "The office's 销号 confirms a done
    milestone; it does not make it done"). 409 if already closed out or nothing accepted; 412 on a
    stale If-Match. Returns the result and the milestone's new version."""
    task = await readable_task(session, principal, programme, number)
    milestone = await _milestone(session, task, ordinal, for_update=True)
    if milestone.state is MilestoneState.closed_out:
        raise Conflict("该时间节点已销号")
    check_if_match(if_match, milestone.version, "该时间节点")
    accepted = await ProgressRepository(session).accepted_completion(milestone.id)
    done = milestone.completed_on
    if accepted is None or done is None or milestone.state is not MilestoneState.accepted:
        raise Conflict("尚无牵头单位审核通过的完成报送，不能销号")
    before = {"state": milestone.state, "completed_on": done}
    milestone.state = MilestoneState.closed_out
    await session.flush()
    late = days_late(milestone.planned_date, done, done)
    await audit.record(
        session,
        actor=principal,
        action="milestone.closed_out",
        entity_type="milestone",
        entity_id=f"{programme.code}/{number}/{ordinal}",
        before=before,
        after={
            "state": milestone.state,
            "completed_on": done,
            "days_late": late,
            "report_id": accepted.id,
        },
    )
    await timeline.append(
        session,
        "task",
        task.id,
        "milestone.closed_out",
        f"改革办对第{ordinal}个时间节点销号（完成于{done}，"
        + (f"逾期{late}天）" if late else "按期）"),
        actor=principal,
        data={"milestone": ordinal, "completed_on": done, "days_late": late},
    )
    result = CloseOutResult(
        task_number=number, milestone_ordinal=ordinal, completed_on=done, on_time=late == 0
    )
    return result, milestone.version


async def refuse_close_out(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    ordinal: int,
    reason: str,
    if_match: str | None,
) -> tuple[ReportOut, int]:
    """Issue #19, fix 1: the office does not confirm a completion the lead unit accepted (不予
    销号). The accepted report is returned with the office's reason, the milestone reopens
    (not done: lateness runs again from its planned date, so the next sweep may announce it
    lagging), and evaluation takes back what the completion did (`milestone.reopened`).
    409 unless the milestone is accepted and not closed out; 412 on a stale If-Match."""
    task = await readable_task(session, principal, programme, number)
    milestone = await _milestone(session, task, ordinal, for_update=True)
    check_if_match(if_match, milestone.version, "该时间节点")
    repo = ProgressRepository(session)
    accepted = await repo.accepted_completion(milestone.id)
    done = milestone.completed_on
    if milestone.state is not MilestoneState.accepted or accepted is None or done is None:
        raise Conflict("只有牵头单位已审核通过、尚未销号的时间节点可以不予销号")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            "不予销号时必须说明理由",
            errors=[FieldError(loc=["body", "reason"], msg="请填写理由", type="missing")],
        )
    before = {"state": milestone.state, "completed_on": done, "report": accepted.review_status}
    accepted.review_status = ReviewStatus.returned
    accepted.reviewed_by_id, accepted.reviewed_at = principal.user_id, now_utc()
    accepted.review_comment = f"改革办不予销号：{reason}"
    pending = await repo.has_other_live_report(milestone.id, accepted.id)
    milestone.state = MilestoneState.reported if pending else MilestoneState.open
    milestone.completed_on = None
    late = days_late(milestone.planned_date, done, done)
    await outbox.enqueue(
        session,
        "milestone.reopened",
        {
            **_milestone_facts(task, milestone),
            "completed_on": done,
            "on_time": late == 0,
            "days_late": late,
            "reason": reason,
        },
        programme=programme.code,
        unit_code=task.lead_unit.code,
    )
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="milestone.close_out_refused",
        entity_type="milestone",
        entity_id=f"{programme.code}/{number}/{ordinal}",
        before=before,
        after={
            "state": milestone.state,
            "completed_on": None,
            "report_id": accepted.id,
            "reason": reason,
        },
    )
    summary = f"改革办对第{ordinal}个时间节点不予销号（{reason}），节点重新打开"
    await timeline.append(
        session,
        "task",
        task.id,
        "milestone.close_out_refused",
        summary,
        actor=principal,
        data={"milestone": ordinal, "report_id": accepted.id},
    )
    for unit_id in {task.lead_unit_id, accepted.unit_id}:
        await notify(
            session,
            unit_id,
            "review",
            f"任务{number}第{ordinal}个时间节点不予销号",
            reason,
            link=f"/tasks/{number}",
            dedupe_key=f"close-out-refused:{accepted.id}:{unit_id}",
        )
    return await _report_out(session, accepted.id), milestone.version


async def close_out_task(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    number: int,
    if_match: str | None,
) -> tuple[CloseOutResult, int]:
    """Seed 002_c95ffdd180ea7e81.txt (对单销号): a task is struck off when every milestone is; it is
    done on the last completion date, on time if not after its deadline (`task.closed_out`;
    docs/RULES.md: "A task is struck off when all its milestones are …", its points an office
    default). 409 listing the milestones still open, or if already closed out; 412 on a stale
    If-Match."""
    task = await readable_task(session, principal, programme, number)
    repo = ProgressRepository(session)
    await repo.lock_task(task)
    if task.status is TaskStatus.closed_out:
        raise Conflict("该任务已销号")
    check_if_match(if_match, task.version, "该任务")
    milestones = await repo.milestones_for_update(task.id)
    if not milestones:
        raise Conflict("该任务没有时间节点，不能销号")
    still_open = [m.ordinal for m in milestones if m.state is not MilestoneState.closed_out]
    if still_open:
        raise Conflict(f"还有未销号的时间节点：第{'、'.join(map(str, still_open))}个")
    finished = max(m.completed_on for m in milestones if m.completed_on is not None)
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
        before={"status": TaskStatus.in_progress},
        after={"status": task.status, "closed_out_on": finished, "on_time": on_time},
    )
    await timeline.append(
        session,
        "task",
        task.id,
        "task.closed_out",
        f"改革办对任务 {number} 销号（{'按期' if on_time else '逾期'}完成，完成于{finished}）",
        actor=principal,
        data={"closed_out_on": finished, "on_time": on_time},
    )
    result = CloseOutResult(
        task_number=number, milestone_ordinal=None, completed_on=finished, on_time=on_time
    )
    return result, task.version


# --- evidence download ------------------------------------------------------------------------


async def evidence_file(
    session: AsyncSession, settings: Settings, principal: Principal, evidence_id: int
) -> tuple[EvidenceFile, Path]:
    """A file is readable by whoever may read its task (office, viewers, the task's units);
    for anyone else it does not exist (404)."""
    found = await ProgressRepository(session).evidence(evidence_id)
    if found is None:
        raise NotFound("佐证材料不存在")
    file, number, programme = found
    await readable_task(session, principal, programme, number)
    path = await stored_path(settings, file)
    return file, path
