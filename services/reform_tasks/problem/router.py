from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from services.reform_tasks.problem import service
from services.reform_tasks.problem.schemas import NoteIn, ProblemIn, ProblemOut, ProblemUpdate
from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.timeline.schemas import TimelineEntryOut
from shared.auth import Authenticated, OfficeWrite, UnitWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES, problems
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


@router.get(
    "",
    response_model=Page[ProblemOut],
    summary="The problem list by number (office and viewers: all; a unit: its own)",
)
async def list_problems(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    status: Annotated[ProblemStatus | None, Query(description="open / closed")] = None,
    unit: Annotated[str | None, Query(description="责任单位代码")] = None,
    source: Annotated[
        ProblemSource | None, Query(description="inspection / hotline / survey / self_check")
    ] = None,
    q: Annotated[str | None, Query(max_length=100, description="在问题、原因、措施中查找")] = None,
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


@router.get(
    "/{number}",
    response_model=ProblemOut,
    summary="One problem (ETag = version; another unit's is 404)",
)
async def get_problem(
    number: int,
    response: Response,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
) -> ProblemOut:
    problem = await service.get(session, principal, programme, number)
    response.headers["ETag"] = f'"{problem.version}"'
    return problem


@router.patch(
    "/{number}",
    response_model=ProblemOut,
    responses=problems(412),
    summary="Change an open problem (office; If-Match required, 412 if stale)",
)
async def update(
    number: int,
    body: ProblemUpdate,
    response: Response,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> ProblemOut:
    problem = await service.update(session, principal, programme, number, body, if_match)
    response.headers["ETag"] = f'"{problem.version}"'
    return problem


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


@router.post(
    "/{number}/close-out",
    response_model=ProblemOut,
    summary="Close out a problem (对单销号; office; 409 if already closed)",
)
async def close_out(
    number: int,
    body: NoteIn,
    principal: OfficeWrite,
    session: Session,
    programme: CurrentProgramme,
) -> ProblemOut:
    return await service.close_out(session, principal, programme, number, body)


@router.get(
    "/{number}/timeline",
    response_model=Page[TimelineEntryOut],
    summary="A problem's history, oldest first",
)
async def problem_timeline(
    number: int, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> Page[TimelineEntryOut]:
    items = await service.problem_timeline(session, principal, programme, number)
    return Page[TimelineEntryOut](items=items, total=len(items))
