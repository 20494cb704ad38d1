from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from fastapi.responses import FileResponse

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.submission import service
from services.reform_tasks.submission.schemas import (
    MatrixOut,
    QuarterText,
    SubmissionOut,
    Summary,
)
from shared.auth import Authenticated, OfficeRead, UnitWrite
from shared.clock import today_shanghai
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES, problems
from shared.evidence.uploads import download
from shared.pagination import Page, Pagination
from shared.validation import BusinessDate

router = APIRouter(
    prefix="/api/tasks/v1/submissions", tags=["submissions"], responses=PROBLEM_RESPONSES
)


@router.get(
    "",
    response_model=Page[SubmissionOut],
    summary="Quarterly work reports, latest quarter first (office and viewers: all; a unit: its "
    "own)",
)
async def list_submissions(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    quarter: Annotated[
        str | None, Query(pattern=r"^\d{4}-Q[1-4]$", description="季度，如 2026-Q3")
    ] = None,
    unit: Annotated[str | None, Query(max_length=32, description="报送单位代码")] = None,
) -> Page[SubmissionOut]:
    return await service.list_submissions(
        session, principal, programme, page, quarter=quarter, unit=unit
    )


@router.post(
    "",
    response_model=SubmissionOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(413, 503),
    summary="Submit the unit's quarterly work report with attachments (units only; once per "
    "quarter, 409 after)",
)
async def submit(
    request: Request,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
    quarter: Annotated[QuarterText, Form(description="季度，如 2026-Q3")],
    summary: Annotated[Summary, Form(description="工作开展情况（10–5000 字）")],
    files: Annotated[
        list[UploadFile] | None,
        File(description="附件：与进展报送相同的类型和大小上限"),
    ] = None,
) -> SubmissionOut:
    return await service.submit(
        session,
        request.app.state.settings,
        principal,
        programme,
        quarter=quarter,
        summary=summary,
        files=files or [],
    )


@router.get(
    "/matrix",
    response_model=MatrixOut,
    summary="Every reporting unit × the year's quarters: on time / late / missing / pending "
    "(office and viewers)",
)
async def submission_matrix(
    principal: OfficeRead,
    session: Session,
    programme: CurrentProgramme,
    as_of: Annotated[BusinessDate | None, Query(description="截至日期（默认今天）")] = None,
) -> MatrixOut:
    return await service.matrix(session, programme, as_of or today_shanghai())


@router.get(
    "/{submission_id}",
    response_model=SubmissionOut,
    summary="One quarterly work report (another unit's is 404)",
)
async def get_submission(
    submission_id: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> SubmissionOut:
    return await service.get(session, principal, programme, submission_id)


@router.get(
    "/{submission_id}/files/{file_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
    summary="Download an attachment (its unit and the office; viewers 403, another unit 404)",
)
async def download_file(
    submission_id: int,
    file_id: int,
    request: Request,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
) -> FileResponse:
    file, path = await service.file_download(
        session, request.app.state.settings, principal, programme, submission_id, file_id
    )
    return download(file, path)
