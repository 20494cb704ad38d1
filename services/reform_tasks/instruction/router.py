"""Leader instructions (领导批示): recorded and assigned by the office, answered by the units,
closed by the leader's acknowledgement (阅示)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from fastapi.responses import FileResponse

from services.reform_tasks.instruction import service
from services.reform_tasks.instruction.schemas import (
    AcknowledgeIn,
    AnswerOut,
    AnswerText,
    InstructionDetailOut,
    InstructionIn,
    InstructionOut,
)
from services.reform_tasks.programme.dependencies import CurrentProgramme
from shared.auth import Authenticated, OfficeWrite, UnitWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES, problems
from shared.evidence.uploads import download
from shared.models import InstructionStatus
from shared.pagination import Page, Pagination

router = APIRouter(
    prefix="/api/tasks/v1/instructions", tags=["instructions"], responses=PROBLEM_RESPONSES
)


@router.post(
    "",
    response_model=InstructionDetailOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a leader's instruction (领导批示) on a task, key project or case and assign "
    "it to units with a deadline (office)",
)
async def create(
    body: InstructionIn, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> InstructionDetailOut:
    return await service.create(session, principal, programme, body)


@router.get(
    "",
    response_model=Page[InstructionOut],
    summary="Leader instructions, newest first (office and viewers: all; a unit: those assigned "
    "to it)",
)
async def list_instructions(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    status: Annotated[
        InstructionStatus | None, Query(description="open 办理中 / acknowledged 已阅示")
    ] = None,
    unit: Annotated[str | None, Query(max_length=32, description="承办单位代码")] = None,
    overdue: Annotated[
        bool, Query(description="只看逾期的（未阅示、已过期限且仍有单位未回复）")
    ] = False,
) -> Page[InstructionOut]:
    return await service.list_instructions(
        session, principal, programme, page, status=status, unit=unit, overdue=overdue
    )


@router.get(
    "/{instruction_id}",
    response_model=InstructionDetailOut,
    summary="One instruction with the units' answers (a unit not assigned: 404)",
)
async def get(
    instruction_id: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> InstructionDetailOut:
    return await service.get(session, principal, programme, instruction_id)


@router.post(
    "/{instruction_id}/answers",
    response_model=AnswerOut,
    status_code=status.HTTP_201_CREATED,
    responses=problems(413, 503),
    summary="Answer an open instruction (落实情况) with files — an assigned unit only (office "
    "403; a unit not assigned 404; 409 once acknowledged)",
)
async def answer(
    instruction_id: int,
    request: Request,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
    text: Annotated[AnswerText, Form(description="落实情况（去除首尾空白后 1–2000 字）")],
    files: Annotated[
        list[UploadFile] | None,
        File(description="附件：与进展报送相同的类型和大小上限，最多 5 个（改革办默认）"),
    ] = None,
) -> AnswerOut:
    return await service.answer(
        session,
        request.app.state.settings,
        principal,
        programme,
        instruction_id,
        text=text,
        files=files or [],
    )


@router.post(
    "/{instruction_id}/acknowledge",
    response_model=InstructionDetailOut,
    summary="Record the leader's acknowledgement (阅示), closing the instruction (office; 409 "
    "while a unit has not answered or once acknowledged)",
)
async def acknowledge(
    instruction_id: int,
    body: AcknowledgeIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> InstructionDetailOut:
    return await service.acknowledge(session, principal, programme, instruction_id, body)


@router.get(
    "/{instruction_id}/files/{file_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
    summary="Download a file of an answer (assigned units and the office; viewers 403, another "
    "unit 404)",
)
async def download_answer_file(
    instruction_id: int,
    file_id: int,
    request: Request,
    principal: Authenticated,
    session: Session,
) -> FileResponse:
    file, path = await service.answer_file(
        session, request.app.state.settings, principal, instruction_id, file_id
    )
    return download(file, path)
