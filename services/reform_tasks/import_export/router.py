from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile

from services.reform_tasks.import_export import service, xlsx
from services.reform_tasks.import_export.schemas import ImportPreview
from services.reform_tasks.programme.dependencies import CurrentProgramme
from shared.auth import OfficeWrite, Principal, require_roles
from shared.db import Session
from shared.downloads import XLSX, attachment
from shared.errors import PROBLEM_MEDIA_TYPE, PROBLEM_RESPONSES, PayloadTooLarge, Problem
from shared.models import OFFICE_ROLES, UNIT_ROLES, Role

router = APIRouter(
    prefix="/api/tasks/v1/tasks", tags=["task list import/export"], responses=PROBLEM_RESPONSES
)
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        "description": "xlsx（Content-Disposition 中为中文文件名，RFC 5987）",
    }
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": "文件超过 5 MB"}
}
# Who reads the list as a spreadsheet: the office, viewers, and units (their own tasks only).
TaskReader = Annotated[Principal, require_roles(*OFFICE_ROLES, Role.viewer, *UNIT_ROLES)]


def _download(download: service.Download) -> Response:
    disposition = attachment(download.filename, "task-list.xlsx")
    return Response(
        download.content,
        media_type=XLSX,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@router.get(
    "/export",
    response_class=Response,
    responses=FILE_RESPONSE,
    summary="The task list as the office's spreadsheet (the import layout; a unit gets its own)",
)
async def export(principal: TaskReader, session: Session, programme: CurrentProgramme) -> Response:
    return _download(await service.export_task_list(session, principal, programme))


@router.get(
    "/import-template",
    response_class=Response,
    responses=FILE_RESPONSE,
    summary="The import template: the layout, two example rows and a sheet of rules",
)
async def import_template(
    principal: TaskReader, session: Session, programme: CurrentProgramme
) -> Response:
    return _download(await service.template(session, programme))


@router.post(
    "/import",
    response_model=ImportPreview,
    responses=TOO_LARGE,
    summary="Import the task list (office; all or nothing; dry_run previews the changes)",
    description=(
        "multipart 字段 `file`（.xlsx，≤ 5 MB）。dry_run=true（默认）只预览；dry_run=false 写入。"
        "任何错误返回 422，`errors[].loc` 为 [工作表, 行号, 列名]，且不写入任何数据。"
        "版式见 docs/IMPORT_TEMPLATE.md 与 GET /tasks/import-template。"
    ),
)
async def import_task_list(
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    file: Annotated[UploadFile, File(description="任务清单 .xlsx")],
    dry_run: Annotated[bool, Query(description="true：仅预览不写入")] = True,
) -> ImportPreview:
    content = await file.read(xlsx.MAX_BYTES + 1)
    if len(content) > xlsx.MAX_BYTES:
        raise PayloadTooLarge("文件不能超过 5 MB")
    return await service.import_task_list(session, principal, programme, content, dry_run=dry_run)
