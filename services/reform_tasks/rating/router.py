from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, status

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.rating import service
from services.reform_tasks.rating.schemas import RatingIn, RatingOut, WindowIn, WindowOut
from shared.auth import Authenticated, OfficeWrite, UnitWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page

router = APIRouter(prefix="/api/tasks/v1", tags=["ratings"], responses=PROBLEM_RESPONSES)


@router.post(
    "/rating-windows",
    response_model=WindowOut,
    status_code=status.HTTP_201_CREATED,
    summary="Open a rating window (office)",
)
async def create_window(
    body: WindowIn, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> WindowOut:
    return await service.create_window(session, principal, programme, body)


@router.get("/rating-windows", response_model=Page[WindowOut], summary="Rating windows")
async def list_windows(
    principal: Authenticated, session: Session, programme: CurrentProgramme
) -> Page[WindowOut]:
    items = await service.list_windows(session, programme)
    return Page[WindowOut](items=items, total=len(items))


@router.post("/rating-windows/{code}/close", response_model=WindowOut, summary="Close a window")
async def close_window(
    code: str, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> WindowOut:
    return await service.close_window(session, principal, programme, code)


@router.get(
    "/rating-windows/{code}/sheet",
    response_model=Page[RatingOut],
    summary="A lead unit's rating sheet: its tasks × their responsible units",
)
async def sheet(
    code: str, principal: Authenticated, session: Session, programme: CurrentProgramme
) -> Page[RatingOut]:
    items = await service.sheet(session, principal, programme, code)
    return Page[RatingOut](items=items, total=len(items))


@router.put(
    "/rating-windows/{code}/ratings/{number}/{unit_code}",
    response_model=RatingOut,
    summary="Rate a responsible unit on a task (the task's lead unit; editable until "
    "the window closes)",
)
async def rate(
    code: str,
    number: int,
    unit_code: str,
    body: RatingIn,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> RatingOut:
    return await service.rate(
        session,
        principal,
        programme,
        code,
        number,
        unit_code,
        body,
        if_match,
    )


@router.get(
    "/ratings",
    response_model=Page[RatingOut],
    summary="Ratings (office: all; a unit: given and received)",
)
async def list_ratings(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    window: str | None = None,
) -> Page[RatingOut]:
    items = await service.list_ratings(session, principal, programme, window)
    return Page[RatingOut](items=items, total=len(items))
