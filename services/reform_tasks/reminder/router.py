from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.reminder import service
from services.reform_tasks.reminder.schemas import ReminderRunResult
from shared.auth import OfficeOrService
from shared.clock import today_shanghai
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.validation import BusinessDate

router = APIRouter(
    prefix="/api/tasks/v1/reminders", tags=["reminders"], responses=PROBLEM_RESPONSES
)


@router.post(
    "/run",
    response_model=ReminderRunResult,
    summary="Send the reminders due as of a day to unit inboxes, each once (office or scheduler)",
)
async def run(
    request: Request,
    principal: OfficeOrService,
    session: Session,
    programme: CurrentProgramme,
    # Bounded (shared.validation): the rules count days back from it (a date near year 1 overflows).
    as_of: Annotated[
        BusinessDate | None, Query(description="截至日期（默认今天，上海时间）")
    ] = None,
) -> ReminderRunResult:
    return await service.run(
        session, request.app.state.settings, principal, programme, as_of or today_shanghai()
    )
