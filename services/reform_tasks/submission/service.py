"""Quarterly work reports (季度工作报告).

Seed 003_fe0a5556b3029276.txt: "对各项工作进展情况进行认真总结…每季度末月25日前将工作开展情况报市
创优营商环境组". Each unit submits one report per quarter (a summary and
attachments); the office sees every unit's standing — on time, late, missing (rules.py) — in a
matrix of units × quarters, units without a report are reminded before the due date
(services/reform_tasks/reminder), and the quarterly notice lists the late and missing units
(`quarter_standing`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.submission.repository import SubmissionRepository
from services.reform_tasks.submission.rules import (
    STATUS_LABELS,
    SubmissionStatus,
    due_date,
    submission_status,
)
from services.reform_tasks.submission.schemas import (
    MatrixCell,
    MatrixOut,
    MatrixRow,
    QuarterColumn,
    SubmissionFileOut,
    SubmissionOut,
)
from shared import audit
from shared.auth import Principal
from shared.clock import now_utc, today_shanghai
from shared.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from shared.evidence.uploads import check_uploads, keep_files, stored_path
from shared.models import Programme, QuarterlySubmission, QuarterlySubmissionFile
from shared.pagination import Page, PageParams
from shared.periods import Period, parse_period
from shared.settings import Settings


def to_out(submission: QuarterlySubmission) -> SubmissionOut:
    due_on = due_date(parse_period(submission.quarter))
    return SubmissionOut(
        id=submission.id,
        unit=submission.unit.code,
        unit_name=submission.unit.short_name,
        quarter=submission.quarter,
        due_on=due_on,
        status=submission_status(due_on, submission.submitted_on, submission.submitted_on),
        summary=submission.summary,
        submitted_on=submission.submitted_on,
        submitted_at=submission.submitted_at,
        submitted_by=submission.submitted_by,
        files=[
            SubmissionFileOut(
                id=f.id,
                filename=f.filename,
                content_type=f.content_type,
                size_bytes=f.size_bytes,
                scan_status=f.scan_status,
            )
            for f in submission.files
        ],
    )


def _quarter(programme: Programme, text: str, today: date) -> Period:
    """A quarter of the programme's year that has begun (422 otherwise)."""
    try:
        period = parse_period(text)
    except ValueError as exc:
        raise _bad_quarter(str(exc)) from exc
    if period.kind != "quarter":
        raise _bad_quarter("季度应为 2026-Q3 这样的格式")
    if period.start.year != programme.year:
        raise _bad_quarter(f"季度 {period.id} 不在改革工程 {programme.code} 年度内")
    if period.start > today:
        raise _bad_quarter(f"季度 {period.id} 尚未开始，不能报送")
    return period


def _bad_quarter(message: str) -> ValidationFailed:
    return ValidationFailed(
        message, errors=[FieldError(loc=["body", "quarter"], msg=message, type="value")]
    )


async def submit(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    programme: Programme,
    *,
    quarter: str,
    summary: str,
    files: list[UploadFile],
) -> SubmissionOut:
    """A unit submits its report for a quarter, once (409 if it already has); the day it is
    submitted (Shanghai) decides on time or late. The row and the files are kept in the request's
    one transaction; if it fails, nothing is (the files are deleted again)."""
    if not principal.is_unit or principal.unit_code is None:
        raise Forbidden("季度工作报告由各单位自行报送")
    today = today_shanghai()
    period = _quarter(programme, quarter, today)
    repository = SubmissionRepository(session)
    unit = await repository.unit_by_code(principal.unit_code)
    if unit is None:
        raise Forbidden("账号未关联单位")
    if await repository.existing(programme.id, unit.id, period.id) is not None:
        raise Conflict(f"本单位已报送 {period.id} 季度工作报告")
    uploads = await check_uploads(settings, files, max_files=settings.evidence_max_files)
    submission = await repository.add(
        QuarterlySubmission(
            programme_id=programme.id,
            unit_id=unit.id,
            quarter=period.id,
            summary=summary,
            submitted_on=today,
            submitted_at=now_utc(),
            submitted_by=principal.username,
        )
    )
    kept = await keep_files(session, settings, uploads)
    session.add_all(
        QuarterlySubmissionFile(
            programme_id=programme.id, submission_id=submission.id, **file.columns()
        )
        for file in kept
    )
    await session.flush()
    due_on = due_date(period)
    status = submission_status(due_on, today, today)
    await audit.record(
        session,
        actor=principal,
        action="submission.submitted",
        entity_type="quarterly_submission",
        entity_id=submission.id,
        after={
            "quarter": period.id,
            "due_on": due_on,
            "status": status,
            "files": [k.filename for k in kept],
        },
    )
    return await get(session, principal, programme, submission.id)


async def get(
    session: AsyncSession, principal: Principal, programme: Programme, submission_id: int
) -> SubmissionOut:
    found = await SubmissionRepository(session).get_readable(principal, programme.id, submission_id)
    if found is None:
        raise NotFound(f"季度工作报告 {submission_id} 不存在或无权查看")
    return to_out(found)


async def list_submissions(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    page: PageParams,
    *,
    quarter: str | None,
    unit: str | None,
) -> Page[SubmissionOut]:
    rows, total = await SubmissionRepository(session).readable_page(
        principal, programme.id, page, quarter=quarter, unit=unit
    )
    return Page[SubmissionOut](items=[to_out(r) for r in rows], total=total)


def _quarters(programme: Programme) -> list[Period]:
    return [parse_period(f"{programme.year}-Q{q}") for q in range(1, 5)]


async def matrix(session: AsyncSession, programme: Programme, as_of: date) -> MatrixOut:
    """Every reporting unit × the programme's four quarters, each cell the unit's standing as of
    `as_of` (a quarter not yet due is pending)."""
    repository = SubmissionRepository(session)
    quarters = _quarters(programme)
    units = await repository.expected_units(programme.id)
    submitted = await repository.submitted(programme.id, [q.id for q in quarters])
    rows = []
    for unit in units:
        cells = []
        for quarter in quarters:
            found = submitted.get((unit.id, quarter.id))
            cells.append(
                MatrixCell(
                    quarter=quarter.id,
                    status=submission_status(
                        due_date(quarter), found.submitted_on if found else None, as_of
                    ),
                    submitted_on=found.submitted_on if found else None,
                    submission_id=found.id if found else None,
                )
            )
        rows.append(MatrixRow(unit=unit.code, unit_name=unit.short_name, cells=cells))
    columns = [
        QuarterColumn(
            quarter=quarter.id,
            due_on=due_date(quarter),
            counts={
                status: sum(r.cells[index].status is status for r in rows)
                for status in SubmissionStatus
            },
        )
        for index, quarter in enumerate(quarters)
    ]
    return MatrixOut(programme=programme.code, as_of=as_of, quarters=columns, rows=rows)


async def quarter_standing(
    session: AsyncSession, programme: Programme, quarter: Period, as_of: date
) -> dict[str, Any]:
    """For the quarterly notice: the due date and, as of `as_of`, the units that reported late
    and those that have not reported (docs/RULES.md: "Late and missing quarterly reports are
    listed in the quarterly notice")."""
    repository = SubmissionRepository(session)
    due_on = due_date(quarter)
    units = await repository.expected_units(programme.id)
    submitted = await repository.submitted(programme.id, [quarter.id])
    rows = []
    for unit in units:
        found = submitted.get((unit.id, quarter.id))
        on = found.submitted_on if found else None
        status = submission_status(due_on, on, as_of)
        rows.append(
            {
                "unit": unit.short_name,
                "unit_code": unit.code,
                "status": status.value,
                "status_label": STATUS_LABELS[status],
                "submitted_on": on.isoformat()
                if on and status is not SubmissionStatus.missing
                else None,
            }
        )
    return {
        "quarter": quarter.id,
        "due_on": due_on.isoformat(),
        "expected": len(rows),
        "on_time": sum(r["status"] == SubmissionStatus.on_time for r in rows),
        "late": [r for r in rows if r["status"] == SubmissionStatus.late],
        "missing": [r for r in rows if r["status"] == SubmissionStatus.missing],
    }


async def units_submitted(session: AsyncSession, programme: Programme, quarter: str) -> set[int]:
    """The ids of the units that have reported for the quarter (the reminder skips them)."""
    submitted = await SubmissionRepository(session).submitted(programme.id, [quarter])
    return {unit_id for unit_id, _ in submitted}


async def reporting_units(session: AsyncSession, programme: Programme) -> list[int]:
    return [u.id for u in await SubmissionRepository(session).expected_units(programme.id)]


async def file_download(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    programme: Programme,
    submission_id: int,
    file_id: int,
) -> tuple[QuarterlySubmissionFile, Path]:
    """A report's attachment, for its unit and the office: another unit's report does not exist
    for it (404); viewers, who see the matrix, do not download the files (403)."""
    found = await SubmissionRepository(session).file_of(submission_id, file_id)
    if found is None or found[1] != programme.id:
        raise NotFound("附件不存在")
    await get(session, principal, programme, submission_id)
    if not (principal.is_office or principal.is_unit):
        raise Forbidden("只有报送单位和改革办可以下载季度工作报告的附件")
    return found[0], await stored_path(settings, found[0])
