from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.rating import service
from services.reform_tasks.rating.schemas import RatingIn, RatingOut, WindowIn, WindowOut
from shared.auth import Authenticated, OfficeWrite, UnitWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1", tags=["ratings"], responses=PROBLEM_RESPONSES)


@router.post(
    "/rating-windows",
    response_model=WindowOut,
    status_code=status.HTTP_201_CREATED,
    summary="Open a rating window (office; 409 if the code exists)",
)
async def create_window(
    body: WindowIn, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> WindowOut:
    return await service.create_window(session, principal, programme, body)


@router.get(
    "/rating-windows",
    response_model=Page[WindowOut],
    summary="Rating windows, by opening date",
)
async def list_windows(
    principal: Authenticated, session: Session, programme: CurrentProgramme, page: Pagination
) -> Page[WindowOut]:
    return await service.list_windows(session, programme, page)


@router.post(
    "/rating-windows/{code}/close",
    response_model=WindowOut,
    summary="Close a window (office; 409 if already closed)",
)
async def close_window(
    code: str, principal: OfficeWrite, session: Session, programme: CurrentProgramme
) -> WindowOut:
    return await service.close_window(session, principal, programme, code)


@router.get(
    "/rating-windows/{code}/sheet",
    response_model=Page[RatingOut],
    summary="Rating sheet: the caller's tasks × their responsible units (office: all pairs)",
)
async def sheet(
    code: str,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
) -> Page[RatingOut]:
    return await service.sheet(session, principal, programme, code, page)


@router.put(
    "/rating-windows/{code}/ratings/{number}/{unit_code}",
    response_model=RatingOut,
    summary="Rate a responsible unit on a task (its lead unit only; editable until the window "
    "closes; If-Match = the rating's version)",
)
async def rate(
    code: str,
    number: int,
    unit_code: str,
    body: RatingIn,
    response: Response,
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> RatingOut:
    rating = await service.rate(
        session, principal, programme, code, number, unit_code, body, if_match
    )
    response.headers["ETag"] = f'"{rating.version}"'
    return rating


@router.get(
    "/ratings",
    response_model=Page[RatingOut],
    summary="Ratings (office: all; a lead unit: those it gave; a unit: those it received)",
)
async def list_ratings(
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    window: Annotated[str | None, Query(description="评分窗口代码，如 2026-Q3")] = None,
    task: Annotated[int | None, Query(description="任务序号")] = None,
    unit: Annotated[str | None, Query(description="被评单位代码")] = None,
) -> Page[RatingOut]:
    return await service.list_ratings(
        session, principal, programme, page, window=window, task_number=task, unit=unit
    )
