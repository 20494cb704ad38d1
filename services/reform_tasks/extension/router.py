from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.reform_tasks.extension import service
from services.reform_tasks.extension.schemas import DecisionIn, ExtensionIn, ExtensionOut
from services.reform_tasks.programme.dependencies import CurrentProgramme
from shared.auth import Authenticated, OfficeWrite, UnitWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models import ExtensionStatus
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1", tags=["extensions"], responses=PROBLEM_RESPONSES)


@router.post(
    "/tasks/{number}/milestones/{ordinal}/extensions",
    response_model=ExtensionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Ask to move a milestone (lead/responsible unit)",
)
async def request_extension(
    number: int,
    ordinal: int,
    body: ExtensionIn,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ExtensionOut:
    return await service.request_extension(session, principal, programme, number, ordinal, body)


@router.get(
    "/extensions",
    response_model=Page[ExtensionOut],
    summary="Extension requests, newest first (office: all; a unit: those on its tasks)",
)
async def list_extensions(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    status: Annotated[
        ExtensionStatus | None,
        Query(description="pending 待审批 / approved 已批准 / rejected 已驳回"),
    ] = None,
    task: Annotated[int | None, Query(ge=1, description="任务序号")] = None,
) -> Page[ExtensionOut]:
    return await service.list_extensions(session, principal, programme, status, page, task=task)


@router.post(
    "/extensions/{ext_id}/approve",
    response_model=ExtensionOut,
    summary="Approve (office): the planned date moves, the baseline stays",
)
async def approve(
    ext_id: int,
    body: DecisionIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ExtensionOut:
    return await service.decide(session, principal, programme, ext_id, True, body)


@router.post(
    "/extensions/{ext_id}/reject",
    response_model=ExtensionOut,
    summary="Reject (office): the plan stays as it is",
)
async def reject(
    ext_id: int,
    body: DecisionIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ExtensionOut:
    return await service.decide(session, principal, programme, ext_id, False, body)
