from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import HTMLResponse

from services.reform_tasks.programme.service import resolve
from services.reform_tasks.report import service
from services.reform_tasks.report.docx import render_docx
from services.reform_tasks.report.html import render_html
from services.reform_tasks.report.schemas import (
    Receipt,
    ReportDetail,
    ReportEdit,
    ReportIn,
    ReportOut,
)
from services.reform_tasks.report.sources import Sources, sources_of
from services.reform_tasks.report.xlsx import render_xlsx
from shared.auth import Authenticated, OfficeOrService, OfficeWrite
from shared.db import Session
from shared.downloads import DOCX, XLSX, attachment
from shared.errors import PROBLEM_RESPONSES
from shared.models import ReportKind, ReportStatus
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1/reports", tags=["reports"], responses=PROBLEM_RESPONSES)

ReportSources = Annotated[Sources, Depends(sources_of)]


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
    content = await asyncio.to_thread(render_html, service.render_input(report))
    return HTMLResponse(content)


@router.get(
    "/{document_id}/docx",
    response_class=Response,
    responses={200: {"content": {DOCX: {}}, "description": "公文 (.docx)"}},
    summary="The report as an official document (.docx)",
)
async def docx(document_id: int, principal: Authenticated, session: Session) -> Response:
    report, _ = await service.opened(session, principal, document_id)
    content = await asyncio.to_thread(render_docx, service.render_input(report))
    return _attachment(content, DOCX, service.download_name(report, "docx"))


@router.get(
    "/{document_id}/xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "数据表 (.xlsx)，每节一张工作表"}},
    summary="The report's tables as a workbook (.xlsx, one sheet per section)",
)
async def xlsx(document_id: int, principal: Authenticated, session: Session) -> Response:
    report, _ = await service.opened(session, principal, document_id)
    content = await asyncio.to_thread(render_xlsx, service.render_input(report))
    return _attachment(content, XLSX, service.download_name(report, "xlsx"))


@router.patch(
    "/{document_id}",
    response_model=ReportDetail,
    summary="Edit a draft notice's free-text parts (office; 409 once published)",
)
async def edit(
    document_id: int, body: ReportEdit, principal: OfficeWrite, session: Session
) -> ReportDetail:
    return await service.edit(session, principal, document_id, body)


@router.post(
    "/{document_id}/publish",
    response_model=ReportDetail,
    summary="Publish: delivered to every active unit's inbox (office)",
)
async def publish(document_id: int, principal: OfficeWrite, session: Session) -> ReportDetail:
    return await service.publish(session, principal, document_id)


@router.get(
    "/{document_id}/receipts",
    response_model=list[Receipt],
    summary="Who received the report and who has read it (office)",
)
async def receipts(document_id: int, principal: OfficeWrite, session: Session) -> list[Receipt]:
    return await service.receipts(session, principal, document_id)
