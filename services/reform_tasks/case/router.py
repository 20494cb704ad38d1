from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.reform_tasks.case import service
from services.reform_tasks.case.schemas import CaseIn, CaseOut
from services.reform_tasks.programme.dependencies import CurrentProgramme
from shared.auth import Authenticated, OfficeWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models import CaseKind
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1/cases", tags=["cases"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    response_model=Page[CaseOut],
    summary="Typical cases, latest quarter first (office: all; a unit: its own; viewers: the "
    "public ones)",
)
async def list_cases(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    quarter: Annotated[
        str | None, Query(pattern=r"^\d{4}-Q[1-4]$", description="季度，如 2026-Q3")
    ] = None,
    kind: Annotated[CaseKind | None, Query(description="negative / positive")] = None,
    public: Annotated[bool | None, Query(description="是否公开")] = None,
) -> Page[CaseOut]:
    return await service.list_cases(
        session, principal, programme, page, quarter=quarter, kind=kind, public=public
    )


@router.post(
    "",
    response_model=CaseOut,
    status_code=status.HTTP_201_CREATED,
    summary="Register a typical case (office)",
)
async def create(
    body: CaseIn, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> CaseOut:
    return await service.create(session, principal, programme, body)


@router.get(
    "/{case_id}",
    response_model=CaseOut,
    summary="One case (another unit's, or a non-public one for a viewer, is 404)",
)
async def get_case(
    case_id: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> CaseOut:
    return await service.get(session, principal, programme, case_id)


@router.put("/{case_id}", response_model=CaseOut, summary="Rewrite a case (office)")
async def update(
    case_id: int,
    body: CaseIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> CaseOut:
    return await service.update(session, principal, programme, case_id, body)
