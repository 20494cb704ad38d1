from __future__ import annotations

from fastapi import APIRouter

from services.hotline_ingest.calendar import service
from services.hotline_ingest.calendar.schemas import CalendarDayIn, CalendarDayOut
from shared.auth import Authenticated, OfficeAdmin
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page
from shared.validation import BusinessDate

router = APIRouter(
    prefix="/api/hotline/v1/calendar", tags=["calendar"], responses=PROBLEM_RESPONSES
)


@router.get(
    "",
    response_model=Page[CalendarDayOut],
    summary="A year's exceptions to the Monday–Friday week (holidays, 调休 workdays)",
)
async def list_days(principal: Authenticated, session: Session, year: int) -> Page[CalendarDayOut]:
    rows = await service.list_days(session, year)
    return Page[CalendarDayOut](
        items=[CalendarDayOut.model_validate(r) for r in rows], total=len(rows)
    )


@router.put(
    "/{day}",
    response_model=CalendarDayOut,
    summary="Set a day (office admin; e.g. when the State Council publishes the year)",
)
async def set_day(
    day: BusinessDate, body: CalendarDayIn, principal: OfficeAdmin, session: Session
) -> CalendarDayOut:
    row = await service.set_day(session, principal, day, body.is_workday, body.note)
    return CalendarDayOut.model_validate(row)
