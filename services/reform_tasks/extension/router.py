from __future__ import annotations

from fastapi import APIRouter, status

from services.reform_tasks.extension import service
from services.reform_tasks.extension.schemas import DecisionIn, ExtensionIn, ExtensionOut
from services.reform_tasks.programme.dependencies import CurrentProgramme
from shared.auth import Authenticated, OfficeWrite, UnitWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models import ExtensionStatus
from shared.pagination import Page

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


@router.get("/extensions", response_model=Page[ExtensionOut], summary="Extension requests")
async def list_extensions(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    status: ExtensionStatus | None = None,
) -> Page[ExtensionOut]:
    items = await service.list_extensions(session, principal, programme, status)
    return Page[ExtensionOut](items=items, total=len(items))


@router.post(
    "/extensions/{ext_id}/approve",
    response_model=ExtensionOut,
    summary="Approve: the planned date moves, the baseline stays",
)
async def approve(
    ext_id: int,
    body: DecisionIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ExtensionOut:
    return await service.decide(session, principal, programme, ext_id, True, body)


@router.post("/extensions/{ext_id}/reject", response_model=ExtensionOut, summary="Reject")
async def reject(
    ext_id: int,
    body: DecisionIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ExtensionOut:
    return await service.decide(session, principal, programme, ext_id, False, body)
