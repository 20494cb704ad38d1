"""Weekly reports on major industrial projects (周报, seed 003_fe0a5556b3029276.txt item 18:
"对事关我市发展全局的重大产业项目,实行周报制度,随时掌握并向市委、市政府领导汇报重大产业项目
洽谈签约、开展前期工作进展情况,针对存在问题提出解决问题意见建议"; item 19: node progress
uploaded "以文字和图片的形式"). The lead unit files one report per project and ISO week; a week
without one by its due day (office default Friday) is 本周未报, reminded once per project and
week; the office reads a weekly digest for the leaders."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from fastapi import UploadFile
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.project import rules
from services.reform_tasks.project.repository import ProjectRepository
from services.reform_tasks.project.schemas import (
    DigestRow,
    NodeProgress,
    PhotoOut,
    WeeklyDigest,
    WeeklyReportOut,
)
from services.reform_tasks.project.service import (
    entity,
    is_lead_unit,
    project_rules,
    readable,
)
from services.reform_tasks.reminder.repository import Reminder
from shared import audit
from shared.auth import Principal
from shared.clock import now_utc, today_shanghai
from shared.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from shared.evidence.uploads import check_uploads, keep_files, stored_path
from shared.models import Programme, Project, ProjectStatus, WeeklyReport, WeeklyReportPhoto
from shared.settings import Settings

PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
REMINDER_KIND = "project_weekly_report_missing"
_PROGRESS = TypeAdapter(list[NodeProgress])


def report_out(report: WeeklyReport, unit_codes: dict[int, str]) -> WeeklyReportOut:
    return WeeklyReportOut(
        id=report.id,
        project_id=report.project_id,
        week=report.week,
        unit=unit_codes.get(report.unit_id, ""),
        node_progress=[NodeProgress.model_validate(p) for p in report.node_progress],
        summary=report.summary,
        problems=report.problems,
        solutions=report.solutions,
        submitted_by=report.submitted_by,
        submitted_at=report.submitted_at,
        photos=[
            PhotoOut(
                id=p.id, filename=p.filename, content_type=p.content_type, size_bytes=p.size_bytes
            )
            for p in report.photos
        ],
    )


def checked_week(week: str | None, today: date, field: list[str | int]) -> str:
    """An ISO week (2026-W49) not after this one; none means this week."""
    if week is None:
        return rules.iso_week(today)
    monday = rules.parse_week(week)
    if monday is None or monday > today:
        message = "周次须为 YYYY-Www 格式的 ISO 周，且不能晚于本周"
        raise ValidationFailed(message, errors=[FieldError(loc=field, msg=message, type="value")])
    return week


def _node_progress(project: Project, raw: str) -> list[NodeProgress]:
    """`node_progress` as sent in the form: a JSON list of {node_id, progress} for the
    project's own nodes."""
    try:
        items = _PROGRESS.validate_python(json.loads(raw or "[]"))
    except (ValueError, ValidationError, RecursionError) as exc:
        message = '节点进展须为 JSON 列表：[{"node_id": 节点编号, "progress": "进展"}]'
        raise ValidationFailed(
            message, errors=[FieldError(loc=["body", "node_progress"], msg=message, type="value")]
        ) from exc
    own = {n.id for n in project.nodes}
    if any(item.node_id not in own for item in items):
        message = "节点进展中有不属于本项目的节点"
        raise ValidationFailed(
            message, errors=[FieldError(loc=["body", "node_progress"], msg=message, type="value")]
        )
    order = {n.id: n.ordinal for n in project.nodes}
    return sorted(items, key=lambda item: order[item.node_id])


async def list_reports(
    session: AsyncSession, principal: Principal, programme: Programme, project_id: int
) -> list[WeeklyReportOut]:
    project = await readable(session, principal, programme, project_id)
    repository = ProjectRepository(session)
    codes = await repository.unit_codes()
    return [report_out(r, codes) for r in await repository.weekly_reports(project.id)]


async def file_report(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    programme: Programme,
    project_id: int,
    *,
    week: str | None,
    node_progress: str,
    summary: str,
    problems: str,
    solutions: str,
    photos: list[UploadFile],
) -> WeeklyReportOut:
    """The project's lead unit files the week's report: progress per node, photos (jpg/png),
    problems and proposed solutions. One report per project and week: a second is 409 (the
    report is on record as filed; what changed since goes into next week's)."""
    project = await readable(session, principal, programme, project_id)
    if not is_lead_unit(principal, project):
        raise Forbidden("只有项目责任单位可以报送周报")
    today = today_shanghai()
    chosen = checked_week(week, today, ["body", "week"])
    progress = _node_progress(project, node_progress)
    repository = ProjectRepository(session)
    if await repository.has_weekly_report(project.id, chosen):
        raise Conflict(f"项目 {project.code} 已报送 {chosen} 周报，每周只报一次")
    uploads = await check_uploads(settings, photos, max_files=settings.evidence_max_files)
    for index, item in enumerate(uploads):
        if item.kind.content_type not in PHOTO_TYPES:
            message = f"现场照片“{item.filename}”须为 JPG 或 PNG 图片"
            raise ValidationFailed(
                message,
                errors=[FieldError(loc=["body", "photos", index], msg=message, type="file_type")],
            )
    report = WeeklyReport(
        programme_id=programme.id,
        project_id=project.id,
        week=chosen,
        unit_id=project.lead_unit_id,
        node_progress=[p.model_dump() for p in progress],
        summary=summary,
        problems=problems,
        solutions=solutions,
        submitted_by=principal.username,
        submitted_at=now_utc(),
    )
    session.add(report)
    await session.flush()
    kept = await keep_files(session, settings, uploads)
    stored = [
        WeeklyReportPhoto(programme_id=programme.id, report_id=report.id, **k.columns())
        for k in kept
    ]
    session.add_all(stored)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="project.weekly_report_filed",
        entity_type="project",
        entity_id=entity(programme, project),
        after={"week": chosen, "photos": [p.filename for p in stored]},
    )
    await session.refresh(report, ["photos"])
    return report_out(report, {project.lead_unit_id: project.lead_unit.code})


async def photo(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    programme: Programme,
    project_id: int,
    report_id: int,
    photo_id: int,
) -> tuple[WeeklyReportPhoto, Path]:
    project = await readable(session, principal, programme, project_id)
    found = await ProjectRepository(session).photo(project.id, report_id, photo_id)
    if found is None:
        raise NotFound("照片不存在")
    return found, await stored_path(settings, found)


async def digest(
    session: AsyncSession, principal: Principal, programme: Programme, week: str | None
) -> WeeklyDigest:
    """The office's weekly digest for the leaders (seed 003 item 18: 随时掌握并向市委、市政府领导
    汇报): per admitted project the week's report (or its latest before), whether it is missing,
    and its open problems."""
    settings = project_rules(programme)
    today = today_shanghai()
    chosen = checked_week(week, today, ["query", "week"])
    repository = ProjectRepository(session)
    projects = [
        p
        for p in await repository.all_readable(principal, programme.id)
        if p.status is ProjectStatus.admitted
    ]
    ids = [p.id for p in projects]
    latest = await repository.latest_reports_until(ids, chosen)
    problems = await repository.open_problems(ids)
    codes = await repository.unit_codes()
    rows = []
    for project in projects:
        report = latest.get(project.id)
        required = rules.reports_weekly(project.level, project.status, project.stage)
        rows.append(
            DigestRow(
                project_id=project.id,
                code=project.code,
                name=project.name,
                level=project.level,
                district_name=project.district_unit.name,
                lead_unit=project.lead_unit.code,
                lead_unit_name=project.lead_unit.name,
                stage=project.stage,
                required=required,
                missing=rules.report_missing(
                    required=required,
                    reported=report is not None and report.week == chosen,
                    week=chosen,
                    today=today,
                    due_weekday=settings.due_weekday,
                ),
                report=report_out(report, codes) if report else None,
                open_problems=problems.get(project.id, []),
            )
        )
    return WeeklyDigest(
        week=chosen,
        due_on=rules.due_on(chosen, settings.due_weekday),
        projects=rows,
        missing=sum(1 for r in rows if r.missing),
    )


async def missing_reminders(
    session: AsyncSession, principal: Principal, programme: Programme, as_of: date
) -> list[Reminder]:
    """A reminder to the lead unit's inbox for each project whose report for `as_of`'s week
    is missing by its due day; its dedupe key names the project and the week, so it is sent
    once per project-week however often the reminders run."""
    settings = project_rules(programme)
    week = rules.iso_week(as_of)
    repository = ProjectRepository(session)
    projects = await repository.all_readable(principal, programme.id)
    reported = await repository.reported([p.id for p in projects], week)
    due = rules.due_on(week, settings.due_weekday)
    return [
        Reminder(
            unit_id=p.lead_unit_id,
            kind=REMINDER_KIND,
            title=f"【周报未报】{p.name} {week} 周报",
            body=f"重大产业项目实行周报制度，本周周报应于 {due} 前报送，请尽快报送。",
            link=f"/projects/{p.id}",
            dedupe_key=f"{REMINDER_KIND}:{p.id}:{week}",
        )
        for p in projects
        if rules.report_missing(
            required=rules.reports_weekly(p.level, p.status, p.stage),
            reported=p.id in reported,
            week=week,
            today=as_of,
            due_weekday=settings.due_weekday,
        )
    ]
