from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from services.reform_tasks.problem_list import service, xlsx
from services.reform_tasks.problem_list.schemas import (
    ImportResult,
    ProblemListDetail,
    ProblemListIn,
    ProblemListOut,
    ReturnIn,
)
from services.reform_tasks.programme.dependencies import CurrentProgramme
from shared.auth import Authenticated, OfficeWrite, UnitWrite
from shared.db import Session
from shared.downloads import XLSX, attachment
from shared.errors import PROBLEM_RESPONSES, PayloadTooLarge, problems
from shared.models import ProblemListStatus
from shared.pagination import Page, Pagination

router = APIRouter(
    prefix="/api/tasks/v1/problem-lists", tags=["problem-lists"], responses=PROBLEM_RESPONSES
)


@router.get(
    "",
    response_model=Page[ProblemListOut],
    summary="Filed problem lists, newest first (office and viewers: all; a unit: its own)",
)
async def list_problem_lists(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    status: Annotated[
        ProblemListStatus | None, Query(description="draft / submitted / accepted / returned")
    ] = None,
    unit: Annotated[str | None, Query(max_length=32, description="填报单位代码")] = None,
) -> Page[ProblemListOut]:
    return await service.list_lists(session, principal, programme, page, status=status, unit=unit)


@router.post(
    "",
    response_model=ProblemListDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Start the unit's own problem / cause / measure list, a draft (units only)",
)
async def create(
    body: ProblemListIn, principal: UnitWrite, session: Session, programme: CurrentProgramme
) -> ProblemListDetail:
    return await service.create(session, principal, programme, body)


@router.get(
    "/{list_id}",
    response_model=ProblemListDetail,
    summary="One list with its lines and the problems they became (another unit's is 404)",
)
async def get_problem_list(
    list_id: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> ProblemListDetail:
    return await service.get(session, principal, programme, list_id)


@router.put(
    "/{list_id}",
    response_model=ProblemListDetail,
    summary="Rewrite a draft or returned list (its unit; 409 once submitted or accepted)",
)
async def update(
    list_id: int,
    body: ProblemListIn,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ProblemListDetail:
    return await service.update(session, principal, programme, list_id, body)


@router.post(
    "/{list_id}/submit",
    response_model=ProblemListDetail,
    summary="File the list with the office for the record (its unit; 409 unless draft/returned)",
)
async def submit(
    list_id: int, principal: UnitWrite, session: Session, programme: CurrentProgramme
) -> ProblemListDetail:
    return await service.submit(session, principal, programme, list_id)


@router.post(
    "/{list_id}/accept",
    response_model=ProblemListDetail,
    summary="Accept a submitted list (备案, office): each line becomes a problem to close",
)
async def accept(
    list_id: int, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> ProblemListDetail:
    return await service.accept(session, principal, programme, list_id)


@router.post(
    "/{list_id}/return",
    response_model=ProblemListDetail,
    summary="Return a submitted list to its unit with a reason (office)",
)
async def return_list(
    list_id: int,
    body: ReturnIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ProblemListDetail:
    return await service.return_list(session, principal, programme, list_id, body)


@router.get(
    "/{list_id}/xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
    summary="The list's lines as xlsx (also the import template)",
)
async def export_xlsx(
    list_id: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> Response:
    filename, content = await service.export_xlsx(session, principal, programme, list_id)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": attachment(filename, f"problem-list-{list_id}.xlsx")},
    )


@router.post(
    "/{list_id}/import",
    response_model=ImportResult,
    responses=problems(413),
    summary="Replace a draft or returned list's lines from xlsx (its unit; all or nothing)",
    description="multipart 字段 `file`（.xlsx，≤ 2 MB），列：问题、原因、措施、责任人、完成时限。"
    "任何错误返回 422，`errors[].loc` 为 [工作表, 行号, 列名]，且不修改清单。",
)
async def import_items(
    list_id: int,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
    file: Annotated[UploadFile, File(description="问题清单 .xlsx")],
) -> ImportResult:
    content = await file.read(xlsx.MAX_BYTES + 1)
    if len(content) > xlsx.MAX_BYTES:
        raise PayloadTooLarge("文件不能超过 2 MB")
    return await service.import_items(session, principal, programme, list_id, content)
