from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Request, Response, UploadFile, status
from fastapi.responses import FileResponse

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.progress import service
from services.reform_tasks.progress.schemas import (
    CloseOutRefusal,
    CloseOutResult,
    ReportOut,
    ReviewIn,
)
from shared.auth import Authenticated, OfficeWrite, UnitWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES, problems
from shared.evidence.uploads import download
from shared.pagination import Page, Pagination
from shared.validation import BusinessDate, Text

router = APIRouter(prefix="/api/tasks/v1", tags=["progress"], responses=PROBLEM_RESPONSES)

IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="可选：上次读取到的版本号（ETag）")
]


@router.post(
    "/tasks/{number}/milestones/{ordinal}/reports",
    response_model=ReportOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(413, 503),
    summary="Report progress (or completion) with evidence files — lead or responsible unit",
)
async def submit_report(
    number: int,
    ordinal: int,
    request: Request,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
    content: Annotated[Text, Form(min_length=1, max_length=5000, description="进展情况")],
    claims_completion: Annotated[bool, Form(description="是否报送完成")] = False,
    completion_date: Annotated[
        BusinessDate | None, Form(description="完成日期（报送完成时必填，不晚于今天）")
    ] = None,
    files: Annotated[
        list[UploadFile] | None,
        File(description="佐证材料：PDF、Word、Excel、JPG/PNG 或 ZIP，每个不超过上限"),
    ] = None,
) -> ReportOut:
    return await service.submit_report(
        session,
        request.app.state.settings,
        principal,
        programme,
        number,
        ordinal,
        content=content,
        claims_completion=claims_completion,
        completion_date=completion_date,
        files=files or [],
    )


@router.get(
    "/tasks/{number}/milestones/{ordinal}/reports",
    response_model=Page[ReportOut],
    summary="A milestone's progress reports with their evidence, oldest first",
)
async def list_reports(
    number: int,
    ordinal: int,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
) -> Page[ReportOut]:
    return await service.list_reports(session, principal, programme, number, ordinal, page)


@router.post(
    "/reports/{report_id}/review",
    response_model=ReportOut,
    summary="The lead unit accepts or returns a report",
)
async def review(
    report_id: int,
    body: ReviewIn,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ReportOut:
    return await service.review(
        session, principal, programme, report_id, body.decision, body.comment
    )


@router.post(
    "/tasks/{number}/milestones/{ordinal}/close-out",
    response_model=CloseOutResult,
    responses=problems(412),
    summary="The office closes out (销号) a milestone with an accepted completion (ETag = version)",
)
async def close_out_milestone(
    number: int,
    ordinal: int,
    response: Response,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    if_match: IfMatch = None,
) -> CloseOutResult:
    result, version = await service.close_out_milestone(
        session, principal, programme, number, ordinal, if_match
    )
    response.headers["ETag"] = f'"{version}"'
    return result


@router.post(
    "/tasks/{number}/milestones/{ordinal}/close-out/refusal",
    response_model=ReportOut,
    responses=problems(412),
    summary="The office refuses to close out (不予销号): the milestone reopens (ETag = version)",
)
async def refuse_close_out(
    number: int,
    ordinal: int,
    body: CloseOutRefusal,
    response: Response,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    if_match: IfMatch = None,
) -> ReportOut:
    report, version = await service.refuse_close_out(
        session, principal, programme, number, ordinal, body.reason, if_match
    )
    response.headers["ETag"] = f'"{version}"'
    return report


@router.post(
    "/tasks/{number}/close-out",
    response_model=CloseOutResult,
    responses=problems(412),
    summary="The office closes out a task whose milestones are all closed out (ETag = version)",
)
async def close_out_task(
    number: int,
    response: Response,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    if_match: IfMatch = None,
) -> CloseOutResult:
    result, version = await service.close_out_task(session, principal, programme, number, if_match)
    response.headers["ETag"] = f'"{version}"'
    return result


@router.get(
    "/evidence/{evidence_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
    summary="Download an evidence file (units involved in the task, office, viewers)",
)
async def download_evidence(
    evidence_id: int,
    request: Request,
    principal: Authenticated,
    session: Session,
) -> FileResponse:
    file, path = await service.evidence_file(
        session, request.app.state.settings, principal, evidence_id
    )
    return download(file, path)
