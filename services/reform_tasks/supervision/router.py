from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import FileResponse

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.supervision import service
from services.reform_tasks.supervision.schemas import (
    DecisionIn,
    Facts,
    ResolveIn,
    SupervisionDetailOut,
    SupervisionIn,
    SupervisionOut,
    SupervisionReplyOut,
)
from shared.auth import Authenticated, OfficeWrite, UnitWrite
from shared.db import Session
from shared.downloads import DOCX, PDF, attachment
from shared.errors import PROBLEM_RESPONSES, problems
from shared.evidence.uploads import download
from shared.models import SupervisionLevel, SupervisionStatus
from shared.pagination import Page, Pagination

router = APIRouter(
    prefix="/api/tasks/v1/supervisions", tags=["supervision"], responses=PROBLEM_RESPONSES
)


@router.post(
    "",
    response_model=SupervisionDetailOut,
    status_code=status.HTTP_201_CREATED,
    summary="Issue a supervision (督办) to a unit for a milestone or a problem",
)
async def issue(
    body: SupervisionIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> SupervisionDetailOut:
    return await service.issue(session, principal, programme, body)


@router.get(
    "",
    response_model=Page[SupervisionOut],
    summary="Supervisions, oldest first, each saying whether the unit replied (office and "
    "viewers: all; a unit: its own)",
)
async def list_supervisions(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    status: Annotated[
        SupervisionStatus | None, Query(description="open / resolved / escalated")
    ] = None,
    level: Annotated[
        SupervisionLevel | None, Query(description="first / second / accountability")
    ] = None,
    unit: Annotated[str | None, Query(description="被督办单位代码")] = None,
    task: Annotated[int | None, Query(ge=1, description="任务序号（督办其时间节点的）")] = None,
) -> Page[SupervisionOut]:
    return await service.list_supervisions(
        session, principal, programme, page, status=status, level=level, unit=unit, task=task
    )


@router.get(
    "/{supervision_id}",
    response_model=SupervisionDetailOut,
    summary="One supervision with the unit's replies (督办回复), oldest first (another unit's is "
    "404)",
)
async def get(
    supervision_id: int,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
) -> SupervisionDetailOut:
    return await service.get(session, principal, programme, supervision_id)


def _file(content: bytes, media_type: str, filename: str) -> Response:
    extension = filename.rsplit(".", 1)[-1]
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": attachment(filename, f"supervision.{extension}")},
    )


@router.get(
    "/{supervision_id}/docx",
    response_class=Response,
    responses={200: {"content": {DOCX: {}}, "description": "督办单或问责建议 (.docx)"}},
    summary="The supervision's numbered document: 督办单, or 问责建议 once accountability is held",
)
async def document_docx(
    supervision_id: int,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
) -> Response:
    content, filename = await service.document_docx(session, principal, programme, supervision_id)
    return _file(content, DOCX, filename)


@router.get(
    "/{supervision_id}/pdf",
    response_class=Response,
    responses={
        200: {"content": {PDF: {}}, "description": "督办单或问责建议 (.pdf)"},
        503: {"description": "服务器未安装 LibreOffice"},
    },
    summary="The same document as PDF (rendered once, on the first download, then kept)",
)
async def document_pdf(
    supervision_id: int,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
) -> Response:
    content, filename = await service.document_pdf(session, principal, programme, supervision_id)
    return _file(content, PDF, filename)


@router.post(
    "/{supervision_id}/decision",
    response_model=SupervisionDetailOut,
    summary="Decide a proposed accountability: 问责 or 不予问责 with a reason (office; 409 if not "
    "proposed)",
)
async def decide_accountability(
    supervision_id: int,
    body: DecisionIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> SupervisionDetailOut:
    return await service.decide(session, principal, programme, supervision_id, body)


@router.post(
    "/{supervision_id}/resolve",
    response_model=SupervisionDetailOut,
    summary="Resolve an open supervision (office; 409 if not open)",
)
async def resolve_supervision(
    supervision_id: int,
    body: ResolveIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> SupervisionDetailOut:
    return await service.resolve(session, principal, programme, supervision_id, body)


@router.post(
    "/{supervision_id}/replies",
    response_model=SupervisionReplyOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(413, 503),
    summary="Reply to an open supervision (督办回复) with the facts and evidence files — the "
    "supervised unit only (others 403; 409 unless open); it does not resolve it",
)
async def reply(
    supervision_id: int,
    request: Request,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
    facts: Annotated[Facts, Form(description="整改落实情况（去除首尾空白后 1–2000 字）")],
    files: Annotated[
        list[UploadFile] | None,
        File(description="佐证材料：与进展报送相同的类型和大小上限，最多 5 个（改革办默认）"),
    ] = None,
) -> SupervisionReplyOut:
    return await service.reply(
        session,
        request.app.state.settings,
        principal,
        programme,
        supervision_id,
        facts=facts,
        files=files or [],
    )


@router.get(
    "/{supervision_id}/evidence/{evidence_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
    summary="Download an evidence file of a reply (the supervised unit and the office; viewers "
    "403, another unit 404)",
)
async def download_reply_evidence(
    supervision_id: int,
    evidence_id: int,
    request: Request,
    principal: Authenticated,
    session: Session,
) -> FileResponse:
    file, path = await service.reply_evidence(
        session, request.app.state.settings, principal, supervision_id, evidence_id
    )
    return download(file, path)
