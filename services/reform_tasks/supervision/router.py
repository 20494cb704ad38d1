from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.supervision import service
from services.reform_tasks.supervision.schemas import (
    DecisionIn,
    ResolveIn,
    SupervisionIn,
    SupervisionOut,
)
from shared.auth import Authenticated, OfficeWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models import SupervisionLevel, SupervisionStatus
from shared.pagination import Page, Pagination

router = APIRouter(
    prefix="/api/tasks/v1/supervisions", tags=["supervision"], responses=PROBLEM_RESPONSES
)


@router.post(
    "",
    response_model=SupervisionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Issue a supervision (督办) to a unit for a milestone or a problem",
)
async def issue(
    body: SupervisionIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> SupervisionOut:
    return await service.issue(session, principal, programme, body)


@router.get(
    "",
    response_model=Page[SupervisionOut],
    summary="Supervisions, oldest first (office and viewers: all; a unit: its own)",
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
    response_model=SupervisionOut,
    summary="One supervision (another unit's is 404)",
)
async def get(
    supervision_id: int,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
) -> SupervisionOut:
    return await service.get(session, principal, programme, supervision_id)


@router.post(
    "/{supervision_id}/decision",
    response_model=SupervisionOut,
    summary="Decide a proposed accountability: 问责 or 不予问责 with a reason (office; 409 if not "
    "proposed)",
)
async def decide_accountability(
    supervision_id: int,
    body: DecisionIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> SupervisionOut:
    return await service.decide(session, principal, programme, supervision_id, body)


@router.post(
    "/{supervision_id}/resolve",
    response_model=SupervisionOut,
    summary="Resolve an open supervision (office; 409 if not open)",
)
async def resolve_supervision(
    supervision_id: int,
    body: ResolveIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> SupervisionOut:
    return await service.resolve(session, principal, programme, supervision_id, body)
