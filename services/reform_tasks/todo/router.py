"""A unit's to-do list (待办), the home page of its liaison (联络员)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.todo import service
from services.reform_tasks.todo.schemas import TodoOut
from shared.auth import UnitWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.warning_light import WarningLight

router = APIRouter(prefix="/api/tasks/v1/todo", tags=["todo"], responses=PROBLEM_RESPONSES)


@router.get(
    "",
    response_model=TodoOut,
    summary="The unit's to-do list (待办): milestones overdue or due soon (office default 7 days), "
    "returned reports, open supervisions not yet replied to, ratings to give, leader instructions "
    "to answer, unread messages; "
    "overdue first (a unit: its own, another unit's 403; the office: `unit` required, else 422; "
    "viewers: 403)",
)
async def todo(
    request: Request,
    # The accounts that act (units and the office); a viewer acts on nothing, so has no list.
    principal: UnitWrite,
    session: Session,
    programme: CurrentProgramme,
    unit: Annotated[
        str | None, Query(max_length=32, description="单位代码（改革办必填；单位只能是本单位）")
    ] = None,
    warning_light: Annotated[
        WarningLight | None, Query(description="只看所涉任务为该预警灯的事项 green/yellow/red")
    ] = None,
) -> TodoOut:
    return await service.todo(
        session, request.app.state.settings, principal, programme, unit, warning_light
    )
