from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.reform_tasks.programme.dependencies import CurrentProgramme
from services.reform_tasks.task.access import readable_task
from services.reform_tasks.timeline import service
from services.reform_tasks.timeline.schemas import TimelineEntryOut
from shared.auth import Authenticated
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1", tags=["timeline"], responses=PROBLEM_RESPONSES)


@router.get(
    "/tasks/{number}/timeline",
    response_model=Page[TimelineEntryOut],
    summary="Everything that happened to a task, in order (whoever may read the task)",
)
async def task_timeline(
    number: int,
    principal: Authenticated,
    session: Session,
    programme: CurrentProgramme,
    page: Pagination,
    order: Annotated[
        Literal["asc", "desc"], Query(description="asc 由早到晚（默认）/ desc 由近到远")
    ] = "asc",
) -> Page[TimelineEntryOut]:
    task = await readable_task(session, principal, programme, number)
    entries = list(await service.entries(session, "task", task.id))
    if order == "desc":
        entries.reverse()
    window = entries[page.offset : page.offset + page.limit]
    return Page[TimelineEntryOut](
        items=[TimelineEntryOut.model_validate(e) for e in window], total=len(entries)
    )
