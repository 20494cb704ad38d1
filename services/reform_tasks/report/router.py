from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import HTMLResponse

from services.reform_tasks.document.service import Edition
from services.reform_tasks.programme.service import resolve
from services.reform_tasks.report import service
from services.reform_tasks.report.html import render_html
from services.reform_tasks.report.schemas import (
    Receipt,
    ReportDetail,
    ReportEdit,
    ReportIn,
    ReportOut,
    SignOffIn,
)
from services.reform_tasks.report.sources import Sources, sources_of
from services.reform_tasks.report.xlsx import render_xlsx
from shared.auth import Authenticated, OfficeOrService, OfficeSigner, OfficeWrite
from shared.db import Session
from shared.downloads import DOCX, PDF, XLSX, attachment
from shared.errors import PROBLEM_RESPONSES
from shared.models import ReportKind, ReportStatus
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1/reports", tags=["reports"], responses=PROBLEM_RESPONSES)

ReportSources = Annotated[Sources, Depends(sources_of)]
EditionQuery = Annotated[
    Edition, Query(description="full 正式版 / public 公开版（季度通报签发时选择生成）")
]


def _attachment(content: bytes, media_type: str, filename: str) -> Response:
    """RFC 5987 / 6266: the Chinese file name as `filename*`, an ASCII fallback for old clients."""
    fallback = filename.rsplit(".", 1)[-1]
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": attachment(filename, f"report.{fallback}")},
    )


@router.get(
    "",
    response_model=Page[ReportOut],
    summary="Reports and notices, newest first (units: published ones only)",
)
async def list_reports(
    principal: Authenticated,
    session: Session,
    page: Pagination,
    kind: Annotated[
        ReportKind | None, Query(description="monthly_dispatch / quarterly_notice")
    ] = None,
    period: Annotated[str | None, Query(description="2026-10 或 2026-Q3", max_length=16)] = None,
    programme: Annotated[str | None, Query(description="改革工程代码")] = None,
    status: Annotated[ReportStatus | None, Query(description="draft / published")] = None,
) -> Page[ReportOut]:
    chosen = await resolve(session, programme) if programme else None
    return await service.list_reports(
        session, principal, page, programme=chosen, kind=kind, period=period, status=status
    )


@router.post(
    "",
    response_model=ReportDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Generate a new version now (office; the scheduler with if_absent for catch-up)",
)
async def generate(
    body: ReportIn,
    principal: OfficeOrService,
    session: Session,
    sources: ReportSources,
    response: Response,
) -> ReportDetail:
    programme = await resolve(session, body.programme)
    report, created = await service.generate(session, principal, programme, body, sources)
    if not created:
        response.status_code = status.HTTP_200_OK
    return report


@router.get("/{document_id}", response_model=ReportDetail, summary="One report with its snapshot")
async def get(document_id: int, principal: Authenticated, session: Session) -> ReportDetail:
    report, code = await service.opened(session, principal, document_id)
    return await service.detail(session, report, code)


@router.get(
    "/{document_id}/html",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "预览"}},
    summary="The report as HTML (the SPA's preview)",
)
async def html(document_id: int, principal: Authenticated, session: Session) -> HTMLResponse:
    report, _ = await service.opened(session, principal, document_id)
    content = await asyncio.to_thread(render_html, await service.rendered_from(session, report))
    return HTMLResponse(content)


@router.get(
    "/{document_id}/docx",
    response_class=Response,
    responses={200: {"content": {DOCX: {}}, "description": "公文 (.docx)"}},
    summary="The report as an official document (.docx)",
)
async def docx(
    document_id: int,
    principal: Authenticated,
    session: Session,
    edition: EditionQuery = Edition.full,
) -> Response:
    report, _ = await service.opened(session, principal, document_id)
    content = await service.docx(session, report, edition)
    return _attachment(content, DOCX, service.download_name(report, "docx", edition))


@router.get(
    "/{document_id}/pdf",
    response_class=Response,
    responses={
        200: {"content": {PDF: {}}, "description": "公文 (.pdf)，签发时生成并保存"},
        503: {"description": "服务器未安装 LibreOffice"},
    },
    summary="The report as PDF (signed: as stored at sign-off; a draft: rendered now)",
)
async def pdf(
    document_id: int,
    principal: Authenticated,
    session: Session,
    edition: EditionQuery = Edition.full,
) -> Response:
    report, _ = await service.opened(session, principal, document_id)
    content = await service.pdf(session, report, edition)
    return _attachment(content, PDF, service.download_name(report, "pdf", edition))


@router.get(
    "/{document_id}/xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "数据表 (.xlsx)，每节一张工作表"}},
    summary="The report's tables as a workbook (.xlsx, one sheet per section)",
)
async def xlsx(document_id: int, principal: Authenticated, session: Session) -> Response:
    report, _ = await service.opened(session, principal, document_id)
    content = await asyncio.to_thread(render_xlsx, await service.rendered_from(session, report))
    return _attachment(content, XLSX, service.download_name(report, "xlsx"))


@router.patch(
    "/{document_id}",
    response_model=ReportDetail,
    summary="Edit the free-text parts before sign-off (office; a reviewed report returns to draft)",
)
async def edit(
    document_id: int, body: ReportEdit, principal: OfficeWrite, session: Session
) -> ReportDetail:
    return await service.edit(session, principal, document_id, body)


@router.post(
    "/{document_id}/proofread",
    response_model=ReportDetail,
    summary="核稿: a draft is checked and goes to the leader to sign (office; `/review` is a "
    "progress report's)",
)
async def proofread(document_id: int, principal: OfficeWrite, session: Session) -> ReportDetail:
    return await service.proofread(session, principal, document_id)


@router.post(
    "/{document_id}/sign-off",
    response_model=ReportDetail,
    summary="签发: numbered, stored (DOCX, PDF), sent to every unit (office admin or leader)",
)
async def sign_off(
    document_id: int, body: SignOffIn, principal: OfficeSigner, session: Session
) -> ReportDetail:
    return await service.sign_off(session, principal, document_id, body)


@router.get(
    "/{document_id}/receipts",
    response_model=list[Receipt],
    summary="Who received the report and who has read it (office)",
)
async def receipts(document_id: int, principal: OfficeWrite, session: Session) -> list[Receipt]:
    return await service.receipts(session, principal, document_id)
