from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Response, UploadFile

from services.reform_tasks.import_export import service, xlsx
from services.reform_tasks.import_export.schemas import ImportPreview
from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.task.repository import TASK_DETAIL, TaskRepository
from shared.auth import Authenticated, OfficeWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES, PayloadTooLarge

router = APIRouter(
    prefix="/api/tasks/v1/tasks", tags=["task list import/export"], responses=PROBLEM_RESPONSES
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {}}, "description": "xlsx"}
}


def _download(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.get(
    "/export",
    response_class=Response,
    responses=FILE_RESPONSE,
    summary="The task list as the office's spreadsheet (the import layout)",
)
async def export(
    principal: Authenticated, session: Session, programme: CurrentProgramme
) -> Response:
    statement = TaskRepository(session).readable_statement(principal, programme.id)
    tasks = list((await session.execute(statement.options(*TASK_DETAIL))).scalars().unique())
    content = await service.export_task_list(session, tasks, programme)
    return _download(content, f"{programme.name}重点任务清单.xlsx")


@router.get(
    "/import-template",
    response_class=Response,
    responses=FILE_RESPONSE,
    summary="An empty task-list template with two examples and the rules",
)
async def import_template(
    principal: Authenticated, session: Session, programme: CurrentProgramme
) -> Response:
    return _download(await service.template(programme), "重点任务清单导入模板.xlsx")


@router.post(
    "/import",
    response_model=ImportPreview,
    summary="Import the task list (all or nothing; dry_run previews the changes)",
)
async def import_task_list(
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    file: Annotated[UploadFile, File(description="任务清单 .xlsx")],
    dry_run: bool = True,
) -> ImportPreview:
    content = await file.read(xlsx.MAX_BYTES + 1)
    if len(content) > xlsx.MAX_BYTES:
        raise PayloadTooLarge("文件不能超过 5 MB")
    return await service.import_task_list(session, principal, programme, content, dry_run=dry_run)
