from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.hotline_ingest.reminders import service
from services.hotline_ingest.reminders.schemas import ReminderOut
from shared.auth import Authenticated
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page, Pagination

router = APIRouter(
    prefix="/api/hotline/v1/reminders", tags=["reminders"], responses=PROBLEM_RESPONSES
)


@router.get(
    "",
    response_model=Page[ReminderOut],
    summary="催办 sent for orders past their limits (office: all; a unit: its own, its to-do)",
)
async def list_reminders(
    principal: Authenticated,
    session: Session,
    page: Pagination,
    order_no: Annotated[str | None, Query(max_length=64, description="工单号")] = None,
    unit: Annotated[str | None, Query(max_length=32, description="承办单位代码")] = None,
    step: Annotated[int | None, Query(ge=1, le=2, description="1 联络员 / 2 抄送负责人")] = None,
    open_only: Annotated[
        bool, Query(alias="open", description="true：只看仍未签收（办结）的工单的催办")
    ] = False,
) -> Page[ReminderOut]:
    return await service.list_reminders(
        session, principal, page, order_no=order_no, unit=unit, step=step, open_only=open_only
    )
