from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from services.reform_tasks.problem import service
from services.reform_tasks.problem.schemas import NoteIn, ProblemIn, ProblemOut, ProblemUpdate
from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.timeline.schemas import TimelineEntryOut
from shared.auth import Authenticated, OfficeWrite, UnitWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.models import ProblemSource, ProblemStatus
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1/problems", tags=["problems"], responses=PROBLEM_RESPONSES)


@router.post(
    "",
    response_model=ProblemOut,
    status_code=status.HTTP_201_CREATED,
    summary="Register a problem with its cause and measure (office)",
)
async def create(
    body: ProblemIn, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> ProblemOut:
    return await service.create(session, principal, programme, body)


@router.get("", response_model=Page[ProblemOut], summary="The problem list (units: their own)")
async def list_problems(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    status: ProblemStatus | None = None,
    unit: str | None = None,
    source: ProblemSource | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[ProblemOut]:
    return await service.list_problems(
        session,
        principal,
        programme,
        page,
        status=status,
        unit=unit,
        source=source,
        q=q,
    )


@router.get("/{number}", response_model=ProblemOut, summary="One problem")
async def get_problem(
    number: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> ProblemOut:
    return service.to_out(await service.get_problem(session, principal, programme, number))


@router.patch("/{number}", response_model=ProblemOut, summary="Change a problem (If-Match)")
async def update(
    number: int,
    body: ProblemUpdate,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> ProblemOut:
    return await service.update(session, principal, programme, number, body, if_match)


@router.post(
    "/{number}/progress",
    response_model=Page[TimelineEntryOut],
    summary="Report rectification progress (responsible unit or office)",
)
async def add_progress(
    number: int,
    body: NoteIn,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
) -> Page[TimelineEntryOut]:
    items = await service.add_progress(session, principal, programme, number, body)
    return Page[TimelineEntryOut](items=items, total=len(items))


@router.post("/{number}/close-out", response_model=ProblemOut, summary="Close out (对单销号)")
async def close_out(
    number: int,
    body: NoteIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ProblemOut:
    return await service.close_out(session, principal, programme, number, body)


@router.get("/{number}/timeline", response_model=Page[TimelineEntryOut], summary="History")
async def problem_timeline(
    number: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> Page[TimelineEntryOut]:
    items = await service.problem_timeline(session, principal, programme, number)
    return Page[TimelineEntryOut](items=items, total=len(items))
