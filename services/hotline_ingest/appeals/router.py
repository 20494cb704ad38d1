from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse

from services.hotline_ingest.appeals import service
from services.hotline_ingest.appeals.schemas import (
    AppealDecisionIn,
    AppealFileOut,
    AppealOut,
    AppealStatus,
    EvidenceText,
    OrderNo,
    Reason,
)
from shared.auth import Authenticated, OfficeWrite, UnitWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES, problems
from shared.evidence.uploads import download
from shared.models import Appeal
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/hotline/v1/appeals", tags=["appeals"], responses=PROBLEM_RESPONSES)


async def _outs(request: Request, session: Session, appeals: Sequence[Appeal]) -> list[AppealOut]:
    """The appeals as answered: each with its files and its window's end (one read of each)."""
    settings = request.app.state.settings
    files = await service.files_of(session, [a.id for a in appeals])
    ends = await service.deadlines(session, settings, [a.visited_at for a in appeals])
    outs = []
    for appeal in appeals:
        out = AppealOut.model_validate(appeal)
        out.files = [AppealFileOut.model_validate(file) for file in files[appeal.id]]
        out.appeal_deadline = ends[appeal.visited_at]
        outs.append(out)
    return outs


@router.get(
    "",
    response_model=Page[AppealOut],
    summary="Appeals (申诉) of dissatisfied visits, pending first; a unit sees its own",
)
async def appeals(
    request: Request,
    principal: Authenticated,
    session: Session,
    page: Pagination,
    status: Annotated[AppealStatus | None, Query(description="pending/upheld/overturned")] = None,
    unit: Annotated[str | None, Query(max_length=32, description="承办单位代码")] = None,
    order_no: Annotated[str | None, Query(max_length=64, description="工单号")] = None,
) -> Page[AppealOut]:
    rows, total = await service.appeals(session, principal, page, status, unit, order_no)
    return Page[AppealOut](items=await _outs(request, session, rows), total=total)


@router.post(
    "",
    response_model=AppealOut,
    status_code=201,
    responses=problems(413, 503),
    summary="The handling unit appeals its order's dissatisfied visit, with its account of the "
    "evidence and the evidence files (multipart; the same types, size and scan as any evidence)",
)
async def create(
    request: Request,
    principal: UnitWrite,
    session: Session,
    order_no: Annotated[OrderNo, Form(description="工单号")],
    reason: Annotated[Reason, Form(description="申诉理由")],
    evidence: Annotated[
        EvidenceText, Form(description="证据说明：通话记录、现场核查、向诉求人说明的情况等")
    ],
    files: Annotated[
        list[UploadFile] | None,
        File(description="证据材料文件：与佐证材料相同的类型和大小上限，最多 5 个（改革办默认）"),
    ] = None,
) -> AppealOut:
    appeal = await service.create(
        session,
        request.app.state.settings,
        principal,
        service.AppealDraft(order_no, reason, evidence, files or []),
    )
    return (await _outs(request, session, [appeal]))[0]


@router.get(
    "/{appeal_id}/files/{file_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
    summary="Download an evidence file of an appeal (the appealing unit and the office; "
    "viewers 403, another unit 404)",
)
async def download_file(
    appeal_id: int,
    file_id: int,
    request: Request,
    principal: Authenticated,
    session: Session,
) -> FileResponse:
    file, path = await service.evidence_file(
        session, request.app.state.settings, principal, appeal_id, file_id
    )
    return download(file, path)


@router.post(
    "/{appeal_id}/decision",
    response_model=AppealOut,
    summary="The office upholds the rating or overturns it (it leaves the satisfaction rate)",
)
async def decide(
    appeal_id: int,
    body: AppealDecisionIn,
    request: Request,
    principal: OfficeWrite,
    session: Session,
) -> AppealOut:
    appeal = await service.decide(
        session,
        request.app.state.settings,
        principal,
        appeal_id,
        body.decision == "overturned",
        body.reason,
    )
    return (await _outs(request, session, [appeal]))[0]
